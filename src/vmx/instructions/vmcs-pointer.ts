/**
 * VMCLEAR, VMPTRLD, VMPTRST (SDM Vol. 3C 31.3) and the VMCS cache they
 * manage (25.11.1-25.11.3): VMPTRLD brings a region into the processor,
 * VMCLEAR writes it back and makes its launch state clear.
 */
import { OP } from "../../guest-cpu/intercept";
import { REGION, SHADOW_INDICATOR, Vmcs } from "../../vmcs/vmcs";
import { VM_ERROR } from "../vm-errors";
import { gpUnlessCpl0, OK, ok, type Operand, operand, u64, udUnlessInVmx, validPointer, type VmxContext, vmfail, type VmxResult, exitNonRoot } from "./common";

export function vmclear(c: VmxContext, pointer: Operand<bigint | number>): VmxResult {
  const st = c.state;
  udUnlessInVmx(c);
  if (st.nonRoot) exitNonRoot(c, OP.VMCLEAR);
  gpUnlessCpl0(c.s);
  const addr = u64(operand(pointer));
  if (!validPointer(c, addr)) return vmfail(c, VM_ERROR.VMCLEAR_INVALID_ADDRESS);
  const a = Number(addr);
  if (a === st.vmxonPointer) return vmfail(c, VM_ERROR.VMCLEAR_VMXON_POINTER);
  const cached = st.cache.get(a);
  if (cached) {
    cached.launched = false;
    cached.flushTo(c.mem);
    st.cache.delete(a);
  } else {
    c.mem.write32(a + REGION.LAUNCH_STATE, 0);
  }
  st.lostAtVmxoff.delete(a);
  if (st.current?.address === a) st.current = null;
  return OK;
}

export function vmptrld(c: VmxContext, pointer: Operand<bigint | number>): VmxResult {
  const st = c.state;
  udUnlessInVmx(c);
  if (st.nonRoot) exitNonRoot(c, OP.VMPTRLD);
  gpUnlessCpl0(c.s);
  const addr = u64(operand(pointer));
  if (!validPointer(c, addr)) return vmfail(c, VM_ERROR.VMPTRLD_INVALID_ADDRESS);
  const a = Number(addr);
  if (a === st.vmxonPointer) return vmfail(c, VM_ERROR.VMPTRLD_VMXON_POINTER);
  const rev = c.mem.read32(a) >>> 0;
  if ((rev & 0x7fff_ffff) !== st.caps.revisionId || (rev & SHADOW_INDICATOR && !st.caps.vmcsShadowing)) {
    return vmfail(c, VM_ERROR.VMPTRLD_INCORRECT_VMCS_REVISION_ID);
  }
  let v = st.cache.get(a);
  if (!v) {
    v = Vmcs.loadFrom(c.mem, a);
    st.cache.set(a, v);
  }
  v.shadow = (rev & SHADOW_INDICATOR) !== 0;
  st.current = v;
  return OK;
}

/** VMPTRST m64: the value is the current-VMCS pointer (FFFFFFFF_FFFFFFFFH when none). */
export function vmptrst(c: VmxContext): VmxResult {
  const st = c.state;
  udUnlessInVmx(c);
  if (st.nonRoot) exitNonRoot(c, OP.VMPTRST);
  gpUnlessCpl0(c.s);
  return ok(st.currentPointer);
}
