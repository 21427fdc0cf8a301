/**
 * VMREAD and VMWRITE (SDM Vol. 3C 31.3) on the current VMCS. Encodings come
 * from src/vmcs/fields.ts; the high access type works on 64-bit fields only
 * (25.11.2). Width semantics: a read zero-extends a shorter field; a write
 * ignores source bits beyond the field and clears field bits beyond a
 * 32-bit source outside 64-bit mode (the interpreter passes the value
 * zero-extended). vmxlab never enables VMCS shadowing, so both always exit
 * in non-root operation.
 */
import { OP } from "../../guest-cpu/intercept";
import { accessByEncodingValue, type FieldAccess } from "../../vmcs/fields";
import { VM_ERROR } from "../vm-errors";
import { FAIL_INVALID, gpUnlessCpl0, OK, ok, type Operand, operand, u64, udUnlessInVmx, type VmxContext, vmfail, type VmxResult, exitNonRoot } from "./common";

/** The component an encoding operand names on this processor, or undefined (error 12). */
export function supportedAccess(c: VmxContext, encoding: bigint | number): FieldAccess | undefined {
  const e = u64(encoding);
  if (e > 0xffff_ffffn) return undefined;
  const a = accessByEncodingValue(Number(e));
  return a && c.state.caps.supportsField(a) ? a : undefined;
}

export function vmread(c: VmxContext, encoding: bigint | number): VmxResult {
  const st = c.state;
  udUnlessInVmx(c);
  if (st.nonRoot) exitNonRoot(c, OP.VMREAD);
  gpUnlessCpl0(c.s);
  const cur = st.current;
  if (!cur) return FAIL_INVALID;
  const a = supportedAccess(c, encoding);
  if (!a) return vmfail(c, VM_ERROR.UNSUPPORTED_VMCS_COMPONENT);
  return ok(cur.readAccess(a));
}

export function vmwrite(c: VmxContext, encoding: bigint | number, value: Operand<bigint | number>): VmxResult {
  const st = c.state;
  udUnlessInVmx(c);
  if (st.nonRoot) exitNonRoot(c, OP.VMWRITE);
  gpUnlessCpl0(c.s);
  const cur = st.current;
  if (!cur) return FAIL_INVALID;
  const a = supportedAccess(c, encoding);
  if (!a) return vmfail(c, VM_ERROR.UNSUPPORTED_VMCS_COMPONENT);
  if (a.field.readOnly && (!st.caps.vmwriteAnyField || st.nonRoot)) return vmfail(c, VM_ERROR.VMWRITE_READ_ONLY_VMCS_COMPONENT);
  cur.writeAccess(a, u64(operand(value)));
  return OK;
}
