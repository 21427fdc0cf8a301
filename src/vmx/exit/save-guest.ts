/**
 * Saving guest state at VM exit (SDM Vol. 3C 28.3): the registers VM entry
 * loaded, as they are when the exit occurs, plus the non-register state.
 */
import type { CpuState } from "../../guest-cpu/state";
import { HLT, SHUTDOWN, WAIT_SIPI } from "../../guest-cpu/state";
import { RSP } from "../../guest-cpu/registers";
import { wnum, type VmcsAccess } from "../access";
import { BLOCK, EXIT } from "../ctl";
import { MSR, readMsr } from "../msr";
import { SEG_FIELDS } from "../segments";

export function saveGuestState(s: CpuState, v: VmcsAccess, exitCtl: number): void {
  wnum(v, "GUEST_CR0", s.cr0 >>> 0);
  wnum(v, "GUEST_CR3", s.cr3);
  wnum(v, "GUEST_CR4", s.cr4 >>> 0);
  if (exitCtl & EXIT.SAVE_DEBUG) {
    wnum(v, "GUEST_DR7", s.dr[7]!);
    v.write("GUEST_IA32_DEBUGCTL", readMsr(s, MSR.DEBUGCTL));
  }
  v.write("GUEST_SYSENTER_CS", readMsr(s, MSR.SYSENTER_CS) & 0xffff_ffffn);
  v.write("GUEST_SYSENTER_ESP", readMsr(s, MSR.SYSENTER_ESP));
  v.write("GUEST_SYSENTER_EIP", readMsr(s, MSR.SYSENTER_EIP));
  if (exitCtl & EXIT.SAVE_PAT) v.write("GUEST_IA32_PAT", readMsr(s, MSR.PAT));
  if (exitCtl & EXIT.SAVE_EFER) wnum(v, "GUEST_IA32_EFER", s.efer >>> 0);
  for (let i = 0; i < 8; i++) {
    const f = SEG_FIELDS[i]!;
    wnum(v, f.sel, s.segSel[i]!);
    wnum(v, f.base, s.segBase[i]!);
    wnum(v, f.limit, s.segLimit[i]! >>> 0);
    wnum(v, f.ar, s.segAr[i]! & 0x1f0ff);
  }
  wnum(v, "GUEST_GDTR_BASE", s.gdtrBase);
  wnum(v, "GUEST_GDTR_LIMIT", s.gdtrLimit);
  wnum(v, "GUEST_IDTR_BASE", s.idtrBase);
  wnum(v, "GUEST_IDTR_LIMIT", s.idtrLimit);
  saveRipRspFlags(s, v);
  wnum(v, "GUEST_ACTIVITY_STATE", s.activity === HLT ? 1 : s.activity === SHUTDOWN ? 2 : s.activity === WAIT_SIPI ? 3 : 0);
  wnum(v, "GUEST_INTERRUPTIBILITY_INFO", interruptibility(s));
}

export function saveRipRspFlags(s: CpuState, v: VmcsAccess): void {
  wnum(v, "GUEST_RIP", s.rip);
  v.write("GUEST_RSP", (BigInt(s.hi[RSP]! >>> 0) << 32n) | BigInt(s.lo[RSP]! >>> 0));
  wnum(v, "GUEST_RFLAGS", s.rflags >>> 0);
}

export function interruptibility(s: CpuState): number {
  return (s.inhibit === 2 ? BLOCK.MOV_SS : s.inhibit === 1 ? BLOCK.STI : 0) | (s.nmiBlocked ? BLOCK.NMI : 0);
}
