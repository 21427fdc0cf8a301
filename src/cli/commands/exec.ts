/** `vmxlab exec`: run raw code on a bare machine in root mode (DESIGN.md "exec"). */
import { readFileSync } from "node:fs";
import type { CommandModule } from "yargs";
import { inputError } from "../../common/errors";
import { parseHexBytes } from "../../common/hex-input";
import { parseNumber } from "../../common/u64";
import { runExec, ExecResult, regsFromJson } from "../../vmm/exec";
import type { ExecMode } from "../../vmm/bare";
import { assembleFile } from "../../asm/assemble";
import { bitsOfMode, MODES, numberOption } from "../options";
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
  // Code is assembled for the address it runs at: the load address, except in real16 where a load above
  // 64 KiB puts CS at load >> 4 and IP at load & 0xf (src/vmm/bare.ts). A `bits` directive overrides --mode.
  const load = numberOption("load", a.load, 0x10000);
  const org = a.mode === "real16" && load > 0xffff ? load & 0xf : load;
  const r = assembleFile(a.asm!, bitsOfMode(a.mode), org);
  if (r.org !== org)
    throw inputError(`--asm: '${a.asm}' sets org 0x${r.org.toString(16)} but the code runs at 0x${org.toString(16)}; change the org or --load`);
  return r.bytes;
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
