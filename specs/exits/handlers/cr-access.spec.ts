import { fakeVcpu } from "../../../src/testing";

const PG = 1n << 31n, PE = 1n, NE = 1n << 5n, TS = 1n << 3n;

describe("CR-access exits (SDM Vol. 3C 26.1.3, Table 28-3)", () => {
  it("MOV CR0, RAX keeps the guest's value in the read shadow and forces the VMX fixed bits", () => {
    const v = fakeVcpu({
      exit: { reason: "CR_ACCESS", qualification: { cr: { cr: 0, access: "mov-to-cr", gpr: "rax" } } },
      regs: { rax: 0x8000_0011n }, // PG | ET | PE, without NE
      vmcs: { CR0_GUEST_HOST_MASK: 0x8000_0021n, CR0_READ_SHADOW: 0x8000_0031n },
    });
    v.handle();
    expect(v).toHaveWrittenVmcs("CR0_READ_SHADOW", 0x8000_0011n);
    expect(v).toHaveWrittenVmcs("GUEST_CR0", 0x8000_0031n); // NE forced by IA32_VMX_CR0_FIXED0
    expect(v).toHaveAdvancedRip(3);
  });

  it("uses IA32_VMX_CR0_FIXED0 from the MSR store, and unrestricted guest frees PE/PG", () => {
    const v = fakeVcpu({
      mode: "real16",
      exit: { reason: "CR_ACCESS", qualification: { cr: { cr: 0, gpr: "rbx" } } },
      regs: { rbx: 0x10n },
      msrs: { 0x486: 0x8000_0021n },
      vmcs: { CPU_BASED_VM_EXEC_CONTROL: 1n << 31n, SECONDARY_VM_EXEC_CONTROL: 1n << 7n },
    });
    v.handle();
    expect(v).toHaveWrittenVmcs("GUEST_CR0", 0x30n);
  });

  it.each([
    ["PG without PE", 0x8000_0000n],
    ["bits 63:32 set", 0x1_0000_0011n],
    ["NW without CD", 0x2000_0011n],
  ])("MOV to CR0 with %s injects #GP(0) and leaves RIP", (_w, value) => {
    const v = fakeVcpu({ exit: { reason: "CR_ACCESS", qualification: { cr: { cr: 0, gpr: "rcx" } } }, regs: { rcx: value } });
    v.handle();
    expect(v).toHaveInjected({ vector: "GP", errorCode: 0, type: "hardware-exception" });
    expect(v).not.toHaveAdvancedRip();
    expect(v).not.toHaveWrittenVmcs("GUEST_CR0");
  });

  it("setting CR0.PG with EFER.LME enters IA-32e mode (LMA and the entry control)", () => {
    const v = fakeVcpu({
      mode: "protected32",
      exit: { reason: "CR_ACCESS", qualification: { cr: { cr: 0, gpr: "rax" } } },
      regs: { rax: 0x8000_0011n },
      vmcs: { GUEST_IA32_EFER: 0x100n, GUEST_CR4: 0x2020n, CR4_READ_SHADOW: 0x20n },
    });
    v.handle();
    expect(v).toHaveWrittenVmcs("GUEST_IA32_EFER", 0x500n);
    expect(v).toHaveWrittenVmcs("VM_ENTRY_CONTROLS", 0x200n);
  });

  it("MOV CR4 with VMXE is #GP without nested virtualization, allowed with it", () => {
    const q = { cr: { cr: 4, gpr: "rdx" as const } };
    const no = fakeVcpu({ exit: { reason: "CR_ACCESS", qualification: q }, regs: { rdx: 0x2020n } });
    no.handle();
    expect(no).toHaveInjected({ vector: "GP", errorCode: 0 });
    const yes = fakeVcpu({ exit: { reason: "CR_ACCESS", qualification: q }, regs: { rdx: 0x2020n }, vm: { nested: true } });
    yes.handle();
    expect(yes).toHaveWrittenVmcs("CR4_READ_SHADOW", 0x2020n);
    expect(yes).toHaveAdvancedRip();
  });

  it("MOV CR3 stores the value without the PCID no-flush bit", () => {
    const v = fakeVcpu({
      exit: { reason: "CR_ACCESS", qualification: { cr: { cr: 3, gpr: "rsi" } } },
      regs: { rsi: 0x8000_0000_0000_5001n },
      vmcs: { GUEST_CR4: 0x22020n, CR4_READ_SHADOW: 0x20020n },
    });
    v.handle();
    expect(v).toHaveWrittenVmcs("GUEST_CR3", 0x5001n);
  });

  it("MOV RDI, CR3 reads GUEST_CR3; MOV CR8 / from CR8 use the TPR", () => {
    const r = fakeVcpu({ exit: { reason: "CR_ACCESS", qualification: { cr: { cr: 3, access: "mov-from-cr", gpr: "rdi" } } }, vmcs: { GUEST_CR3: 0x7000n } });
    r.handle();
    expect(r.regs.rdi).toBe(0x7000n);
    const w = fakeVcpu({ exit: { reason: "CR_ACCESS", qualification: { cr: { cr: 8, gpr: "r9" } } }, regs: { r9: 5 } });
    w.handle();
    expect(w.regs.cr8).toBe(5n);
    const bad = fakeVcpu({ exit: { reason: "CR_ACCESS", qualification: { cr: { cr: 8, gpr: "r9" } } }, regs: { r9: 16 } });
    bad.handle();
    expect(bad).toHaveInjected({ vector: "GP" });
  });

  it("CLTS clears CR0.TS in the guest CR0 and the shadow", () => {
    const v = fakeVcpu({ exit: { reason: "CR_ACCESS", qualification: { cr: { access: "clts" } } }, vmcs: { GUEST_CR0: 0x8000_0039n, CR0_READ_SHADOW: 0x8000_0039n, CR0_GUEST_HOST_MASK: TS } });
    v.handle();
    expect(v.vmread("GUEST_CR0") & TS).toBe(0n);
    expect(v.vmread("CR0_READ_SHADOW") & TS).toBe(0n);
    expect(v).toHaveAdvancedRip();
  });

  it("LMSW cannot clear CR0.PE", () => {
    const v = fakeVcpu({ exit: { reason: "CR_ACCESS", qualification: { cr: { access: "lmsw", lmswSource: 0x0 } } } });
    v.handle();
    expect(v.vmread("CR0_READ_SHADOW") & PE).toBe(PE);
    expect(v.vmread("GUEST_CR0") & (PG | NE)).toBe(PG | NE);
  });
});

describe("TLB maintenance the emulated MOV to CR owes the guest (SDM Vol. 3A 4.10.4.1)", () => {
  const run = (cr: number, value: bigint, vmcs: Record<string, bigint> = {}) => {
    const flushes: string[] = [];
    const v = fakeVcpu({
      exit: { reason: "CR_ACCESS", qualification: { cr: { cr, gpr: "rax" } } },
      regs: { rax: value },
      vmcs,
      vm: { nested: true, flushGuestTlb: (s) => void flushes.push(s) },
    });
    v.handle();
    return flushes;
  };

  it("MOV CR3 flushes non-global translations", () => expect(run(3, 0x5000n)).toEqual(["non-global"]));
  it("MOV CR3 with PCIDE and bit 63 does not", () => expect(run(3, (1n << 63n) | 0x5001n, { GUEST_CR4: 0x22020n, CR4_READ_SHADOW: 0x20020n })).toEqual([]));
  it("toggling CR4.PGE flushes everything", () => expect(run(4, 0xa0n)).toEqual(["all"]));
  it("rewriting CR4 unchanged flushes nothing", () => expect(run(4, 0x20n)).toEqual([]));
  it("toggling CR0.WP flushes everything", () => expect(run(0, 0x8001_0031n)).toEqual(["all"]));
});
