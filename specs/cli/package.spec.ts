/** The published entry points resolve from the built package as a user's `require` would. */
import { spawnSync } from "node:child_process";
import { ROOT } from "../support/cli";

function nodeEval(code: string): string {
  const r = spawnSync(process.execPath, ["-e", code], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

describe("package entry points", () => {
  it("require('vmxlab') gives the VMM, scenarios and lab sessions", () => {
    expect(nodeEval('const v = require("vmxlab"); console.log(["Vm", "runScenario", "loadScenarioFile", "LabSession", "assemble"].map((k) => typeof v[k]).join())')).toBe(
      "function,function,function,function,function",
    );
  });

  it("require('vmxlab/testing') gives the exit-handler harness", () => {
    expect(nodeEval('const t = require("vmxlab/testing"); const v = t.fakeVcpu({ exit: "CPUID", regs: { rax: 0 } }); v.handle(); console.log(typeof t.fakeVcpu, v.regs.rip > 0n)')).toBe("function true");
  });
});
