/**
 * `vmxlab run <files…>`: run scenarios, print a human report (or one JSON
 * object per scenario with --json, and nothing else on stdout). Exit code: the
 * worst of all files — 3 internal error, 2 invalid input, 1 an expectation
 * failed, 0 all passed.
 */
import type { CommandModule } from "yargs";
import { runFiles } from "../../scenario/cli-run";

interface RunArgs {
  files: string[];
  json: boolean;
  trace: boolean;
  quiet: boolean;
  jobs: number;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: "run <files..>",
  describe: "Run scenario files and check their expectations",
  builder: (y) =>
    y
      .positional("files", { type: "string", array: true, demandOption: true, describe: "scenario YAML files" })
      .option("json", { type: "boolean", default: false, describe: "print one JSON result object per scenario (one per line)" })
      .option("trace", { type: "boolean", default: false, describe: "list every VM exit, not only the first 200" })
      .option("quiet", { alias: "q", type: "boolean", default: false, describe: "print only the summary line and failures" })
      .option("jobs", { alias: "j", type: "number", default: 1, describe: "run files in N worker threads" })
      .example("$0 run examples/cpuid-exit.yaml", "run one lab and print its report")
      .example("$0 run examples/*.yaml --quiet", "run every lab, one line each")
      .strict() as never,
  handler: async (a) => {
    process.exitCode = await runFiles(a.files, { json: a.json, trace: a.trace, quiet: a.quiet, jobs: a.jobs });
  },
};
