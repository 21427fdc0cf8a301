/**
 * A vCPU without a machine, for unit tests of exit handlers (the Bareflank /
 * hvpp idea: handlers tested against a fake VMCS). The exit is built from
 * typed fields or raw values; registers, VMCS fields, MSRs and guest memory
 * are plain maps; everything a handler does is recorded for the matchers.
 *
 * The actions (advanceRip, inject, outcome) are VcpuBase's, the same code the
 * real vCPU in src/vmm runs, so a handler passing here behaves the same in a VM.
 */
import { inputError } from "../common/errors";
import { accessByFieldName, type FieldName } from "../vmcs/fields";
import { hex } from "../common/u64";
import { Dispatcher } from "../exits/dispatcher";
import type { Handler } from "../exits/handlers";
import {
  encodeExitReasonField,
  encodeInstructionInfo,
  encodeInterruptionInfo,
  encodeQualification,
  exceptionHasErrorCode,
  defaultEventType,
  vectorNumber,
  type EventType,
  type InstructionInfo,
  type QualificationInput,
} from "../exits/qualification";
import { EXIT_REASON_INFO, EXIT_REASON_NUMBERS, isEntryFailure, type ExitReason } from "../exits/reasons";
import { resolveReason } from "../exits/dispatcher";
import {
  GuestMemoryError,
  MsrStore,
  pendingInjection,
  REGISTER_NAMES,
  VcpuBase,
  type HandlerOutcome,
  type InjectedEvent,
  type RegisterName,
  type VmcsFieldName,
  type VmServices,
} from "../exits/vcpu";

type Num = bigint | number;

/** An event as the fake's exit carries it (VM_EXIT_INTR_INFO or IDT_VECTORING_INFO_FIELD). */
export interface FakeEvent {
  vector: number | string;
  type?: EventType;
  /** Given → error code valid. */
  errorCode?: number;
}

export interface FakeExit {
  /** Name (CPUID), alias (INVALID_STATE) or number (10). */
  reason: ExitReason | string | number;
  /** Typed fields (`{ io: { port: 0x3f8 } }`), or a raw value. */
  qualification?: QualificationInput | Num;
  /** Default: the usual length of the instruction for instruction exits (CPUID 2, VMCALL 3…), else 0. */
  instructionLength?: number;
  guestPhysicalAddress?: Num;
  guestLinearAddress?: Num;
  interruption?: FakeEvent;
  idtVectoring?: FakeEvent;
  instructionInfo?: Partial<InstructionInfo> | Num;
}

export interface FakeVcpuOptions {
  /** The exit to handle; a bare reason name is enough. Default CPUID. */
  exit?: FakeExit | ExitReason | string | number;
  /** Register values (any of REGISTER_NAMES; rip/rsp/rflags/cr0/cr3/cr4/dr7 go to the VMCS). */
  regs?: Partial<Record<RegisterName, Num>>;
  /** VMCS fields by Linux name, on top of a 64-bit-guest default set-up. */
  vmcs?: Partial<Record<VmcsFieldName, Num>>;
  msrs?: Record<number, Num>;
  /** Guest-physical memory: address → bytes (Uint8Array, number[] or a latin1 string). Pages not given are unmapped. */
  memory?: Record<number | string, Uint8Array | number[] | string>;
  /** Guest paging: linear → physical. Default: identity (linear = physical). Return undefined for "not mapped". */
  translate?: (linear: bigint) => bigint | undefined;
  /** VM services (CPU profile, memory kinds, console…); the fake records console output by default. */
  vm?: VmServices;
  /** Guest mode for the default VMCS: long64 (default), protected32 or real16. */
  mode?: "long64" | "protected32" | "real16";
}

/** What a handler did. */
export interface FakeVcpuRecord {
  /** Every VMWRITE in order (including those the actions made). */
  vmwrites: { field: VmcsFieldName; value: bigint }[];
  /** Every register write in order (registers in the VMCS appear here too). */
  regWrites: { name: RegisterName; value: bigint }[];
  memoryWrites: { address: bigint; space: "linear" | "physical"; data: Uint8Array }[];
  /** Sum of advanceRip lengths; undefined when RIP was not advanced through advanceRip. */
  ripAdvancedBy: number | undefined;
  console: string;
}

const PAGE = 4096n;

/** Usual encodings' lengths (SDM Vol. 2 opcode maps), so `fakeVcpu({exit: "CPUID"})` needs no more. */
const TYPICAL_LENGTH: Partial<Record<ExitReason, number>> = {
  CPUID: 2, HLT: 1, INVD: 2, INVLPG: 3, RDPMC: 2, RDTSC: 2, RDTSCP: 3, VMCALL: 3, VMCLEAR: 4, VMLAUNCH: 3,
  VMPTRLD: 3, VMPTRST: 3, VMREAD: 3, VMRESUME: 3, VMWRITE: 3, VMOFF: 3, VMON: 4, CR_ACCESS: 3, DR_ACCESS: 3,
  IO_INSTRUCTION: 1, MSR_READ: 2, MSR_WRITE: 2, MWAIT_INSTRUCTION: 3, MONITOR_INSTRUCTION: 3, PAUSE_INSTRUCTION: 2,
  WBINVD: 2, XSETBV: 3, RDRAND: 3, RDSEED: 3, GETSEC: 2, INVEPT: 5, INVVPID: 5, VMFUNC: 3, INVPCID: 5,
};

/** Default guest state per mode (SDM Vol. 3C 25.4.1 fields; access rights as 25.4.1 lays them out). */
function defaultVmcs(mode: "long64" | "protected32" | "real16"): Record<string, bigint> {
  const common = {
    GUEST_RIP: 0x10000n, GUEST_RSP: 0x80000n, GUEST_RFLAGS: 0x2n, GUEST_DR7: 0x400n,
    GUEST_SS_AR_BYTES: 0xc093n, GUEST_INTERRUPTIBILITY_INFO: 0n, VM_ENTRY_INTR_INFO_FIELD: 0n,
    CR0_GUEST_HOST_MASK: 0n, CR0_READ_SHADOW: 0n,
    // KVM owns CR4.VMXE: the guest reads it as 0 while VMX operation requires it set.
    CR4_GUEST_HOST_MASK: 0x2000n, CPU_BASED_VM_EXEC_CONTROL: 0n, SECONDARY_VM_EXEC_CONTROL: 0n,
  };
  if (mode === "long64") {
    return {
      ...common, GUEST_CR0: 0x8000_0031n, GUEST_CR4: 0x2020n, CR4_READ_SHADOW: 0x20n, GUEST_IA32_EFER: 0x500n,
      VM_ENTRY_CONTROLS: 0x200n, GUEST_CS_AR_BYTES: 0xa09bn, GUEST_CR3: 0x1000n,
    };
  }
  if (mode === "protected32") {
    return { ...common, GUEST_CR0: 0x31n, GUEST_CR4: 0x2000n, CR4_READ_SHADOW: 0n, GUEST_IA32_EFER: 0n, VM_ENTRY_CONTROLS: 0n, GUEST_CS_AR_BYTES: 0xc09bn };
  }
  return { ...common, GUEST_CR0: 0x30n, GUEST_CR4: 0x2000n, CR4_READ_SHADOW: 0n, GUEST_IA32_EFER: 0n, VM_ENTRY_CONTROLS: 0n, GUEST_CS_AR_BYTES: 0x9bn, GUEST_SS_AR_BYTES: 0x93n };
}

function toBytes(v: Uint8Array | number[] | string): Uint8Array {
  if (typeof v === "string") return Uint8Array.from(v, (c) => c.charCodeAt(0) & 0xff);
  return Uint8Array.from(v);
}

function eventInfo(e: FakeEvent): { info: bigint; errorCode: bigint | undefined } {
  const vector = vectorNumber(e.vector);
  const type = e.type ?? defaultEventType(vector);
  const withCode = e.errorCode !== undefined || (type === "hardware-exception" && exceptionHasErrorCode(vector));
  return {
    info: encodeInterruptionInfo({ vector, type, errorCodeValid: withCode, valid: true }),
    errorCode: withCode ? BigInt((e.errorCode ?? 0) >>> 0) : undefined,
  };
}

export class FakeVcpu extends VcpuBase {
  /** Field values by full field name (a `_HIGH` access reads/writes bits 63:32). */
  readonly vmcs = new Map<FieldName, bigint>();
  readonly msrs: MsrStore;
  readonly vm: VmServices;
  readonly record: FakeVcpuRecord = { vmwrites: [], regWrites: [], memoryWrites: [], ripAdvancedBy: undefined, console: "" };
  private readonly other = new Map<RegisterName, bigint>();
  private readonly pages = new Map<bigint, Uint8Array>();
  private readonly translateFn: (linear: bigint) => bigint | undefined;
  private recording = false;

  constructor(o: FakeVcpuOptions = {}) {
    super();
    for (const [k, v] of Object.entries(defaultVmcs(o.mode ?? "long64"))) this.vmwrite(k as VmcsFieldName, v);
    this.msrs = new MsrStore(Object.entries(o.msrs ?? {}).map(([k, v]) => [Number(k), BigInt(v)] as [number, bigint]));
    this.vm = { console: (t) => (this.record.console += t), ...o.vm };
    this.translateFn = o.translate ?? ((l) => l);
    for (const [k, v] of Object.entries(o.vmcs ?? {})) this.vmwrite(k as VmcsFieldName, BigInt(v as Num));
    for (const [k, v] of Object.entries(o.regs ?? {})) {
      if (!(REGISTER_NAMES as readonly string[]).includes(k)) throw inputError(`fakeVcpu: '${k}' is not a register (${REGISTER_NAMES.join(", ")})`);
      this.setReg(k as RegisterName, BigInt(v as Num));
    }
    for (const [addr, bytes] of Object.entries(o.memory ?? {})) this.loadPhysical(BigInt(addr), toBytes(bytes));
    this.setExit(o.exit ?? "CPUID");
    this.recording = true;
  }

  /** Puts guest-physical bytes in place (mapping the pages they cover), without recording a write. */
  loadPhysical(gpa: bigint, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const a = gpa + BigInt(i);
      let p = this.pages.get(a / PAGE);
      if (!p) this.pages.set(a / PAGE, (p = new Uint8Array(4096)));
      p[Number(a % PAGE)] = data[i]!;
    }
  }

  /** Replaces the exit (VM-exit information fields) and forgets earlier decisions. */
  setExit(e: FakeExit | ExitReason | string | number): void {
    const x: FakeExit = typeof e === "object" ? e : { reason: e };
    const reason = resolveReason(x.reason);
    const basic = EXIT_REASON_NUMBERS[reason];
    const q = x.qualification;
    const raw = q === undefined ? 0n : typeof q === "object" ? encodeQualification(reason, q) : BigInt.asUintN(64, BigInt(q));
    // Exit-information fields are read-only to VMWRITE; the fake sets them as the processor does on an exit.
    const set = (f: FieldName, v: bigint) => this.store(f, v);
    set("VM_EXIT_REASON", encodeExitReasonField({ basic, entryFailure: isEntryFailure(reason) }));
    set("EXIT_QUALIFICATION", raw);
    const len = x.instructionLength ?? (EXIT_REASON_INFO[reason].category === "instruction" ? TYPICAL_LENGTH[reason] ?? 3 : 0);
    set("VM_EXIT_INSTRUCTION_LEN", BigInt(len));
    set("GUEST_PHYSICAL_ADDRESS", BigInt(x.guestPhysicalAddress ?? 0));
    set("GUEST_LINEAR_ADDRESS", BigInt(x.guestLinearAddress ?? 0));
    const ii = x.instructionInfo;
    set("VMX_INSTRUCTION_INFO", ii === undefined ? 0n : typeof ii === "object" ? encodeInstructionInfo(ii) : BigInt(ii));
    const intr = x.interruption ? eventInfo(x.interruption) : undefined;
    set("VM_EXIT_INTR_INFO", intr?.info ?? 0n);
    set("VM_EXIT_INTR_ERROR_CODE", intr?.errorCode ?? 0n);
    const idt = x.idtVectoring ? eventInfo(x.idtVectoring) : undefined;
    set("IDT_VECTORING_INFO_FIELD", idt?.info ?? 0n);
    set("IDT_VECTORING_ERROR_CODE", idt?.errorCode ?? 0n);
    if (reason === "EXCEPTION_NMI" && !x.interruption) throw inputError("fakeVcpu: an EXCEPTION_NMI exit needs `interruption: { vector }`");
    this.newExit();
  }

  vmread(field: VmcsFieldName): bigint {
    const a = access(field);
    const v = this.vmcs.get(a.field.name) ?? 0n;
    return a.high ? v >> 32n : v;
  }

  /** VMWRITE truncates to the field's width (SDM Vol. 3C 31 VMWRITE); `_HIGH` writes bits 63:32. */
  vmwrite(field: VmcsFieldName, value: bigint): void {
    const a = access(field);
    const old = this.vmcs.get(a.field.name) ?? 0n;
    const v = a.high ? (old & 0xffff_ffffn) | (BigInt.asUintN(32, value) << 32n) : BigInt.asUintN(a.field.bits, value);
    this.vmcs.set(a.field.name, v);
    if (this.recording) this.record.vmwrites.push({ field: a.field.name, value: v });
  }

  private store(field: FieldName, value: bigint): void {
    this.vmcs.set(field, BigInt.asUintN(access(field).field.bits, value));
  }

  override setReg(name: RegisterName, value: bigint): void {
    super.setReg(name, value);
    if (this.recording) this.record.regWrites.push({ name, value: BigInt.asUintN(64, value) });
  }

  protected loadReg(name: RegisterName): bigint {
    return this.other.get(name) ?? (name === "dr6" ? 0xffff_0ff0n : name === "xcr0" ? 1n : 0n);
  }

  protected storeReg(name: RegisterName, value: bigint): void {
    this.other.set(name, value);
  }

  protected readPhysical(gpa: bigint, length: number): Uint8Array {
    const p = this.pages.get(gpa / PAGE);
    if (!p) throw new GuestMemoryError(gpa, "physical", `guest-physical address ${hex(gpa)} is not backed by the fake's memory`);
    const off = Number(gpa % PAGE);
    return p.slice(off, off + length);
  }

  protected writePhysical(gpa: bigint, data: Uint8Array): void {
    const p = this.pages.get(gpa / PAGE);
    if (!p) throw new GuestMemoryError(gpa, "physical", `guest-physical address ${hex(gpa)} is not backed by the fake's memory`);
    p.set(data, Number(gpa % PAGE));
  }

  protected translate(linear: bigint): bigint {
    const gpa = this.translateFn(linear);
    if (gpa === undefined) throw new GuestMemoryError(linear, "linear", `linear address ${hex(linear)} is not mapped by the guest's paging`);
    return gpa;
  }

  override writeGuest(address: bigint, data: Uint8Array, space: "linear" | "physical" = "linear"): void {
    super.writeGuest(address, data, space);
    this.record.memoryWrites.push({ address, space, data: Uint8Array.from(data) });
  }

  override advanceRip(length?: number): void {
    const before = this.rip;
    super.advanceRip(length);
    this.record.ripAdvancedBy = (this.record.ripAdvancedBy ?? 0) + Number(BigInt.asUintN(32, this.rip - before));
  }

  /** The event programmed for the next VM entry, if any. */
  get injected(): InjectedEvent | undefined {
    return pendingInjection((f) => this.vmread(f));
  }

  /** Bytes of guest-physical memory (for assertions). */
  physical(gpa: Num, length: number): Uint8Array {
    return this.readPhysical(BigInt(gpa), length);
  }

  /**
   * Runs a handler (default: the default handler for the exit's reason) — or
   * a whole Dispatcher — on this exit, exactly as the VM's dispatcher would
   * (the handler's `next` is the default; an interrupted event delivery is
   * re-injected on resume), and returns the decision.
   */
  handle(handler?: Handler | Dispatcher): HandlerOutcome {
    if (handler instanceof Dispatcher) return handler.dispatch(this);
    const d = new Dispatcher();
    if (handler) d.set(this.exit.reason, handler);
    return d.dispatch(this);
  }
}

/** The field table (src/vmcs/fields.ts) vouches for every name, so a misspelt field fails loudly. */
function access(name: string) {
  const a = accessByFieldName(name);
  if (!a) throw inputError(`'${name}' is not a VMCS field name (Linux enum vmcs_field spelling, e.g. GUEST_RIP; see \`vmxlab fields\`)`);
  return a;
}

/** Builds a fake vCPU stopped at an exit. */
export function fakeVcpu(o: FakeVcpuOptions = {}): FakeVcpu {
  return new FakeVcpu(o);
}
