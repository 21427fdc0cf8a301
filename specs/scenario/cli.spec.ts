/**
 * `vmxlab run` / `check` / `schema` as users call them (the built binary):
 * exit codes 0/1/2/3 (DESIGN.md "CLI"), the --json result shape, and stdout
 * holding nothing but JSON with --json.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { vmxlab } from "../support/cli";
import { runOneFile } from "../../src/scenario/cli-run";

/** One file through the same code path as the CLI, in-process (spawning the binary costs a second each). */
function run(f: string, flags: { json?: boolean; quiet?: boolean } = {}) {
  return runOneFile(f, { json: flags.json ?? false, quiet: flags.quiet ?? false, trace: false, jobs: 1, color: 0 });
}

const dir = mkdtempSync(join(tmpdir(), "vmxlab-run-"));
function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

const PASS = file(
  "pass.yaml",
  `name: adds
machine: bare
guest:
  code: |
    mov eax, 5
    add rax, 3
    hlt
expect:
  stop: hlt
  regs: { rax: 8 }
`,
);
const FAIL = file("fail.yaml", "name: wrong\nmachine: bare\nguest: { hex: b8 05 00 00 00 f4 }\nexpect: { regs: { rax: 6 } }\n");
const BAD = file("bad.yaml", "name: bad\nguest: { hex: f4, memroy: 1M }\n");

describe("vmxlab run exit codes", () => {
  it("0 when every expectation holds", () => {
    const r = run(PASS);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PASS adds {2}0 exits, 3 instructions, stop: hlt, 2\/2 expectations$/m);
  });

  it("1 when an expectation fails, naming it", () => {
    const r = run(FAIL);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✗ regs.rax: expected 0x6, got 0x5");
  });

  it("2 for invalid input, with file:line:col on stderr and nothing on stdout", () => {
    const r = run(BAD);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`vmxlab: ${BAD}:2:19: guest.memroy: unknown key; did you mean 'memory'?\n`);
  });

  it("2 for a missing file", () => {
    const r = run(join(dir, "none.yaml"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/none\.yaml: cannot read scenario \(no such file\)/);
  });

  it("the worst code of several files, with a count of passes", () => {
    const r = vmxlab(["run", PASS, FAIL, BAD]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/1\/3 scenarios passed\n$/);
  });

  it("--quiet prints one line per scenario plus failures", () => {
    const r = { stdout: run(PASS, { quiet: true }).stdout + run(FAIL, { quiet: true }).stdout };
    expect(r.stdout.split("\n").filter(Boolean)).toEqual([
      "PASS adds  0 exits, 3 instructions, stop: hlt, 2/2 expectations",
      "FAIL wrong  0 exits, 2 instructions, stop: hlt, 0/1 expectations",
      "  ✗ regs.rax: expected 0x6, got 0x5",
    ]);
  });

  it("--jobs runs files in workers and keeps their order", () => {
    const r = vmxlab(["run", "--quiet", "--jobs", "2", PASS, FAIL]);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n").filter((l) => /^(PASS|FAIL)/.test(l)).map((l) => l.split(" ")[1])).toEqual(["adds", "wrong"]);
  });
});

describe("vmxlab run --json", () => {
  it("prints one result object per scenario and nothing else", () => {
    const r = vmxlab(["run", "--json", PASS, FAIL]);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    const [a, b] = lines.map((l) => JSON.parse(l));
    expect(a).toEqual({
      scenario: "adds",
      file: PASS,
      status: "pass",
      stopReason: "hlt",
      steps: 3,
      exits: [],
      userspaceExits: [],
      console: "",
      final: { regs: expect.objectContaining({ rax: "0x8", rip: "0x1000a", rsp: "0x80000" }) },
      faults: [],
      expectations: [
        { path: "stop", expected: "hlt", actual: "hlt", ok: true },
        { path: "regs.rax", expected: "0x8", actual: "0x8", ok: true },
      ],
    });
    expect(Object.keys(a.final.regs)).toEqual(["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"]);
    expect(b.status).toBe("fail");
  });

  it("an invalid file gives status error with the message", () => {
    const r = run(BAD, { json: true });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ scenario: BAD, status: "error", error: expect.stringContaining("guest.memroy: unknown key") });
  });
});

describe("vmxlab check", () => {
  it("0 for valid files, 2 listing every problem of the others with its position", () => {
    const f = file("many.yaml", "guest:\n  hex: f4\n  regs: { rax: zz }\nvmcs: { primary: [hlt-exit] }\n");
    const r = vmxlab(["check", PASS, f]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(`${PASS}: ok (adds)\n`);
    expect(r.stderr.trim().split("\n")).toEqual([
      `vmxlab: ${f}:3:16: guest.regs.rax: expected a number or hex string, got 'zz'`,
      `${f}:4:19: vmcs.primary[0]: 'hlt-exit' is not a primary control; did you mean 'hlt-exiting'?`,
    ]);
  });
});

describe("vmxlab schema", () => {
  it("prints a JSON Schema with the scenario keys and table names", () => {
    const r = vmxlab(["schema"]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(["name", "guest", "vmcs", "ept", "handlers", "host", "devices", "limits", "expect"]));
    expect(s.required).toEqual(["guest"]);
    expect(JSON.stringify(s.properties.vmcs)).toContain('"hlt-exiting"');
    expect(JSON.stringify(s.properties.handlers)).toContain('"EPT_VIOLATION"');
  });
});
