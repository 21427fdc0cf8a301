/**
 * A LabTarget over the bare CPU of `machine: bare` scenarios (no hypervisor
 * at all) and `host:` scenarios (the hypervisor is the scenario's root-mode
 * code): one lab step is one instruction, root or non-root. VM entries and
 * exits done by the hypervisor in assembly show up as events.
 */
import type { Cpu } from "../guest-cpu/cpu";
import type { CowSnapshot, CowTracker } from "../memory/cow";
import type { BareMachine } from "../scenario/machine-bare";
import type { UserspaceExit } from "../scenario/outcome";
import type { Vmcs } from "../vmcs/vmcs";
import { controlMask } from "../vmcs/controls";
import type { ExitRecord, VmxEngine } from "../vmx/engine";
import { readRegs } from "../vmm/exec";
import { cpuCowTracker, restoreCpuState, saveCpuState, type CpuStateJson } from "../vmm/snapshot/cpu-state";
import { restoreVmxState, saveVmxState, type VmxStateJson } from "../vmm/snapshot/vmx-state";
import { exitLine, hex, MachineLabTarget } from "./machine-target";
import type { LabEvent } from "./target";

interface CpuSnapshot {
  cow: CowSnapshot;
  cpu: CpuStateJson;
  vmx: VmxStateJson | null;
  exits: number;
  io: { console: string; userspace: UserspaceExit[]; status: number | undefined; stoppedBy: string | undefined };
  ended: string | null;
}

export class CpuLabTarget extends MachineLabTarget {
  protected readonly cpu: Cpu;
  private readonly engine: VmxEngine | undefined;
  private cow: CowTracker | null = null;
  private ended: string | null = null;

  constructor(private readonly m: BareMachine) {
    super();
    this.cpu = m.cpu;
    this.engine = m.engine;
  }

  step(): LabEvent[] {
    const e = this.engine;
    const firstExit = e ? e.exits.length : 0;
    const wasNonRoot = e?.nonRoot ?? false;
    const firstUser = this.m.io.userspace.length;
    const firstFault = this.cpu.faults.length;
    const r = this.cpu.run(1);
    const events: LabEvent[] = [];
    for (const f of this.cpu.faults.slice(firstFault)) {
      events.push({ kind: "fault", reason: f.vector, text: `exception ${f.vector}${f.errorCode >= 0 ? ` (error code ${hex(f.errorCode)})` : ""} at rip ${hex(f.rip)}` });
    }
    if (e) {
      for (const x of e.exits.slice(firstExit)) events.push({ kind: "exit", reason: x.reason, text: exitLine(x) });
      if (e.nonRoot && (!wasNonRoot || e.exits.length > firstExit)) events.push({ kind: "entry", text: "VM entry (the hypervisor's VMLAUNCH/VMRESUME)" });
    }
    for (const u of this.m.io.userspace.slice(firstUser)) events.push({ kind: "userspace", reason: u.kind, text: `device: ${u.kind}` });
    if (r.stop === "hlt" || r.stop === "shutdown" || (r.stop === "exit" && this.m.io.stoppedBy)) {
      this.ended = this.m.io.stoppedBy ?? r.stop;
      events.push({ kind: "stop", reason: this.ended, text: `stopped: ${this.ended}` });
    }
    return events;
  }

  finished(): string | null {
    return this.ended;
  }

  regs(): Record<string, bigint> {
    const out: Record<string, bigint> = {};
    for (const [k, v] of Object.entries(readRegs(this.cpu))) out[k] = BigInt(v);
    const s = this.cpu.s;
    out.cr0 = BigInt(s.cr0 >>> 0);
    out.cr3 = BigInt(s.cr3);
    out.cr4 = BigInt(s.cr4 >>> 0);
    out.efer = BigInt(s.efer >>> 0);
    return out;
  }

  protected currentVmcs(): Vmcs | null {
    return this.engine?.state.current ?? null;
  }

  protected exitRecords(): readonly ExitRecord[] {
    return this.engine?.exits ?? [];
  }

  /** Addresses are translated as the CPU translates them now: through EPT only while the guest runs with it. */
  protected nestedEptp(): bigint | null {
    const v = this.currentVmcs();
    if (!this.engine?.nonRoot || !v) return null;
    const on = (v.read("CPU_BASED_VM_EXEC_CONTROL") & controlMask("primary", ["activate-secondary-controls"])) !== 0n
      && (v.read("SECONDARY_VM_EXEC_CONTROL") & controlMask("secondary", ["enable-ept"])) !== 0n;
    return on ? v.read("EPT_POINTER") : null;
  }

  protected codeBits(): 16 | 32 | 64 {
    return this.cpu.s.bits;
  }

  save(): unknown {
    const cpu = this.cpu;
    this.cow ??= cpuCowTracker(cpu);
    const io = this.m.io;
    const snap: CpuSnapshot = {
      cow: this.cow.snapshot("lab"),
      cpu: saveCpuState(cpu.s),
      vmx: this.engine ? saveVmxState(this.engine.state) : null,
      exits: this.engine?.exits.length ?? 0,
      io: { ...io, userspace: [...io.userspace] },
      ended: this.ended,
    };
    return snap;
  }

  restore(snapshot: unknown): void {
    const snap = snapshot as CpuSnapshot;
    this.cow!.restore(snap.cow);
    restoreCpuState(this.cpu, snap.cpu);
    if (this.engine && snap.vmx) {
      restoreVmxState(this.engine.state, snap.vmx);
      this.engine.exits.length = snap.exits;
      this.engine.syncAfterRestore();
    }
    Object.assign(this.m.io, { ...snap.io, userspace: [...snap.io.userspace] });
    this.ended = snap.ended;
  }
}
