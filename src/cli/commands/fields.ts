/** `vmxlab fields [name|encoding]`: the VMCS field table (SDM Vol. 3D Appendix B). */
import type { CommandModule } from "yargs";
import type { FieldGroup } from "../../vmcs/fields";
import { fieldDetail, fieldRow, fieldsTable, lookupFields, parseEncoding } from "../../vmcs/field-lookup";
import { accessByFieldName } from "../../vmcs/fields";

interface FieldsArgs {
  query?: string;
  group?: FieldGroup;
  high: boolean;
  json: boolean;
}

export const fieldsCommand: CommandModule<object, FieldsArgs> = {
  command: "fields [query]",
  describe: "List VMCS fields with encoding, width, group and SDM section, or describe one by name or encoding",
  builder: (y) =>
    y
      .positional("query", { type: "string", describe: "field name (GUEST_RIP), encoding (0x681e) or part of a name (CR0)" })
      .option("group", { choices: ["control", "exit-info", "guest", "host"] as FieldGroup[], describe: "only fields of this group" })
      .option("high", { type: "boolean", default: false, describe: "also list the _HIGH halves of 64-bit fields" })
      .option("json", { type: "boolean", default: false, describe: "one JSON array of fields" })
      .example("$0 fields", "every field")
      .example("$0 fields GUEST_RIP", "one field in detail")
      .example("$0 fields 0x201b", "what an encoding means (EPT_POINTER_HIGH)")
      .example("$0 fields CR3 --group guest", "guest-state fields whose name contains CR3")
      .strict(),
  handler: (a) => {
    const q = a.query === undefined ? undefined : String(a.query);
    const found = lookupFields(q, { group: a.group, high: a.high });
    if (a.json) {
      process.stdout.write(JSON.stringify(found.map(fieldRow), null, 2) + "\n");
      return;
    }
    const single = q !== undefined && (parseEncoding(q) !== undefined || accessByFieldName(q) !== undefined);
    process.stdout.write(single && found.length === 1 ? fieldDetail(found[0]!) : fieldsTable(found.map(fieldRow)));
  },
};
