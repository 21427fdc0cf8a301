/** `vmxlab check <files…>`: validate scenarios without running them (exit 0, or 2 with every problem listed). */
import type { CommandModule } from "yargs";
import { VmxlabError } from "../../common/errors";
import { loadScenarioFile } from "../../scenario/loader";
import { reportError } from "../report-error";

interface CheckArgs {
  files: string[];
  quiet: boolean;
}

export const checkCommand: CommandModule<object, CheckArgs> = {
  command: "check <files..>",
  describe: "Validate scenario files (YAML, schema, names, assembly) without running them",
  builder: (y) =>
    y
      .positional("files", { type: "string", array: true, demandOption: true, describe: "scenario YAML files" })
      .option("quiet", { alias: "q", type: "boolean", default: false, describe: "print only problems" })
      .example("$0 check examples/*.yaml", "validate every example lab")
      .strict() as never,
  handler: (a) => {
    let worst = 0;
    for (const file of a.files) {
      try {
        const s = loadScenarioFile(file);
        if (!a.quiet) process.stdout.write(`${file}: ok (${s.name})\n`);
      } catch (e) {
        if (!(e instanceof VmxlabError)) throw e;
        worst = Math.max(worst, reportError(e));
      }
    }
    process.exitCode = worst;
  },
};
