/**
 * Seams between the CPU and the rest of the machine. The CPU defines these
 * interfaces; src/vmx, src/devices and src/vmm implement them. All are
 * optional: a bare CPU has no VMX unit, an empty I/O bus and no interrupts.
 */
import type { Insn } from "./insn";
import type { CpuState } from "./state";

/** VMX instructions in root operation (src/vmx implements; absent → #UD as on a CPU without VMX). */
export interface VmxUnit {
  /**
   * Executes VMXON..VMFUNC/INVEPT/INVVPID/VMCALL/GETSEC (`op` is an OP.* value
   * of intercept.ts) after the non-root intercept declined. Called with
   * s.rip already at the next instruction: an instruction that completes
   * (VMsucceed/VMfail) leaves it there, VM entry loads the guest's RIP. A
   * thrown CpuFault (#UD, #GP, #PF on a memory operand) is a fault of the
   * instruction: the run loop puts RIP back on it. Operands: insn.ops
   * (memory operands' addresses via the emitter are not available here;
   * compute from insn.ops[i].m and the registers).
   */
  execute(s: CpuState, insn: Insn, op: number): void;
  /**
   * In VMX root operation, may CR0/CR4 take `value`? (SDM Vol. 3C 24.8: bits
   * fixed by IA32_VMX_CR0/CR4_FIXED0/1 cannot change; MOV to CR #GPs.)
   */
  crAllowed?(cr: 0 | 4, value: number): boolean;
}

/**
 * MSRs with behaviour outside the CPU core (IA32_VMX_* capabilities,
 * IA32_FEATURE_CONTROL, device MSRs). Providers are asked before the CPU's own
 * MSR table; `undefined` / `false` means "not mine".
 */
export interface MsrProvider {
  read(s: CpuState, index: number): bigint | undefined;
  write(s: CpuState, index: number, value: bigint): boolean;
}

/** Port I/O (IN/OUT/INS/OUTS). Values are zero-extended to `size` bytes. */
export interface IoBus {
  read(port: number, size: 1 | 2 | 4): number;
  write(port: number, size: 1 | 2 | 4, value: number): void;
}

/** Nothing decodes these ports: reads float high (all ones), writes vanish. */
export const EMPTY_IO_BUS: IoBus = {
  read: (_port, size) => (size === 4 ? 0xffff_ffff : size === 2 ? 0xffff : 0xff),
  write: () => {},
};

/** An interrupt controller's output to the CPU (INTR), as a minimal PIC/LAPIC presents it. */
export interface InterruptLine {
  /** Is an external interrupt requested (maskable, gated by RFLAGS.IF)? */
  pending(): boolean;
  /** INTA: the controller hands over the vector and clears the request. */
  acknowledge(): number;
}
