/** VMXON and VMXOFF (SDM Vol. 3C 31.3; entering and leaving VMX operation, 24.7, 24.8). */
import { CpuFault, GP, UD } from "../../guest-cpu/exceptions";
import { OP } from "../../guest-cpu/intercept";
import { CR4 } from "../../guest-cpu/registers";
import { FEATURE_CONTROL } from "../../vmcs/capabilities";
import { fixedOk } from "../entry/bits";
import { VM_ERROR } from "../vm-errors";
import {
  FAIL_INVALID, gpUnlessCpl0, OK, type Operand, operand, u64, udUnlessInVmx, udUnlessVmxMode, validPointer,
  type VmxContext, vmfail, type VmxResult, exitNonRoot,
} from "./common";

/** Are CR0 and CR4 values supported in VMX operation (IA32_VMX_CR0/CR4_FIXED0/1, SDM Vol. 3D A.7, A.8)? */
export function crValuesAllowed(c: VmxContext): boolean {
  const caps = c.state.caps;
  return fixedOk(BigInt(c.s.cr0 >>> 0), caps.cr0Fixed0, caps.cr0Fixed1) && fixedOk(BigInt(c.s.cr4 >>> 0), caps.cr4Fixed0, caps.cr4Fixed1);
}

/** VMXON m64: the operand holds the physical address of the VMXON region. */
export function vmxon(c: VmxContext, pointer: Operand<bigint | number>): VmxResult {
  const s = c.s, st = c.state;
  if (!st.caps.vmx || !(s.cr4 & CR4.VMXE)) throw new CpuFault(UD);
  udUnlessVmxMode(s);
  if (!st.inVmxOperation) {
    const fc = st.featureControl;
    // Never in SMX operation (no GETSEC[SENTER]): the "outside SMX" enable bit governs.
    if (s.cpl > 0 || !crValuesAllowed(c) || !(fc & FEATURE_CONTROL.LOCK) || !(fc & FEATURE_CONTROL.VMX_OUTSIDE_SMX)) {
      throw new CpuFault(GP, 0);
    }
    const addr = u64(operand(pointer));
    if (!validPointer(c, addr)) return FAIL_INVALID;
    const rev = c.mem.read32(Number(addr)) >>> 0;
    if ((rev & 0x7fff_ffff) !== st.caps.revisionId || rev & 0x8000_0000) return FAIL_INVALID;
    st.inVmxOperation = true;
    st.vmxonPointer = Number(addr);
    st.current = null;
    return OK;
  }
  if (st.nonRoot) exitNonRoot(c, OP.VMXON);
  gpUnlessCpl0(s);
  return vmfail(c, VM_ERROR.VMXON_IN_VMX_ROOT_OPERATION);
}

/** VMXOFF: leaves VMX operation. Active VMCSs not cleared first are lost (their data never reaches memory). */
export function vmxoff(c: VmxContext): VmxResult {
  const st = c.state;
  udUnlessInVmx(c);
  if (st.nonRoot) exitNonRoot(c, OP.VMXOFF);
  gpUnlessCpl0(c.s);
  if (st.dualMonitor) return vmfail(c, VM_ERROR.VMXOFF_UNDER_DUAL_MONITOR_TREATMENT_OF_SMIS_AND_SMM);
  for (const v of st.cache.values()) if (v.launched) st.lostAtVmxoff.add(v.address);
  st.reset();
  return OK;
}
