import {
  EXIT_REASON_INFO,
  EXIT_REASON_NUMBERS,
  EXIT_REASONS,
  exitReasonByNumber,
  exitReasonName,
  lookupExitReason,
} from "../../src/exits/reasons";
import { explainExitReason } from "../../src/exits/explain";
import { vmxlab } from "../support/cli";

describe("basic exit reasons (SDM Vol. 3C Appendix C)", () => {
  // Numbers as the SDM's Table C-1 and Linux uapi/asm/vmx.h give them (checked by hand).
  it.each([
    ["EXCEPTION_NMI", 0], ["EXTERNAL_INTERRUPT", 1], ["TRIPLE_FAULT", 2], ["INIT_SIGNAL", 3], ["SIPI_SIGNAL", 4],
    ["INTERRUPT_WINDOW", 7], ["NMI_WINDOW", 8], ["TASK_SWITCH", 9], ["CPUID", 10], ["HLT", 12], ["INVD", 13],
    ["INVLPG", 14], ["RDPMC", 15], ["RDTSC", 16], ["VMCALL", 18], ["VMCLEAR", 19], ["VMLAUNCH", 20],
    ["VMPTRLD", 21], ["VMPTRST", 22], ["VMREAD", 23], ["VMRESUME", 24], ["VMWRITE", 25], ["VMOFF", 26],
    ["VMON", 27], ["CR_ACCESS", 28], ["DR_ACCESS", 29], ["IO_INSTRUCTION", 30], ["MSR_READ", 31],
    ["MSR_WRITE", 32], ["INVALID_GUEST_STATE", 33], ["MSR_LOAD_FAIL", 34], ["MWAIT_INSTRUCTION", 36],
    ["MONITOR_TRAP_FLAG", 37], ["MONITOR_INSTRUCTION", 39], ["PAUSE_INSTRUCTION", 40], ["MCE_DURING_VMENTRY", 41],
    ["TPR_BELOW_THRESHOLD", 43], ["APIC_ACCESS", 44], ["EOI_INDUCED", 45], ["GDTR_IDTR", 46], ["LDTR_TR", 47],
    ["EPT_VIOLATION", 48], ["EPT_MISCONFIG", 49], ["INVEPT", 50], ["RDTSCP", 51], ["PREEMPTION_TIMER", 52],
    ["INVVPID", 53], ["WBINVD", 54], ["XSETBV", 55], ["APIC_WRITE", 56], ["RDRAND", 57], ["INVPCID", 58],
    ["VMFUNC", 59], ["ENCLS", 60], ["RDSEED", 61], ["PML_FULL", 62], ["XSAVES", 63], ["XRSTORS", 64],
    ["UMWAIT", 67], ["TPAUSE", 68], ["BUS_LOCK", 74], ["NOTIFY", 75], ["TDCALL", 77],
  ] as const)("%s is basic exit reason %d", (name, n) => {
    expect(EXIT_REASON_NUMBERS[name]).toBe(n);
    expect(exitReasonName(n)).toBe(name);
  });

  it("numbers are unique and the unused ones (35, 38, 42, 71) are absent", () => {
    const nums = EXIT_REASONS.map((r) => r.number);
    expect(new Set(nums).size).toBe(nums.length);
    for (const n of [35, 38, 42, 71]) expect(exitReasonByNumber(n)).toBeUndefined();
    expect(exitReasonName(35)).toBe("UNKNOWN_35");
  });

  it("every reason cites the SDM and has a description", () => {
    for (const r of Object.values(EXIT_REASON_INFO)) {
      expect(r.sdm).toMatch(/^SDM Vol\. 3C /);
      expect(r.description.length).toBeGreaterThan(5);
    }
  });

  it.each([
    ["INVALID_STATE", "INVALID_GUEST_STATE"],
    ["EXIT_REASON_INVALID_STATE", "INVALID_GUEST_STATE"],
    ["mwait", "MWAIT_INSTRUCTION"],
    ["VMXON", "VMON"],
    ["cr-access", "CR_ACCESS"],
    ["10", "CPUID"],
    ["0x30", "EPT_VIOLATION"],
  ])("looks up %s as %s", (q, name) => {
    expect(lookupExitReason(q)?.name).toBe(name);
  });
});

describe("vmxlab explain <exit reason>", () => {
  it("explains CPUID by name and by number alike", () => {
    const byName = explainExitReason("CPUID");
    expect(byName).toMatch(/^CPUID \(basic exit reason 10\): The guest executed CPUID/);
    expect(byName).toMatch(/SDM: +Vol\. 3C 26\.1\.2; Appendix C/);
    expect(explainExitReason("10")).toBe(byName);
  });

  it("describes the CR-access qualification layout (Table 28-3)", () => {
    expect(explainExitReason("CR_ACCESS")).toMatch(/Table 28-3/);
  });

  it("returns undefined for what is not an exit reason", () => {
    expect(explainExitReason("vm-error 7")).toBeUndefined();
    expect(explainExitReason("35")).toBeUndefined();
  });

  it("prints through the CLI", () => {
    const r = vmxlab(["explain", "IO_INSTRUCTION"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/IO_INSTRUCTION \(basic exit reason 30\)/);
  });
});

describe("vmxlab explain <reason> <qualification>", () => {
  it("decodes a raw qualification for the reason", () => {
    expect(explainExitReason("CR_ACCESS 0x113")).toMatch(/^CR_ACCESS qualification 0x113: MOV RCX, CR3\nCR_ACCESS \(basic exit reason 28\)/);
  });

  it("says why a value is not a valid qualification", () => {
    expect(explainExitReason("IO_INSTRUCTION 2")).toMatch(/not a valid IO_INSTRUCTION qualification: .*bits 2:0 = 2/);
  });

  it("lists the hypercall ABI under VMCALL", () => {
    expect(explainExitReason("VMCALL")).toMatch(/ 1 PRINT_STRING +RBX = guest-linear address/);
  });
});

describe("explain output", () => {
  it("has no blank lines (README console examples compare line by line)", () => {
    for (const q of ["CPUID", "VMCALL", "EPT_VIOLATION 0x182"]) expect(explainExitReason(q)).not.toMatch(/\n\n/);
  });
});
