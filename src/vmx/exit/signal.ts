/**
 * The object an intercept throws when an operation causes a VM exit (SDM
 * Vol. 3C 26.1, 26.2). The interpreter abandons the instruction before any
 * side effect; the run loop hands the object to the engine (cpu.onSignal),
 * which performs the VM exit with these exit-information fields (28.2).
 * Not an Error: no stack is captured on this path.
 */
export interface ExitExtra {
  /** VMX_INSTRUCTION_INFO (28.2.4 Tables 28-8 .. 28-14). */
  instrInfo?: number;
  /** GUEST_LINEAR_ADDRESS (28.2.1). */
  gla?: number;
  /** GUEST_PHYSICAL_ADDRESS (EPT violations and misconfigurations). */
  gpa?: number;
  /** VM_EXIT_INTR_INFO and VM_EXIT_INTR_ERROR_CODE (28.2.2). */
  intrInfo?: number;
  intrError?: number;
}

const NONE: ExitExtra = {};

export class VmExit {
  constructor(
    /** Basic exit reason (SDM Appendix C). */
    readonly basic: number,
    /** EXIT_QUALIFICATION. */
    readonly qualification: number | bigint = 0,
    /** VM_EXIT_INSTRUCTION_LEN (0 when the exit is not due to an instruction). */
    readonly instrLen = 0,
    readonly extra: ExitExtra = NONE,
  ) {}
}
