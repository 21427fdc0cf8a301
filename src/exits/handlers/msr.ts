/**
 * RDMSR / WRMSR exits (reasons 31, 32; SDM Vol. 3C 26.1.3, MSR bitmaps 25.6.9).
 * The guest's MSRs are data: each known MSR says where its value lives (a
 * VMCS guest-state field, the vCPU's MSR store, or computed) and what a write
 * must satisfy. Unknown MSRs raise #GP(0), as KVM does with ignore_msrs=0.
 */
import type { Vcpu, VmcsFieldName } from "../vcpu";
import type { Handler } from "./types";
import { controlOn, getEdxEax, injectGp, isCanonical, setEdxEax } from "./util";

export interface GuestMsr {
  name: string;
  /** The VMCS guest-state field that holds it (loaded/saved on entry/exit, SDM 25.4.1). */
  vmcs?: VmcsFieldName;
  /** Value before the guest writes one (kept in the vCPU's MsrStore). */
  initial?: bigint;
  readOnly?: boolean;
  /** Writes must be canonical addresses (#GP otherwise, SDM Vol. 2B WRMSR). */
  canonical?: boolean;
  /** Bits a write may set; others → #GP. */
  writable?: bigint;
  /** Computed on read (e.g. the TSC). */
  read?(vcpu: Vcpu): bigint;
  /** Side effect of a write instead of storing (e.g. the TSC adjusts TSC_OFFSET). */
  write?(vcpu: Vcpu, value: bigint): void;
}

export const IA32_TSC = 0x10, IA32_EFER = 0xc000_0080, IA32_TSC_AUX = 0xc000_0103, IA32_FEATURE_CONTROL = 0x3a;

/** IA32_* MSR indices from SDM Vol. 4 Table 2-2. */
export const GUEST_MSRS: Record<number, GuestMsr> = {
  [IA32_TSC]: {
    name: "IA32_TSC",
    read: (v) => guestTsc(v),
    // Writing the TSC sets the offset so the guest reads the value from now on (SDM Vol. 3C 26.6.5).
    write: (v, value) => v.vmwrite("TSC_OFFSET", BigInt.asUintN(64, value - (v.vm.tsc?.() ?? 0n))),
  },
  0x17: { name: "IA32_PLATFORM_ID", initial: 0n, readOnly: true },
  0x1b: { name: "IA32_APIC_BASE", initial: 0xfee0_0900n, writable: 0xf_ffff_fd00n | 0x900n }, // BSP, xAPIC enabled
  [IA32_FEATURE_CONTROL]: {
    name: "IA32_FEATURE_CONTROL",
    // Locked (bit 0), VMXON outside SMX (bit 2) only when VMX is offered to the guest.
    read: (v) => (v.vm.nested ? 0x5n : 0x1n),
    readOnly: true,
  },
  0x8b: { name: "IA32_BIOS_SIGN_ID", initial: 0n },
  0xfe: { name: "IA32_MTRRCAP", initial: 0n, readOnly: true },
  0x174: { name: "IA32_SYSENTER_CS", vmcs: "GUEST_SYSENTER_CS" },
  0x175: { name: "IA32_SYSENTER_ESP", vmcs: "GUEST_SYSENTER_ESP", canonical: true },
  0x176: { name: "IA32_SYSENTER_EIP", vmcs: "GUEST_SYSENTER_EIP", canonical: true },
  0x1a0: { name: "IA32_MISC_ENABLE", initial: 1n }, // fast strings
  0x1d9: { name: "IA32_DEBUGCTL", vmcs: "GUEST_IA32_DEBUGCTL", writable: 0x3n },
  0x277: { name: "IA32_PAT", vmcs: "GUEST_IA32_PAT" },
  [IA32_EFER]: {
    name: "IA32_EFER",
    vmcs: "GUEST_IA32_EFER",
    // SCE (0), LME (8), LMA (10, written by the processor), NXE (11).
    writable: (1n << 0n) | (1n << 8n) | (1n << 10n) | (1n << 11n),
  },
  0xc000_0081: { name: "IA32_STAR", initial: 0n },
  0xc000_0082: { name: "IA32_LSTAR", initial: 0n, canonical: true },
  0xc000_0083: { name: "IA32_CSTAR", initial: 0n, canonical: true },
  0xc000_0084: { name: "IA32_FMASK", initial: 0n, writable: 0xffff_ffffn },
  0xc000_0100: { name: "IA32_FS_BASE", vmcs: "GUEST_FS_BASE", canonical: true },
  0xc000_0101: { name: "IA32_GS_BASE", vmcs: "GUEST_GS_BASE", canonical: true },
  0xc000_0102: { name: "IA32_KERNEL_GS_BASE", initial: 0n, canonical: true },
  [IA32_TSC_AUX]: { name: "IA32_TSC_AUX", initial: 0n, writable: 0xffff_ffffn },
};

/** The TSC the guest reads: host TSC plus TSC_OFFSET when use-tsc-offsetting is set (SDM 26.6.5). */
export function guestTsc(vcpu: Vcpu): bigint {
  const host = vcpu.vm.tsc?.() ?? 0n;
  const offsetting = controlOn(vcpu, "primary", "use-tsc-offsetting");
  return BigInt.asUintN(64, offsetting ? host + vcpu.vmread("TSC_OFFSET") : host);
}

/** The guest's value of an MSR: the store first (the user may preset any MSR), then the table. Undefined → #GP. */
export function readGuestMsr(vcpu: Vcpu, index: number): bigint | undefined {
  const m = GUEST_MSRS[index];
  if (m?.read) return m.read(vcpu);
  if (m?.vmcs) return vcpu.vmread(m.vmcs);
  if (vcpu.msrs.has(index)) return vcpu.msrs.get(index);
  return m?.initial;
}

/** Stores a guest MSR write; false when the write is a #GP. */
export function writeGuestMsr(vcpu: Vcpu, index: number, value: bigint): boolean {
  const m = GUEST_MSRS[index];
  if (!m) {
    if (!vcpu.msrs.has(index)) return false;
    vcpu.msrs.set(index, value);
    return true;
  }
  if (m.readOnly) return false;
  if (m.canonical && !isCanonical(value)) return false;
  if (m.writable !== undefined && (value & ~m.writable) !== 0n) return false;
  if (m.write) m.write(vcpu, value);
  else if (m.vmcs) {
    // EFER.LMA is the processor's: a write keeps its current value (KVM does the same).
    const v = index === IA32_EFER ? (value & ~(1n << 10n)) | (vcpu.vmread(m.vmcs) & (1n << 10n)) : value;
    vcpu.vmwrite(m.vmcs, v);
  } else vcpu.msrs.set(index, value);
  return true;
}

export const handleMsrRead: Handler = (vcpu) => {
  const index = Number(vcpu.getReg("rcx") & 0xffff_ffffn);
  const value = readGuestMsr(vcpu, index);
  if (value === undefined) return injectGp(vcpu);
  setEdxEax(vcpu, value);
  vcpu.advanceRip();
};

export const handleMsrWrite: Handler = (vcpu) => {
  const index = Number(vcpu.getReg("rcx") & 0xffff_ffffn);
  if (!writeGuestMsr(vcpu, index, getEdxEax(vcpu))) return injectGp(vcpu);
  vcpu.advanceRip();
};
