import { AR, CR0, CR4, CS } from "../../../src/guest-cpu/registers";
import { MSR } from "../../../src/vmcs/capabilities";
import { REGION, Vmcs } from "../../../src/vmcs/vmcs";
import { outcome, rig, VMCS_A, VMCS_B, VMXON_REGION } from "./rig";

describe("VMXON (SDM Vol. 3C 31.3)", () => {
  it("enters VMX operation with no current VMCS", () => {
    const { vmx, st } = rig();
    expect(outcome(() => vmx.vmxon(VMXON_REGION))).toBe("ok");
    expect(st.inVmxOperation).toBe(true);
    expect(st.vmxonPointer).toBe(VMXON_REGION);
    expect(vmx.vmptrst()).toEqual({ kind: "ok", value: 0xffff_ffff_ffff_ffffn });
  });

  it.each([
    ["CR4.VMXE = 0", "#UD", (r: ReturnType<typeof rig>) => { r.s.cr4 &= ~CR4.VMXE; }],
    ["compatibility mode (LMA=1, CS.L=0)", "#UD", (r: ReturnType<typeof rig>) => { r.s.segAr[CS]! &= ~AR.L; }],
    ["CPL 3", "#GP", (r: ReturnType<typeof rig>) => { r.s.cpl = 3; }],
    ["CR0.NE = 0 (IA32_VMX_CR0_FIXED0)", "#GP", (r: ReturnType<typeof rig>) => { r.s.cr0 &= ~CR0.NE; }],
    ["CR4 bit not in IA32_VMX_CR4_FIXED1 (LA57)", "#GP", (r: ReturnType<typeof rig>) => { r.s.cr4 |= CR4.LA57; }],
    ["IA32_FEATURE_CONTROL not locked", "#GP", (r: ReturnType<typeof rig>) => { r.st.featureControl = 0x4n; }],
    ["VMX outside SMX disabled", "#GP", (r: ReturnType<typeof rig>) => { r.st.featureControl = 0x3n; }],
    ["a region not 4-KiB aligned", "failInvalid", (r: ReturnType<typeof rig>) => { r.st.vmxonPointer = -1; (r as { ptr?: number }).ptr = VMXON_REGION + 8; }],
    ["a wrong revision identifier", "failInvalid", (r: ReturnType<typeof rig>) => { r.mem.write32(VMXON_REGION, r.rev + 1); }],
    ["the shadow indicator set", "failInvalid", (r: ReturnType<typeof rig>) => { r.mem.write32(VMXON_REGION, r.rev | 0x8000_0000); }],
    ["an address beyond the physical-address width", "failInvalid", (r: ReturnType<typeof rig>) => { (r as { ptr?: bigint }).ptr = 1n << 46n; }],
  ])("with %s: %s", (_what, expected, setup) => {
    const r = rig();
    setup(r);
    const ptr = (r as { ptr?: number | bigint }).ptr ?? VMXON_REGION;
    expect(outcome(() => r.vmx.vmxon(ptr))).toBe(expected);
    expect(r.st.inVmxOperation).toBe(false);
  });

  it("in VMX root operation fails with error 15 (VMfailInvalid without a current VMCS)", () => {
    const { vmx } = rig();
    vmx.vmxon(VMXON_REGION);
    expect(outcome(() => vmx.vmxon(VMXON_REGION))).toBe("failInvalid");
    vmx.vmptrld(VMCS_A);
    expect(outcome(() => vmx.vmxon(VMXON_REGION))).toBe("failValid(15)");
    expect(vmx.vmread("VM_INSTRUCTION_ERROR")).toEqual({ kind: "ok", value: 15n });
  });

  it("is #UD on a processor without VMX", () => {
    const { vmx } = rig("no-vmx");
    expect(outcome(() => vmx.vmxon(VMXON_REGION))).toBe("#UD");
  });
});

describe("instructions outside VMX operation and at CPL > 0", () => {
  it.each(["vmxoff", "vmptrst", "vmlaunch", "vmresume", "vmcall"] as const)("%s is #UD outside VMX operation", (op) => {
    const { vmx } = rig();
    expect(outcome(() => vmx[op]())).toBe("#UD");
  });

  it.each(["vmxoff", "vmptrst", "vmlaunch", "vmresume", "vmcall"] as const)("%s is #GP(0) at CPL 3", (op) => {
    const r = rig();
    r.vmx.vmxon(VMXON_REGION);
    r.s.cpl = 3;
    expect(outcome(() => r.vmx[op]())).toBe("#GP");
  });
});

describe("VMCLEAR / VMPTRLD / VMPTRST", () => {
  function on() {
    const r = rig();
    r.vmx.vmxon(VMXON_REGION);
    return r;
  }

  it.each([
    ["VMCLEAR misaligned", (r: ReturnType<typeof on>) => r.vmx.vmclear(VMCS_A + 0x10), 2],
    ["VMCLEAR beyond the physical-address width", (r: ReturnType<typeof on>) => r.vmx.vmclear(1n << 50n), 2],
    ["VMCLEAR of the VMXON region", (r: ReturnType<typeof on>) => r.vmx.vmclear(VMXON_REGION), 3],
    ["VMPTRLD misaligned", (r: ReturnType<typeof on>) => r.vmx.vmptrld(VMCS_A + 4), 9],
    ["VMPTRLD of the VMXON region", (r: ReturnType<typeof on>) => r.vmx.vmptrld(VMXON_REGION), 10],
    ["VMPTRLD with a wrong revision", (r: ReturnType<typeof on>) => { r.mem.write32(VMCS_B, 0x99); return r.vmx.vmptrld(VMCS_B); }, 11],
    ["VMPTRLD of a shadow VMCS without VMCS shadowing", (r: ReturnType<typeof on>) => { r.mem.write32(VMCS_B, r.rev | 0x8000_0000); return r.vmx.vmptrld(VMCS_B); }, 11],
  ])("%s: VMfailValid(%#) when a VMCS is current, VMfailInvalid otherwise", (_n, f, err) => {
    const r = on();
    expect(outcome(() => f(r))).toBe("failInvalid");
    r.vmx.vmptrld(VMCS_A);
    expect(outcome(() => f(r))).toBe(`failValid(${err})`);
    expect(r.st.current?.read("VM_INSTRUCTION_ERROR")).toBe(BigInt(err));
  });

  it("VMPTRLD makes the VMCS current and VMPTRST stores its address", () => {
    const r = on();
    expect(r.vmx.vmptrld(VMCS_A).kind).toBe("ok");
    expect(r.vmx.vmptrst()).toEqual({ kind: "ok", value: BigInt(VMCS_A) });
  });

  it("the VMCS lives in the processor until VMCLEAR writes it to memory (SDM 25.11.1)", () => {
    const r = on();
    r.vmx.vmclear(VMCS_A);
    r.vmx.vmptrld(VMCS_A);
    r.vmx.vmwrite("GUEST_RIP", 0x1234_5678n);
    // Memory still has the old contents: reading the region directly sees 0.
    expect(Vmcs.loadFrom(r.mem, VMCS_A).read("GUEST_RIP")).toBe(0n);
    // VMPTRLD of another VMCS keeps A cached (still active), still not in memory.
    r.vmx.vmptrld(VMCS_B);
    expect(Vmcs.loadFrom(r.mem, VMCS_A).read("GUEST_RIP")).toBe(0n);
    // Back to A: the cached copy, not memory.
    r.vmx.vmptrld(VMCS_A);
    expect(r.vmx.vmread("GUEST_RIP")).toEqual({ kind: "ok", value: 0x1234_5678n });
    // VMCLEAR flushes it and makes it not current.
    expect(r.vmx.vmclear(VMCS_A).kind).toBe("ok");
    expect(Vmcs.loadFrom(r.mem, VMCS_A).read("GUEST_RIP")).toBe(0x1234_5678n);
    expect(r.vmx.vmptrst()).toEqual({ kind: "ok", value: 0xffff_ffff_ffff_ffffn });
    expect(r.st.cache.has(VMCS_A)).toBe(false);
  });

  it("VMCLEAR of an inactive region sets its launch state in memory to clear", () => {
    const r = on();
    r.mem.write32(VMCS_B + REGION.LAUNCH_STATE, 1);
    r.vmx.vmclear(VMCS_B);
    expect(r.mem.read32(VMCS_B + REGION.LAUNCH_STATE)).toBe(0);
  });
});

describe("VMREAD / VMWRITE", () => {
  function cur(profile = "default") {
    const r = rig(profile);
    r.vmx.vmxon(VMXON_REGION);
    r.vmx.vmclear(VMCS_A);
    r.vmx.vmptrld(VMCS_A);
    return r;
  }

  it("fail invalid without a current VMCS", () => {
    const r = rig();
    r.vmx.vmxon(VMXON_REGION);
    expect(outcome(() => r.vmx.vmread("GUEST_RIP"))).toBe("failInvalid");
    expect(outcome(() => r.vmx.vmwrite("GUEST_RIP", 1n))).toBe("failInvalid");
  });

  it.each([
    ["reserved bit 12 set", 0x1000 | 0x681e],
    ["high access of a natural-width field", 0x681f],
    ["high access of a 32-bit field", 0x4003],
    ["an unassigned index", 0x6830],
    ["bits 63:32 set in the encoding operand", 0x1_0000_681e],
  ])("unsupported component (%s) is error 12", (_n, enc) => {
    const r = cur();
    expect(outcome(() => r.vmx.vmread(enc))).toBe("failValid(12)");
    expect(outcome(() => r.vmx.vmwrite(enc, 0))).toBe("failValid(12)");
  });

  it("fields beyond IA32_VMX_VMCS_ENUM's highest index are unsupported (minimal profile: preemption timer value)", () => {
    const r = cur("minimal");
    expect(outcome(() => r.vmx.vmread("VMX_PREEMPTION_TIMER_VALUE"))).toBe("failValid(12)");
    expect(outcome(() => r.vmx.vmread("GUEST_SYSENTER_CS"))).toBe("ok");
  });

  it.each([
    ["default", "EPT_POINTER", "ok"], ["default", "VIRTUAL_PROCESSOR_ID", "ok"], ["default", "GUEST_IA32_PAT", "ok"],
    ["default", "GUEST_S_CET", "failValid(12)"], ["default", "PML_ADDRESS", "failValid(12)"], ["default", "GUEST_IA32_FRED_CONFIG", "failValid(12)"],
    ["minimal", "EPT_POINTER", "failValid(12)"], ["minimal", "VIRTUAL_PROCESSOR_ID", "failValid(12)"],
    ["minimal", "SECONDARY_VM_EXEC_CONTROL", "failValid(12)"], ["minimal", "GUEST_IA32_PERF_GLOBAL_CTRL", "failValid(12)"],
    ["minimal", "TSC_OFFSET", "ok"], ["minimal", "GUEST_SMBASE", "ok"],
  ])("%s profile: VMREAD %s → %s (fields exist only with their feature)", (profile, name, expected) => {
    const r = cur(profile);
    expect(outcome(() => r.vmx.vmread(name))).toBe(expected);
  });

  it("VM-exit information is read-only unless IA32_VMX_MISC bit 29 (error 13)", () => {
    const m = cur("minimal");
    expect(outcome(() => m.vmx.vmwrite("VM_EXIT_REASON", 10))).toBe("failValid(13)");
    expect(outcome(() => m.vmx.vmwrite("EXIT_QUALIFICATION", 10))).toBe("failValid(13)");
    const d = cur("default");
    expect(outcome(() => d.vmx.vmwrite("VM_EXIT_REASON", 10))).toBe("ok");
    expect(d.vmx.vmread("VM_EXIT_REASON")).toEqual({ kind: "ok", value: 10n });
  });

  it.each([
    ["GUEST_CS_SELECTOR", 0xdead_beefn, 0xbeefn],
    ["GUEST_CS_LIMIT", 0x1_2345_6789n, 0x2345_6789n],
    ["GUEST_RIP", 0xffff_ffff_ffff_fff0n, 0xffff_ffff_ffff_fff0n],
    ["EPT_POINTER", 0x1234_5678_9abc_d000n, 0x1234_5678_9abc_d000n],
    ["EPT_POINTER_HIGH", 0xaaaa_bbbb_cccc_ddddn, 0xcccc_ddddn],
  ])("VMWRITE %s %s reads back as %s", (name, v, back) => {
    const r = cur();
    expect(r.vmx.vmwrite(name, v).kind).toBe("ok");
    expect(r.vmx.vmread(name)).toEqual({ kind: "ok", value: back });
  });

  it("a high-access write keeps bits 31:0", () => {
    const r = cur();
    r.vmx.vmwrite("TSC_OFFSET", 0x1111_2222_3333_4444n);
    r.vmx.vmwrite("TSC_OFFSET_HIGH", 0x5555_6666n);
    expect(r.vmx.vmread("TSC_OFFSET")).toEqual({ kind: "ok", value: 0x5555_6666_3333_4444n });
  });
});

describe("VMLAUNCH / VMRESUME instruction-level checks", () => {
  function cur() {
    const r = rig();
    r.vmx.vmxon(VMXON_REGION);
    r.vmx.vmclear(VMCS_A);
    r.vmx.vmptrld(VMCS_A);
    const calls: boolean[] = [];
    // A stand-in for the engine: records the call and, like it, marks a launched VMCS.
    r.st.onEnter = (v, launch) => { calls.push(launch); if (launch) v.launched = true; };
    return { ...r, calls };
  }

  it("VMfailInvalid without a current VMCS", () => {
    const r = rig();
    r.vmx.vmxon(VMXON_REGION);
    expect(outcome(() => r.vmx.vmlaunch())).toBe("failInvalid");
  });

  it("VMLAUNCH of a clear VMCS calls the engine", () => {
    const r = cur();
    expect(outcome(() => r.vmx.vmlaunch())).toBe("entered");
    expect(r.calls).toEqual([true]);
    expect(r.st.current!.launched).toBe(true);
  });

  it("error 4: VMLAUNCH with non-clear VMCS; error 5: VMRESUME with non-launched VMCS", () => {
    const r = cur();
    expect(outcome(() => r.vmx.vmresume())).toBe("failValid(5)");
    r.vmx.vmlaunch();
    expect(outcome(() => r.vmx.vmlaunch())).toBe("failValid(4)");
    expect(outcome(() => r.vmx.vmresume())).toBe("entered");
    expect(r.calls).toEqual([true, false]);
  });

  it("error 26: VM entry with events blocked by MOV SS", () => {
    const r = cur();
    r.s.inhibit = 2;
    expect(outcome(() => r.vmx.vmlaunch())).toBe("failValid(26)");
  });

  it("error 6: VMRESUME after VMXOFF and VMXON without VMCLEAR", () => {
    const r = cur();
    r.vmx.vmlaunch();
    r.vmx.vmxoff();
    r.vmx.vmxon(VMXON_REGION);
    r.vmx.vmptrld(VMCS_A);
    expect(outcome(() => r.vmx.vmresume())).toBe("failValid(6)");
    // VMLAUNCH of it (launch state in memory is clear) starts afresh: VMRESUME works again.
    expect(outcome(() => r.vmx.vmlaunch())).toBe("entered");
    expect(outcome(() => r.vmx.vmresume())).toBe("entered");
    // VMCLEAR forgets it too: a fresh VMLAUNCH works.
    r.vmx.vmclear(VMCS_A);
    r.vmx.vmptrld(VMCS_A);
    expect(outcome(() => r.vmx.vmlaunch())).toBe("entered");
  });

  it("errors 7 and 8 come from the engine's checks", () => {
    const r = cur();
    r.st.onEnter = () => ({ kind: "failValid", error: 8 });
    expect(outcome(() => r.vmx.vmlaunch())).toBe("failValid(8)");
    expect(r.st.current!.launched).toBe(false);
  });

  it("a VM-entry failure exit is not a VMfail: RIP is the engine's", () => {
    const r = cur();
    r.st.onEnter = () => ({ kind: "entry-failure-exit" });
    expect(outcome(() => r.vmx.vmlaunch())).toBe("entered");
  });
});

describe("VMCALL in root operation, INVEPT, INVVPID", () => {
  function cur(profile = "default") {
    const r = rig(profile);
    r.vmx.vmxon(VMXON_REGION);
    r.vmx.vmclear(VMCS_A);
    r.vmx.vmptrld(VMCS_A);
    return r;
  }

  it("VMCALL in root operation fails with error 1", () => {
    const r = cur();
    expect(outcome(() => r.vmx.vmcall())).toBe("failValid(1)");
  });

  it.each([
    ["INVEPT type 0", (r: ReturnType<typeof cur>) => r.vmx.invept(0)],
    ["INVEPT type 3", (r: ReturnType<typeof cur>) => r.vmx.invept(3)],
    ["INVEPT single-context with an invalid EPTP", (r: ReturnType<typeof cur>) => r.vmx.invept(1, { eptp: 0x1000n })],
    ["INVVPID type 4", (r: ReturnType<typeof cur>) => r.vmx.invvpid(4, { lo: 1n, address: 0n })],
    ["INVVPID reserved bits 63:16", (r: ReturnType<typeof cur>) => r.vmx.invvpid(2, { lo: 0x1_0000n, address: 0n })],
    ["INVVPID single-context VPID 0", (r: ReturnType<typeof cur>) => r.vmx.invvpid(1, { lo: 0n, address: 0n })],
    ["INVVPID individual-address non-canonical", (r: ReturnType<typeof cur>) => r.vmx.invvpid(0, { lo: 1n, address: 0x8000_0000_0000n })],
  ])("%s: error 28", (_n, f) => {
    expect(outcome(() => f(cur()))).toBe("failValid(28)");
  });

  it("valid INVEPT/INVVPID invalidate through the MMU", () => {
    const r = cur();
    const ept = jest.spyOn(r.s.mmu, "invalidateEpt");
    const vpid = jest.spyOn(r.s.mmu, "invalidateVpid");
    expect(r.vmx.invept(1, { eptp: 0x5000n | 0x1en }).kind).toBe("ok");
    expect(r.vmx.invept(2).kind).toBe("ok");
    expect(r.vmx.invvpid(0, { lo: 3n, address: 0xffff_8000_0000_1000n }).kind).toBe("ok");
    expect(ept.mock.calls.map((c) => c[0])).toEqual([1, 2]);
    expect(vpid.mock.calls[0]).toEqual([0, 3, -0x7fff_ffff_f000]);
  });

  it("INVEPT and INVVPID are #UD without EPT/VPID (minimal profile)", () => {
    const r = cur("minimal");
    expect(outcome(() => r.vmx.invept(2))).toBe("#UD");
    expect(outcome(() => r.vmx.invvpid(2, { lo: 0n, address: 0n }))).toBe("#UD");
  });
});

describe("capability MSRs and IA32_FEATURE_CONTROL through RDMSR/WRMSR (MsrProvider)", () => {
  it("reads IA32_VMX_BASIC and #GPs on absent MSRs", () => {
    const { vmx, s } = rig("minimal");
    expect(vmx.read(s, MSR.IA32_VMX_BASIC)! & 0x7fff_ffffn).toBe(BigInt(vmx.caps.revisionId));
    expect(vmx.read(s, MSR.IA32_VMX_TRUE_PROCBASED_CTLS)).toBeUndefined();
  });

  it("IA32_FEATURE_CONTROL is writable until locked; VMX MSRs are read-only", () => {
    const { vmx, s, st } = rig();
    st.featureControl = 0n;
    expect(vmx.write(s, MSR.IA32_FEATURE_CONTROL, 5n)).toBe(true);
    expect(vmx.read(s, MSR.IA32_FEATURE_CONTROL)).toBe(5n);
    expect(() => vmx.write(s, MSR.IA32_FEATURE_CONTROL, 1n)).toThrow(expect.objectContaining({ vector: 13 }));
    expect(() => vmx.write(s, MSR.IA32_VMX_BASIC, 0n)).toThrow(expect.objectContaining({ vector: 13 }));
  });

  it("CPUID.1:ECX.VMX follows the profile", () => {
    expect(rig("default").s.cpuidModel.query(1, 0)[2] & 0x20).toBe(0x20);
    expect(rig("no-vmx").s.cpuidModel.query(1, 0)[2] & 0x20).toBe(0);
    expect(rig("no-vmx").s.vmx).toBeNull();
  });
});
