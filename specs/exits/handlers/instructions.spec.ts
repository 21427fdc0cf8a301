import { fakeVcpu } from "../../../src/testing";

describe("XSETBV exit (SDM Vol. 3C 26.1.2; Vol. 2C XSETBV)", () => {
  it("loads XCR0 from EDX:EAX and advances RIP by 3", () => {
    const v = fakeVcpu({ exit: "XSETBV", regs: { rcx: 0, rax: 7 } });
    v.handle();
    expect(v.regs.xcr0).toBe(7n);
    expect(v).toHaveAdvancedRip(3);
  });

  it.each([
    ["x87 disabled", { rcx: 0, rax: 6 }, {}],
    ["AVX without SSE", { rcx: 0, rax: 5 }, {}],
    ["ECX = 1", { rcx: 1, rax: 1 }, {}],
    ["an unsupported bit", { rcx: 0, rax: 0x1f }, {}],
    ["CPL 3", { rcx: 0, rax: 1 }, { GUEST_SS_AR_BYTES: 0xc0f3n }],
  ])("is #GP(0) for %s", (_w, regs, vmcs) => {
    const v = fakeVcpu({ exit: "XSETBV", regs, vmcs });
    v.handle();
    expect(v).toHaveInjected({ vector: "GP", errorCode: 0 });
    expect(v).not.toHaveAdvancedRip();
  });
});

describe("INVLPG exit (invlpg-exiting)", () => {
  it("invalidates the address for the guest and advances RIP", () => {
    const seen: bigint[] = [];
    const v = fakeVcpu({ exit: { reason: "INVLPG", qualification: { linearAddress: 0xffff_8000_1234_5000n } }, vm: { invalidateLinear: (a) => void seen.push(a) } });
    v.handle();
    expect(seen).toEqual([0xffff_8000_1234_5000n]);
    expect(v).toHaveAdvancedRip(3);
  });
});

describe("RDTSC / RDTSCP exits (rdtsc-exiting, SDM 26.6.5)", () => {
  it("returns host TSC + TSC_OFFSET with use-tsc-offsetting", () => {
    const v = fakeVcpu({ exit: "RDTSC", vm: { tsc: () => 0x1_0000_0000n }, vmcs: { CPU_BASED_VM_EXEC_CONTROL: 1n << 3n, TSC_OFFSET: 5n } });
    v.handle();
    expect(v.regs.rax).toBe(5n);
    expect(v.regs.rdx).toBe(1n);
    expect(v).toHaveAdvancedRip(2);
  });

  it("ignores TSC_OFFSET without use-tsc-offsetting", () => {
    const v = fakeVcpu({ exit: "RDTSC", vm: { tsc: () => 42n }, vmcs: { TSC_OFFSET: 5n } });
    v.handle();
    expect(v.regs.rax).toBe(42n);
  });

  it("RDTSCP also loads ECX with IA32_TSC_AUX", () => {
    const v = fakeVcpu({ exit: "RDTSCP", vm: { tsc: () => 1n }, msrs: { 0xc000_0103: 3n } });
    v.handle();
    expect(v.regs.rcx).toBe(3n);
    expect(v).toHaveAdvancedRip(3);
  });
});

describe("HLT exit (hlt-exiting)", () => {
  it("with nothing to wake the guest, completes HLT and exits to userspace 'hlt'", () => {
    const v = fakeVcpu({ exit: "HLT" });
    v.handle();
    expect(v).toHaveAdvancedRip(1);
    expect(v).toHaveExitedToUserspace("hlt");
  });

  it("with RFLAGS.IF and an interrupt coming, resumes", () => {
    const v = fakeVcpu({ exit: "HLT", regs: { rflags: 0x202 }, vm: { waitForInterrupt: () => true } });
    v.handle();
    expect(v).toHaveResumed();
    expect(v).toHaveAdvancedRip(1);
  });

  it("with interrupts disabled (CLI; HLT) goes to userspace even if a timer runs", () => {
    const v = fakeVcpu({ exit: "HLT", regs: { rflags: 0x2 }, vm: { waitForInterrupt: () => true } });
    v.handle();
    expect(v).toHaveExitedToUserspace("hlt");
  });
});

describe("instructions a KVM-like hypervisor skips or refuses", () => {
  it.each(["PAUSE_INSTRUCTION", "MWAIT_INSTRUCTION", "MONITOR_INSTRUCTION", "WBINVD", "INVD", "UMWAIT", "TPAUSE"])("%s is skipped", (reason) => {
    const v = fakeVcpu({ exit: reason });
    v.handle();
    expect(v).toHaveAdvancedRip();
    expect(v).toHaveResumed();
  });

  it.each(["RDPMC"])("%s is #GP(0) (no virtual PMU)", (reason) => {
    const v = fakeVcpu({ exit: reason });
    v.handle();
    expect(v).toHaveInjected({ vector: "GP", errorCode: 0 });
  });

  it.each(["GETSEC", "RDRAND", "RDSEED", "VMFUNC", "ENCLS", "PCONFIG", "LOADIWKEY", "ENCLV", "RSM", "SEAMCALL", "TDCALL", "RDMSRLIST", "WRMSRLIST"])(
    "%s is #UD",
    (reason) => {
      const v = fakeVcpu({ exit: reason });
      v.handle();
      expect(v).toHaveInjected({ vector: "UD", type: "hardware-exception" });
      expect(v).not.toHaveAdvancedRip();
    },
  );
});
