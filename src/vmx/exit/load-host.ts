/**
 * Loading host state at VM exit (SDM Vol. 3C 28.5): control registers, MSRs
 * per the VM-exit controls, flat segments built from the host selectors
 * (28.5.2), GDTR/IDTR bases with limits FFFFH, RIP/RSP from the host fields
 * and RFLAGS = 2.
 */
import type { CpuState } from "../../guest-cpu/state";
import { ACTIVE } from "../../guest-cpu/state";
import { AR, CR0, CS, EFER, FS, GS, LDTR, RSP, TR } from "../../guest-cpu/registers";
import { SLOT as F, type Vmcs } from "../../vmcs/vmcs";
import { EXIT } from "../ctl";
import { MSR, setMsrNum } from "../msr";
import { HOST_SEL_SLOTS } from "../segments";

/** CR0 bits VM exit leaves unchanged (28.5.1): reserved bits 28:19, 17, 15:6 and ET. */
const CR0_KEEP = 0x1ffa_ffd0;

export function loadHostState(s: CpuState, v: Vmcs, exitCtl: number): void {
  const host64 = (exitCtl & EXIT.HOST_64) !== 0;
  s.cr0 = ((s.cr0 & CR0_KEEP) | (v.u32(F.HOST_CR0) & ~CR0_KEEP)) | CR0.ET;
  s.cr3 = v.num(F.HOST_CR3);
  s.cr4 = v.u32(F.HOST_CR4);
  // DR7 ← 400H, IA32_DEBUGCTL ← 0 (28.5.1).
  s.dr[7] = 0x400;
  if (s.msrs.has(MSR.DEBUGCTL)) s.msrs.set(MSR.DEBUGCTL, 0n);
  setMsrNum(s, MSR.SYSENTER_CS, v.u32(F.HOST_IA32_SYSENTER_CS));
  setMsrNum(s, MSR.SYSENTER_ESP, v.num(F.HOST_IA32_SYSENTER_ESP));
  setMsrNum(s, MSR.SYSENTER_EIP, v.num(F.HOST_IA32_SYSENTER_EIP));
  if (exitCtl & EXIT.LOAD_PERF_GLOBAL) s.msrs.set(MSR.PERF_GLOBAL_CTRL, v.get(F.HOST_IA32_PERF_GLOBAL_CTRL));
  if (exitCtl & EXIT.LOAD_PAT) s.msrs.set(MSR.PAT, v.get(F.HOST_IA32_PAT));
  if (exitCtl & EXIT.LOAD_EFER) {
    s.efer = v.u32(F.HOST_IA32_EFER);
  } else {
    s.efer = host64 ? s.efer | EFER.LMA | EFER.LME : s.efer & ~(EFER.LMA | EFER.LME);
  }
  for (let i = 0; i < 6; i++) {
    const sel = v.u32(HOST_SEL_SLOTS[i]!) & 0xffff;
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
  s.segBase[FS] = v.num(F.HOST_FS_BASE);
  s.segBase[GS] = v.num(F.HOST_GS_BASE);
  s.segSel[TR] = v.u32(F.HOST_TR_SELECTOR) & 0xffff;
  s.segBase[TR] = v.num(F.HOST_TR_BASE);
  s.segLimit[TR] = 0x67;
  s.segAr[TR] = 0xb | AR.P;
  s.segSel[LDTR] = 0;
  s.segBase[LDTR] = 0;
  s.segLimit[LDTR] = 0;
  s.segAr[LDTR] = AR.UNUSABLE;
  s.gdtrBase = v.num(F.HOST_GDTR_BASE);
  s.gdtrLimit = 0xffff;
  s.idtrBase = v.num(F.HOST_IDTR_BASE);
  s.idtrLimit = 0xffff;
  s.rip = v.num(F.HOST_RIP);
  s.lo[RSP] = v.lo[F.HOST_RSP]!;
  s.hi[RSP] = v.hi[F.HOST_RSP]!;
  s.rflags = 0x2;
  s.activity = ACTIVE;
  s.inhibit = 0;
  s.updateMode();
}
