/**
 * Signals nested paging throws from inside a guest memory access. They are
 * not CPU faults: the run loop hands them to the VMX layer (Cpu.onSignal),
 * which turns them into VM exits (EPT_VIOLATION 48, EPT_MISCONFIG 49) or, for
 * NPT, a #VMEXIT(NPF). The access is abandoned before any side effect.
 * Plain classes, not Errors: no stack is captured on this path.
 */

/** SDM Vol. 3C 29.3.3.2; fields as the VM exit stores them (28.2.1 Table 28-7, 28.2.2 / 28.2.3 fields). */
export class EptViolation {
  readonly kind = "ept-violation";
  constructor(
    /** Exit qualification (Table 28-7); bit 12 (NMI unblocking) is the VMX layer's to add. */
    readonly qualification: number,
    /** Guest-physical address of the access (a guest paging-structure entry or the final address). */
    readonly gpa: number,
    /** Guest-linear address (meaningful when qualification bit 7 is set). */
    readonly gla: number,
    /** Level (0 = root) of the EPT entry that was not present or denied the access, for labs. */
    readonly level: number,
  ) {}
}

/** SDM Vol. 3C 29.3.3.1: an EPT entry holds a reserved setting. Only the guest-physical address is reported. */
export class EptMisconfig {
  readonly kind = "ept-misconfig";
  constructor(
    readonly gpa: number,
    /** Level (0 = root) of the misconfigured entry, for labs. */
    readonly level: number,
  ) {}
}

/** APM Vol. 2 15.25.6: #VMEXIT(NPF) with EXITINFO1 = error code and fault location, EXITINFO2 = guest-physical address. */
export class NestedPageFault {
  readonly kind = "nested-page-fault";
  constructor(
    readonly exitInfo1: number,
    readonly exitInfo2: number,
    readonly level: number,
  ) {}
}

export type NestedSignal = EptViolation | EptMisconfig | NestedPageFault;

export function isNestedSignal(x: unknown): x is NestedSignal {
  return x instanceof EptViolation || x instanceof EptMisconfig || x instanceof NestedPageFault;
}
