/** `vmxlab exec`: run raw code on a bare machine in root mode (DESIGN.md "exec"). */
import { readFileSync } from "node:fs";
import type { CommandModule } from "yargs";
import { inputError } from "../../common/errors";
import { parseHexBytes } from "../../common/hex-input";
import { parseNumber } from "../../common/u64";
import { runExec, ExecResult, regsFromJson } from "../../vmm/exec";
import type { ExecMode } from "../../vmm/bare";
import { MODES, numberOption } from "../options";
import { printRegs } from "../print-regs";

interface ExecArgs {
  hex?: string;
  file?: string;
  asm?: string;
  mode: ExecMode;
  regs?: string;
  memory?: string;
  load?: string;
  "max-steps"?: string;
  json: boolean;
}

function loadCode(a: ExecArgs): Uint8Array {
  const given = [a.hex, a.file, a.asm].filter((x) => x !== undefined).length;
  if (given !== 1) throw inputError("give exactly one of --hex, --file or --asm");
  if (a.hex !== undefined) return parseHexBytes(a.hex);
  if (a.file !== undefined) {
    try {
      return new Uint8Array(readFileSync(a.file));
    } catch {
      throw inputError(`--file: cannot read '${a.file}'`);
    }
  }
  return assembleFile(a.asm!, a.mode);
}

/** `--asm` is served by the assembler (src/asm); resolved lazily so exec works without it. */
function assembleFile(path: string, mode: ExecMode): Uint8Array {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const asm = require("../../asm/assemble") as { assembleFile?: (p: string, bits: 16 | 32 | 64, org: number) => Uint8Array };
  if (!asm.assembleFile) throw inputError("--asm: the assembler is not available in this build");
  return asm.assembleFile(path, mode === "long64" ? 64 : mode === "protected32" ? 32 : 16, 0x10000);
}

export const execCommand: CommandModule<object, ExecArgs> = {
  command: "exec",
  describe: "Run raw machine code on a bare machine in root mode (no hypervisor) until HLT, a step limit or a shutdown",
  builder: (y) =>
    y
      .usage(
        "$0 exec (--hex BYTES | --file code.bin | --asm code.s) [options]\n\n" +
          "Loads the code at physical 0x10000 into 16 MiB of RAM, RSP=0x80000, CPL 0; long64 mode has\n" +
          "identity paging of the low 4 GiB (2 MiB pages) and flat segments. The code runs as root-mode\n" +
          "software, so it may itself execute VMXON, VMLAUNCH and so on.",
      )
      .option("hex", { type: "string", describe: 'code as hex bytes, e.g. "48 01 d8 f4"' })
      .option("file", { type: "string", describe: "code as a raw binary file" })
      .option("asm", { type: "string", describe: "code as an Intel-syntax assembly file" })
      .option("mode", { choices: MODES, default: "long64" as ExecMode, describe: "operating mode at start" })
      .option("regs", { type: "string", describe: 'initial registers as JSON, e.g. \'{"rax":"0x1"}\'' })
      .option("memory", { type: "string", describe: "RAM size (default 16M)" })
      .option("load", { type: "string", describe: "load and entry address (default 0x10000)" })
      .option("max-steps", { type: "string", describe: "stop after this many instructions (default 10000000)" })
      .option("json", { type: "boolean", default: false, describe: "print the result as JSON" })
      .example('$0 exec --hex "b8 05 00 00 00 48 83 c0 03 f4" --json', "mov eax, 5; add rax, 3; hlt")
      .strict(),
  handler: (a) => {
    const code = loadCode(a);
    const regs = a.regs === undefined ? {} : regsFromJson(a.regs);
    const result: ExecResult = runExec(code, {
      mode: a.mode,
      memory: numberOption("memory", a.memory, 16 << 20),
      load: numberOption("load", a.load, 0x10000),
      maxSteps: numberOption("max-steps", a["max-steps"], 10_000_000),
      regs,
    });
    if (a.json) process.stdout.write(JSON.stringify(result) + "\n");
    else {
      process.stdout.write(`stopped: ${result.stopReason} after ${result.steps} instructions\n`);
      for (const f of result.faults ?? []) process.stdout.write(`fault: ${f.vector}${f.errorCode !== undefined ? `(${f.errorCode})` : ""} at rip ${f.rip}\n`);
      printRegs(result.regs);
    }
    void parseNumber;
  },
};
