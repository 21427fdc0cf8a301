/**
 * Events taken at instruction boundaries (SDM Vol. 3A 6.8, 6.9): NMI, then
 * a maskable external interrupt from the INTR line when RFLAGS.IF = 1 and no
 * STI/MOV SS shadow blocks it. Both wake a halted processor. In VMX non-root
 * operation the VMX layer's boundary hook runs first and takes the events the
 * VM-execution controls turn into VM exits; what is left is delivered here
 * through the (guest) IDT.
 */
import { deliver, EV_EXT_INT, EV_NMI, type Event } from "./interrupts";
import { FLAG } from "./registers";
import { ACTIVE, HLT, type CpuState } from "./state";

/** Delivers a pending NMI or external interrupt; returns true when one was delivered. Faults escape to the caller. */
export function takeEvent(s: CpuState): boolean {
  if (s.nmiPending && !s.nmiBlocked && s.inhibit !== 2) {
    s.nmiPending = false;
    s.nmiBlocked = true; // until the next IRET (SDM Vol. 3A 6.7.1)
    deliverExternal(s, { vector: 2, type: EV_NMI, errorCode: -1, returnRip: s.rip });
    return true;
  }
  const line = s.intr;
  if (line !== null && s.rflagsRest & FLAG.IF && s.inhibit === 0 && line.pending()) {
    const vector = line.acknowledge();
    deliverExternal(s, { vector, type: EV_EXT_INT, errorCode: -1, returnRip: s.rip });
    return true;
  }
  return false;
}

function deliverExternal(s: CpuState, ev: Event): void {
  if (s.activity === HLT) s.activity = ACTIVE;
  s.icpt?.delivering?.(s, ev);
  deliver(s, ev);
  s.icpt?.delivered?.(s);
}
