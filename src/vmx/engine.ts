/**
 * The VMX engine attached to one Cpu: VM entry (named checks, loading guest
 * state, the VM-entry MSR-load area, event injection; SDM Vol. 3C ch. 27),
 * non-root operation through the NonRootIntercept (ch. 26), and VM exits
 * (exit information, saving guest state, MSR areas, loading host state;
 * ch. 28). Every exit is recorded as an ExitRecord.
 *
 * Two ways to run the root side: `stopOnExit` (the TypeScript VMM: cpu.run
 * returns "exit" once host state is loaded, the VMM handles the exit and
 * calls `resume`) or not (a hypervisor in machine code: execution continues
 * at HOST_RIP in root operation and VMRESUME comes back through the VMX
 * instructions and `state.onEnter`).
 */
import type { Cpu } from "../guest-cpu/cpu";
import { deliver, TripleFault } from "../guest-cpu/interrupts";
import { EFER, FLAG, RAX, RCX } from "../guest-cpu/registers";
import { CpuFault, UD } from "../guest-cpu/exceptions";
import type { CpuState } from "../guest-cpu/state";
import { ACTIVE, HLT, SHUTDOWN } from "../guest-cpu/state";
import { enterNestedPaging, leaveNestedPaging } from "../ept/attach";
import { eptCapsFromMsr, validateEptp } from "../ept/eptp";
import { createEptPhysicalMap, type EptPaging } from "../ept/nested";
import { EptMisconfig, EptViolation } from "../ept/signals";
import { exitReasonName, EXIT_REASON_NUMBERS as R } from "../exits/reasons";
import type { VmxCapabilities } from "../vmcs/capabilities";
import { getProfile } from "../vmcs/profiles";
import { FIELD_COUNT } from "../vmcs/fields";
import { SLOT as F, type Vmcs } from "../vmcs/vmcs";
import { r32, rnat, wnum, type VmcsAccess } from "./access";
import { capsFromProfile, type VmxCaps } from "./caps";
import { CPU, CPU2, EXIT, INTR, ITYPE, PIN } from "./ctl";
import { CheckEnv } from "./entry/env";
import { loadGuestState } from "./entry/load-guest";
import { CheckPlan, DEFAULT_PLAN, EXIT_ENTRY_FAILURE_BIT, type EntryFailure } from "./entry/run-checks";
import { loadHostState } from "./exit/load-host";
import { put32, putNum, saveGuestState } from "./exit/save-guest";
import { VmExit } from "./exit/signal";
import { msrLoadProblem, readMsr, writeMsr } from "./msr";
import { CONTROL_SLOTS, ExecControls } from "./nonroot/controls";
import { NonRootIntercept } from "./nonroot/intercept";
import { VmxState } from "./state";
import { attachVmx, type VmxUnitImpl } from "./vmx-unit";

/** One VM exit as reports, labs and expectations see it (DESIGN.md run result `exits`). */
export interface ExitRecord {
  /** 1-based sequence number. */
  n: number;
  /** SDM/Linux name of the basic exit reason. */
  reason: string;
  basicReason: number;
  /** The exit-reason field as stored (bit 31 set for VM-entry failures). */
  exitReason: number;
  qualification: bigint;
  /** Guest RIP saved by the exit (the instruction that exited; for traps and event windows the next one). */
  guestRip: bigint;
  instructionLength: number;
  instructionInfo?: number;
  guestLinearAddress?: bigint;
  guestPhysicalAddress?: bigint;
  /** VM_EXIT_INTR_INFO / VM_EXIT_INTR_ERROR_CODE when valid. */
  intrInfo?: number;
  intrErrorCode?: number;
  /** IDT_VECTORING_INFO_FIELD / IDT_VECTORING_ERROR_CODE when the exit interrupted event delivery. */
  idtVectoringInfo?: number;
  idtVectoringErrorCode?: number;
  /** VM-entry failures: the check that failed (or the MSR-load entry). */
  entryFailure?: EntryFailure;
}

export type EnterResult =
  | { kind: "entered" }
  /** Control or host-state check failed: VMfailValid with this VM-instruction error; nothing was loaded. */
  | { kind: "failValid"; error: number; failure: EntryFailure }
  /** Guest-state check or MSR loading failed: the VM-entry failure exit was taken (host state loaded). */
  | { kind: "entry-failed"; record: ExitRecord; failure: EntryFailure }
  /** The entry completed but an exit followed at once (e.g. event injection hit the exception bitmap or EPT). */
  | { kind: "exit"; record: ExitRecord };

export interface EngineOptions {
  /** Capability profile (src/vmcs/profiles.ts); default "default". */
  caps?: VmxCapabilities;
  /** Stop cpu.run with "exit" after each VM exit (TypeScript VMM); false: continue at HOST_RIP. Default true. */
  stopOnExit?: boolean;
  /** Per-CPU VMX state shared with the VMX instructions; created when absent. */
  state?: VmxState;
}

export class VmxEngine {
  readonly state: VmxState;
  readonly exits: ExitRecord[] = [];
  stopOnExit: boolean;
  /** The VMCS of the guest running (or that ran last). */
  vmcs: Vmcs | null = null;
  /** The last failed VM entry (check, fields and values), for reports. */
  lastFailure: EntryFailure | null = null;
  readonly controls = new ExecControls();
  readonly intercept = new NonRootIntercept(this.controls);
  private caps: VmxCaps;
  private capsSource: VmxCapabilities;
  private readonly plan: CheckPlan = DEFAULT_PLAN;
  /** VMCSs whose every check passed at their last entry (VMRESUME then re-checks only changed fields). */
  private readonly checked = new WeakSet<Vmcs>();
  private ept: { eptp: bigint; mbec: boolean; paging: EptPaging } | null = null;
  private vpidEnabled = false;
  /** The VMCS `controls` were loaded from (VMRESUME keeps them unless a control field was written). */
  private controlsFrom: Vmcs | null = null;
  /** An MTF VM exit is pending at the next instruction boundary (27.7.2 pending MTF, or MTF after an injected event). */
  private mtfPending = false;
  /** s.icount at VM entry: MTF exits once an instruction retired since. */
  private mtfMark = 0;
  /** s.icount at which the VMX-preemption timer reaches 0, or -1 when it is not active. */
  private timerDeadline = -1;
  /** ripBig's one-entry cache. */
  private lastRip = 0;
  private lastRipBig = 0n;

  /** Physical reads for the checks (PDPTEs, 27.3.1.6): one closure for every entry. */
  private readonly readPhys = (pa: number): bigint => this.cpu.s.mem.read(pa, 8);

  constructor(readonly cpu: Cpu, o: EngineOptions = {}) {
    this.state = o.state ?? new VmxState(o.caps ?? getProfile("default"));
    this.capsSource = this.state.caps;
    this.caps = capsFromProfile(this.capsSource);
    this.stopOnExit = o.stopOnExit ?? true;
    this.state.onEnter = (vmcs, launch) => {
      const r = this.enter(vmcs, launch);
      if (r.kind === "failValid") return { kind: "failValid", error: r.error === 8 ? 8 : 7 };
      return r.kind === "entry-failed" ? { kind: "entry-failure-exit" } : { kind: "ok" };
    };
    cpu.onSignal = (sig) => this.onSignal(sig);
    cpu.eventCheck = () => this.boundary();
    this.intercept.vmfunc = (s, insn) => this.vmfunc(s, insn.len);
  }

  /**
   * A processor with VMX: the VMX unit (instructions, capability MSRs) and an
   * engine sharing its VMX state. `unit` executes VMXON…VMRESUME for machine
   * code and for TypeScript callers alike.
   */
  static attach(cpu: Cpu, o: { profile?: string | VmxCapabilities; stopOnExit?: boolean } = {}): VmxEngine & { unit: VmxUnitImpl } {
    const unit = attachVmx(cpu, o.profile ?? "default");
    const engine = new VmxEngine(cpu, { state: unit.state, stopOnExit: o.stopOnExit });
    return Object.assign(engine, { unit });
  }

  get nonRoot(): boolean {
    return this.state.nonRoot;
  }

  // ------------------------------------------------------------------ VM entry

  /** VMLAUNCH (launch) or VMRESUME after the instruction-level checks (SDM Vol. 3C 27.1). */
  enter(vmcs: Vmcs, launch: boolean): EnterResult {
    const s = this.cpu.s;
    if (this.state.caps !== this.capsSource) {
      this.capsSource = this.state.caps;
      this.caps = capsFromProfile(this.capsSource);
      this.checked.delete(vmcs);
    }
    const env = new CheckEnv(vmcs, this.caps, (s.efer & EFER.LMA) !== 0, this.readPhys);
    const failure = !launch && this.checked.has(vmcs) ? this.plan.runChanged(env, vmcs.changedList) : this.plan.runAll(env);
    if (failure) {
      this.checked.delete(vmcs);
      this.lastFailure = failure;
      if (failure.vmError !== undefined) return { kind: "failValid", error: failure.vmError, failure };
      const record = this.entryFailureExit(vmcs, failure.exitReason!, failure.qualification, failure);
      return { kind: "entry-failed", record, failure };
    }
    this.checked.add(vmcs);
    this.vmcs = vmcs;
    const c = this.controls;
    if (this.controlsFrom !== vmcs || touchesControls(vmcs.changedList)) {
      c.load(vmcs);
      this.controlsFrom = vmcs;
    }
    // 27.3.2: guest state; 27.4: the VM-entry MSR-load area.
    loadGuestState(s, vmcs, c.entryCtl);
    const msrFail = this.loadMsrArea(vmcs, F.VM_ENTRY_MSR_LOAD_ADDR, F.VM_ENTRY_MSR_LOAD_COUNT);
    if (msrFail) {
      const failure: EntryFailure = {
        id: "entry-msr-load", sdm: "SDM Vol. 3C 27.4", phase: "guest",
        explain: `VM-entry MSR-load area entry ${msrFail.index}: ${msrFail.why}`,
        fields: env.values(["VM_ENTRY_MSR_LOAD_ADDR", "VM_ENTRY_MSR_LOAD_COUNT"]),
        exitReason: R.MSR_LOAD_FAIL | EXIT_ENTRY_FAILURE_BIT, qualification: msrFail.index,
      };
      this.checked.delete(vmcs);
      this.lastFailure = failure;
      const record = this.entryFailureExit(vmcs, failure.exitReason!, msrFail.index, failure);
      return { kind: "entry-failed", record, failure };
    }
    if (launch) vmcs.launched = true;
    vmcs.clearChanged();
    this.lastFailure = null;
    this.enterNonRoot(vmcs);
    this.armEvents(vmcs);
    // 27.6: event injection, in guest context (exits it causes are exits from the guest).
    const injected = this.inject(vmcs);
    if (injected) return { kind: "exit", record: injected };
    return { kind: "entered" };
  }

  /** Resumes the guest of the current VMCS (the TypeScript VMM's VMRESUME). */
  resume(): EnterResult {
    const v = this.vmcs ?? this.state.current;
    if (!v) throw new Error("resume: no current VMCS");
    return this.enter(v, !v.launched);
  }

  /**
   * After CPU and VMX state were restored (snapshots): re-attach non-root
   * operation for the current VMCS (control words, EPT, TLB tags, the
   * intercept, event timing) when the state says the guest was running, or
   * detach it in root operation.
   */
  syncAfterRestore(): void {
    const v = this.state.current;
    this.vmcs = v;
    this.intercept.vectoring = null;
    this.controlsFrom = null;
    if (this.state.nonRoot && v) {
      this.controls.load(v);
      this.enterNonRoot(v);
      this.armEvents(v);
    } else {
      this.cpu.s.icpt = null;
      this.state.nonRoot = false;
      leaveNestedPaging(this.cpu, { vpidEnabled: true });
    }
  }

  private enterNonRoot(v: Vmcs): void {
    const s = this.cpu.s;
    const c = this.controls;
    let nested: EptPaging | null = null;
    if (c.secondary & CPU2.EPT) {
      const eptp = v.get(F.EPT_POINTER); // the slot, not the name: this runs at every VM entry
      const mbec = (c.secondary & CPU2.MBEC) !== 0;
      if (!this.ept || this.ept.eptp !== eptp || this.ept.mbec !== mbec) {
        const caps = eptCapsFromMsr(this.capsSource.eptVpidCap, this.caps.maxPhys);
        this.ept = { eptp, mbec, paging: createEptPhysicalMap(s.mem, eptp, { caps, mbec }) };
      }
      nested = this.ept.paging;
    }
    this.vpidEnabled = (c.secondary & CPU2.VPID) !== 0;
    enterNestedPaging(this.cpu, nested, { vpid: v.u32(F.VIRTUAL_PROCESSOR_ID), vpidEnabled: this.vpidEnabled });
    this.intercept.vectoring = null;
    s.icpt = this.intercept;
    this.state.nonRoot = true;
  }

  /** Injects the event of VM_ENTRY_INTR_INFO_FIELD (SDM Vol. 3C 27.6); returns the exit record if delivery exited. */
  private inject(v: Vmcs): ExitRecord | null {
    const info = v.u32(F.VM_ENTRY_INTR_INFO_FIELD);
    if (!(info & INTR.VALID)) return null;
    const s = this.cpu.s;
    const type = (info >> 8) & 7;
    if (type === ITYPE.OTHER) {
      // Type 7 vector 0: a pending MTF VM exit, even with "monitor trap flag" = 0 (27.6.2).
      this.mtfPending = true;
      return null;
    }
    // With MTF, an MTF VM exit is pending after the injected event is delivered (27.7.2).
    if (this.controls.primary & CPU.MTF) this.mtfPending = true;
    const vector = info & 0xff;
    const errorCode = info & INTR.ERROR_CODE ? r32(v, "VM_ENTRY_EXCEPTION_ERROR_CODE") : -1;
    const soft = type === ITYPE.SW_INT || type === ITYPE.PRIV_SW_EXC || type === ITYPE.SW_EXC;
    const returnRip = soft ? s.rip + r32(v, "VM_ENTRY_INSTRUCTION_LEN") : s.rip;
    // A vectoring entry leaves no blocking by STI or MOV SS (27.7.1); the event wakes a halted guest.
    s.inhibit = 0;
    s.activity = ACTIVE;
    if (type === ITYPE.NMI) s.nmiBlocked = true;
    this.intercept.vectoring = { info: info & ~0x7fff_f000, error: errorCode < 0 ? 0 : errorCode };
    try {
      deliver(s, { vector, type, errorCode, returnRip });
      this.intercept.vectoring = null;
      return null;
    } catch (e) {
      if (e instanceof TripleFault) return this.exitNow(new VmExit(R.TRIPLE_FAULT));
      const ex = this.toExit(e);
      if (ex) return this.exitNow(ex);
      throw e;
    }
  }

  // ------------------------------------------------------------------ VM exit

  /** cpu.onSignal: VM exits thrown by intercepts and nested paging. Returns true to stop cpu.run. */
  onSignal(sig: unknown): boolean {
    const ex = this.toExit(sig);
    if (!ex) throw sig;
    this.exitNow(ex);
    return this.stopOnExit;
  }

  /** EPT signals become exits 48/49 (SDM Vol. 3C 29.3.3); VmExit passes through. */
  private toExit(sig: unknown): VmExit | null {
    if (sig instanceof VmExit) return sig;
    if (sig instanceof EptViolation) return new VmExit(R.EPT_VIOLATION, sig.qualification, 0, { gpa: sig.gpa, gla: sig.gla });
    if (sig instanceof EptMisconfig) return new VmExit(R.EPT_MISCONFIG, 0, 0, { gpa: sig.gpa });
    return null;
  }

  /** Performs a VM exit from non-root operation (SDM Vol. 3C 28.1–28.6). */
  exitNow(ex: VmExit): ExitRecord {
    const s = this.cpu.s;
    const v = this.vmcs;
    if (!v || !this.state.nonRoot) throw new Error(`VM exit (reason ${ex.basic}) outside VMX non-root operation`);
    const c = this.controls;
    const e = ex.extra;
    // 28.2: exit information.
    const qn = typeof ex.qualification === "number" ? ex.qualification : -1;
    if (qn >= 0) putNum(v, F.EXIT_QUALIFICATION, qn);
    else v.set(F.EXIT_QUALIFICATION, ex.qualification as bigint);
    put32(v, F.VM_EXIT_REASON, ex.basic);
    if (e.gla !== undefined) putNum(v, F.GUEST_LINEAR_ADDRESS, e.gla);
    if (e.gpa !== undefined) putNum(v, F.GUEST_PHYSICAL_ADDRESS, e.gpa);
    let intrInfo = e.intrInfo ?? 0;
    const intrError = e.intrError ?? 0;
    if (ex.basic === R.EXTERNAL_INTERRUPT && intrInfo === 0 && c.exitCtl & EXIT.ACK_INTR && s.intr) {
      // "Acknowledge interrupt on exit": the processor takes the vector from the controller (28.2.2).
      intrInfo = (INTR.VALID | s.intr.acknowledge()) >>> 0;
    }
    put32(v, F.VM_EXIT_INTR_INFO, intrInfo | 0);
    put32(v, F.VM_EXIT_INTR_ERROR_CODE, intrError);
    const vec = this.intercept.vectoring;
    put32(v, F.IDT_VECTORING_INFO_FIELD, vec ? vec.info | 0 : 0);
    put32(v, F.IDT_VECTORING_ERROR_CODE, vec ? vec.error : 0);
    put32(v, F.VM_EXIT_INSTRUCTION_LEN, ex.instrLen);
    put32(v, F.VMX_INSTRUCTION_INFO, e.instrInfo ?? 0);
    // Every VM exit clears the valid bit of the VM-entry interruption-information field (28.2).
    const entryInfo = v.u32(F.VM_ENTRY_INTR_INFO_FIELD);
    if (entryInfo & INTR.VALID) v.setU32(F.VM_ENTRY_INTR_INFO_FIELD, entryInfo & ~INTR.VALID);
    const guestRip = this.ripBig(s.rip);
    // 28.3: guest state; 28.4: the VM-exit MSR-store area.
    saveGuestState(s, v, c.exitCtl);
    if (c.exitCtl & EXIT.SAVE_PREEMPTION && this.timerDeadline >= 0) {
      // 28.3.4: the timer value at the exit (0 when the exit is due to its expiry).
      const left = Math.max(0, this.timerDeadline - s.icount);
      put32(v, F.VMX_PREEMPTION_TIMER_VALUE, ex.basic === R.PREEMPTION_TIMER ? 0 : Math.ceil(left / 2 ** this.caps.preemptionShift));
    }
    this.mtfPending = false;
    this.timerDeadline = -1;
    this.storeMsrArea(v);
    this.leaveNonRoot();
    // 28.5, 28.6: host state and the VM-exit MSR-load area.
    loadHostState(s, v, c.exitCtl);
    // NMIs are blocked after a VM exit caused by an NMI, until the host's IRET (28.5.? event blocking).
    s.nmiBlocked = ex.basic === R.EXCEPTION_NMI && (intrInfo & 0x7ff) === ((ITYPE.NMI << 8) | 2);
    this.exitMsrLoad(v);
    // What the exit wrote (put32/putNum skip the change record) is consistent guest state: VMRESUME need not
    // re-check it. The VM-entry interruption-information write above and any MSR-load side effects are cleared too.
    if (v.changedList.length > 0) v.clearChanged();
    const rec: ExitRecord = {
      n: this.exits.length + 1, reason: exitReasonName(ex.basic), basicReason: ex.basic, exitReason: ex.basic,
      qualification: qn === 0 ? 0n : qn > 0 ? BigInt(qn) : (ex.qualification as bigint), guestRip, instructionLength: ex.instrLen,
    };
    if (e.instrInfo !== undefined) rec.instructionInfo = e.instrInfo;
    if (e.gla !== undefined) rec.guestLinearAddress = BigInt.asUintN(64, BigInt(e.gla));
    if (e.gpa !== undefined) rec.guestPhysicalAddress = BigInt.asUintN(64, BigInt(e.gpa));
    if (intrInfo & INTR.VALID) {
      rec.intrInfo = intrInfo >>> 0;
      if (intrInfo & INTR.ERROR_CODE) rec.intrErrorCode = intrError >>> 0;
    }
    if (vec) {
      rec.idtVectoringInfo = vec.info >>> 0;
      if (vec.info & INTR.ERROR_CODE) rec.idtVectoringErrorCode = vec.error >>> 0;
    }
    this.intercept.vectoring = null;
    this.exits.push(rec);
    return rec;
  }

  /**
   * GUEST_RIP of an exit as the record's unsigned bigint. Records are kept
   * for the whole run, so a loop exiting at the same instruction shares one
   * bigint instead of retaining one per exit (bigints are immutable values).
   */
  private ripBig(rip: number): bigint {
    if (rip !== this.lastRip) {
      this.lastRip = rip;
      this.lastRipBig = rip >= 0 ? BigInt(rip) : BigInt.asUintN(64, BigInt(rip));
    }
    return this.lastRipBig;
  }

  private leaveNonRoot(): void {
    const s = this.cpu.s;
    s.icpt = null;
    this.state.nonRoot = false;
    leaveNestedPaging(this.cpu, { vpidEnabled: this.vpidEnabled });
  }

  /**
   * A VM entry that fails after the host checks (SDM Vol. 3C 27.8): exit
   * reason and qualification are written, host state and the VM-exit
   * MSR-load area are loaded; the guest-state area is not saved.
   */
  private entryFailureExit(v: Vmcs, reason: number, qualification: number, failure: EntryFailure): ExitRecord {
    const s = this.cpu.s;
    this.vmcs = v;
    const exitCtl = r32(v, "VM_EXIT_CONTROLS");
    const guestRip = v.read("GUEST_RIP");
    wnum(v, "VM_EXIT_REASON", reason >>> 0);
    wnum(v, "EXIT_QUALIFICATION", qualification);
    if (this.state.nonRoot) this.leaveNonRoot();
    loadHostState(s, v, exitCtl);
    this.exitMsrLoad(v);
    const rec: ExitRecord = {
      n: this.exits.length + 1, reason: exitReasonName(reason & 0xffff), basicReason: reason & 0xffff, exitReason: reason >>> 0,
      qualification: BigInt(qualification), guestRip, instructionLength: 0, entryFailure: failure,
    };
    this.exits.push(rec);
    return rec;
  }

  // ------------------------------------------------------------------ events at instruction boundaries (26.2, 26.7)

  private armEvents(v: Vmcs): void {
    const s = this.cpu.s;
    const c = this.controls;
    this.mtfPending = false;
    this.mtfMark = s.icount;
    this.timerDeadline = -1;
    this.intercept.tprBelowThreshold = false;
    if (c.pin & PIN.PREEMPTION_TIMER) {
      // The timer counts down by 1 each time TSC bit X changes, X = IA32_VMX_MISC[4:0] (26.5.1).
      this.timerDeadline = s.icount + v.u32(F.VMX_PREEMPTION_TIMER_VALUE) * 2 ** this.caps.preemptionShift;
    }
    this.setSlice();
  }

  private setSlice(): void {
    const s = this.cpu.s;
    const c = this.controls;
    let slice = 64;
    if (c.primary & CPU.MTF) slice = 1;
    if (this.timerDeadline >= 0) slice = Math.max(1, Math.min(slice, this.timerDeadline - s.icount));
    this.cpu.eventSlice = slice;
  }

  /**
   * cpu.eventCheck: VM exits due to events at an instruction boundary, in
   * priority order: pending MTF, VMX-preemption timer, NMI window, NMI
   * ("NMI exiting"), interrupt window, external interrupt ("external-interrupt
   * exiting"; RFLAGS.IF does not block it then, 26.3). Events that do not
   * exit are delivered by the CPU afterwards through the guest IDT.
   */
  boundary(): "exit" | null {
    if (!this.state.nonRoot) return null;
    const s = this.cpu.s;
    const c = this.controls;
    let ex: VmExit | null = null;
    const blockedByShadow = s.inhibit !== 0;
    if (this.intercept.tprBelowThreshold) {
      // Trap-like: RIP already points past the MOV to CR8 (30.1.2).
      this.intercept.tprBelowThreshold = false;
      ex = new VmExit(R.TPR_BELOW_THRESHOLD);
    } else if (this.mtfPending || (c.primary & CPU.MTF && s.icount !== this.mtfMark)) {
      ex = new VmExit(R.MONITOR_TRAP_FLAG);
    } else if (this.timerDeadline >= 0 && (s.icount >= this.timerDeadline || s.activity === HLT)) {
      // A halted guest does not retire instructions: its time runs on to the timer's expiry.
      ex = new VmExit(R.PREEMPTION_TIMER);
    } else if (c.primary & CPU.NMI_WINDOW && !s.nmiBlocked && !blockedByShadow) {
      ex = new VmExit(R.NMI_WINDOW);
    } else if (c.pin & PIN.NMI_EXITING && s.nmiPending && !s.nmiBlocked && s.inhibit !== 2) {
      s.nmiPending = false;
      ex = new VmExit(R.EXCEPTION_NMI, 0, 0, { intrInfo: (INTR.VALID | (ITYPE.NMI << 8) | 2) >>> 0 });
    } else if (c.primary & CPU.INTR_WINDOW && s.rflagsRest & FLAG.IF && !blockedByShadow) {
      ex = new VmExit(R.INTERRUPT_WINDOW);
    } else if (c.pin & PIN.EXT_INTR && !blockedByShadow && s.intr !== null && s.intr.pending()) {
      ex = new VmExit(R.EXTERNAL_INTERRUPT);
    }
    if (ex === null) {
      this.mtfMark = s.icount;
      this.setSlice();
      return null;
    }
    this.exitNow(ex);
    return this.stopOnExit ? "exit" : null;
  }

  // ------------------------------------------------------------------ VM functions (26.5.6)

  /**
   * VMFUNC: #UD without "enable VM functions"; a VM exit (reason 59) when
   * EAX names a function VM_FUNCTION_CONTROL does not enable or the function
   * fails; function 0 (EPTP switching) loads EPT_POINTER from entry ECX of
   * the EPTP list and continues with the new EPT, without a VM exit.
   */
  private vmfunc(s: CpuState, len: number): void {
    const v = this.vmcs!;
    const c = this.controls;
    if (!(c.secondary & CPU2.VMFUNC)) throw new CpuFault(UD);
    const fn = s.lo[RAX]! >>> 0;
    const enabled = fn < 64 && ((v.get(F.VM_FUNCTION_CONTROL) >> BigInt(fn)) & 1n) === 1n;
    const index = s.lo[RCX]! >>> 0;
    if (!enabled || fn !== 0 || index >= 512) throw new VmExit(R.VMFUNC, 0, len);
    const eptp = s.mem.read(v.num(F.EPTP_LIST_ADDRESS) + index * 8, 8);
    if (validateEptp(eptp, this.caps.ept) !== null) throw new VmExit(R.VMFUNC, 0, len);
    v.set(F.EPT_POINTER, eptp);
    v.setU32(F.EPTP_INDEX, index);
    this.enterNonRoot(v);
  }

  // ------------------------------------------------------------------ MSR areas (27.4, 28.4, 28.6)

  /** Loads an MSR-load area; returns the 1-based index and reason of the first entry that cannot be loaded. */
  private loadMsrArea(v: Vmcs, addrSlot: number, countSlot: number): { index: number; why: string } | null {
    const count = v.u32(countSlot);
    if (count === 0) return null;
    const s = this.cpu.s;
    const base = v.num(addrSlot);
    for (let i = 0; i < count; i++) {
      const e = base + i * 16;
      const index = Number(s.mem.read(e, 4));
      const reserved = Number(s.mem.read(e + 4, 4));
      const value = s.mem.read(e + 8, 8);
      const why = msrLoadProblem(index, reserved, value);
      if (why) return { index: i + 1, why };
      writeMsr(s, index, value);
    }
    return null;
  }

  /**
   * The VM-exit MSR-load area (28.6). An entry that cannot be loaded is a
   * VMX abort (28.8): the abort indicator in the VMCS region becomes 4
   * ("error loading host MSRs") and the processor enters the shutdown state.
   */
  private exitMsrLoad(v: Vmcs): void {
    const fail = this.loadMsrArea(v, F.VM_EXIT_MSR_LOAD_ADDR, F.VM_EXIT_MSR_LOAD_COUNT);
    if (!fail) return;
    v.abortIndicator = VMX_ABORT_HOST_MSR_LOAD;
    this.cpu.s.mem.write32(v.address + 4, VMX_ABORT_HOST_MSR_LOAD);
    this.cpu.s.activity = SHUTDOWN;
    this.lastFailure = {
      id: "vmx-abort-host-msr-load", sdm: "SDM Vol. 3C 28.8", phase: "host",
      explain: `VMX abort: VM-exit MSR-load area entry ${fail.index}: ${fail.why}`,
      fields: [{ name: "VM_EXIT_MSR_LOAD_ADDR", value: v.get(F.VM_EXIT_MSR_LOAD_ADDR) }, { name: "VM_EXIT_MSR_LOAD_COUNT", value: v.get(F.VM_EXIT_MSR_LOAD_COUNT) }],
      qualification: fail.index,
    };
  }

  /** The VM-exit MSR-store area: bits 127:64 of each entry receive the MSR's value (28.4). */
  private storeMsrArea(v: Vmcs): void {
    const count = v.u32(F.VM_EXIT_MSR_STORE_COUNT);
    if (count === 0) return;
    const s = this.cpu.s;
    const base = v.num(F.VM_EXIT_MSR_STORE_ADDR);
    for (let i = 0; i < count; i++) {
      const e = base + i * 16;
      s.mem.write(e + 8, 8, readMsr(s, Number(s.mem.read(e, 4))));
    }
  }
}

/** VMX-abort indicator for a failure loading host MSRs (SDM Vol. 3C 28.8). */
const VMX_ABORT_HOST_MSR_LOAD = 4;

const IS_CONTROL = new Uint8Array(FIELD_COUNT);
for (const slot of CONTROL_SLOTS) IS_CONTROL[slot] = 1;

function touchesControls(changed: readonly number[]): boolean {
  for (let i = 0; i < changed.length; i++) if (IS_CONTROL[changed[i]!] === 1) return true;
  return false;
}

export { PIN };
