/** `vmxlab schema`: the scenario JSON Schema, for editors (`# yaml-language-server: $schema=…`). */
import type { CommandModule } from "yargs";
import { scenarioJsonSchema } from "../../scenario/schema";

export const schemaCommand: CommandModule<object, object> = {
  command: "schema",
  describe: "Print the JSON Schema of scenario files (for editor validation and completion)",
  builder: (y) => y.example("$0 schema > vmxlab.schema.json", "then start a scenario with  # yaml-language-server: $schema=vmxlab.schema.json").strict(),
  handler: () => {
    process.stdout.write(JSON.stringify(scenarioJsonSchema(), null, 2) + "\n");
  },
};
