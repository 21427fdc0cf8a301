/** `vmxlab bench`: the benchmark suite (same as `npm run bench`). */
import type { CommandModule } from "yargs";
import { runBenchmarks } from "../../../bench/main";

export const benchCommand: CommandModule<object, { filter?: string }> = {
  command: "bench [filter]",
  describe: "Run the performance benchmarks and compare each figure with its target",
  builder: (y) =>
    y
      .positional("filter", { type: "string", describe: "run only benchmarks whose name contains this text" })
      .example("$0 bench", "all benchmarks")
      .example("$0 bench EPT", "the EPT benchmarks")
      .strict(),
  handler: (a) => {
    // Figures below target are reported, not failures: the exit code stays 0.
    runBenchmarks(a.filter, (l) => process.stdout.write(l + "\n"));
  },
};
