/**
 * Saving guest state at VM exit (SDM Vol. 3C 28.3): the registers VM entry
 * loaded, as they are when the exit occurs, plus the non-register state.
 * Writes use the VMCS's numeric slots.
 */
import type { CpuState } from "../../guest-cpu/state";
import { HLT, SHUTDOWN, WAIT_SIPI } from "../../guest-cpu/state";
import { RSP } from "../../guest-cpu/registers";
import { SLOT as F, type Vmcs } from "../../vmcs/vmcs";
import { BLOCK, EXIT } from "../ctl";
import { MSR, msrNum, readMsr } from "../msr";
import { SEG_SLOTS } from "../segments";

const TWO32 = 4294967296;

/**
 * Exit-time writes go straight to the slot halves: they are not "changes
 * since the last entry" for VMRESUME's incremental checks (what a VM exit
 * saves is the state the guest ran with), so they skip the change record.
 * 32-bit and 16-bit fields: `x` is within the field's width.
 */
export function put32(v: Vmcs, slot: number, x: number): void {
  v.lo[slot] = x;
  v.hi[slot] = 0;
}

/** A natural-width or 64-bit field from a signed double (sign-extended, as setNum). */
export function putNum(v: Vmcs, slot: number, x: number): void {
  v.lo[slot] = x % TWO32 | 0;
  v.hi[slot] = Math.floor(x / TWO32) | 0;
}

export function saveGuestState(s: CpuState, v: Vmcs, exitCtl: number): void {
  put32(v, F.GUEST_CR0, s.cr0 >>> 0);
  putNum(v, F.GUEST_CR3, s.cr3);
  put32(v, F.GUEST_CR4, s.cr4 >>> 0);
  if (exitCtl & EXIT.SAVE_DEBUG) {
    putNum(v, F.GUEST_DR7, s.dr[7]!);
    v.set(F.GUEST_IA32_DEBUGCTL, readMsr(s, MSR.DEBUGCTL));
  }
  put32(v, F.GUEST_SYSENTER_CS, msrNum(s, MSR.SYSENTER_CS) >>> 0);
  putNum(v, F.GUEST_SYSENTER_ESP, msrNum(s, MSR.SYSENTER_ESP));
  putNum(v, F.GUEST_SYSENTER_EIP, msrNum(s, MSR.SYSENTER_EIP));
  if (exitCtl & EXIT.SAVE_PAT) v.set(F.GUEST_IA32_PAT, readMsr(s, MSR.PAT));
  if (exitCtl & EXIT.SAVE_EFER) put32(v, F.GUEST_IA32_EFER, s.efer >>> 0);
  const S = SEG_SLOTS;
  for (let i = 0; i < 8; i++) {
    put32(v, S.sel[i]!, s.segSel[i]! & 0xffff);
    putNum(v, S.base[i]!, s.segBase[i]!);
    put32(v, S.limit[i]!, s.segLimit[i]! >>> 0);
    put32(v, S.ar[i]!, s.segAr[i]! & 0x1f0ff);
  }
  putNum(v, F.GUEST_GDTR_BASE, s.gdtrBase);
  put32(v, F.GUEST_GDTR_LIMIT, s.gdtrLimit);
  putNum(v, F.GUEST_IDTR_BASE, s.idtrBase);
  put32(v, F.GUEST_IDTR_LIMIT, s.idtrLimit);
  putNum(v, F.GUEST_RIP, s.rip);
  v.lo[F.GUEST_RSP] = s.lo[RSP]!;
  v.hi[F.GUEST_RSP] = s.hi[RSP]!;
  put32(v, F.GUEST_RFLAGS, s.rflags >>> 0);
  put32(v, F.GUEST_ACTIVITY_STATE, s.activity === HLT ? 1 : s.activity === SHUTDOWN ? 2 : s.activity === WAIT_SIPI ? 3 : 0);
  put32(v, F.GUEST_INTERRUPTIBILITY_INFO, interruptibility(s));
}

export function interruptibility(s: CpuState): number {
  return (s.inhibit === 2 ? BLOCK.MOV_SS : s.inhibit === 1 ? BLOCK.STI : 0) | (s.nmiBlocked ? BLOCK.NMI : 0);
}
