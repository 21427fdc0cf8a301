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

describe("INVPCID exit (invlpg-exiting + enable-invpcid; Table 28-9, Vol. 2B INVPCID)", () => {
  /** A 16-byte descriptor at 0x3000: PCID, then the linear address. */
  const desc = (pcid: bigint, linear: bigint) => {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setBigUint64(0, pcid, true);
    v.setBigUint64(8, linear, true);
    return { 0x3000: b };
  };
  const exit = { reason: "INVPCID", instructionInfo: { base: "rdi", reg2: "rax" } } as const;

  it("type 0 invalidates one address", () => {
    const seen: bigint[] = [];
    const v = fakeVcpu({ exit, regs: { rax: 0, rdi: 0x3000 }, memory: desc(0n, 0x7000n), vm: { invalidateLinear: (a) => void seen.push(a) } });
    v.handle();
    expect(seen).toEqual([0x7000n]);
    expect(v).toHaveAdvancedRip(5);
  });

  it.each([
    [2, "all"],
    [3, "non-global"],
    [1, "non-global"],
  ])("type %d flushes %s translations", (type, scope) => {
    const seen: string[] = [];
    const v = fakeVcpu({ exit, regs: { rax: type, rdi: 0x3000 }, memory: desc(0n, 0n), vm: { flushGuestTlb: (s) => void seen.push(s) } });
    v.handle();
    expect(seen).toEqual([scope]);
  });

  it.each([
    ["type 4", 4, desc(0n, 0n)],
    ["reserved descriptor bits", 2, desc(0x1000n, 0n)],
    ["a PCID without CR4.PCIDE", 0, desc(5n, 0x7000n)],
    ["a non-canonical address", 0, desc(0n, 0x0000_8000_0000_0000n)],
  ])("#GP(0) for %s", (_w, type, memory) => {
    const v = fakeVcpu({ exit, regs: { rax: type, rdi: 0x3000 }, memory });
    v.handle();
    expect(v).toHaveInjected({ vector: "GP", errorCode: 0 });
    expect(v).not.toHaveAdvancedRip();
  });
});
