/**
 * Loading host state at VM exit (SDM Vol. 3C 28.5): control registers, MSRs
 * per the VM-exit controls, flat segments built from the host selectors
 * (28.5.2), GDTR/IDTR bases with limits FFFFH, RIP/RSP from the host fields
 * and RFLAGS = 2.
 */
import type { CpuState } from "../../guest-cpu/state";
import { ACTIVE } from "../../guest-cpu/state";
import { AR, CR0, CS, EFER, FS, GS, LDTR, RSP, TR } from "../../guest-cpu/registers";
import { r32, rnat, type VmcsAccess } from "../access";
import { EXIT } from "../ctl";
import { MSR, writeMsr } from "../msr";

const HOST_SEGS = ["ES", "CS", "SS", "DS", "FS", "GS"];
/** CR0 bits VM exit leaves unchanged (28.5.1): reserved bits 28:19, 17, 15:6 and ET. */
const CR0_KEEP = 0x1ffa_ffd0;

export function loadHostState(s: CpuState, v: VmcsAccess, exitCtl: number): void {
  const host64 = (exitCtl & EXIT.HOST_64) !== 0;
  s.cr0 = ((s.cr0 & CR0_KEEP) | (r32(v, "HOST_CR0") & ~CR0_KEEP)) | CR0.ET;
  s.cr3 = rnat(v, "HOST_CR3");
  s.cr4 = r32(v, "HOST_CR4");
  // DR7 ← 400H, IA32_DEBUGCTL ← 0 (28.5.1).
  s.dr[7] = 0x400;
  writeMsr(s, MSR.DEBUGCTL, 0n);
  writeMsr(s, MSR.SYSENTER_CS, v.read("HOST_IA32_SYSENTER_CS") & 0xffff_ffffn);
  writeMsr(s, MSR.SYSENTER_ESP, v.read("HOST_IA32_SYSENTER_ESP"));
  writeMsr(s, MSR.SYSENTER_EIP, v.read("HOST_IA32_SYSENTER_EIP"));
  if (exitCtl & EXIT.LOAD_PERF_GLOBAL) writeMsr(s, MSR.PERF_GLOBAL_CTRL, v.read("HOST_IA32_PERF_GLOBAL_CTRL"));
  if (exitCtl & EXIT.LOAD_PAT) writeMsr(s, MSR.PAT, v.read("HOST_IA32_PAT"));
  if (exitCtl & EXIT.LOAD_EFER) {
    s.efer = r32(v, "HOST_IA32_EFER");
  } else {
    s.efer = host64 ? s.efer | EFER.LMA | EFER.LME : s.efer & ~(EFER.LMA | EFER.LME);
  }
  for (let i = 0; i < 6; i++) {
    const sel = r32(v, `HOST_${HOST_SEGS[i]}_SELECTOR`) & 0xffff;
    s.segSel[i] = sel;
    s.segBase[i] = 0;
    s.segLimit[i] = 0xffff_ffff;
    if (i === CS) {
      // Type 11 (execute/read, accessed), S, DPL 0, P, L = host address-space size, D = !L, G.
      s.segAr[i] = 0xb | AR.S | AR.P | AR.G | (host64 ? AR.L : AR.DB);
    } else {
      // Type 3 (read/write, accessed), S, DPL 0, P, D/B, G; a null selector makes the register unusable (SS stays usable in 64-bit hosts' sense of a null SS).
      s.segAr[i] = 0x3 | AR.S | AR.P | AR.DB | AR.G | (sel === 0 ? AR.UNUSABLE : 0);
    }
  }
  s.segBase[FS] = rnat(v, "HOST_FS_BASE");
  s.segBase[GS] = rnat(v, "HOST_GS_BASE");
  s.segSel[TR] = r32(v, "HOST_TR_SELECTOR") & 0xffff;
  s.segBase[TR] = rnat(v, "HOST_TR_BASE");
  s.segLimit[TR] = 0x67;
  s.segAr[TR] = 0xb | AR.P;
  s.segSel[LDTR] = 0;
  s.segBase[LDTR] = 0;
  s.segLimit[LDTR] = 0;
  s.segAr[LDTR] = AR.UNUSABLE;
  s.gdtrBase = rnat(v, "HOST_GDTR_BASE");
  s.gdtrLimit = 0xffff;
  s.idtrBase = rnat(v, "HOST_IDTR_BASE");
  s.idtrLimit = 0xffff;
  s.rip = rnat(v, "HOST_RIP");
  const rsp = v.read("HOST_RSP");
  s.lo[RSP] = Number(rsp & 0xffff_ffffn) | 0;
  s.hi[RSP] = Number(rsp >> 32n) | 0;
  s.rflags = 0x2;
  s.activity = ACTIVE;
  s.inhibit = 0;
  s.updateMode();
}
