import { fakeVcpu } from "../../../src/testing";

describe("RDMSR / WRMSR exits (SDM Vol. 3C 26.1.3, 25.6.9)", () => {
  it("RDMSR IA32_EFER reads GUEST_IA32_EFER into EDX:EAX", () => {
    const v = fakeVcpu({ exit: "MSR_READ", regs: { rcx: 0xc000_0080, rax: 0xffff_ffff_ffff_ffffn, rdx: -1n } });
    v.handle();
    expect(v.regs.rax).toBe(0x500n);
    expect(v.regs.rdx).toBe(0n);
    expect(v).toHaveAdvancedRip(2);
  });

  it("RDMSR of a preset MSR splits the 64-bit value", () => {
    const v = fakeVcpu({ exit: "MSR_READ", regs: { rcx: 0xc000_0102 }, msrs: { 0xc000_0102: 0x1234_5678_9abc_def0n } });
    v.handle();
    expect(v.regs.rax).toBe(0x9abc_def0n);
    expect(v.regs.rdx).toBe(0x1234_5678n);
  });

  it("RDMSR of an unknown MSR injects #GP(0) and leaves RIP (KVM, ignore_msrs=0)", () => {
    const v = fakeVcpu({ exit: "MSR_READ", regs: { rcx: 0x1234 } });
    v.handle();
    expect(v).toHaveInjected({ vector: "GP", errorCode: 0 });
    expect(v).not.toHaveAdvancedRip();
  });

  it("WRMSR LSTAR stores the value in the MSR store", () => {
    const v = fakeVcpu({ exit: "MSR_WRITE", regs: { rcx: 0xc000_0082, rdx: 0xffff_ffff, rax: 0x8000_0000 } });
    v.handle();
    expect(v.msrs.get(0xc000_0082)).toBe(0xffff_ffff_8000_0000n);
    expect(v).toHaveAdvancedRip(2);
  });

  it.each([
    ["a non-canonical FS base", 0xc000_0100, 0x0000_8000, 0],
    ["a reserved EFER bit", 0xc000_0080, 0, 0x2],
    ["the read-only IA32_FEATURE_CONTROL", 0x3a, 0, 5],
  ])("WRMSR of %s is #GP(0)", (_w, msr, hi, lo) => {
    const v = fakeVcpu({ exit: "MSR_WRITE", regs: { rcx: msr, rdx: hi, rax: lo } });
    v.handle();
    expect(v).toHaveInjected({ vector: "GP", errorCode: 0 });
  });

  it("WRMSR EFER goes to GUEST_IA32_EFER and keeps LMA", () => {
    const v = fakeVcpu({ exit: "MSR_WRITE", regs: { rcx: 0xc000_0080, rax: 0x901 } }); // NXE | LME | SCE, LMA clear
    v.handle();
    expect(v).toHaveWrittenVmcs("GUEST_IA32_EFER", 0xd01n);
  });

  it("WRMSR IA32_TSC sets TSC_OFFSET so the guest reads the written value", () => {
    const v = fakeVcpu({ exit: "MSR_WRITE", regs: { rcx: 0x10, rax: 1000 }, vm: { tsc: () => 400n } });
    v.handle();
    expect(v).toHaveWrittenVmcs("TSC_OFFSET", 600n);
  });

  it("IA32_FEATURE_CONTROL reads locked, with VMX outside SMX only when nested", () => {
    const v = fakeVcpu({ exit: "MSR_READ", regs: { rcx: 0x3a }, vm: { nested: true } });
    v.handle();
    expect(v.regs.rax).toBe(5n);
  });
});
