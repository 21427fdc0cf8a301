/**
 * The interface through which VMX non-root operation (src/vmx) intercepts
 * sensitive operations. The interpreter calls it only when CpuState.icpt is
 * set (non-root operation), so ordinary code pays nothing. A method that
 * decides the operation causes a VM exit throws (any object): the instruction
 * is abandoned before any side effect and RIP still points at it; the run
 * loop then hands the thrown object back to `completeExit`.
 */
import type { CpuFault } from "./exceptions";
import type { Insn } from "./insn";
import type { Event } from "./interrupts";
import type { CpuState } from "./state";

/** Instructions whose exit behaviour is a single decision (SDM Vol. 3C 26.1.2, 26.1.3). */
export const OP = {
  CPUID: 1, GETSEC: 2, HLT: 3, INVD: 4, INVLPG: 5, INVPCID: 6, RDPMC: 7, RDTSC: 8, RDTSCP: 9, RSM: 10,
  VMCALL: 11, VMCLEAR: 12, VMLAUNCH: 13, VMPTRLD: 14, VMPTRST: 15, VMREAD: 16, VMRESUME: 17, VMWRITE: 18,
  VMXOFF: 19, VMXON: 20, INVEPT: 21, INVVPID: 22, VMFUNC: 23, MONITOR: 24, MWAIT: 25, PAUSE: 26,
  WBINVD: 27, XSETBV: 28, RDRAND: 29, RDSEED: 30, SGDT: 31, SIDT: 32, LGDT: 33, LIDT: 34, SLDT: 35, STR: 36,
  LLDT: 37, LTR: 38, XSAVES: 39, XRSTORS: 40, ENCLS: 41, RDTSC_TSC: 42, UMWAIT: 43, TPAUSE: 44,
} as const;
export type SensitiveOp = (typeof OP)[keyof typeof OP];

/** Kinds of control-register access (the CR-access exit qualification's access type, SDM Table 28-3). */
export const CR_MOV_TO = 0, CR_MOV_FROM = 1, CR_CLTS = 2, CR_LMSW = 3;

export interface Intercept {
  /** Unconditional or control-bit exits; `arg` carries an operand when the exit reports one (INVLPG address). */
  instruction(s: CpuState, op: SensitiveOp, insn: Insn, arg?: number): void;
  /** MOV from CR: returns what the guest reads (CR0/CR4 read shadows for host-owned bits). */
  readCr(s: CpuState, insn: Insn, cr: number, gpr: number, value: number): number;
  /**
   * MOV to CR, CLTS, LMSW: returns the value to load (host-owned bits keep
   * their current values) or throws to exit. `gpr` is -1 for CLTS/LMSW;
   * for LMSW `value` is the 16-bit source operand, for the others the new CR value.
   */
  writeCr(s: CpuState, insn: Insn, cr: number, kind: number, gpr: number, value: number): number;
  movDr(s: CpuState, insn: Insn, dr: number, gpr: number, toDr: boolean): void;
  io(s: CpuState, insn: Insn, port: number, size: number, isIn: boolean, isString: boolean, isRep: boolean): void;
  msr(s: CpuState, insn: Insn, index: number, isWrite: boolean): void;
  /** Before an exception is delivered (exception bitmap, #PF error-code mask/match). */
  exception(s: CpuState, f: CpuFault): void;
  /** A triple fault in non-root operation is a VM exit, not a shutdown. */
  tripleFault(s: CpuState): void;
  /** An NMI or external interrupt is about to be delivered through the IDT (IDT-vectoring information if delivery exits). */
  delivering?(s: CpuState, ev: Event): void;
  /** Delivery of an event (exception, NMI, interrupt) through the IDT completed. */
  delivered?(s: CpuState): void;
  /** The TSC value the guest reads (TSC offsetting and scaling). */
  tsc(s: CpuState, hostTsc: number): number;
}
