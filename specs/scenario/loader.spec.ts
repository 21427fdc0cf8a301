/**
 * Bad scenario input, one class per case: each error names file:line:col and
 * the key path, as DESIGN.md "Structured errors" requires.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VmxlabError } from "../../src/common/errors";
import { ScenarioError } from "../../src/scenario/issues";
import { loadScenarioFile, loadScenarioText } from "../../src/scenario/loader";

function errorOf(text: string, file = "lab.yaml"): VmxlabError {
  try {
    loadScenarioText(text, file);
  } catch (e) {
    if (e instanceof VmxlabError) return e;
    throw e;
  }
  throw new Error("expected the scenario to be rejected");
}

/** All messages as the CLI prints them: `file:line:col: message`. */
function messages(text: string): string[] {
  const e = errorOf(text);
  if (e instanceof ScenarioError) return e.issues.map((i) => `${i.location.file}:${i.location.line}:${i.location.col}: ${i.message}`);
  return [e.toString()];
}

const GOOD = `name: ok
guest:
  code: |
    mov eax, 1
    hlt
`;

describe("a valid scenario", () => {
  it("loads with defaults filled in and code assembled at the load address", () => {
    const s = loadScenarioText(GOOD, "ok.yaml");
    expect(s.name).toBe("ok");
    expect(s.scenario.guest.mode).toBe("long64");
    expect(s.scenario.guest.memory).toBe(16n << 20n);
    expect(s.guest.load).toBe(0x10000);
    expect([...s.guest.bytes]).toEqual([0xb8, 1, 0, 0, 0, 0xf4]);
    expect(s.guest.lines?.map((l) => l.fileLine)).toEqual([4, 5]);
  });

  it("takes the name from the file when `name:` is absent", () => {
    expect(loadScenarioText("guest: { hex: f4 }", "dir/my-lab.yaml").name).toBe("my-lab");
  });

  it.each([
    ["decimal", "65536", 0x10000n],
    ["hex", "0x10000", 0x10000n],
    ["hex with separators", "0x1_0000", 0x10000n],
    ["binary", "0b10000000000000000", 0x10000n],
    ["size", "64K", 0x10000n],
    ["size in MiB", "16M", 16n << 20n],
  ])("accepts %s numbers (%s)", (_what, text, value) => {
    const s = loadScenarioText(`guest: { hex: f4, load: 0, memory: ${text} }`, "n.yaml");
    expect(s.scenario.guest.memory).toBe(value);
  });

  it("keeps 64-bit register values exact", () => {
    const s = loadScenarioText("guest: { hex: f4, regs: { rax: 0xffffffffffffffff, rbx: '0x8000000000000001' } }", "r.yaml");
    expect(s.scenario.guest.regs).toEqual({ rax: 0xffff_ffff_ffff_ffffn, rbx: 0x8000_0000_0000_0001n });
  });
});

describe("bad YAML", () => {
  it("reports the parser's position", () => {
    expect(messages("guest: [1,\n  a: b\n")[0]).toMatch(/^lab\.yaml:\d+:\d+: invalid YAML: /);
  });

  it("rejects duplicate keys at the second one", () => {
    expect(messages("guest: { hex: f4 }\nguest: { hex: 90 }\n")[0]).toMatch(/^lab\.yaml:2:1: invalid YAML: Map keys must be unique/);
  });

  it("explains a code line indented less than the block's first line", () => {
    expect(messages("guest:\n  code: |\n        nop\n    next:\n        hlt\n")[0]).toMatch(
      /^lab\.yaml:4:\d+: invalid YAML: .*\(line 4 is indented less than the first line of the `code: \|` block at line 3/,
    );
  });

  it("rejects a file that is not a mapping", () => {
    expect(messages("- a\n- b\n")[0]).toMatch(/^lab\.yaml:1:1: a scenario is a mapping/);
  });
});

describe("wrong type", () => {
  it("names the key path and what was expected", () => {
    expect(messages("guest:\n  hex: f4\n  regs: { rax: zz }\n")).toEqual(["lab.yaml:3:16: guest.regs.rax: expected a number or hex string, got 'zz'"]);
  });

  it("reports a list where a mapping belongs", () => {
    expect(messages("guest: [1, 2]\n")[0]).toMatch(/^lab\.yaml:1:8: guest: expected object, got a list/);
  });

  it("reports a missing required section at the top", () => {
    expect(messages("name: x\n")).toEqual(["lab.yaml:1:1: guest: required key is missing"]);
  });

  it("chooses the union branch that matches the shape", () => {
    expect(messages("guest: { hex: f4 }\nhandlers:\n  HLT: { inject: { vector: XX } }\n")[0]).toMatch(/^lab\.yaml:3:28: handlers\.HLT\.inject\.vector: expected an exception vector name/);
  });
});

describe("unknown keys", () => {
  it.each([
    ["guest:\n  hex: f4\n  memroy: 16M\n", "lab.yaml:3:3: guest.memroy: unknown key; did you mean 'memory'?"],
    ["guest: { hex: f4, regs: { rbz: 1 } }\n", "lab.yaml:1:27: guest.regs.rbz: unknown key; did you mean 'rbp'?"],
    ["guest: { hex: f4 }\nhandlers: { CPUIDD: stop }\n", "lab.yaml:2:13: handlers.CPUIDD: unknown key; did you mean 'CPUID'?"],
    ["guest: { hex: f4 }\nvmcs: { fields: { GUEST_CRO: 1 } }\n", "lab.yaml:2:19: vmcs.fields.GUEST_CRO: unknown key; did you mean 'GUEST_CR0'?"],
    ["guest: { hex: f4 }\nexpect: { exits: { subseq: [HLT] } }\n", "lab.yaml:2:20: expect.exits.subseq: unknown key; did you mean 'subsequence'?"],
  ])("%j", (text, message) => {
    expect(messages(text)).toContain(message);
  });

  it("suggests names from the VMX tables for values", () => {
    expect(messages("guest: { hex: f4 }\nvmcs: { primary: [hlt-exit] }\n")).toEqual(["lab.yaml:2:19: vmcs.primary[0]: 'hlt-exit' is not a primary control; did you mean 'hlt-exiting'?"]);
    expect(messages("guest: { hex: f4 }\nexpect: { exits: [HTL] }\n")[0]).toMatch(/expect\.exits\[0\]: 'HTL' is not an exit reason.*did you mean 'HLT'\?/);
  });

  it("explains a label that ended the code block", () => {
    expect(messages("guest:\n  code: |\n    jmp done\n  done:\n    hlt\n")[0]).toMatch(/^lab\.yaml:4:3: guest\.done: unknown key; if 'done:' is a label of the code above, indent it/);
  });
});

describe("bad numbers", () => {
  it.each([
    ["guest: { hex: f4, memory: 16Q }", "lab.yaml:1:27: guest.memory: expected a size (a number, hex, or like 16M), got '16Q'"],
    ["guest: { hex: f4, load: 0xg }", "lab.yaml:1:25: guest.load: expected a number or hex string, got '0xg'"],
    ["guest: { hex: f4, load: -5 }", "lab.yaml:1:25: guest.load: expected a number or hex string (not negative), got -5"],
    ["guest: { hex: f4, regs: { rax: 0x10000000000000000 } }", "lab.yaml:1:32: guest.regs.rax: value does not fit in 64 bits"],
    ["guest: { hex: f4 }\nvmcs: { io-intercept: [0x3ff-0x3f8] }", "lab.yaml:2:24: vmcs.io-intercept[0]: range start is above its end"],
  ])("%s", (text, message) => {
    expect(messages(text)).toEqual([message]);
  });
});

describe("files", () => {
  const dir = mkdtempSync(join(tmpdir(), "vmxlab-scenario-"));

  it("reports a missing scenario file without a position", () => {
    const e = (() => {
      try {
        loadScenarioFile(join(dir, "nope.yaml"));
      } catch (err) {
        return err as VmxlabError;
      }
      throw new Error("not rejected");
    })();
    expect(e).toBeInstanceOf(VmxlabError);
    expect(e.code).toBe("invalid-input");
    expect(e.message).toMatch(/nope\.yaml: cannot read scenario \(no such file\)/);
  });

  it("reports a missing code file at the file: key's value", () => {
    const f = join(dir, "lab.yaml");
    writeFileSync(f, "guest:\n  file: missing.bin\n");
    expect(() => loadScenarioFile(f)).toThrow(expect.objectContaining({ location: { file: f, line: 2, col: 9 }, message: "guest.file: cannot read 'missing.bin' (no such file)" }));
  });

  it("loads raw bytes and assembles .s files relative to the scenario", () => {
    writeFileSync(join(dir, "code.bin"), Buffer.from([0x90, 0xf4]));
    writeFileSync(join(dir, "code.s"), "nop\nhlt\n");
    writeFileSync(join(dir, "a.yaml"), "guest: { file: code.bin }\n");
    writeFileSync(join(dir, "b.yaml"), "guest: { file: code.s }\n");
    expect([...loadScenarioFile(join(dir, "a.yaml")).guest.bytes]).toEqual([0x90, 0xf4]);
    expect([...loadScenarioFile(join(dir, "b.yaml")).guest.bytes]).toEqual([0x90, 0xf4]);
  });

  it("rejects more than one code form", () => {
    expect(messages("guest: { hex: f4, code: hlt }\n")[0]).toMatch(/^lab\.yaml:1:10: guest\.hex: give only one of code, hex and file \(found code and hex\)/);
  });
});

describe("assembler errors inside code:", () => {
  it("points at the faulty line and column of the YAML file", () => {
    const text = "name: asm\nguest:\n  code: |\n    mov eax, 0\n    cpuid\n    mov rax, [rbx+\n    hlt\n";
    const [m] = messages(text);
    expect(m).toMatch(/^lab\.yaml:6:\d+: guest\.code: /);
    const col = Number(/^lab\.yaml:6:(\d+)/.exec(m!)![1]);
    expect(col).toBeGreaterThan(4); // inside the instruction, past the block's indentation
  });

  it("maps an unknown mnemonic to its column", () => {
    expect(messages("guest:\n  code: |\n    nop\n      frob eax\n")[0]).toMatch(/^lab\.yaml:4:7: guest\.code: /);
  });

  it("maps a one-line quoted code string", () => {
    expect(messages('guest: { code: "frob eax" }\n')[0]).toMatch(/^lab\.yaml:1:17: guest\.code: /);
  });

  it("are listed together with schema errors elsewhere", () => {
    expect(messages("guest:\n  code: |\n    frob eax\n  regs: { rax: zz }\n")).toEqual([
      expect.stringMatching(/^lab\.yaml:3:5: guest\.code: unknown instruction 'frob'/),
      "lab.yaml:4:16: guest.regs.rax: expected a number or hex string, got 'zz'",
    ]);
  });

  it("reports bad hex bytes at the hex: value", () => {
    expect(messages("guest:\n  hex: 0f zz\n")).toEqual(["lab.yaml:2:8: guest.hex: 'zz' (byte 2) is not a hex byte"]);
  });
});
