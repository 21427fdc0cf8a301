/**
 * Loading guest state at VM entry (SDM Vol. 3C 27.3.2): control and debug
 * registers, MSRs per the VM-entry controls, segment registers with their
 * hidden parts, GDTR/IDTR, RIP/RSP/RFLAGS, and the non-register state
 * (activity, interruptibility). The CPU keeps access rights in the VMCS
 * format, so they are copied unchanged.
 */
import type { CpuState } from "../../guest-cpu/state";
import { ACTIVE, HLT, SHUTDOWN, WAIT_SIPI } from "../../guest-cpu/state";
import { CR0, EFER, RSP } from "../../guest-cpu/registers";
import { r32, rnat, type VmcsAccess } from "../access";
import { BLOCK, ENTRY } from "../ctl";
import { MSR, writeMsr } from "../msr";
import { SEG_FIELDS } from "../segments";

const ACTIVITY = [ACTIVE, HLT, SHUTDOWN, WAIT_SIPI];

export function loadGuestState(s: CpuState, v: VmcsAccess, entryCtl: number): void {
  const ia32e = (entryCtl & ENTRY.IA32E) !== 0;
  s.cr0 = r32(v, "GUEST_CR0") | CR0.ET;
  s.cr3 = rnat(v, "GUEST_CR3");
  s.cr4 = r32(v, "GUEST_CR4");
  if (entryCtl & ENTRY.LOAD_DEBUG) {
    s.dr[7] = rnat(v, "GUEST_DR7");
    writeMsr(s, MSR.DEBUGCTL, v.read("GUEST_IA32_DEBUGCTL"));
  }
  writeMsr(s, MSR.SYSENTER_CS, v.read("GUEST_SYSENTER_CS") & 0xffff_ffffn);
  writeMsr(s, MSR.SYSENTER_ESP, v.read("GUEST_SYSENTER_ESP"));
  writeMsr(s, MSR.SYSENTER_EIP, v.read("GUEST_SYSENTER_EIP"));
  if (entryCtl & ENTRY.LOAD_PERF_GLOBAL) writeMsr(s, MSR.PERF_GLOBAL_CTRL, v.read("GUEST_IA32_PERF_GLOBAL_CTRL"));
  if (entryCtl & ENTRY.LOAD_PAT) writeMsr(s, MSR.PAT, v.read("GUEST_IA32_PAT"));
  if (entryCtl & ENTRY.LOAD_EFER) {
    s.efer = r32(v, "GUEST_IA32_EFER");
  } else {
    // 27.3.2.1: LMA follows "IA-32e mode guest"; with CR0.PG = 1 so does LME.
    s.efer = ia32e ? s.efer | EFER.LMA : s.efer & ~EFER.LMA;
    if (s.cr0 & CR0.PG) s.efer = ia32e ? s.efer | EFER.LME : s.efer & ~EFER.LME;
  }
  for (let i = 0; i < 8; i++) {
    const f = SEG_FIELDS[i]!;
    s.segSel[i] = r32(v, f.sel) & 0xffff;
    s.segBase[i] = rnat(v, f.base);
    s.segLimit[i] = r32(v, f.limit);
    s.segAr[i] = r32(v, f.ar) & 0x1f0ff;
  }
  s.gdtrBase = rnat(v, "GUEST_GDTR_BASE");
  s.gdtrLimit = r32(v, "GUEST_GDTR_LIMIT") & 0xffff;
  s.idtrBase = rnat(v, "GUEST_IDTR_BASE");
  s.idtrLimit = r32(v, "GUEST_IDTR_LIMIT") & 0xffff;
  loadRipRspFlags(s, v);
  s.activity = ACTIVITY[r32(v, "GUEST_ACTIVITY_STATE")] ?? ACTIVE;
  const intr = r32(v, "GUEST_INTERRUPTIBILITY_INFO");
  s.inhibit = intr & BLOCK.MOV_SS ? 2 : intr & BLOCK.STI ? 1 : 0;
  s.nmiBlocked = (intr & BLOCK.NMI) !== 0;
  s.updateMode();
}

export function loadRipRspFlags(s: CpuState, v: VmcsAccess): void {
  s.rip = rnat(v, "GUEST_RIP");
  const rsp = v.read("GUEST_RSP");
  s.lo[RSP] = Number(rsp & 0xffff_ffffn) | 0;
  s.hi[RSP] = Number(rsp >> 32n) | 0;
  s.rflags = r32(v, "GUEST_RFLAGS");
}
