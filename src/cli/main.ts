/**
 * `vmxlab` command line: yargs with one module per command (commands/*.ts).
 * Exit codes (DESIGN.md): 0 ok/pass, 1 expectation failed, 2 invalid input,
 * 3 internal error. No user sees a JavaScript stack trace.
 */
import yargs from "yargs";
import { VmxlabError } from "../common/errors";
import { commands } from "./commands";
import { reportError } from "./report-error";

export const EXIT = { OK: 0, FAILED: 1, INPUT: 2, INTERNAL: 3 } as const;

function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("../../../package.json") as { version: string }).version;
}

export async function main(argv: string[]): Promise<void> {
  let parser = yargs(argv)
    .scriptName("vmxlab")
    .usage("$0 <command> [options]\n\nA simulator of Intel VT-x (VMX root/non-root operation) with EPT and AMD NPT nested paging.")
    .strict()
    .demandCommand(1, "Name a command; `vmxlab --help` lists them.")
    .recommendCommands()
    .version(version())
    .help()
    .alias("h", "help")
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`vmxlab: ${msg}\nRun \`vmxlab --help\` for usage.\n`);
      process.exit(EXIT.INPUT);
    });
  for (const c of commands) parser = parser.command(c);
  try {
    await parser.parseAsync();
  } catch (e) {
    process.exitCode = reportError(e);
  }
}

export { VmxlabError };
