/**
 * Every example lab (examples/*.yaml) runs and passes its own `expect:` —
 * the labs are documentation that checks itself.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { loadScenarioFile } from "../../src/scenario/loader";
import { runScenario } from "../../src/scenario/run";
import "../../src/scenario/machines";

const EXAMPLES = join(__dirname, "..", "..", "examples");
const labs = readdirSync(EXAMPLES).filter((f) => f.endsWith(".yaml")).sort().map((f) => join(EXAMPLES, f));

describe("example labs", () => {
  it("covers the curriculum (at least 20 labs)", () => expect(labs.length).toBeGreaterThanOrEqual(20));

  it.each(labs.map((f) => [f.slice(EXAMPLES.length + 1), f]))("%s passes its expectations", (_name, file) => {
    const r = runScenario(loadScenarioFile(file));
    const failed = r.expectations.filter((e) => !e.ok).map((e) => `${e.path}: expected ${e.expected}, got ${e.actual}`);
    expect({ status: r.status, failed }).toEqual({ status: "pass", failed: [] });
  });
});
