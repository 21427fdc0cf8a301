/**
 * A LabTarget over the TypeScript VMM: one lab step is one Vm.step — a
 * guest instruction ending early at a VM exit, or the handling of that exit.
 * Views read what a hypervisor could see: the guest's live registers while
 * it runs in non-root operation, the VMCS as last written (guest-state
 * fields are saved only by VM exits, SDM Vol. 3C 28.3).
 */
import type { Cpu } from "../guest-cpu/cpu";
import type { Vmcs } from "../vmcs/vmcs";
import type { ExitRecord } from "../vmx/engine";
import { REG_ORDER } from "../vmm/exec";
import { guestBits, type Vm, type VmSnapshot } from "../vmm/vm";
import { exitLine, hex, MachineLabTarget } from "./machine-target";
import type { LabEvent } from "./target";

/** Userspace-exit fields that are counts, printed in decimal. */
const COUNTS = new Set(["size", "count"]);

const GPRS = REG_ORDER.filter((r) => r !== "rip" && r !== "rflags" && r !== "rsp");

export class VmLabTarget extends MachineLabTarget {
  protected readonly cpu: Cpu;

  constructor(readonly vm: Vm) {
    super();
    this.cpu = vm.cpu;
  }

  /** One Vm.step: a guest instruction (with a VM entry first if needed), ending at a VM exit; or the handling of that exit. */
  step(): LabEvent[] {
    const events: LabEvent[] = [];
    for (const e of this.vm.step()) {
      if (e.kind === "exit") events.push({ kind: "exit", reason: e.record.reason, text: exitLine(e.record) });
      else if (e.kind === "entry") events.push({ kind: "entry", text: e.launch ? "VM entry (VMLAUNCH)" : "VM entry (VMRESUME)" });
      else if (e.kind === "userspace") {
        const u = e.exit;
        const data = Object.entries(u).filter(([k]) => k !== "kind").map(([k, v]) => `${k}=${(typeof v === "bigint" || typeof v === "number") && !COUNTS.has(k) ? hex(v) : String(v)}`);
        events.push({ kind: "userspace", reason: u.kind, text: `userspace exit: ${u.kind}${data.length ? " " + data.join(" ") : ""}` });
      } else if (e.kind === "handled") {
        events.push({ kind: "handled", reason: e.record.reason, text: `#${e.record.n} ${e.record.reason} handled by the root-mode dispatcher` });
      } else events.push({ kind: "stop", reason: e.reason, text: `stopped: ${e.reason}${e.detail ? ` (${e.detail})` : ""}` });
    }
    return events;
  }

  finished(): string | null {
    return this.vm.finished();
  }

  regs(): Record<string, bigint> {
    const vm = this.vm;
    const s = vm.cpu.s;
    const live = vm.state.nonRoot;
    const v = vm.vmcs;
    const out: Record<string, bigint> = {};
    // Vm.regs reads the live CPU while the guest runs and the VMCS after an exit; RSP is listed after the other GPRs.
    const regs = vm.regs();
    for (const r of [...GPRS, "rsp", "rip", "rflags"] as const) out[r] = BigInt(regs[r]);
    out.cr0 = live ? BigInt(s.cr0 >>> 0) : v.read("GUEST_CR0");
    out.cr3 = live ? BigInt(s.cr3) : v.read("GUEST_CR3");
    out.cr4 = live ? BigInt(s.cr4 >>> 0) : v.read("GUEST_CR4");
    out.efer = live ? BigInt(s.efer >>> 0) : v.read("GUEST_IA32_EFER");
    return out;
  }

  protected currentVmcs(): Vmcs | null {
    return this.vm.vmcs;
  }

  protected exitRecords(): readonly ExitRecord[] {
    return this.vm.exits;
  }

  protected nestedEptp(): bigint | null {
    return this.vm.eptEnabled() ? this.vm.vmcs.read("EPT_POINTER") : null;
  }

  protected codeBits(): 16 | 32 | 64 {
    return guestBits(this.vm);
  }

  save(): unknown {
    return this.vm.snapshot("lab");
  }

  restore(snapshot: unknown): void {
    this.vm.restore(snapshot as VmSnapshot);
  }
}
