/**
 * VMLAUNCH and VMRESUME up to VM entry (SDM Vol. 3C 31.3, 27.1): the
 * instruction-level checks, then the engine's entry (`VmxState.onEnter`),
 * which runs the control/host/guest checks of SDM 27.2-27.3.
 */
import { OP } from "../../guest-cpu/intercept";
import { internalError } from "../../common/errors";
import { VM_ERROR, type VmErrorNumber } from "../vm-errors";
import { FAIL_INVALID, gpUnlessCpl0, udUnlessInVmx, type VmxContext, vmfail, type VmxResult, exitNonRoot } from "./common";

/** CpuState.inhibit value after MOV SS / POP SS (blocking by MOV SS, SDM Vol. 3A 6.8.3). */
const INHIBIT_MOV_SS = 2;

const ENTERED: VmxResult = Object.freeze({ kind: "entered" });

export function vmlaunch(c: VmxContext): VmxResult {
  return vmenter(c, true);
}

export function vmresume(c: VmxContext): VmxResult {
  return vmenter(c, false);
}

export function vmenter(c: VmxContext, launch: boolean): VmxResult {
  const st = c.state;
  udUnlessInVmx(c);
  if (st.nonRoot) exitNonRoot(c, launch ? OP.VMLAUNCH : OP.VMRESUME);
  gpUnlessCpl0(c.s);
  const cur = st.current;
  // A shadow VMCS cannot be used for VM entry (SDM 25.10).
  if (!cur || cur.shadow) return FAIL_INVALID;
  if (c.s.inhibit === INHIBIT_MOV_SS) return vmfail(c, VM_ERROR.ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
  if (launch && cur.launched) return vmfail(c, VM_ERROR.VMLAUNCH_NONCLEAR_VMCS);
  if (!launch && st.lostAtVmxoff.has(cur.address)) return vmfail(c, VM_ERROR.VMRESUME_AFTER_VMXOFF);
  if (!launch && !cur.launched) return vmfail(c, VM_ERROR.VMRESUME_NONLAUNCHED_VMCS);
  const enter = st.onEnter;
  if (!enter) throw internalError(`${launch ? "VMLAUNCH" : "VMRESUME"}: no VM-entry engine is attached to this processor`);
  const r = enter(cur, launch);
  if (r && r.kind === "failValid") return vmfail(c, r.error as VmErrorNumber);
  // A fresh VMLAUNCH gives the VMCS a new life: VMRESUME is fine again afterwards.
  if (launch && cur.launched) st.lostAtVmxoff.delete(cur.address);
  return ENTERED;
}
