/**
 * Exits that are events rather than instructions: exceptions and NMIs,
 * external interrupts, interrupt/NMI windows, the preemption timer, MTF,
 * triple fault and VM-entry failures.
 */
import { hex } from "../../common/u64";
import { vectorName, type InterruptionInfo } from "../qualification";
import type { Vcpu } from "../vcpu";
import type { Handler } from "./types";
import { setControl } from "./util";

/** Exception classes for double-fault detection (SDM Vol. 3A 6.15, Table 6-5). */
function exceptionClass(vector: number): "benign" | "contributory" | "page-fault" {
  if (vector === 14) return "page-fault";
  return [0, 10, 11, 12, 13].includes(vector) ? "contributory" : "benign";
}

function isException(i: InterruptionInfo): boolean {
  return i.type === "hardware-exception" || i.type === "software-exception" || i.type === "privileged-software-exception";
}

/**
 * Reflects the intercepted exception into the guest, as if the exception
 * bitmap had not caught it: #PF loads CR2 from the qualification and #DB sets
 * DR6 from it (a VM exit updates neither, SDM Vol. 3C 27.1). An exception
 * during delivery of another becomes #DF per Table 6-5, and one during #DF a
 * triple fault (shutdown).
 */
export const handleExceptionNmi: Handler = (vcpu) => {
  const e = vcpu.exit.interruption;
  if (!e.valid || e.type === "nmi") return vcpu.resume(); // the host took the NMI
  const vector = e.vector;
  if (vector === 14) vcpu.setReg("cr2", vcpu.exit.qualification.linearAddress);
  if (vector === 1) {
    const bits = vcpu.exit.qualification.raw & 0x600fn; // B0-B3, BD, BS: the same positions as in DR6
    vcpu.setReg("dr6", (vcpu.getReg("dr6") & ~0x600fn) | bits | 0xffff_0ff0n);
  }
  const prior = vcpu.exit.idtVectoring;
  if (prior.valid && isException(prior)) {
    if (prior.vector === 8) return vcpu.toUserspace("shutdown", { reason: `${vectorName(vector)} while delivering #DF (triple fault)` });
    const a = exceptionClass(prior.vector), b = exceptionClass(vector);
    if ((a === "contributory" && b === "contributory") || (a === "page-fault" && b !== "benign")) {
      return vcpu.inject({ vector: "DF", errorCode: 0 });
    }
  }
  vcpu.inject({
    vector,
    type: e.type,
    errorCode: vcpu.exit.interruptionErrorCode,
    instructionLength: e.type === "hardware-exception" ? undefined : vcpu.exit.instructionLength,
  });
};

/** The host owns the physical interrupt; with ack-interrupt-on-exit the VMM is told the vector. */
export const handleExternalInterrupt: Handler = (vcpu) => {
  const i = vcpu.exit.interruption;
  if (i.valid) vcpu.vm.hostInterrupt?.(i.vector);
  vcpu.resume();
};

/** The guest can take an interrupt now: stop asking (the VMM injects its pending interrupt on entry). */
export const handleInterruptWindow: Handler = (vcpu) => {
  setControl(vcpu, "primary", "interrupt-window-exiting", false);
  vcpu.resume();
};

export const handleNmiWindow: Handler = (vcpu) => {
  setControl(vcpu, "primary", "nmi-window-exiting", false);
  vcpu.resume();
};

/**
 * The preemption timer fired. A timer saved as 0 (save-vmx-preemption-timer)
 * would fire again before the first guest instruction, so the default parks it
 * at the maximum, as KVM soft-disables its timer; the VMM's own service may
 * re-arm it instead.
 */
export const handlePreemptionTimer: Handler = (vcpu) => {
  if (vcpu.vm.preemptionTimer) vcpu.vm.preemptionTimer();
  else if (vcpu.vmread("VMX_PREEMPTION_TIMER_VALUE") === 0n) vcpu.vmwrite("VMX_PREEMPTION_TIMER_VALUE", 0xffff_ffffn);
  vcpu.resume();
};

/** MTF is trap-like: the instruction completed; resume (a stepping session decides itself). */
export const handleMonitorTrapFlag: Handler = (vcpu) => vcpu.resume();

/** A triple fault in non-root operation is a VM exit; the VM is shut down (KVM_EXIT_SHUTDOWN). */
export const handleTripleFault: Handler = (vcpu) => vcpu.toUserspace("shutdown", { reason: "triple fault" });

/** VM-entry failures (exit reason bit 31): KVM_EXIT_FAIL_ENTRY with the reason and qualification. */
export const handleEntryFailure: Handler = (vcpu) => {
  const { reason, qualification } = vcpu.exit;
  const detail = reason === "INVALID_GUEST_STATE" ? qualification.entryFailure.meaning
    : reason === "MSR_LOAD_FAIL" ? `VM-entry MSR-load entry ${qualification.msrLoadIndex} is invalid`
    : "machine check during VM entry";
  vcpu.toUserspace("fail-entry", { reason, qualification: qualification.raw, detail });
};

/** TPR below threshold, virtualized EOI, APIC write: nothing for a VMM without an in-kernel LAPIC to do but resume. */
export const resumeGuest: Handler = (vcpu) => vcpu.resume();

/** Exits a KVM-like hypervisor does not expect: KVM_EXIT_INTERNAL_ERROR (suberror "unexpected exit reason"). */
export const unhandled: Handler = (vcpu) => {
  const e = vcpu.exit;
  vcpu.toUserspace("internal-error", {
    message: `no handler for exit reason ${e.reason} (${e.basicReason}) at RIP ${hex(e.guestRip)}, qualification ${hex(e.qualification.raw)}`,
    reason: e.reason,
  });
};

/** VMX instructions in the guest: #UD unless the VM offers nested virtualization (KVM: nested=0 → #UD). */
export const handleVmxInstruction: Handler = (vcpu: Vcpu) => {
  if (vcpu.vm.nested && vcpu.vm.nestedVmx) return vcpu.vm.nestedVmx(vcpu);
  vcpu.inject({ vector: "UD" });
};

/** Instructions the guest should not have (RDRAND/RDSEED exiting, ENCLS, VMFUNC, PCONFIG…): #UD. */
export const injectInvalidOpcode: Handler = (vcpu) => vcpu.inject({ vector: "UD" });
