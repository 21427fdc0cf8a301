import { MSR } from "../../src/vmcs/capabilities";
import { CONTROL_WORDS, controlBit, controlMask, controlNames } from "../../src/vmcs/controls";
import { getProfile, PROFILE_NAMES } from "../../src/vmcs/profiles";

describe("control-bit names (SDM 25.6-25.8, Linux asm/vmx.h bit numbers)", () => {
  it.each([
    ["pin", "external-interrupt-exiting", 0], ["pin", "nmi-exiting", 3], ["pin", "activate-vmx-preemption-timer", 6],
    ["primary", "hlt-exiting", 7], ["primary", "use-io-bitmaps", 25], ["primary", "use-msr-bitmaps", 28],
    ["primary", "activate-secondary-controls", 31], ["primary", "cr3-load-exiting", 15], ["primary", "monitor-trap-flag", 27],
    ["secondary", "enable-ept", 1], ["secondary", "enable-vpid", 5], ["secondary", "unrestricted-guest", 7],
    ["secondary", "enable-vm-functions", 13], ["exit", "host-address-space-size", 9], ["exit", "ack-interrupt-on-exit", 15],
    ["exit", "load-ia32-efer", 21], ["entry", "ia32e-mode-guest", 9], ["entry", "load-ia32-efer", 15],
  ] as const)("%s %s is bit %d", (w, n, b) => {
    expect(controlBit(w, n)).toBe(b);
  });

  it("maps masks back to names", () => {
    expect(controlNames("primary", controlMask("primary", ["hlt-exiting", "use-io-bitmaps"]) | 2n)).toEqual(["bit 1", "hlt-exiting", "use-io-bitmaps"]);
  });
});

describe("capability profiles (SDM Vol. 3D Appendix A)", () => {
  const d = getProfile("default");

  it("default reports IA32_VMX_BASIC with revision, 4-KiB region, WB and TRUE controls", () => {
    const basic = d.msr(MSR.IA32_VMX_BASIC)!;
    expect(Number(basic & 0x7fff_ffffn)).toBe(d.revisionId);
    expect(Number((basic >> 32n) & 0x1fffn)).toBe(4096);
    expect(Number((basic >> 50n) & 0xfn)).toBe(6);
    expect((basic >> 55n) & 1n).toBe(1n);
  });

  it("default1 bits are 1 in the allowed-0 half of the non-TRUE MSRs (A.2)", () => {
    for (const w of ["pin", "primary", "exit", "entry"] as const) {
      const m = d.msr(CONTROL_WORDS[w].msr)!;
      expect(Number(m & 0xffff_ffffn)).toBe(CONTROL_WORDS[w].default1);
      // allowed-0 = 1 implies allowed-1 = 1
      expect((m & 0xffff_ffffn) & ~(m >> 32n)).toBe(0n);
    }
  });

  it("TRUE_PROCBASED lets CR3-load/store exiting be 0", () => {
    const t = d.msr(MSR.IA32_VMX_TRUE_PROCBASED_CTLS)!;
    expect((t >> 15n) & 1n).toBe(0n);
    expect((t >> 16n) & 1n).toBe(0n);
    expect(d.control("primary").must1 & (3n << 15n)).toBe(0n);
  });

  it("default allows EPT, VPID, unrestricted guest and the preemption timer; no-unrestricted-guest drops only UG", () => {
    for (const [w, n] of [["secondary", "enable-ept"], ["secondary", "enable-vpid"], ["secondary", "unrestricted-guest"], ["pin", "activate-vmx-preemption-timer"]] as const) {
      expect(d.allows(w, n)).toBe(true);
    }
    const nu = getProfile("no-unrestricted-guest");
    expect(nu.allows("secondary", "unrestricted-guest")).toBe(false);
    expect(nu.allows("secondary", "enable-ept")).toBe(true);
  });

  it("minimal has no secondary controls, no TRUE MSRs, no EPT/VPID capability MSR", () => {
    const m = getProfile("minimal");
    expect(m.allows("primary", "activate-secondary-controls")).toBe(false);
    expect(m.msr(MSR.IA32_VMX_PROCBASED_CTLS2)).toBeUndefined();
    expect(m.msr(MSR.IA32_VMX_TRUE_PINBASED_CTLS)).toBeUndefined();
    expect(m.msr(MSR.IA32_VMX_EPT_VPID_CAP)).toBeUndefined();
    expect(m.vmwriteAnyField).toBe(false);
  });

  it("CR0/CR4 fixed MSRs require PE, NE, PG and VMXE", () => {
    for (const n of PROFILE_NAMES.filter((p) => p !== "no-vmx")) {
      const p = getProfile(n);
      expect(p.msr(MSR.IA32_VMX_CR0_FIXED0)).toBe(0x8000_0021n);
      expect(p.msr(MSR.IA32_VMX_CR4_FIXED0)).toBe(0x2000n);
    }
  });

  it("unknown profiles are an input error", () => {
    expect(() => getProfile("skylake")).toThrow(/unknown CPU profile 'skylake'/);
  });
});
