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

export function saveGuestState(s: CpuState, v: Vmcs, exitCtl: number): void {
  v.setU32(F.GUEST_CR0, s.cr0 >>> 0);
  v.setNum(F.GUEST_CR3, s.cr3);
  v.setU32(F.GUEST_CR4, s.cr4 >>> 0);
  if (exitCtl & EXIT.SAVE_DEBUG) {
    v.setNum(F.GUEST_DR7, s.dr[7]!);
    v.set(F.GUEST_IA32_DEBUGCTL, readMsr(s, MSR.DEBUGCTL));
  }
  v.setU32(F.GUEST_SYSENTER_CS, msrNum(s, MSR.SYSENTER_CS) >>> 0);
  v.setNum(F.GUEST_SYSENTER_ESP, msrNum(s, MSR.SYSENTER_ESP));
  v.setNum(F.GUEST_SYSENTER_EIP, msrNum(s, MSR.SYSENTER_EIP));
  if (exitCtl & EXIT.SAVE_PAT) v.set(F.GUEST_IA32_PAT, readMsr(s, MSR.PAT));
  if (exitCtl & EXIT.SAVE_EFER) v.setU32(F.GUEST_IA32_EFER, s.efer >>> 0);
  const S = SEG_SLOTS;
  for (let i = 0; i < 8; i++) {
    v.setU32(S.sel[i]!, s.segSel[i]!);
    v.setNum(S.base[i]!, s.segBase[i]!);
    v.setU32(S.limit[i]!, s.segLimit[i]! >>> 0);
    v.setU32(S.ar[i]!, s.segAr[i]! & 0x1f0ff);
  }
  v.setNum(F.GUEST_GDTR_BASE, s.gdtrBase);
  v.setU32(F.GUEST_GDTR_LIMIT, s.gdtrLimit);
  v.setNum(F.GUEST_IDTR_BASE, s.idtrBase);
  v.setU32(F.GUEST_IDTR_LIMIT, s.idtrLimit);
  v.setNum(F.GUEST_RIP, s.rip);
  v.lo[F.GUEST_RSP] = s.lo[RSP]!;
  v.hi[F.GUEST_RSP] = s.hi[RSP]!;
  v.setU32(F.GUEST_RFLAGS, s.rflags >>> 0);
  v.setU32(F.GUEST_ACTIVITY_STATE, s.activity === HLT ? 1 : s.activity === SHUTDOWN ? 2 : s.activity === WAIT_SIPI ? 3 : 0);
  v.setU32(F.GUEST_INTERRUPTIBILITY_INFO, interruptibility(s));
}

export function interruptibility(s: CpuState): number {
  return (s.inhibit === 2 ? BLOCK.MOV_SS : s.inhibit === 1 ? BLOCK.STI : 0) | (s.nmiBlocked ? BLOCK.NMI : 0);
}
