/**
 * `handlers:` policies reach the dispatcher: named policies, injection, and
 * handler modules (.js and .ts) written against the handler API, which can
 * compose with the default through `next`.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadScenarioFile } from "../../src/scenario/loader";
import { runScenario } from "../../src/scenario/run";

const dir = mkdtempSync(join(tmpdir(), "vmxlab-handlers-"));
function run(yaml: string) {
  const f = join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, yaml);
  return runScenario(loadScenarioFile(f));
}

const CPUID_GUEST = "guest:\n  code: |\n    mov eax, 0\n    cpuid\n    hlt\n";

describe("handler modules", () => {
  it("a .js module replaces the default CPUID handler", () => {
    writeFileSync(join(dir, "cpuid.js"), "module.exports = (vcpu) => { vcpu.setReg('rax', 0x42n); vcpu.setReg('rbx', 0n); vcpu.advanceRip(); };\n");
    const r = run(`${CPUID_GUEST}handlers:\n  CPUID: { module: ./cpuid.js }\nexpect:\n  exits: [CPUID, HLT]\n  regs: { rax: 0x42, rbx: 0 }\n`);
    expect(r.expectations.filter((e) => !e.ok)).toEqual([]);
  });

  it("a .ts module can call the default handler and adjust its result", () => {
    writeFileSync(
      join(dir, "cpuid-next.ts"),
      "import type { Vcpu } from 'vmxlab';\nexport const CPUID = (vcpu: Vcpu, next: () => void): void => { next(); vcpu.setReg('rcx', 0x1234n); };\n",
    );
    const r = run(`${CPUID_GUEST}handlers:\n  CPUID: { module: ./cpuid-next.ts }\nexpect:\n  regs: { rbx: 0x756e6547, rcx: 0x1234 }\n`);
    expect(r.expectations.filter((e) => !e.ok)).toEqual([]);
  });

  it("a module without a handler export is an input error naming the file", () => {
    writeFileSync(join(dir, "empty.js"), "module.exports = { nothing: 1 };\n");
    expect(() => run(`${CPUID_GUEST}handlers:\n  CPUID: { module: ./empty.js }\n`)).toThrow(/empty\.js: export a handler function \(default, 'CPUID' or 'handler'\); found nothing/);
  });

  it("a missing module is reported at its key", () => {
    const f = join(dir, "missing.yaml");
    writeFileSync(f, `${CPUID_GUEST}handlers:\n  CPUID: { module: ./nope.js }\n`);
    expect(() => loadScenarioFile(f)).toThrow(expect.objectContaining({ location: { file: f, line: 7, col: 20 }, message: "handlers.CPUID.module: cannot find './nope.js'" }));
  });
});

describe("named policies", () => {
  it("stop ends the run at the first exit of that reason", () => {
    const r = run(`${CPUID_GUEST}handlers: { CPUID: stop }\nexpect: { stop: stopped, exits: [CPUID] }\n`);
    expect(r.status).toBe("pass");
  });

  it("inject delivers the event to the guest (no IDT: the guest triple-faults)", () => {
    const r = run(`${CPUID_GUEST}handlers: { CPUID: { inject: { vector: UD } } }\nexpect: { exits: [CPUID, TRIPLE_FAULT] }\n`);
    expect(r.expectations.filter((e) => !e.ok)).toEqual([]);
  });
});
