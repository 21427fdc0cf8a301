/**
 * Control-register accesses (exit reason 28, SDM Vol. 3C 26.1.3; qualification
 * Table 28-3), handled as KVM's handle_cr does: MOV to CR0/CR4 validates the
 * value (#GP(0) for invalid ones, SDM Vol. 3A 2.5 and the MOV CR reference),
 * keeps what the guest wrote in the read shadow and loads the real register
 * with the bits VMX operation requires (IA32_VMX_CR0/CR4_FIXED0/1, SDM
 * Vol. 3C A.7, A.8); toggling CR0.PG with EFER.LME set enters or leaves
 * IA-32e mode (EFER.LMA and the "IA-32e mode guest" entry control).
 */
import type { Vcpu } from "../vcpu";
import type { Handler } from "./types";
import { controlOn, guestIn64BitMode, injectGp, readOperand, setControl } from "./util";

const MSR_VMX_CR0_FIXED0 = 0x486, MSR_VMX_CR0_FIXED1 = 0x487, MSR_VMX_CR4_FIXED0 = 0x488, MSR_VMX_CR4_FIXED1 = 0x489;
/** Typical values (PE, NE, PG must be 1; VMXE must be 1) when the MSR store has none. */
const DEFAULT_CR0_FIXED0 = 0x8000_0021n, DEFAULT_CR4_FIXED0 = 0x2000n;

const CR0 = { PE: 1n, TS: 1n << 3n, NE: 1n << 5n, NW: 1n << 29n, CD: 1n << 30n, PG: 1n << 31n } as const;
const CR4 = { PAE: 1n << 5n, VMXE: 1n << 13n, PCIDE: 1n << 17n } as const;
/** CR0.PG, WP (16), CD (30); CR4.PSE (4), PAE, PGE (7), PCIDE, SMEP (20), SMAP (21), PKE (22). */
const CR0_FLUSH = (1n << 31n) | (1n << 16n) | (1n << 30n);
const CR4_FLUSH = (1n << 4n) | (1n << 5n) | (1n << 7n) | (1n << 17n) | (1n << 20n) | (1n << 21n) | (1n << 22n);
/** CR4 bits a guest may set: VME..UMIP (11:0), VMXE (13), FSGSBASE, PCIDE, OSXSAVE (18:16), SMEP, SMAP, PKE (22:20); LA57, SMXE and the rest are #GP here (SDM Vol. 3A 2.5). */
const CR4_VALID = 0x0077_2fffn;
const EFER_LME = 1n << 8n, EFER_LMA = 1n << 10n;

/** CR0 as the guest sees it: host-owned bits (mask) from the read shadow, the rest from GUEST_CR0 (SDM 26.3). */
export function guestVisibleCr(vcpu: Vcpu, cr: 0 | 4): bigint {
  const real = vcpu.vmread(cr === 0 ? "GUEST_CR0" : "GUEST_CR4");
  const mask = vcpu.vmread(cr === 0 ? "CR0_GUEST_HOST_MASK" : "CR4_GUEST_HOST_MASK");
  const shadow = vcpu.vmread(cr === 0 ? "CR0_READ_SHADOW" : "CR4_READ_SHADOW");
  return (real & ~mask) | (shadow & mask);
}

/** MOV to CR0 as KVM's kvm_set_cr0 + vmx_set_cr0. Returns false after injecting #GP. */
export function setCr0(vcpu: Vcpu, value: bigint): boolean {
  const old = guestVisibleCr(vcpu, 0);
  // Bits 63:32 reserved; PG without PE; NW without CD → #GP(0) (SDM Vol. 2B MOV CR).
  if (value >> 32n !== 0n || (value & CR0.PG && !(value & CR0.PE)) || (value & CR0.NW && !(value & CR0.CD))) {
    injectGp(vcpu);
    return false;
  }
  const efer = vcpu.vmread("GUEST_IA32_EFER");
  const pagingOn = !(old & CR0.PG) && value & CR0.PG;
  const pagingOff = old & CR0.PG && !(value & CR0.PG);
  if (pagingOn && efer & EFER_LME) {
    // Entering IA-32e mode requires CR4.PAE (SDM Vol. 3A 10.8.5).
    if (!(guestVisibleCr(vcpu, 4) & CR4.PAE)) {
      injectGp(vcpu);
      return false;
    }
    vcpu.vmwrite("GUEST_IA32_EFER", efer | EFER_LMA);
    setControl(vcpu, "entry", "ia32e-mode-guest", true);
  } else if (pagingOff && efer & EFER_LMA) {
    if (guestIn64BitMode(vcpu)) {
      // Clearing CR0.PG in 64-bit mode is #GP(0) (SDM Vol. 2B MOV CR).
      injectGp(vcpu);
      return false;
    }
    vcpu.vmwrite("GUEST_IA32_EFER", efer & ~EFER_LMA);
    setControl(vcpu, "entry", "ia32e-mode-guest", false);
  }
  let fixed0 = vcpu.msrs.get(MSR_VMX_CR0_FIXED0) ?? DEFAULT_CR0_FIXED0;
  const fixed1 = vcpu.msrs.get(MSR_VMX_CR0_FIXED1) ?? 0xffff_ffffn;
  // Unrestricted guest exempts PE and PG from the fixed-1 requirement (SDM Vol. 3C 27.3.1.1).
  if (controlOn(vcpu, "secondary", "unrestricted-guest")) fixed0 &= ~(CR0.PE | CR0.PG);
  vcpu.vmwrite("CR0_READ_SHADOW", value);
  vcpu.vmwrite("GUEST_CR0", (value | fixed0) & fixed1);
  // Changing PG, WP or CD invalidates all translations (SDM Vol. 3A 4.10.4.1).
  if ((old ^ value) & CR0_FLUSH) vcpu.vm.flushGuestTlb?.("all");
  return true;
}

/** MOV to CR4 as KVM's kvm_set_cr4 + vmx_set_cr4. Returns false after injecting #GP. */
export function setCr4(vcpu: Vcpu, value: bigint): boolean {
  const old = guestVisibleCr(vcpu, 4);
  const lma = (vcpu.vmread("GUEST_IA32_EFER") & EFER_LMA) !== 0n;
  const bad =
    (value & ~CR4_VALID) !== 0n ||
    (value & CR4.VMXE && !vcpu.vm.nested) || // VMX is offered only with nested virtualization
    (lma && !(value & CR4.PAE)) || // clearing PAE in IA-32e mode
    (value & CR4.PCIDE && !(old & CR4.PCIDE) && (!lma || (vcpu.vmread("GUEST_CR3") & 0xfffn) !== 0n));
  if (bad) {
    injectGp(vcpu);
    return false;
  }
  const fixed0 = vcpu.msrs.get(MSR_VMX_CR4_FIXED0) ?? DEFAULT_CR4_FIXED0;
  const fixed1 = vcpu.msrs.get(MSR_VMX_CR4_FIXED1) ?? 0xffff_ffffn;
  vcpu.vmwrite("CR4_READ_SHADOW", value);
  vcpu.vmwrite("GUEST_CR4", (value | fixed0) & fixed1);
  // Changing PGE, PAE, PSE, PCIDE (1 → 0), SMEP, SMAP or PKE invalidates all translations (SDM Vol. 3A 4.10.4.1).
  if ((old ^ value) & CR4_FLUSH) vcpu.vm.flushGuestTlb?.("all");
  return true;
}

export const handleCrAccess: Handler = (vcpu) => {
  const q = vcpu.exit.qualification.cr;
  let ok = true;
  switch (q.access) {
    case "mov-to-cr": {
      const value = readOperand(vcpu, q.gpr);
      if (q.cr === 0) ok = setCr0(vcpu, value);
      else if (q.cr === 4) ok = setCr4(vcpu, value);
      else if (q.cr === 3) {
        // Bit 63 with CR4.PCIDE is "do not invalidate"; it is not part of CR3 (SDM Vol. 3A 4.10.4.1).
        const pcide = (guestVisibleCr(vcpu, 4) & CR4.PCIDE) !== 0n;
        vcpu.vmwrite("GUEST_CR3", pcide ? value & ~(1n << 63n) : value);
        if (!(pcide && value >> 63n)) vcpu.vm.flushGuestTlb?.("non-global");
      } else if (q.cr === 8) {
        if (value >> 4n !== 0n) {
          injectGp(vcpu);
          ok = false;
        } else vcpu.setReg("cr8", value);
      } else {
        injectGp(vcpu);
        ok = false;
      }
      break;
    }
    case "mov-from-cr": {
      const v = q.cr === 3 ? vcpu.vmread("GUEST_CR3") : q.cr === 8 ? vcpu.getReg("cr8") : guestVisibleCr(vcpu, q.cr === 4 ? 4 : 0);
      vcpu.setReg(q.gpr, guestIn64BitMode(vcpu) ? v : v & 0xffff_ffffn);
      break;
    }
    case "clts": {
      vcpu.vmwrite("GUEST_CR0", vcpu.vmread("GUEST_CR0") & ~CR0.TS);
      vcpu.vmwrite("CR0_READ_SHADOW", vcpu.vmread("CR0_READ_SHADOW") & ~CR0.TS);
      break;
    }
    case "lmsw": {
      // LMSW loads CR0 bits 3:0 but cannot clear PE (SDM Vol. 2A LMSW).
      const old = guestVisibleCr(vcpu, 0);
      const src = BigInt(q.lmswSource) & 0xfn;
      ok = setCr0(vcpu, (old & ~0xen) | (src & 0xfn) | (old & CR0.PE));
      break;
    }
  }
  if (ok) vcpu.advanceRip();
};
