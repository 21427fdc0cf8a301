/**
 * What every VMX instruction shares: the context it runs in, its three
 * architectural outcomes (SDM Vol. 3C 31.2 "Conventions": VMsucceed,
 * VMfailInvalid, VMfailValid(ErrorNumber)), and the checks that come first
 * in most pseudo-code listings (#UD outside VMX operation or in the wrong
 * mode, #GP(0) at CPL > 0).
 */
import { internalError } from "../../common/errors";
import { CpuFault, GP, UD } from "../../guest-cpu/exceptions";
import type { SensitiveOp } from "../../guest-cpu/intercept";
import { setArith } from "../../guest-cpu/flags";
import { AR, CR0, CS, EFER, FLAG } from "../../guest-cpu/registers";
import type { CpuState } from "../../guest-cpu/state";
import type { HostMemory } from "../../memory/host-memory";
import { SLOT } from "../../vmcs/fields";
import type { VmxState } from "../state";
import type { VmErrorNumber } from "../vm-errors";

/** A VMX instruction runs on one processor: its registers, its VMX state and physical memory. */
export interface VmxContext {
  readonly s: CpuState;
  readonly state: VmxState;
  readonly mem: HostMemory;
  /**
   * Hands a VMX instruction executed in non-root operation to the engine's
   * intercept (`cpu.s.icpt.instruction`), which throws the VM exit (or, for
   * VMFUNC, may perform the function and return). `op` is an OP.* value of
   * guest-cpu/intercept.ts. From TypeScript (no instruction) it is an
   * internal error: the VMM runs in root operation.
   */
  intercept(op: SensitiveOp): void;
}

/** "ELSIF in VMX non-root operation THEN VM exit" (every VMX instruction exits unconditionally, SDM 26.1.2). */
export function exitNonRoot(c: VmxContext, op: SensitiveOp): never {
  c.intercept(op);
  throw internalError(`the VM-exit intercept let VMX instruction ${op} run in non-root operation`);
}

/** A source operand, read only when the pseudo-code reads it (faults on it come after the earlier checks). */
export type Operand<T> = T | (() => T);

export function operand<T>(o: Operand<T>): T {
  return typeof o === "function" ? (o as () => T)() : o;
}

/**
 * The outcome of a VMX instruction as software sees it. `ok` may carry the
 * value VMREAD/VMPTRST produced; `entered` means VMLAUNCH/VMRESUME left root
 * operation (or took a VM-entry-failure exit): RIP now belongs to the engine.
 */
export type VmxResult =
  | { readonly kind: "ok"; readonly value?: bigint }
  | { readonly kind: "entered" }
  | { readonly kind: "failInvalid" }
  | { readonly kind: "failValid"; readonly error: VmErrorNumber };

export const OK: VmxResult = Object.freeze({ kind: "ok" });
export const FAIL_INVALID: VmxResult = Object.freeze({ kind: "failInvalid" });

export function ok(value?: bigint): VmxResult {
  return value === undefined ? OK : { kind: "ok", value };
}

/**
 * VMfail(ErrorNumber): VMfailValid with the error stored in the current
 * VMCS when there is one, VMfailInvalid otherwise (SDM 31.2).
 */
export function vmfail(c: VmxContext, error: VmErrorNumber): VmxResult {
  const cur = c.state.current;
  if (!cur) return FAIL_INVALID;
  cur.setU32(SLOT.VM_INSTRUCTION_ERROR, error);
  return { kind: "failValid", error };
}

/** RFLAGS after the instruction: VMsucceed clears CF PF AF ZF SF OF; VMfailInvalid sets CF; VMfailValid sets ZF. */
export function applyFlags(s: CpuState, r: VmxResult): void {
  if (r.kind === "entered") return;
  setArith(s.f, r.kind === "failInvalid" ? FLAG.CF : r.kind === "failValid" ? FLAG.ZF : 0);
}

/** Compatibility mode: IA32_EFER.LMA = 1 and CS.L = 0. */
function compatMode(s: CpuState): boolean {
  return (s.efer & EFER.LMA) !== 0 && (s.segAr[CS]! & AR.L) === 0;
}

/** (CR0.PE = 0) or (RFLAGS.VM = 1) or compatibility mode → #UD: every VMX instruction's first test. */
export function udUnlessVmxMode(s: CpuState): void {
  if (!(s.cr0 & CR0.PE) || s.rflagsRest & FLAG.VM || compatMode(s)) throw new CpuFault(UD);
}

/** #UD outside VMX operation or in the wrong mode (VMXOFF, VMCLEAR, VMPTRLD, VMREAD, ... listings). */
export function udUnlessInVmx(c: VmxContext): void {
  if (!c.state.inVmxOperation) throw new CpuFault(UD);
  udUnlessVmxMode(c.s);
}

export function gpUnlessCpl0(s: CpuState): void {
  if (s.cpl > 0) throw new CpuFault(GP, 0);
}

/**
 * A VMXON/VMCS pointer is valid when 4-KiB aligned and within the
 * physical-address width (SDM 31.3 VMXON, VMCLEAR, VMPTRLD).
 */
export function validPointer(c: VmxContext, addr: bigint): boolean {
  if ((addr & 0xfffn) !== 0n) return false;
  return addr >> BigInt(c.state.caps.physAddrWidth) === 0n;
}

/** 64-bit unsigned view of a pointer given as number or bigint. */
export function u64(v: bigint | number): bigint {
  return BigInt.asUintN(64, typeof v === "bigint" ? v : BigInt(v));
}
