/**
 * The vCPU as a root-mode exit handler sees it — the only way handlers touch
 * the machine (DESIGN.md: exits/ never reaches into CPU internals).
 *
 * Two implementations: src/vmm (the real CPU + VMX engine, like KVM's
 * `struct kvm_vcpu`) and src/testing `fakeVcpu` (maps, for unit tests).
 * Both extend `VcpuBase`, which implements the actions (advance RIP, event
 * injection, outcome) once over a handful of primitives, so a handler behaves
 * the same under test as in a VM.
 *
 * Guest state lives where hardware keeps it: RSP, RIP, RFLAGS, CR0, CR3, CR4
 * and DR7 in the VMCS guest-state area (GUEST_RSP…); the other GPRs, CR2,
 * CR8, DR0–DR3, DR6 and XCR0 in the vCPU (saved by the VMM on exit, as KVM
 * keeps them in `vcpu->arch.regs`).
 */
import { internalError } from "../common/errors";
import {
  decodeInstructionInfo,
  decodeInterruptionInfo,
  defaultEventType,
  encodeInterruptionInfo,
  EVENT_TYPES,
  exceptionHasErrorCode,
  GPR_BY_NUMBER,
  Qualification,
  vectorNumber,
  type EventType,
  type GprName,
  type InstructionInfo,
  type InterruptionInfo,
  type IoSize,
} from "./qualification";
import { EXIT_REASON_INFO, exitReasonName, isExitReason, type ExitReason } from "./reasons";
import type { FieldName, HighFieldName } from "../vmcs/fields";

export type { GprName } from "./qualification";

/** VMCS field names as Linux `enum vmcs_field` spells them (src/vmcs/fields.ts is the table), `_HIGH` for upper halves. */
export type VmcsFieldName = FieldName | HighFieldName;

/** Registers a handler can read and write by name. */
export const REGISTER_NAMES = [
  ...GPR_BY_NUMBER, "rip", "rflags", "cr0", "cr2", "cr3", "cr4", "cr8",
  "dr0", "dr1", "dr2", "dr3", "dr6", "dr7", "xcr0",
] as const;
export type RegisterName = (typeof REGISTER_NAMES)[number];

/** Registers held in the VMCS guest-state area (SDM Vol. 3C 25.4.1), by the field that holds them. */
export const VMCS_RESIDENT_REGISTERS = {
  rsp: "GUEST_RSP",
  rip: "GUEST_RIP",
  rflags: "GUEST_RFLAGS",
  cr0: "GUEST_CR0",
  cr3: "GUEST_CR3",
  cr4: "GUEST_CR4",
  dr7: "GUEST_DR7",
} as const satisfies Partial<Record<RegisterName, VmcsFieldName>>;

const REGISTER_SET: ReadonlySet<string> = new Set(REGISTER_NAMES);

export function isRegisterName(name: string): name is RegisterName {
  return REGISTER_SET.has(name);
}

/** The exit being handled, read from the VM-exit information fields (SDM Vol. 3C 25.9). */
export interface ExitInfo {
  reason: ExitReason;
  /** Exit reason bits 15:0. */
  basicReason: number;
  /** Exit reason bit 31 (INVALID_GUEST_STATE, MSR_LOAD_FAIL, MCE_DURING_VMENTRY). */
  entryFailure: boolean;
  qualification: Qualification;
  /** VM_EXIT_INSTRUCTION_LEN (valid for instruction exits, software exceptions/interrupts). */
  instructionLength: number;
  /** VMX_INSTRUCTION_INFO decoded (meaningful for the exits of SDM 28.2.5). */
  instructionInfo: InstructionInfo;
  /** GUEST_LINEAR_ADDRESS (EPT violations with qualification bit 7, INS/OUTS, APIC access…). */
  guestLinearAddress: bigint;
  /** GUEST_PHYSICAL_ADDRESS (EPT violations and misconfigurations). */
  guestPhysicalAddress: bigint;
  /** VM_EXIT_INTR_INFO (EXCEPTION_NMI, EXTERNAL_INTERRUPT with ack-interrupt-on-exit). */
  interruption: InterruptionInfo;
  /** VM_EXIT_INTR_ERROR_CODE, when `interruption.errorCodeValid`. */
  interruptionErrorCode: number | undefined;
  /** IDT_VECTORING_INFO_FIELD: an event whose delivery the exit interrupted (SDM 28.2.4). */
  idtVectoring: InterruptionInfo;
  idtVectoringErrorCode: number | undefined;
  /** GUEST_RIP at the exit (fault-like exits: the instruction that exited). */
  guestRip: bigint;
}

/**
 * Builds the typed exit view from VMCS reads (both vCPU implementations use
 * this). The reason, instruction length and guest RIP are read at once; the
 * other exit-information fields are read and decoded when a handler first
 * looks at them (most handlers never do), then kept. Exit-information fields
 * are read-only to VMWRITE (SDM Vol. 3C 25.9), so a later read sees what an
 * eager one would have; a vCPU that lets them be written calls `settle()`
 * first.
 */
export function readExitInfo(vmread: (field: VmcsFieldName) => bigint): ExitInfo {
  return new ExitView(vmread);
}

const UNREAD = undefined;

/** The lazily decoded exit view behind `readExitInfo` (the ExitInfo properties are its getters). */
export class ExitView implements ExitInfo {
  readonly reason: ExitReason;
  readonly basicReason: number;
  readonly entryFailure: boolean;
  readonly instructionLength: number;
  readonly guestRip: bigint;
  private q: Qualification | undefined = UNREAD;
  private ii: InstructionInfo | undefined = UNREAD;
  private gla: bigint | undefined = UNREAD;
  private gpa: bigint | undefined = UNREAD;
  private intr: InterruptionInfo | undefined = UNREAD;
  private intrErr: number | undefined | null = null;
  private idt: InterruptionInfo | undefined = UNREAD;
  private idtErr: number | undefined | null = null;

  /**
   * `eager`: VM_EXIT_REASON (as an unsigned 32-bit number), VM_EXIT_INSTRUCTION_LEN and GUEST_RIP when the
   * vCPU has them without VMREAD by name (RealVcpu's numeric VMCS slots).
   */
  constructor(
    private readonly vmread: (field: VmcsFieldName) => bigint,
    eager?: { exitReason: number; instructionLength: number; guestRip: bigint },
  ) {
    const full: number | bigint = eager ? eager.exitReason : vmread("VM_EXIT_REASON");
    const basic = typeof full === "number" ? full & 0xffff : Number(full & 0xffffn);
    const name = exitReasonName(basic);
    if (!isExitReason(name)) throw internalError(`VM_EXIT_REASON ${full} holds basic exit reason ${basic}, which the SDM does not define`);
    this.reason = name;
    this.basicReason = basic;
    this.entryFailure = typeof full === "number" ? full >= 0x8000_0000 : (full >> 31n & 1n) === 1n;
    this.instructionLength = eager ? eager.instructionLength : Number(vmread("VM_EXIT_INSTRUCTION_LEN"));
    this.guestRip = eager ? eager.guestRip : vmread("GUEST_RIP");
  }

  get qualification(): Qualification {
    if (this.q === UNREAD) {
      const vector = this.reason === "EXCEPTION_NMI" && this.interruption.valid ? this.interruption.vector : undefined;
      this.q = new Qualification(this.reason, this.vmread("EXIT_QUALIFICATION"), vector);
    }
    return this.q;
  }
  get instructionInfo(): InstructionInfo {
    return (this.ii ??= decodeInstructionInfo(this.vmread("VMX_INSTRUCTION_INFO")));
  }
  get guestLinearAddress(): bigint {
    return (this.gla ??= this.vmread("GUEST_LINEAR_ADDRESS"));
  }
  get guestPhysicalAddress(): bigint {
    return (this.gpa ??= this.vmread("GUEST_PHYSICAL_ADDRESS"));
  }
  get interruption(): InterruptionInfo {
    return (this.intr ??= decodeInterruptionInfo(this.vmread("VM_EXIT_INTR_INFO")));
  }
  get interruptionErrorCode(): number | undefined {
    if (this.intrErr === null) this.intrErr = this.interruption.errorCodeValid ? Number(this.vmread("VM_EXIT_INTR_ERROR_CODE")) : undefined;
    return this.intrErr;
  }
  get idtVectoring(): InterruptionInfo {
    return (this.idt ??= decodeInterruptionInfo(this.vmread("IDT_VECTORING_INFO_FIELD")));
  }
  get idtVectoringErrorCode(): number | undefined {
    if (this.idtErr === null) {
      const v = this.idtVectoring;
      this.idtErr = v.valid && v.errorCodeValid ? Number(this.vmread("IDT_VECTORING_ERROR_CODE")) : undefined;
    }
    return this.idtErr;
  }

  /** Reads every field not read yet (before something overwrites exit-information fields). */
  settle(): void {
    void this.qualification, this.instructionInfo, this.guestLinearAddress, this.guestPhysicalAddress;
    void this.interruptionErrorCode, this.idtVectoringErrorCode;
  }

  /** The fields as plain own properties (what `{...exit}` or a JSON dump would have shown before). */
  toJSON(): ExitInfo {
    return {
      reason: this.reason, basicReason: this.basicReason, entryFailure: this.entryFailure, qualification: this.qualification,
      instructionLength: this.instructionLength, instructionInfo: this.instructionInfo, guestLinearAddress: this.guestLinearAddress,
      guestPhysicalAddress: this.guestPhysicalAddress, interruption: this.interruption, interruptionErrorCode: this.interruptionErrorCode,
      idtVectoring: this.idtVectoring, idtVectoringErrorCode: this.idtVectoringErrorCode, guestRip: this.guestRip,
    };
  }
}

/** Exit-information fields the exit view reads lazily (a VMWRITE to one settles the view first). */
export const LAZY_EXIT_FIELDS: ReadonlySet<string> = new Set([
  "EXIT_QUALIFICATION", "VMX_INSTRUCTION_INFO", "GUEST_LINEAR_ADDRESS", "GUEST_LINEAR_ADDRESS_HIGH",
  "GUEST_PHYSICAL_ADDRESS", "GUEST_PHYSICAL_ADDRESS_HIGH", "VM_EXIT_INTR_INFO", "VM_EXIT_INTR_ERROR_CODE",
  "IDT_VECTORING_INFO_FIELD", "IDT_VECTORING_ERROR_CODE",
]);

/** An event to inject on the next VM entry (SDM Vol. 3C 27.6). */
export interface InjectEvent {
  /** Vector number or exception name ("UD", "#GP", 14). */
  vector: number | string;
  /** Default: NMI for 2, software exception for #BP/#OF, hardware exception below 32, else external interrupt. */
  type?: EventType;
  /**
   * Pushed for hardware exceptions that have one (#DF, #TS, #NP, #SS, #GP, #PF,
   * #AC, #CP) when the guest is in protected mode; default 0. Ignored otherwise,
   * because entry check 27.2.1.3 requires deliver-error-code to match.
   */
  errorCode?: number;
  /** VM_ENTRY_INSTRUCTION_LEN for software interrupts/exceptions; default: the exit's instruction length. */
  instructionLength?: number;
}

/** What `inject` wrote, as the test matchers compare it. */
export interface InjectedEvent {
  vector: number;
  type: EventType;
  errorCode: number | undefined;
  instructionLength: number | undefined;
}

/** KVM_RUN-like exits to the userspace VMM (src/vmm), with their data. */
export type UserspaceExit =
  | {
      kind: "io"; port: number; direction: "in" | "out"; size: IoSize;
      /** OUT: the value written. */
      value?: number;
      /** INS/OUTS: number of elements, and for OUTS their values in order. */
      count?: number; values?: number[];
    }
  | { kind: "mmio"; address: bigint; direction: "read" | "write"; size: number; value?: bigint }
  | { kind: "hlt" }
  | { kind: "shutdown"; reason: string }
  | { kind: "fail-entry"; reason: ExitReason; qualification: bigint; detail?: string }
  | { kind: "internal-error"; message: string; reason?: ExitReason }
  | { kind: "hypercall"; nr: number; args: bigint[] };
export type UserspaceExitKind = UserspaceExit["kind"];
export type UserspaceExitData<K extends UserspaceExitKind> = Omit<Extract<UserspaceExit, { kind: K }>, "kind">;

/** What the dispatcher returns to the run loop once a handler is done. */
export type HandlerOutcome =
  | { action: "resume" }
  | { action: "userspace"; exit: UserspaceExit }
  | { action: "stop"; reason: string; detail?: Record<string, unknown> };

/** MSR values the hypervisor keeps for the guest (KVM's per-vCPU MSR state). */
export class MsrStore {
  private readonly values = new Map<number, bigint>();

  constructor(init: Iterable<[number, bigint]> | Record<number, bigint | number> = []) {
    const entries = Symbol.iterator in init ? [...(init as Iterable<[number, bigint]>)] : Object.entries(init).map(([k, v]) => [Number(k), BigInt(v)] as [number, bigint]);
    for (const [k, v] of entries) this.values.set(k >>> 0, BigInt.asUintN(64, v));
  }
  has(index: number): boolean {
    return this.values.has(index >>> 0);
  }
  get(index: number): bigint | undefined {
    return this.values.get(index >>> 0);
  }
  set(index: number, value: bigint): void {
    this.values.set(index >>> 0, BigInt.asUintN(64, value));
  }
  entries(): [number, bigint][] {
    return [...this.values.entries()].sort((a, b) => a[0] - b[0]);
  }
}

export type CpuidResult = [eax: number, ebx: number, ecx: number, edx: number];

/**
 * The rest of the VM a handler may consult: the CPU profile, memory layout,
 * interrupt sources, the console. All optional; a missing service makes the
 * default handler take its conservative path (documented per handler).
 */
export interface VmServices {
  /** Offer VMX to the guest (nested virtualization): CPUID.1:ECX.VMX visible, guest VMX instructions go to `nestedVmx`. */
  nested?: boolean;
  /** The CPU profile's CPUID (before the hypervisor's adjustments). */
  cpuid?(leaf: number, subleaf: number): CpuidResult;
  /** Host TSC for RDTSC/RDTSCP exits (the guest sees it plus TSC_OFFSET). */
  tsc?(): bigint;
  /** What backs a guest-physical address: RAM (map lazily), an MMIO region (userspace), or nothing. */
  memoryKind?(gpa: bigint): "ram" | "mmio" | "unmapped";
  /** Map the RAM page containing `gpa` in EPT (lazy mapping on EPT violation). */
  mapRam?(gpa: bigint): void;
  /** Map guest page `gpa` (hypercall MAP_PAGE) with `perms`; returns false when it cannot. */
  mapPage?(gpa: bigint, perms: string): boolean;
  /**
   * The emulated MOV to CR0/CR3/CR4 changed paging: drop the guest's cached
   * translations as the instruction would have (SDM Vol. 3A 4.10.4.1):
   * "non-global" for MOV CR3 without PCID no-flush, "all" for paging-mode and
   * PGE changes. Needed when the guest runs with a VPID (entries survive entry).
   */
  flushGuestTlb?(scope: "all" | "non-global"): void;
  /** INVLPG exit: invalidate the guest's translations of `linear` (tagged with its VPID) as the instruction would have. */
  invalidateLinear?(linear: bigint): void;
  /** HLT: wait until an interrupt can be delivered; false when none will ever come. */
  waitForInterrupt?(): boolean;
  /** EXTERNAL_INTERRUPT with ack-interrupt-on-exit: the host's handler for `vector`. */
  hostInterrupt?(vector: number): void;
  /** PREEMPTION_TIMER: re-arm VMX_PREEMPTION_TIMER_VALUE (absent: a timer that ran out is parked at the maximum). */
  preemptionTimer?(): void;
  /** Text the guest printed through the hypercall interface. */
  console?(text: string): void;
  /** Emulate a guest VMX instruction (nested); absent → #UD. */
  nestedVmx?(vcpu: Vcpu): void;
}

/** The handler-facing vCPU. */
export interface Vcpu {
  readonly exit: ExitInfo;
  /** Registers by name, as 64-bit unsigned bigints. */
  getReg(name: RegisterName): bigint;
  setReg(name: RegisterName, value: bigint): void;
  /** `vcpu.regs.rax`, `vcpu.regs.rbx = 1n`: the same registers as a record. */
  readonly regs: Record<RegisterName, bigint>;
  rip: bigint;
  vmread(field: VmcsFieldName): bigint;
  vmwrite(field: VmcsFieldName, value: bigint): void;
  /** Guest memory through the guest's paging (linear) or directly (physical). Throws GuestMemoryError when unmapped. */
  readGuest(address: bigint, length: number, space?: "linear" | "physical"): Uint8Array;
  writeGuest(address: bigint, data: Uint8Array, space?: "linear" | "physical"): void;
  readonly msrs: MsrStore;
  readonly vm: VmServices;

  /** GUEST_RIP += length (default VM_EXIT_INSTRUCTION_LEN); ends STI/MOV-SS blocking as completing the instruction would. */
  advanceRip(length?: number): void;
  /** Program VM-entry event injection (VM_ENTRY_INTR_INFO_FIELD and friends). */
  inject(event: InjectEvent): void;
  resume(): void;
  toUserspace<K extends UserspaceExitKind>(kind: K, data: UserspaceExitData<K>): void;
  stop(reason: string, detail?: Record<string, unknown>): void;
  /** The decision so far (undefined → the dispatcher resumes). */
  readonly outcome: HandlerOutcome | undefined;
}

export class GuestMemoryError extends Error {
  constructor(
    readonly address: bigint,
    readonly space: "linear" | "physical",
    message: string,
  ) {
    super(message);
    this.name = "GuestMemoryError";
  }
}

/** Actions and register routing shared by the real and the fake vCPU. */
export abstract class VcpuBase implements Vcpu {
  abstract vmread(field: VmcsFieldName): bigint;
  abstract vmwrite(field: VmcsFieldName, value: bigint): void;
  /** Registers not held in the VMCS (see VMCS_RESIDENT_REGISTERS). */
  protected abstract loadReg(name: RegisterName): bigint;
  protected abstract storeReg(name: RegisterName, value: bigint): void;
  /** Guest-physical memory; length bytes at gpa, or throw GuestMemoryError. */
  protected abstract readPhysical(gpa: bigint, length: number): Uint8Array;
  protected abstract writePhysical(gpa: bigint, data: Uint8Array): void;
  /** Guest-linear → guest-physical through the guest's paging, or throw GuestMemoryError. */
  protected abstract translate(linear: bigint, write: boolean): bigint;

  abstract readonly msrs: MsrStore;
  abstract readonly vm: VmServices;

  private exitCache: ExitView | undefined;
  private decided: HandlerOutcome | undefined;
  private readonly vmreadFn = (f: VmcsFieldName): bigint => this.vmread(f);

  get exit(): ExitInfo {
    return (this.exitCache ??= this.makeExitView(this.vmreadFn));
  }

  /** The view of the current exit (a vCPU with faster access to the exit fields passes them eagerly). */
  protected makeExitView(vmread: (field: VmcsFieldName) => bigint): ExitView {
    return new ExitView(vmread);
  }

  /** A vCPU whose VMWRITE reaches exit-information fields calls this first: the exit view keeps what the exit reported. */
  protected beforeVmwrite(field: string): void {
    if (this.exitCache !== undefined && LAZY_EXIT_FIELDS.has(field)) this.exitCache.settle();
  }

  /** Forget the cached exit view (the VMM calls this after each VM exit). */
  protected newExit(): void {
    this.exitCache = undefined;
    this.decided = undefined;
  }

  getReg(name: RegisterName): bigint {
    const field = (VMCS_RESIDENT_REGISTERS as Partial<Record<RegisterName, VmcsFieldName>>)[name];
    if (field) return this.vmread(field);
    if (!isRegisterName(name)) throw internalError(`'${String(name)}' is not a register name (${REGISTER_NAMES.join(", ")})`);
    return this.loadReg(name);
  }

  setReg(name: RegisterName, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    const field = (VMCS_RESIDENT_REGISTERS as Partial<Record<RegisterName, VmcsFieldName>>)[name];
    if (field) return this.vmwrite(field, v);
    if (!isRegisterName(name)) throw internalError(`'${String(name)}' is not a register name (${REGISTER_NAMES.join(", ")})`);
    this.storeReg(name, v);
  }

  readonly regs: Record<RegisterName, bigint> = new Proxy({} as Record<RegisterName, bigint>, {
    get: (_t, p) => this.getReg(p as RegisterName),
    set: (_t, p, v: bigint) => (this.setReg(p as RegisterName, v), true),
    ownKeys: () => [...REGISTER_NAMES],
    getOwnPropertyDescriptor: (_t, p) => ({ enumerable: true, configurable: true, value: this.getReg(p as RegisterName) }),
  });

  get rip(): bigint {
    return this.vmread("GUEST_RIP");
  }
  set rip(v: bigint) {
    this.vmwrite("GUEST_RIP", BigInt.asUintN(64, v));
  }

  readGuest(address: bigint, length: number, space: "linear" | "physical" = "linear"): Uint8Array {
    const out = new Uint8Array(length);
    // Page by page: consecutive linear pages need not be physically contiguous.
    let done = 0;
    while (done < length) {
      const a = address + BigInt(done);
      const chunk = Math.min(length - done, 4096 - Number(a & 0xfffn));
      const gpa = space === "linear" ? this.translate(a, false) : a;
      out.set(this.readPhysical(gpa, chunk), done);
      done += chunk;
    }
    return out;
  }

  writeGuest(address: bigint, data: Uint8Array, space: "linear" | "physical" = "linear"): void {
    let done = 0;
    while (done < data.length) {
      const a = address + BigInt(done);
      const chunk = Math.min(data.length - done, 4096 - Number(a & 0xfffn));
      const gpa = space === "linear" ? this.translate(a, true) : a;
      this.writePhysical(gpa, data.subarray(done, done + chunk));
      done += chunk;
    }
  }

  /** Is the guest in 64-bit mode (IA-32e mode guest and CS.L, SDM Vol. 3C 27.3.1.2)? */
  protected in64BitMode(): boolean {
    const ia32e = (this.vmread("VM_ENTRY_CONTROLS") >> 9n & 1n) === 1n;
    const csL = (this.vmread("GUEST_CS_AR_BYTES") >> 13n & 1n) === 1n;
    return ia32e && csL;
  }

  advanceRip(length?: number): void {
    const len = length ?? this.exit.instructionLength;
    if (EXIT_REASON_INFO[this.exit.reason].category !== "instruction" && length === undefined && len === 0) {
      throw internalError(`advanceRip() on a ${this.exit.reason} exit, which has no instruction length; pass the length`);
    }
    this.stepRip(len);
  }

  /** advanceRip's VMCS update; a vCPU with direct VMCS access may do the same without bigints. */
  protected stepRip(len: number): void {
    let rip = this.rip + BigInt(len);
    // Outside 64-bit mode EIP wraps at 4 GiB (KVM's kvm_rip_write after skipping does the same).
    rip = this.in64BitMode() ? BigInt.asUintN(64, rip) : rip & 0xffff_ffffn;
    this.vmwrite("GUEST_RIP", rip);
    // The emulated instruction completed, so blocking by STI / MOV SS (interruptibility bits 1:0) ends.
    const intr = this.vmread("GUEST_INTERRUPTIBILITY_INFO");
    if (intr & 3n) this.vmwrite("GUEST_INTERRUPTIBILITY_INFO", intr & ~3n);
  }

  inject(event: InjectEvent): void {
    const vector = vectorNumber(event.vector);
    const type = event.type ?? defaultEventType(vector);
    if (!(type in EVENT_TYPES)) throw internalError(`'${type}' is not an event type (${Object.keys(EVENT_TYPES).join(", ")})`);
    // Entry check 27.2.1.3: deliver-error-code is 1 exactly for hardware exceptions that push one, in protected mode.
    const protectedMode = (this.vmread("GUEST_CR0") & 1n) === 1n;
    const withCode = type === "hardware-exception" && exceptionHasErrorCode(vector) && protectedMode;
    this.vmwrite("VM_ENTRY_INTR_INFO_FIELD", encodeInterruptionInfo({ vector, type, errorCodeValid: withCode, valid: true }));
    if (withCode) this.vmwrite("VM_ENTRY_EXCEPTION_ERROR_CODE", BigInt((event.errorCode ?? 0) >>> 0));
    // Software interrupts and exceptions push RIP + instruction length (SDM 27.6.1.1).
    const soft = type === "software-interrupt" || type === "software-exception" || type === "privileged-software-exception";
    if (soft) this.vmwrite("VM_ENTRY_INSTRUCTION_LEN", BigInt(event.instructionLength ?? this.exit.instructionLength));
  }

  get outcome(): HandlerOutcome | undefined {
    return this.decided;
  }

  resume(): void {
    this.decided = { action: "resume" };
  }

  toUserspace<K extends UserspaceExitKind>(kind: K, data: UserspaceExitData<K>): void {
    this.decided = { action: "userspace", exit: { kind, ...data } as UserspaceExit };
  }

  stop(reason: string, detail?: Record<string, unknown>): void {
    this.decided = detail ? { action: "stop", reason, detail } : { action: "stop", reason };
  }
}

/** Reads the event the vCPU will inject on the next entry (for reports and matchers). */
export function pendingInjection(vmread: (f: VmcsFieldName) => bigint): InjectedEvent | undefined {
  const info = decodeInterruptionInfo(vmread("VM_ENTRY_INTR_INFO_FIELD"));
  if (!info.valid) return undefined;
  const soft = info.type === "software-interrupt" || info.type === "software-exception" || info.type === "privileged-software-exception";
  return {
    vector: info.vector,
    type: info.type,
    errorCode: info.errorCodeValid ? Number(vmread("VM_ENTRY_EXCEPTION_ERROR_CODE")) : undefined,
    instructionLength: soft ? Number(vmread("VM_ENTRY_INSTRUCTION_LEN")) : undefined,
  };
}
