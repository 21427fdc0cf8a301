/** `expect:` evaluated against a run outcome: one {path, expected, actual, ok} per check, in schema order. */
import { evaluate } from "../../src/scenario/expect";
import type { ExitInfo, RunOutcome } from "../../src/scenario/outcome";
import { REG_NAMES, type ExpectSection, type ScenarioReg } from "../../src/scenario/schema";

function exit(n: number, reason: string): ExitInfo {
  return { n, reason, basicReason: 0, qualification: 0n, guestRip: 0x10000, instructionLength: 1 };
}

function outcome(o: Partial<RunOutcome> = {}): RunOutcome {
  const regs = Object.fromEntries(REG_NAMES.map((r) => [r, 0n])) as Record<ScenarioReg, bigint>;
  const mem = new Uint8Array(0x100);
  mem.set([0x48, 0x69], 0x10);
  return {
    stopReason: "hlt", steps: 7, exits: [exit(1, "CPUID"), exit(2, "IO_INSTRUCTION"), exit(3, "HLT")], userspaceExits: [{ kind: "hlt" }],
    console: "ok\n", regs: { ...regs, rax: 0xdn }, faults: [{ vector: "GP", errorCode: 0, rip: 0x10003 }],
    readMemory: (gpa, n) => mem.slice(Number(gpa), Number(gpa) + n),
    ...o,
  };
}

const check = (e: ExpectSection, o = outcome(), labels?: Map<string, number>) => evaluate(e, o, labels).map((x) => [x.path, x.ok, x.expected, x.actual]);

describe("expectations", () => {
  it("stop, registers and console compare exactly, numbers as hex", () => {
    expect(check({ stop: "hlt", regs: { rax: 0xdn, rbx: 1n }, console: "ok\n" })).toEqual([
      ["stop", true, "hlt", "hlt"],
      ["regs.rax", true, "0xd", "0xd"],
      ["regs.rbx", false, "0x1", "0x0"],
      ["console", true, '"ok\\n"', '"ok\\n"'],
    ]);
  });

  it.each([
    [["CPUID", "IO_INSTRUCTION", "HLT"], true],
    [["CPUID", "HLT"], false],
  ])("an exit list %j must match exactly", (list, ok) => {
    expect(check({ exits: list })[0]![1]).toBe(ok);
  });

  it.each([
    [["CPUID", "HLT"], true],
    [["HLT", "CPUID"], false],
    [["CPUID", "CPUID"], false],
  ])("a subsequence %j must appear in order", (list, ok) => {
    expect(check({ exits: { subsequence: list } })[0]![1]).toBe(ok);
  });

  it("counts exits by reason and the totals", () => {
    expect(check({ counts: { CPUID: 1n, exits: 3n, userspace: 1n, faults: 1n, steps: 8n } }).map((c) => c[1])).toEqual([true, true, true, true, false]);
  });

  it("memory by address or by label, as bytes or text", () => {
    expect(check({ memory: [{ gpa: 0x10n, bytes: "48 69" }, { label: "msg", text: "Hi" }, { gpa: 0x10n, bytes: "00" }] }, outcome(), new Map([["msg", 0x10]]))).toEqual([
      ["memory[0x10]", true, "48 69", "48 69"],
      ["memory[msg]", true, '"Hi"', '"Hi"'],
      ["memory[0x10]", false, "00", "48"],
    ]);
  });

  it("entry failure, VM-instruction error and status say none when absent", () => {
    expect(check({ "entry-failure": "guest-cs-granularity", "vm-instruction-error": 7n, status: 7n })).toEqual([
      ["status", false, "0x7", "none"],
      ["vm-instruction-error", false, "7", "none"],
      ["entry-failure", false, "guest-cs-granularity", "none"],
    ]);
  });

  it("a walk on a machine without EPT fails with the reason", () => {
    expect(check({ walk: [{ address: 0x1000n, access: "read", references: 24n }] })).toEqual([
      ["walk[0x1000].references", false, "24", "no 2-D walk on this machine (needs the VMM with EPT)"],
    ]);
  });

  it("faults by vector name, in order", () => {
    expect(check({ faults: ["GP"] })).toEqual([["faults", true, "[GP]", "[GP]"]]);
  });
});
