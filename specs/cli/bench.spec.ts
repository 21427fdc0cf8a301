/** `vmxlab bench` is the same suite as `npm run bench` (figures are never checked in unit tests). */
import { vmxlab } from "../support/cli";

describe("vmxlab bench", () => {
  it("runs the suite filtered by name", () => {
    const r = vmxlab(["bench", "no-benchmark-has-this-name"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^vmxlab benchmarks \(node v20/);
  });
});
