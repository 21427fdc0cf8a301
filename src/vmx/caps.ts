/**
 * The capability values VM entry checks against, decoded once from the
 * IA32_VMX_* MSRs of a profile (SDM Vol. 3D Appendix A): allowed-0 settings
 * (bits that must be 1) in the low dword of a control MSR, allowed-1 settings
 * (bits that may be 1) in the high dword; the TRUE_ MSRs govern when
 * IA32_VMX_BASIC bit 55 is set (A.2).
 */
import { DEFAULT_EPT_CAPS, eptCapsFromMsr, type EptCaps } from "../ept/eptp";
import type { VmxCapabilities } from "../vmcs/capabilities";
import { getProfile } from "../vmcs/profiles";

/** MSR indices (SDM Vol. 4 Table 2-2). */
export const VMX_MSR = {
  BASIC: 0x480, PINBASED: 0x481, PROCBASED: 0x482, EXIT: 0x483, ENTRY: 0x484, MISC: 0x485,
  CR0_FIXED0: 0x486, CR0_FIXED1: 0x487, CR4_FIXED0: 0x488, CR4_FIXED1: 0x489, VMCS_ENUM: 0x48a,
  PROCBASED2: 0x48b, EPT_VPID_CAP: 0x48c, TRUE_PINBASED: 0x48d, TRUE_PROCBASED: 0x48e, TRUE_EXIT: 0x48f,
  TRUE_ENTRY: 0x490, VMFUNC: 0x491,
} as const;

export interface CtlCaps {
  /** Bits that must be 1. */
  readonly must1: number;
  /** Bits that may be 1. */
  readonly may1: number;
}

export interface VmxCaps {
  readonly pin: CtlCaps;
  readonly primary: CtlCaps;
  readonly secondary: CtlCaps;
  readonly exit: CtlCaps;
  readonly entry: CtlCaps;
  readonly cr0Fixed0: bigint;
  readonly cr0Fixed1: bigint;
  readonly cr4Fixed0: bigint;
  readonly cr4Fixed1: bigint;
  readonly misc: bigint;
  readonly vmfunc: bigint;
  readonly ept: EptCaps;
  /** Physical-address width (CPUID 80000008H EAX[7:0]). */
  readonly maxPhys: number;
  /** IA32_VMX_MISC bits 8:6: activity states HLT, shutdown, wait-for-SIPI supported. */
  readonly activityStates: number;
  /** IA32_VMX_MISC bits 4:0: the preemption timer counts down when the TSC bit X changes. */
  readonly preemptionShift: number;
  /** IA32_VMX_MISC bits 24:16: supported CR3-target values. */
  readonly cr3Targets: number;
  /** IA32_VMX_MISC bit 30: VM entry may inject software interrupts/exceptions with instruction length 0. */
  readonly zeroLengthInjection: boolean;
  /** IA32_VMX_BASIC bit 56: hardware exceptions may be injected with or without an error code. */
  readonly noErrorCodeRule: boolean;
}

function ctl(v: bigint): CtlCaps {
  return { must1: Number(v & 0xffff_ffffn), may1: Number((v >> 32n) & 0xffff_ffffn) };
}

/** Decodes a profile's MSR values (index → value). */
export function capsFromMsrs(msr: ReadonlyMap<number, bigint> | Record<number, bigint>, maxPhys = 46): VmxCaps {
  const get = (i: number): bigint => (msr instanceof Map ? msr.get(i) : (msr as Record<number, bigint>)[i]) ?? 0n;
  const basic = get(VMX_MSR.BASIC);
  const useTrue = ((basic >> 55n) & 1n) === 1n;
  const misc = get(VMX_MSR.MISC);
  const proc = ctl(get(useTrue ? VMX_MSR.TRUE_PROCBASED : VMX_MSR.PROCBASED));
  return {
    pin: ctl(get(useTrue ? VMX_MSR.TRUE_PINBASED : VMX_MSR.PINBASED)),
    primary: proc,
    // Without "activate secondary controls" allowed-1, every secondary control is 0 (A.3.3).
    secondary: proc.may1 & 0x8000_0000 ? ctl(get(VMX_MSR.PROCBASED2)) : { must1: 0, may1: 0 },
    exit: ctl(get(useTrue ? VMX_MSR.TRUE_EXIT : VMX_MSR.EXIT)),
    entry: ctl(get(useTrue ? VMX_MSR.TRUE_ENTRY : VMX_MSR.ENTRY)),
    cr0Fixed0: get(VMX_MSR.CR0_FIXED0),
    cr0Fixed1: get(VMX_MSR.CR0_FIXED1),
    cr4Fixed0: get(VMX_MSR.CR4_FIXED0),
    cr4Fixed1: get(VMX_MSR.CR4_FIXED1),
    misc,
    vmfunc: get(VMX_MSR.VMFUNC),
    ept: get(VMX_MSR.EPT_VPID_CAP) ? eptCapsFromMsr(get(VMX_MSR.EPT_VPID_CAP), maxPhys) : { ...DEFAULT_EPT_CAPS, maxPhys },
    maxPhys,
    activityStates: Number((misc >> 6n) & 7n),
    preemptionShift: Number(misc & 0x1fn),
    cr3Targets: Number((misc >> 16n) & 0x1ffn),
    zeroLengthInjection: ((misc >> 30n) & 1n) === 1n,
    noErrorCodeRule: ((basic >> 56n) & 1n) === 1n,
  };
}

/** The capabilities of a src/vmcs profile, decoded for the entry checks. */
export function capsFromProfile(p: VmxCapabilities): VmxCaps {
  return capsFromMsrs(new Map(p.allMsrs()), p.physAddrWidth);
}

export const DEFAULT_CAPS = capsFromProfile(getProfile("default"));
