/**
 * One logical processor: state, MMU, code cache and the run loop. The loop
 * runs compiled blocks, counts retired instructions against a budget, and
 * turns what blocks throw into architectural events: faults are delivered
 * through the IDT (or exit to the hypervisor in non-root operation), a triple
 * fault is a shutdown.
 */
import type { HostMemory } from "../memory/host-memory";
import { Block, CodeCache } from "./compiler";
import { CpuFault, DB, VECTOR_NAMES } from "./exceptions";
import { takeEvent } from "./events";
import { deliver, EV_HW_EXC, EV_SW_EXC, TripleFault } from "./interrupts";
import { Mmu } from "./mmu";
import { X86Paging } from "./paging";
import { FLAG } from "./registers";
import { ACTIVE, CpuState, HLT, SHUTDOWN } from "./state";

/** How many delivered faults Cpu.faults keeps. */
export const MAX_FAULT_RECORDS = 10_000;

export type StopReason = "hlt" | "step-limit" | "shutdown" | "exit" | "breakpoint";

export interface RunResult {
  stop: StopReason;
  steps: number;
}

/** Hook for VMX: what to do with a thrown object that is not a CPU fault (a VM exit). Returns true to stop running. */
export type ExitHandler = (signal: unknown) => boolean;

export class Cpu {
  readonly s: CpuState;
  readonly mmu: Mmu;
  readonly cache: CodeCache;
  readonly paging = new X86Paging();
  /** Non-fault signals thrown by intercepts (VM exits) go here; unset, they are internal errors. */
  onSignal: ExitHandler | null = null;
  /**
   * Set by the VMX layer: runs at every instruction boundary before events are
   * taken (VM exits for MTF, preemption timer, NMI/interrupt windows,
   * external interrupts and NMIs). Returns why running must stop, or null.
   */
  eventCheck: (() => StopReason | null) | null = null;
  /** While events are watched, at most this many instructions run between boundary checks (interrupt latency). */
  eventSlice = 64;
  /** The last fault that ended in a triple fault (for reports). */
  lastFault: CpuFault | null = null;
  /** Faults delivered so far (for reports and labs). */
  faults: { vector: string; errorCode: number; rip: number; address: number }[] = [];

  constructor(readonly mem: HostMemory) {
    this.s = new CpuState(mem);
    this.mmu = new Mmu(this.s);
    this.s.mmu = this.mmu;
    this.mmu.translator = this.paging;
    this.cache = new CodeCache(this.s);
    this.cache.onNewCodePage = (hpage) => this.mmu.protectPage(hpage); // every TLB context
  }

  /**
   * Runs until HLT, a shutdown, `maxSteps` retired instructions, or an exit
   * handler asks to stop.
   */
  run(maxSteps: number): RunResult {
    const s = this.s;
    const start = s.icount;
    let left = maxSteps;
    for (;;) {
      const watch = this.eventCheck !== null || s.intr !== null || s.nmiPending;
      if (watch) {
        const stop = this.boundary();
        if (stop) return { stop, steps: s.icount - start };
      }
      if (s.activity !== ACTIVE) {
        if (s.activity === HLT) return { stop: "hlt", steps: s.icount - start };
        if (s.activity === SHUTDOWN) return { stop: "shutdown", steps: s.icount - start };
      }
      if (left <= 0) return { stop: "step-limit", steps: s.icount - start };
      const shadow = s.inhibit;
      const trap = (s.rflagsRest & FLAG.TF) !== 0;
      const blockRip = s.rip;
      let blk: Block | undefined;
      try {
        const budget = watch ? Math.min(left, this.eventSlice) : left;
        blk = this.cache.lookup(shadow !== 0 || trap || budget < 32);
        if (blk.n > budget) blk = this.cache.lookup(true);
        const n = blk.fn(s, budget);
        s.icount += n;
        left -= n;
        s.smc = 0;
        if (shadow) s.inhibit = 0;
        // MOV SS / POP SS also hold off the single-step trap for one instruction (SDM Vol. 3A 6.8.3).
        if (trap && !(s.inhibit & 2)) this.raise(new CpuFault(DB, -1, 0, true), s.rip);
      } catch (e) {
        const retired = blk ? s.bk : 0;
        s.icount += retired;
        left -= retired;
        s.smc = 0;
        if (blk) s.rip = this.ripAt(blockRip, blk, retired);
        if (e instanceof CpuFault) {
          const next = blk && e.trap ? this.ripAt(blockRip, blk, retired + 1) : s.rip;
          if (e.trap) {
            s.icount += 1;
            left -= 1;
          }
          const stop = this.raise(e, next);
          if (stop) return { stop, steps: s.icount - start };
        } else if (e instanceof TripleFault) {
          const stop = this.shutdown(e.cause);
          if (stop) return { stop, steps: s.icount - start };
        } else {
          const stop = this.signal(e);
          if (stop) return { stop, steps: s.icount - start };
        }
      }
    }
  }

  /** Events at an instruction boundary: the VMX hook, then NMI / external interrupt delivery (events.ts). */
  private boundary(): StopReason | null {
    const s = this.s;
    try {
      if (this.eventCheck !== null) {
        const stop = this.eventCheck();
        if (stop) return stop;
      }
      takeEvent(s);
      return null;
    } catch (e) {
      if (e instanceof TripleFault) return this.shutdown(e.cause);
      if (e instanceof CpuFault) return this.raise(e, s.rip);
      return this.signal(e);
    }
  }

  /** RIP of the instruction after `k` retired ones in a block that started at `blockRip` (looping blocks wrap). */
  private ripAt(blockRip: number, blk: Block, k: number): number {
    const i = k % blk.n;
    const off = k > 0 && i === 0 && !blk.loops ? blk.offs[blk.n - 1]! + blk.insns[blk.n - 1]!.len : blk.offs[i]!;
    const v = blockRip + off;
    const bits = blk.insns[0]!.bits;
    return bits === 64 ? v : bits === 32 ? v >>> 0 : v & 0xffff;
  }

  /** Delivers a fault or trap; returns why running must stop (shutdown, VM exit), or null to go on. */
  raise(f: CpuFault, returnRip: number): StopReason | null {
    const s = this.s;
    // The record is for reports: a guest faulting in a loop must not grow it without bound.
    if (this.faults.length < MAX_FAULT_RECORDS) this.faults.push({ vector: "#" + (VECTOR_NAMES[f.vector] ?? f.vector), errorCode: f.errorCode, rip: s.rip, address: f.address });
    try {
      s.icpt?.exception(s, f);
      // #PF loads CR2 when delivered (not when it causes a VM exit, SDM Vol. 3C 27.1).
      if (f.vector === 14) s.cr2 = f.address;
      deliver(s, { vector: f.vector, type: f.trap && f.vector !== DB ? EV_SW_EXC : EV_HW_EXC, errorCode: f.errorCode, returnRip: returnRip });
      s.icpt?.delivered?.(s);
      return null;
    } catch (e) {
      if (e instanceof TripleFault) return this.shutdown(e.cause);
      if (e instanceof CpuFault) return this.raise(e, s.rip);
      return this.signal(e);
    }
  }

  private signal(e: unknown): StopReason | null {
    if (!this.onSignal) throw e;
    return this.onSignal(e) ? "exit" : null;
  }

  /** Triple fault: shutdown, or a VM exit in non-root operation (SDM Vol. 3C 26.2). */
  private shutdown(cause: CpuFault): StopReason | null {
    const s = this.s;
    this.lastFault = cause;
    if (s.icpt) {
      try {
        s.icpt.tripleFault(s);
      } catch (e) {
        return this.signal(e);
      }
    }
    s.activity = SHUTDOWN;
    return "shutdown";
  }
}
