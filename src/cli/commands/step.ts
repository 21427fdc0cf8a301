/** `vmxlab step`: an interactive (or scripted) lab session over a scenario. */
import { readFileSync } from "node:fs";
import type { CommandModule } from "yargs";
import { inputError } from "../../common/errors";
import { interactive, runScript, runScriptJson } from "../../lab/driver";
import { openLab } from "../../lab/open";

interface StepArgs {
  file: string;
  commands?: string;
  json: boolean;
}

function readCommands(from: string): string[] {
  try {
    return readFileSync(from === "-" ? 0 : from, "utf8").split(/\r?\n/);
  } catch {
    throw inputError(`--commands: cannot read '${from}'`);
  }
}

export const stepCommand: CommandModule<object, StepArgs> = {
  command: "step <file>",
  describe: "Step through a scenario: guest instructions, VM exits, VMCS diffs, EPT walks, reverse steps",
  builder: (y) =>
    y
      .positional("file", { type: "string", demandOption: true, describe: "scenario YAML" })
      .option("commands", { type: "string", describe: "run the commands in this file ('-' for stdin) and print the transcript" })
      .option("json", { type: "boolean", default: false, describe: "with --commands or piped input: one JSON object per command" })
      .example("$0 step examples/05-cpuid-exit.yaml", "interactive session (type 'help')")
      .example("$0 step lab.yaml --commands steps.txt", "scripted transcript")
      .strict(),
  handler: async (a) => {
    const session = openLab(a.file);
    const scripted = a.commands !== undefined ? readCommands(a.commands) : !process.stdin.isTTY ? readCommands("-") : null;
    if (scripted) {
      process.stdout.write(a.json ? runScriptJson(session, scripted) : runScript(session, scripted));
      return;
    }
    if (a.json) throw inputError("--json needs --commands or piped input");
    await interactive(session, process.stdin, process.stdout);
  },
};
