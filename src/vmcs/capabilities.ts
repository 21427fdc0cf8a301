/**
 * VMX capability MSRs (SDM Vol. 3D Appendix A; indices SDM Vol. 4 Table 2-2)
 * computed from a named profile (profiles.ts), and the allowed-0/allowed-1
 * queries VMXON, VMWRITE and VM entry ask of them.
 */
import { CONTROL_WORDS, type ControlNames, type ControlWord, controlMask } from "./controls";
import { encodingIndex, type FieldAccess, type FieldName, FIELDS } from "./fields";

type Req = readonly [ControlWord, string];
const sec = (n: string): Req => ["secondary", n];
const ter = (n: string): Req => ["tertiary", n];
const ent = (n: string): Req => ["entry", n];
const ext = (n: string): Req => ["exit", n];

/**
 * Fields that exist only on processors supporting a feature: the field is a
 * supported component when any listed control may be 1 (SDM Vol. 3C 25.11.2:
 * VMREAD/VMWRITE of a field the processor does not support fail with error
 * 12; Appendix B notes which feature brings each field). `[]`: never
 * supported by vmxlab's processors. Fields not listed exist on every
 * processor with VMX (within IA32_VMX_VMCS_ENUM's highest index).
 */
export const FIELD_REQUIRES: Partial<Record<FieldName, readonly Req[]>> = {
  VIRTUAL_PROCESSOR_ID: [sec("enable-vpid")],
  POSTED_INTR_NV: [["pin", "process-posted-interrupts"]],
  POSTED_INTR_DESC_ADDR: [["pin", "process-posted-interrupts"]],
  EPTP_INDEX: [sec("ept-violation-ve")],
  VE_INFORMATION_ADDRESS: [sec("ept-violation-ve")],
  HLAT_PREFIX_SIZE: [ter("enable-hlat")],
  HLAT_POINTER: [ter("enable-hlat")],
  LAST_PID_POINTER_INDEX: [ter("ipi-virtualization")],
  PID_POINTER_TABLE: [ter("ipi-virtualization")],
  GUEST_INTR_STATUS: [sec("virtual-interrupt-delivery")],
  EOI_EXIT_BITMAP0: [sec("virtual-interrupt-delivery")],
  EOI_EXIT_BITMAP1: [sec("virtual-interrupt-delivery")],
  EOI_EXIT_BITMAP2: [sec("virtual-interrupt-delivery")],
  EOI_EXIT_BITMAP3: [sec("virtual-interrupt-delivery")],
  GUEST_PML_INDEX: [sec("enable-pml")],
  PML_ADDRESS: [sec("enable-pml")],
  GUEST_UINV: [ent("load-uinv"), ext("clear-uinv")],
  EXECUTIVE_VMCS_POINTER: [], // dual-monitor treatment of SMIs and SMM (not modelled)
  VIRTUAL_APIC_PAGE_ADDR: [["primary", "use-tpr-shadow"]],
  TPR_THRESHOLD: [["primary", "use-tpr-shadow"]],
  APIC_ACCESS_ADDR: [sec("virtualize-apic-accesses")],
  VM_FUNCTION_CONTROL: [sec("enable-vm-functions")],
  EPTP_LIST_ADDRESS: [sec("enable-vm-functions")],
  EPT_POINTER: [sec("enable-ept")],
  GUEST_PHYSICAL_ADDRESS: [sec("enable-ept")],
  GUEST_PDPTR0: [sec("enable-ept")],
  GUEST_PDPTR1: [sec("enable-ept")],
  GUEST_PDPTR2: [sec("enable-ept")],
  GUEST_PDPTR3: [sec("enable-ept")],
  VMREAD_BITMAP: [sec("vmcs-shadowing")],
  VMWRITE_BITMAP: [sec("vmcs-shadowing")],
  XSS_EXIT_BITMAP: [sec("enable-xsaves-xrstors")],
  ENCLS_EXITING_BITMAP: [sec("enable-encls-exiting")],
  SPPT_POINTER: [sec("sub-page-write-permissions")],
  TSC_MULTIPLIER: [sec("use-tsc-scaling")],
  SECONDARY_VM_EXEC_CONTROL: [["primary", "activate-secondary-controls"]],
  TERTIARY_VM_EXEC_CONTROL: [["primary", "activate-tertiary-controls"]],
  ENCLV_EXITING_BITMAP: [sec("enable-enclv-exiting")],
  LOW_PASID_DIRECTORY_ADDR: [sec("pasid-translation")],
  HIGH_PASID_DIRECTORY_ADDR: [sec("pasid-translation")],
  SHARED_EPT_POINTER: [], // TDX only
  PCONFIG_EXITING_BITMAP: [sec("enable-pconfig")],
  SECONDARY_VM_EXIT_CONTROLS: [ext("activate-secondary-controls")],
  IA32_SPEC_CTRL_MASK: [ter("virtualize-ia32-spec-ctrl")],
  IA32_SPEC_CTRL_SHADOW: [ter("virtualize-ia32-spec-ctrl")],
  INJECTED_EVENT_DATA: [ent("load-ia32-fred")],
  ORIGINAL_EVENT_DATA: [ent("load-ia32-fred")],
  PLE_GAP: [sec("pause-loop-exiting")],
  PLE_WINDOW: [sec("pause-loop-exiting")],
  NOTIFY_WINDOW: [sec("instruction-timeout")],
  VMX_PREEMPTION_TIMER_VALUE: [["pin", "activate-vmx-preemption-timer"]],
  // GUEST/HOST_IA32_PAT and _EFER exist only with the PAT/EFER load/save controls (Appendix B), but
  // vmxlab keeps them on every profile: the VMM's default set-up writes them unconditionally.
  GUEST_IA32_PERF_GLOBAL_CTRL: [ent("load-ia32-perf-global-ctrl"), ext("save-ia32-perf-global-ctrl")],
  HOST_IA32_PERF_GLOBAL_CTRL: [ext("load-ia32-perf-global-ctrl")],
  GUEST_BNDCFGS: [ent("load-ia32-bndcfgs"), ext("clear-ia32-bndcfgs")],
  GUEST_IA32_RTIT_CTL: [ent("load-ia32-rtit-ctl"), ext("clear-ia32-rtit-ctl")],
  GUEST_IA32_LBR_CTL: [ent("load-guest-ia32-lbr-ctl"), ext("clear-ia32-lbr-ctl")],
  GUEST_IA32_PKRS: [ent("load-pkrs")],
  HOST_IA32_PKRS: [ext("load-pkrs")],
  GUEST_S_CET: [ent("load-cet-state")],
  GUEST_SSP: [ent("load-cet-state")],
  GUEST_INTR_SSP_TABLE: [ent("load-cet-state")],
  HOST_S_CET: [ext("load-cet-state")],
  HOST_SSP: [ext("load-cet-state")],
  HOST_INTR_SSP_TABLE: [ext("load-cet-state")],
};
for (const f of FIELDS) {
  if (f.name.startsWith("GUEST_IA32_FRED_")) FIELD_REQUIRES[f.name] = [ent("load-ia32-fred")];
  if (f.name.startsWith("HOST_IA32_FRED_")) FIELD_REQUIRES[f.name] = [["secondary-exit", "load-ia32-fred"]];
}

/** IA32_VMX_* and related MSR indices (SDM Vol. 4 Table 2-2). */
export const MSR = {
  IA32_FEATURE_CONTROL: 0x3a,
  IA32_VMX_BASIC: 0x480,
  IA32_VMX_PINBASED_CTLS: 0x481,
  IA32_VMX_PROCBASED_CTLS: 0x482,
  IA32_VMX_EXIT_CTLS: 0x483,
  IA32_VMX_ENTRY_CTLS: 0x484,
  IA32_VMX_MISC: 0x485,
  IA32_VMX_CR0_FIXED0: 0x486,
  IA32_VMX_CR0_FIXED1: 0x487,
  IA32_VMX_CR4_FIXED0: 0x488,
  IA32_VMX_CR4_FIXED1: 0x489,
  IA32_VMX_VMCS_ENUM: 0x48a,
  IA32_VMX_PROCBASED_CTLS2: 0x48b,
  IA32_VMX_EPT_VPID_CAP: 0x48c,
  IA32_VMX_TRUE_PINBASED_CTLS: 0x48d,
  IA32_VMX_TRUE_PROCBASED_CTLS: 0x48e,
  IA32_VMX_TRUE_EXIT_CTLS: 0x48f,
  IA32_VMX_TRUE_ENTRY_CTLS: 0x490,
  IA32_VMX_VMFUNC: 0x491,
  IA32_VMX_PROCBASED_CTLS3: 0x492,
  IA32_VMX_EXIT_CTLS2: 0x493,
} as const;
export type MsrName = keyof typeof MSR;

/** IA32_FEATURE_CONTROL bits (SDM Vol. 3C 24.7, Vol. 4 Table 2-2). */
export const FEATURE_CONTROL = { LOCK: 1n, VMX_INSIDE_SMX: 2n, VMX_OUTSIDE_SMX: 4n } as const;

/** IA32_VMX_BASIC bits (SDM Vol. 3D A.1). */
export const BASIC = {
  /** Bit 48: VMXON/VMCS/bitmap addresses are limited to 32 bits. */
  ADDR32: 1n << 48n,
  DUAL_MONITOR: 1n << 49n,
  INS_OUTS_INFO: 1n << 54n,
  TRUE_CTLS: 1n << 55n,
  /** Bit 56: hardware exceptions may be injected with or without an error code. */
  NO_ERROR_CODE_RULE: 1n << 56n,
} as const;

/** IA32_VMX_MISC bits (SDM Vol. 3D A.6). */
export const MISC = {
  STORE_LMA: 1n << 5n,
  ACTIVITY_HLT: 1n << 6n,
  ACTIVITY_SHUTDOWN: 1n << 7n,
  ACTIVITY_WAIT_SIPI: 1n << 8n,
  PT_IN_VMX: 1n << 14n,
  SMM_VMXOFF_BLOCKS_SMI: 1n << 28n,
  /** Bit 29: VMWRITE may write any supported field, including VM-exit information. */
  VMWRITE_ANY: 1n << 29n,
  /** Bit 30: injection of software interrupts/exceptions with instruction length 0. */
  ZERO_LEN_INJECT: 1n << 30n,
} as const;

/** A control word's capability: bits that must be 1 (allowed-0 = 0) and bits that may be 1. */
export interface ControlCap {
  readonly must1: bigint;
  readonly may1: bigint;
}

/** What a profile states; capabilities.ts computes the MSR values from it. */
export interface ProfileSpec {
  readonly name: string;
  readonly description: string;
  /** CPUID.1:ECX.VMX[bit 5]. Without it, VMXON is #UD and the VMX MSRs #GP. */
  readonly vmx: boolean;
  readonly revisionId: number;
  /** IA32_VMX_BASIC bit 55: the TRUE_ MSRs exist and may allow clearing some default1 bits. */
  readonly trueControls: boolean;
  /** Default1 bits the TRUE_ MSRs allow to be 0 (e.g. CR3-load/store exiting). */
  readonly trueClearable: { readonly [W in ControlWord]?: readonly ControlNames[W][] };
  /** Controls that may be 1, beyond the default1 bits. Absent words are not supported at all. */
  readonly allowed1: { readonly [W in ControlWord]?: readonly ControlNames[W][] };
  /** Value of IA32_VMX_MISC. */
  readonly misc: bigint;
  readonly cr0Fixed0: bigint;
  readonly cr0Fixed1: bigint;
  readonly cr4Fixed0: bigint;
  readonly cr4Fixed1: bigint;
  /** IA32_VMX_VMCS_ENUM bits 9:1: the highest field index supported. */
  readonly maxFieldIndex: number;
  readonly eptVpidCap: bigint;
  readonly vmfunc: bigint;
  /** Physical-address width (CPUID 80000008H EAX[7:0]). */
  readonly physAddrWidth: number;
  /** Initial IA32_FEATURE_CONTROL as firmware leaves it (lock + VMX outside SMX on a usual machine). */
  readonly featureControl: bigint;
}

/** The decoded capabilities of one profile: MSR values plus the queries instructions and VM entry need. */
export class VmxCapabilities {
  readonly spec: ProfileSpec;
  private readonly msrs = new Map<number, bigint>();
  private readonly caps = new Map<ControlWord, ControlCap>();
  /** Per slot: is the field a supported component (VMREAD/VMWRITE)? */
  private readonly fieldSupported: Uint8Array;

  constructor(spec: ProfileSpec) {
    this.spec = spec;
    for (const w of Object.keys(CONTROL_WORDS) as ControlWord[]) {
      const info = CONTROL_WORDS[w];
      const names = spec.allowed1[w] as readonly string[] | undefined;
      if (!names) continue;
      const default1 = BigInt(info.default1);
      const may1 = controlMask(w, names) | default1;
      const clearable = controlMask(w, (spec.trueClearable[w] as readonly string[] | undefined) ?? []);
      const trueMust1 = default1 & ~clearable;
      this.caps.set(w, { must1: spec.trueControls ? trueMust1 : default1, may1 });
      if (info.bits === 64) {
        this.msrs.set(info.msr, may1); // allowed-1 only (SDM Vol. 3D A.3.4, A.4.2)
      } else {
        this.msrs.set(info.msr, (may1 << 32n) | default1);
        if (spec.trueControls && info.trueMsr !== undefined) this.msrs.set(info.trueMsr, (may1 << 32n) | trueMust1);
      }
    }
    this.fieldSupported = new Uint8Array(FIELDS.map((f) => {
      if (f.index > spec.maxFieldIndex) return 0;
      const req = FIELD_REQUIRES[f.name];
      return !req || req.some(([w, n]) => this.allows(w, n)) ? 1 : 0;
    }));
    if (!spec.vmx) {
      this.msrs.clear();
      return;
    }
    const basic =
      BigInt(spec.revisionId & 0x7fff_ffff) |
      (BigInt(VMCS_REGION_SIZE) << 32n) |
      (6n << 50n) | // write-back memory type for the VMCS region (SDM Vol. 3D A.1)
      BASIC.INS_OUTS_INFO |
      (spec.trueControls ? BASIC.TRUE_CTLS | BASIC.NO_ERROR_CODE_RULE : 0n);
    this.msrs.set(MSR.IA32_VMX_BASIC, basic);
    this.msrs.set(MSR.IA32_VMX_MISC, spec.misc);
    this.msrs.set(MSR.IA32_VMX_CR0_FIXED0, spec.cr0Fixed0);
    this.msrs.set(MSR.IA32_VMX_CR0_FIXED1, spec.cr0Fixed1);
    this.msrs.set(MSR.IA32_VMX_CR4_FIXED0, spec.cr4Fixed0);
    this.msrs.set(MSR.IA32_VMX_CR4_FIXED1, spec.cr4Fixed1);
    this.msrs.set(MSR.IA32_VMX_VMCS_ENUM, BigInt(spec.maxFieldIndex << 1));
    // Present only when a secondary control could use them (SDM Vol. 3D A.10, A.11).
    const sec = this.caps.get("secondary")?.may1 ?? 0n;
    const hasSecondary = ((this.caps.get("primary")?.may1 ?? 0n) >> 31n) & 1n;
    if (!hasSecondary) this.msrs.delete(MSR.IA32_VMX_PROCBASED_CTLS2);
    if (hasSecondary && (sec & (1n << 1n | 1n << 5n)) !== 0n) this.msrs.set(MSR.IA32_VMX_EPT_VPID_CAP, spec.eptVpidCap);
    if (hasSecondary && (sec & (1n << 13n)) !== 0n) this.msrs.set(MSR.IA32_VMX_VMFUNC, spec.vmfunc);
    if ((((this.caps.get("primary")?.may1 ?? 0n) >> 17n) & 1n) === 0n) this.msrs.delete(MSR.IA32_VMX_PROCBASED_CTLS3);
    if ((((this.caps.get("exit")?.may1 ?? 0n) >> 31n) & 1n) === 0n) this.msrs.delete(MSR.IA32_VMX_EXIT_CTLS2);
  }

  get name(): string {
    return this.spec.name;
  }

  get vmx(): boolean {
    return this.spec.vmx;
  }

  get revisionId(): number {
    return this.spec.revisionId & 0x7fff_ffff;
  }

  get physAddrWidth(): number {
    return this.spec.physAddrWidth;
  }

  /** The value RDMSR returns, or undefined when the MSR does not exist on this profile (#GP). */
  msr(index: number): bigint | undefined {
    return this.msrs.get(index);
  }

  /** Every VMX MSR of the profile, by index. */
  allMsrs(): [number, bigint][] {
    return [...this.msrs.entries()].sort((a, b) => a[0] - b[0]);
  }

  /** Allowed settings of a word as VM entry checks them (TRUE_ MSRs when BASIC bit 55 is 1); unsupported word: nothing may be 1. */
  control(word: ControlWord): ControlCap {
    return this.caps.get(word) ?? { must1: 0n, may1: 0n };
  }

  /** Can `name` of `word` be set to 1? */
  allows(word: ControlWord, name: string): boolean {
    const c = this.caps.get(word);
    if (!c) return false;
    return (c.may1 & controlMask(word, [name])) !== 0n;
  }

  /** Bits of `value` violating the word's allowed settings: `must1` bits that are 0, bits set that may not be 1. */
  violations(word: ControlWord, value: bigint): { missing: bigint; forbidden: bigint } {
    const c = this.control(word);
    return { missing: c.must1 & ~value, forbidden: value & ~c.may1 };
  }

  /** The smallest valid value of a word with the given bits set (default1 bits added). */
  withRequired(word: ControlWord, value: bigint): bigint {
    return value | this.control(word).must1;
  }

  get cr0Fixed0(): bigint { return this.spec.cr0Fixed0; }
  get cr0Fixed1(): bigint { return this.spec.cr0Fixed1; }
  get cr4Fixed0(): bigint { return this.spec.cr4Fixed0; }
  get cr4Fixed1(): bigint { return this.spec.cr4Fixed1; }
  get misc(): bigint { return this.spec.misc; }

  /** IA32_VMX_MISC bit 29: VMWRITE to VM-exit information fields is allowed. */
  get vmwriteAnyField(): boolean {
    return (this.spec.misc & MISC.VMWRITE_ANY) !== 0n;
  }

  /** VMCS shadowing may be enabled: VMPTRLD accepts regions with the shadow-VMCS indicator set. */
  get vmcsShadowing(): boolean {
    return this.allows("secondary", "vmcs-shadowing");
  }

  /**
   * Does VMREAD/VMWRITE know this component? Its index is within
   * IA32_VMX_VMCS_ENUM (SDM Vol. 3D A.9) and the profile has the feature that
   * brings it (FIELD_REQUIRES).
   */
  supportsField(a: FieldAccess): boolean {
    return encodingIndex(a.encoding) <= this.spec.maxFieldIndex && this.fieldSupported[a.field.slot] === 1;
  }

  /** IA32_VMX_EPT_VPID_CAP (0 when absent). */
  get eptVpidCap(): bigint {
    return this.msrs.get(MSR.IA32_VMX_EPT_VPID_CAP) ?? 0n;
  }

  eptVpidCapBit(bit: number): boolean {
    return ((this.eptVpidCap >> BigInt(bit)) & 1n) === 1n;
  }
}

/**
 * Bytes of a VMCS region (IA32_VMX_BASIC bits 44:32). vmxlab's
 * implementation-specific layout: see vmcs.ts.
 */
export const VMCS_REGION_SIZE = 4096;
