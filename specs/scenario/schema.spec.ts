/** The JSON Schema editors use is generated from the zod schema; the copy in examples/ must match it. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { scenarioJsonSchema } from "../../src/scenario/schema";

describe("scenario JSON Schema", () => {
  const schema = scenarioJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown> }>; additionalProperties: boolean };

  it("describes the DESIGN.md keys and rejects unknown ones", () => {
    expect(Object.keys(schema.properties)).toEqual(["$schema", "name", "description", "machine", "cpu", "guest", "vmcs", "ept", "handlers", "host", "devices", "snapshot", "limits", "expect"]);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties.guest!.properties!)).toEqual(["mode", "memory", "code", "hex", "file", "load", "entry", "regs"]);
  });

  it("examples/vmxlab.schema.json is up to date (regenerate: vmxlab schema > examples/vmxlab.schema.json)", () => {
    const file = JSON.parse(readFileSync(join(__dirname, "..", "..", "examples", "vmxlab.schema.json"), "utf8"));
    expect(file).toEqual(JSON.parse(JSON.stringify(schema)));
  });
});
