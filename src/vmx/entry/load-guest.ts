/**
 * Loading guest state at VM entry (SDM Vol. 3C 27.3.2): control and debug
 * registers, MSRs per the VM-entry controls, segment registers with their
 * hidden parts, GDTR/IDTR, RIP/RSP/RFLAGS, and the non-register state
 * (activity, interruptibility). The CPU keeps access rights in the VMCS
 * format, so they are copied unchanged. Reads use the VMCS's numeric slots
 * (no BigInt on this path).
 */
import type { CpuState } from "../../guest-cpu/state";
import { ACTIVE, HLT, SHUTDOWN, WAIT_SIPI } from "../../guest-cpu/state";
import { CR0, EFER, RSP } from "../../guest-cpu/registers";
import { SLOT as F, type Vmcs } from "../../vmcs/vmcs";
import { BLOCK, ENTRY } from "../ctl";
import { MSR, setMsrNum } from "../msr";
import { SEG_SLOTS } from "../segments";

const ACTIVITY = [ACTIVE, HLT, SHUTDOWN, WAIT_SIPI];

export function loadGuestState(s: CpuState, v: Vmcs, entryCtl: number): void {
  const ia32e = (entryCtl & ENTRY.IA32E) !== 0;
  s.cr0 = v.u32(F.GUEST_CR0) | CR0.ET;
  s.cr3 = v.num(F.GUEST_CR3);
  s.cr4 = v.u32(F.GUEST_CR4);
  if (entryCtl & ENTRY.LOAD_DEBUG) {
    s.dr[7] = v.num(F.GUEST_DR7);
    s.msrs.set(MSR.DEBUGCTL, v.get(F.GUEST_IA32_DEBUGCTL));
  }
  setMsrNum(s, MSR.SYSENTER_CS, v.u32(F.GUEST_SYSENTER_CS));
  setMsrNum(s, MSR.SYSENTER_ESP, v.num(F.GUEST_SYSENTER_ESP));
  setMsrNum(s, MSR.SYSENTER_EIP, v.num(F.GUEST_SYSENTER_EIP));
  if (entryCtl & ENTRY.LOAD_PERF_GLOBAL) s.msrs.set(MSR.PERF_GLOBAL_CTRL, v.get(F.GUEST_IA32_PERF_GLOBAL_CTRL));
  if (entryCtl & ENTRY.LOAD_PAT) s.msrs.set(MSR.PAT, v.get(F.GUEST_IA32_PAT));
  if (entryCtl & ENTRY.LOAD_EFER) {
    s.efer = v.u32(F.GUEST_IA32_EFER);
  } else {
    // 27.3.2.1: LMA follows "IA-32e mode guest"; with CR0.PG = 1 so does LME.
    s.efer = ia32e ? s.efer | EFER.LMA : s.efer & ~EFER.LMA;
    if (s.cr0 & CR0.PG) s.efer = ia32e ? s.efer | EFER.LME : s.efer & ~EFER.LME;
  }
  const S = SEG_SLOTS;
  for (let i = 0; i < 8; i++) {
    s.segSel[i] = v.u32(S.sel[i]!) & 0xffff;
    s.segBase[i] = v.num(S.base[i]!);
    s.segLimit[i] = v.u32(S.limit[i]!);
    s.segAr[i] = v.u32(S.ar[i]!) & 0x1f0ff;
  }
  s.gdtrBase = v.num(F.GUEST_GDTR_BASE);
  s.gdtrLimit = v.u32(F.GUEST_GDTR_LIMIT) & 0xffff;
  s.idtrBase = v.num(F.GUEST_IDTR_BASE);
  s.idtrLimit = v.u32(F.GUEST_IDTR_LIMIT) & 0xffff;
  s.rip = v.num(F.GUEST_RIP);
  s.lo[RSP] = v.lo[F.GUEST_RSP]!;
  s.hi[RSP] = v.hi[F.GUEST_RSP]!;
  s.rflags = v.u32(F.GUEST_RFLAGS);
  s.activity = ACTIVITY[v.u32(F.GUEST_ACTIVITY_STATE)] ?? ACTIVE;
  const intr = v.u32(F.GUEST_INTERRUPTIBILITY_INFO);
  s.inhibit = intr & BLOCK.MOV_SS ? 2 : intr & BLOCK.STI ? 1 : 0;
  s.nmiBlocked = (intr & BLOCK.NMI) !== 0;
  s.updateMode();
}
