/**
 * Golden files of the human report (plain text, as printed when stdout is not
 * a terminal). Regenerate after an intended change with
 * `UPDATE_GOLDEN=1 npx jest specs/scenario/golden.spec.ts` and review the diff.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { loadScenarioFile } from "../../src/scenario/loader";
import { formatReport } from "../../src/scenario/report";
import { runScenario } from "../../src/scenario/run";
import "../../src/scenario/machines";

const ROOT = join(__dirname, "..", "..");
const GOLDEN = join(__dirname, "golden");

describe.each(["01-rings-and-holes", "02-binary-translation-sketch", "07-io-and-uart", "10-exceptions-and-injection"])("human report of %s", (name) => {
  it("matches the golden file", () => {
    const ls = loadScenarioFile(relative(ROOT, join(ROOT, "examples", `${name}.yaml`)));
    const text = formatReport(runScenario(ls), { color: 0 });
    const file = join(GOLDEN, `${name}.txt`);
    // A missing golden fails (readFileSync throws): goldens are written only on request.
    if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, "utf8"));
  });
});
