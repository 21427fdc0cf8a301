/**
 * VMCALL and VMFUNC outside non-root operation (SDM Vol. 3C 31.3). In
 * non-root operation VMCALL always exits and VMFUNC is the engine's (it
 * performs EPTP switching or exits); in root operation VMCALL only fails,
 * because vmxlab never activates the dual-monitor treatment of SMIs and SMM
 * (IA32_SMM_MONITOR_CTL[0] = 0).
 */
import { CpuFault, UD } from "../../guest-cpu/exceptions";
import { OP } from "../../guest-cpu/intercept";
import { AR, CS, EFER, FLAG } from "../../guest-cpu/registers";
import { VM_ERROR } from "../vm-errors";
import { gpUnlessCpl0, OK, type VmxContext, vmfail, type VmxResult, exitNonRoot } from "./common";

export function vmcall(c: VmxContext): VmxResult {
  const s = c.s, st = c.state;
  if (!st.inVmxOperation) throw new CpuFault(UD);
  if (st.nonRoot) exitNonRoot(c, OP.VMCALL);
  if (s.rflagsRest & FLAG.VM || (s.efer & EFER.LMA && !(s.segAr[CS]! & AR.L))) throw new CpuFault(UD);
  gpUnlessCpl0(s);
  return vmfail(c, VM_ERROR.VMCALL_IN_VMX_ROOT_OPERATION);
}

/**
 * VMFUNC: #UD outside non-root operation. In non-root operation the
 * interpreter has already handed it to the engine's intercept, which
 * performed the VM function or exited; nothing is left to do here.
 */
export function vmfunc(c: VmxContext): VmxResult {
  if (!c.state.nonRoot) throw new CpuFault(UD);
  return OK;
}
