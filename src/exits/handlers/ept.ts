/**
 * EPT violations (reason 48, qualification SDM Vol. 3C Table 28-7) and
 * misconfigurations (reason 49, 29.3.3.1), as KVM's tdp fault path treats them:
 * RAM that is not mapped yet is mapped and the instruction retried (RIP does
 * not move); device memory, addresses with no memory behind them and writes to
 * pages mapped without the needed permission go to userspace as MMIO.
 */
import { hex } from "../../common/u64";
import type { Handler } from "./types";
import { exitToMmio } from "./mmio";

export const handleEptViolation: Handler = (vcpu) => {
  const gpa = vcpu.exit.guestPhysicalAddress;
  const q = vcpu.exit.qualification.ept;
  const kind = vcpu.vm.memoryKind?.(gpa) ?? "unmapped";
  const present = q.readable || q.writable || q.executable;
  if (kind === "ram" && !present) {
    if (!vcpu.vm.mapRam) {
      return vcpu.toUserspace("internal-error", { message: `EPT violation on RAM at GPA ${hex(gpa)} and the VM cannot map it lazily`, reason: "EPT_VIOLATION" });
    }
    vcpu.vm.mapRam(gpa);
    return vcpu.resume();
  }
  if (q.fetch) {
    return vcpu.toUserspace("internal-error", { message: `instruction fetch from GPA ${hex(gpa)}, which is not executable RAM`, reason: "EPT_VIOLATION" });
  }
  exitToMmio(vcpu, gpa);
};

export const handleEptMisconfig: Handler = (vcpu) => {
  const gpa = vcpu.exit.guestPhysicalAddress;
  if (vcpu.vm.memoryKind?.(gpa) === "mmio") return exitToMmio(vcpu, gpa);
  vcpu.toUserspace("internal-error", {
    message: `EPT misconfiguration at GPA ${hex(gpa)}: an EPT entry on the walk is invalid (SDM Vol. 3C 29.3.3.1)`,
    reason: "EPT_MISCONFIG",
  });
};

/**
 * APIC access (reason 44, Table 28-6) without an in-kernel local APIC: a
 * linear read or write of the APIC-access page becomes an MMIO exit at
 * APIC_ACCESS_ADDR + offset, so a userspace APIC model can answer it (KVM with
 * a userspace irqchip sends the xAPIC page to userspace the same way). Fetches
 * and accesses during event delivery cannot be emulated: internal error.
 */
export const handleApicAccess: Handler = (vcpu) => {
  const a = vcpu.exit.qualification.apicAccess;
  if (a.access !== "linear-read" && a.access !== "linear-write") {
    return vcpu.toUserspace("internal-error", { message: `APIC access of type ${a.access} at offset ${hex(a.offset)} cannot be emulated`, reason: "APIC_ACCESS" });
  }
  exitToMmio(vcpu, (vcpu.vmread("APIC_ACCESS_ADDR") & ~0xfffn) + BigInt(a.offset));
};
