/** `vmxlab disasm`: Intel-syntax disassembly with addresses and bytes. */
import { readFileSync } from "node:fs";
import type { CommandModule } from "yargs";
import { inputError } from "../../common/errors";
import { parseHexBytes } from "../../common/hex-input";
import { disassemble, hexBytes } from "../../asm/disasm";
import type { ExecMode } from "../../vmm/bare";
import { bitsOfMode, MODES, numberOption } from "../options";

interface DisasmArgs {
  file?: string;
  hex?: string;
  mode: ExecMode;
  org?: string;
}

export const disasmCommand: CommandModule<object, DisasmArgs> = {
  command: "disasm [file]",
  describe: "Disassemble a binary file or hex bytes (Intel syntax, with addresses and bytes)",
  builder: (y) =>
    y
      .positional("file", { type: "string", describe: "raw binary file" })
      .option("hex", { type: "string", describe: "bytes as hex instead of a file" })
      .option("mode", { choices: MODES, default: "long64" as ExecMode, describe: "code size to decode" })
      .option("org", { type: "string", describe: "address of the first byte (default 0x10000)" })
      .example('$0 disasm --hex "0f 01 c2"', "vmlaunch")
      .strict(),
  handler: (a) => {
    let code: Uint8Array;
    if ((a.file === undefined) === (a.hex === undefined)) throw inputError("give a file or --hex (one of them)");
    if (a.hex !== undefined) code = parseHexBytes(a.hex);
    else {
      try {
        code = new Uint8Array(readFileSync(a.file!));
      } catch {
        throw inputError(`cannot read '${a.file}'`);
      }
    }
    const org = numberOption("org", a.org, 0x10000);
    const out = disassemble(code, org, bitsOfMode(a.mode)).map(
      (l) => `${l.address.toString(16).padStart(8, "0")}  ${hexBytes(l.bytes).padEnd(30)} ${l.text}`,
    );
    process.stdout.write(out.join("\n") + "\n");
  },
};
