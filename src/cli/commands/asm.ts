/** `vmxlab asm`: assemble an Intel-syntax file into a raw binary, optionally with a listing. */
import { readFileSync, writeFileSync } from "node:fs";
import type { CommandModule } from "yargs";
import { assemble } from "../../asm/assemble";
import { formatListing } from "../../asm/listing";
import { inputError } from "../../common/errors";
import type { ExecMode } from "../../vmm/bare";
import { bitsOfMode, MODES, numberOption } from "../options";

interface AsmArgs {
  file: string;
  output?: string;
  mode: ExecMode;
  org?: string;
  list: boolean;
}

/** `code.s` → `code.bin`. */
function defaultOutput(file: string): string {
  return file.replace(/\.(s|asm|S)$/, "") + ".bin";
}

export const asmCommand: CommandModule<object, AsmArgs> = {
  command: "asm <file>",
  describe: "Assemble an Intel-syntax (NASM-like) source file into a raw binary",
  builder: (y) =>
    y
      .positional("file", { type: "string", demandOption: true, describe: "assembly source" })
      .option("output", { alias: "o", type: "string", describe: "binary to write (default: the source name with .bin)" })
      .option("mode", { choices: MODES, default: "long64" as ExecMode, describe: "code size at the start (a `bits` directive in the file wins)" })
      .option("org", { type: "string", describe: "address of the first byte (default 0x10000, where `exec` loads code; an `org` directive wins)" })
      .option("list", { type: "boolean", default: false, describe: "print a listing: address, bytes, source line" })
      .example("$0 asm hello.s -o hello.bin", "assemble for long64 code at 0x10000")
      .example("$0 asm boot.s --mode real16 --org 0x7c00 --list", "16-bit code with a listing")
      .strict(),
  handler: (a) => {
    let source: string;
    try {
      source = readFileSync(a.file, "utf8");
    } catch {
      throw inputError(`cannot read '${a.file}'`);
    }
    const result = assemble(source, { bits: bitsOfMode(a.mode), org: numberOption("org", a.org, 0x10000), file: a.file });
    const out = a.output ?? defaultOutput(a.file);
    try {
      writeFileSync(out, result.bytes);
    } catch {
      throw inputError(`cannot write '${out}'`);
    }
    if (a.list) process.stdout.write(formatListing(source, result));
    else process.stdout.write(`${out}: ${result.bytes.length} bytes at 0x${result.org.toString(16)}\n`);
  },
};
