/**
 * The exit qualification decoded by reason: `q.cr`, `q.io.port`, `q.ept.write`…
 * Reading a view that does not belong to the exit's reason is a clear error,
 * not a silently wrong decode. Encoders build raw values from the same
 * typed records (used by the test harness and the engine's specs).
 */
import { internalError } from "../../common/errors";
import { EXIT_REASON_INFO, type ExitReason, type QualificationKind } from "../reasons";
import { decodeApicAccess, encodeApicAccess, type ApicAccessQualification } from "./apic-access";
import { decodeCrAccess, encodeCrAccess, type CrAccessQualification } from "./cr-access";
import { decodeDebugException, encodeDebugException, type DebugExceptionQualification } from "./debug-exception";
import { decodeDrAccess, encodeDrAccess, type DrAccessQualification } from "./dr-access";
import { decodeEptViolation, encodeEptViolation, type EptViolationQualification } from "./ept-violation";
import { decodeIo, encodeIo, type IoQualification } from "./io";
import {
  decodeApicWriteOffset,
  decodeEntryFailure,
  decodeNmiUnblocking,
  decodeNotify,
  decodeVector,
  encodeNotify,
  type EntryFailureQualification,
  type NmiUnblockingQualification,
  type NotifyQualification,
} from "./small";
import { summarizeQualification } from "./summary";
import { decodeTaskSwitch, encodeTaskSwitch, type TaskSwitchQualification } from "./task-switch";

export * from "./apic-access";
export * from "./bits";
export * from "./cr-access";
export * from "./debug-exception";
export * from "./dr-access";
export * from "./ept-violation";
export * from "./exit-reason-field";
export * from "./instruction-info";
export * from "./interruption-info";
export * from "./io";
export * from "./small";
export { summarizeQualification } from "./summary";
export * from "./task-switch";

const U64 = (1n << 64n) - 1n;

/** Typed views of one exit qualification. Each getter checks that the view fits the exit reason. */
export class Qualification {
  readonly raw: bigint;

  constructor(
    readonly reason: ExitReason,
    raw: bigint,
    /** For EXCEPTION_NMI: the vector from VM_EXIT_INTR_INFO (#DB and #PF have qualifications). */
    readonly exceptionVector?: number,
  ) {
    this.raw = raw & U64;
  }

  get kind(): QualificationKind {
    return EXIT_REASON_INFO[this.reason].qualification;
  }

  private need(kinds: QualificationKind[], view: string): void {
    if (!kinds.includes(this.kind)) {
      throw internalError(`exit.qualification.${view} read on a ${this.reason} exit, whose qualification is '${this.kind}' (${EXIT_REASON_INFO[this.reason].sdm})`);
    }
  }

  /** CR_ACCESS (Table 28-3). */
  get cr(): CrAccessQualification {
    this.need(["cr-access"], "cr");
    return decodeCrAccess(this.raw);
  }
  /** DR_ACCESS (Table 28-4). */
  get dr(): DrAccessQualification {
    this.need(["dr-access"], "dr");
    return decodeDrAccess(this.raw);
  }
  /** IO_INSTRUCTION (Table 28-5), and the I/O instruction of an I/O SMI. */
  get io(): IoQualification {
    this.need(["io", "io-smi"], "io");
    return decodeIo(this.raw);
  }
  /** EPT_VIOLATION (Table 28-7). */
  get ept(): EptViolationQualification {
    this.need(["ept-violation"], "ept");
    return decodeEptViolation(this.raw);
  }
  /** TASK_SWITCH (Table 28-2). */
  get taskSwitch(): TaskSwitchQualification {
    this.need(["task-switch"], "taskSwitch");
    return decodeTaskSwitch(this.raw);
  }
  /** EXCEPTION_NMI for #DB (Table 28-1). */
  get debug(): DebugExceptionQualification {
    this.need(["exception"], "debug");
    if (this.exceptionVector !== undefined && this.exceptionVector !== 1) {
      throw internalError(`exit.qualification.debug read for exception vector ${this.exceptionVector}; only #DB (1) has debug-exception bits`);
    }
    return decodeDebugException(this.raw);
  }
  /** INVLPG operand, or the #PF faulting linear address of an EXCEPTION_NMI exit. */
  get linearAddress(): bigint {
    this.need(["linear-address", "exception"], "linearAddress");
    return this.raw;
  }
  /** The memory operand's displacement (VMX instructions, LGDT-group, INVPCID, XSAVES…; sign-extended by the CPU). */
  get displacement(): bigint {
    this.need(["displacement"], "displacement");
    return BigInt.asIntN(64, this.raw);
  }
  /** APIC_ACCESS (Table 28-6). */
  get apicAccess(): ApicAccessQualification {
    this.need(["apic-access"], "apicAccess");
    return decodeApicAccess(this.raw);
  }
  /** SIPI_SIGNAL / EOI_INDUCED: bits 7:0. */
  get vector(): number {
    this.need(["sipi-vector", "eoi-vector"], "vector");
    return decodeVector(this.raw);
  }
  /** APIC_WRITE: bits 11:0. */
  get apicWriteOffset(): number {
    this.need(["apic-write-offset"], "apicWriteOffset");
    return decodeApicWriteOffset(this.raw);
  }
  /** INVALID_GUEST_STATE (SDM 27.8). */
  get entryFailure(): EntryFailureQualification {
    this.need(["entry-failure"], "entryFailure");
    return decodeEntryFailure(this.raw);
  }
  /** MSR_LOAD_FAIL: 1-based index of the failing VM-entry MSR-load entry. */
  get msrLoadIndex(): number {
    this.need(["msr-load-index"], "msrLoadIndex");
    return Number(this.raw & 0xffff_ffffn);
  }
  /** PML_FULL, SPP_EVENT, BUS_LOCK: bit 12. */
  get nmiUnblocking(): NmiUnblockingQualification {
    this.need(["nmi-unblocking", "notify"], "nmiUnblocking");
    return decodeNmiUnblocking(this.raw);
  }
  /** NOTIFY. */
  get notify(): NotifyQualification {
    this.need(["notify"], "notify");
    return decodeNotify(this.raw);
  }

  /** One line in the SDM's words: "MOV CR0, RAX", "OUT byte to port 0x3f8 (DX)"… ("" when there is nothing to say). */
  summary(): string {
    return summarizeQualification(this);
  }

  /** The decoded view for this reason as a plain object (reports, `explain`, JSON). */
  describe(): Record<string, unknown> | bigint | null {
    switch (this.kind) {
      case "none": return null;
      case "cr-access": return { ...this.cr };
      case "dr-access": return { ...this.dr };
      case "io": case "io-smi": return { ...this.io };
      case "ept-violation": return { ...this.ept };
      case "task-switch": return { ...this.taskSwitch };
      case "exception": return this.exceptionVector === 1 ? { ...this.debug } : this.raw;
      case "apic-access": return { ...this.apicAccess };
      case "entry-failure": return { ...this.entryFailure };
      case "notify": return { ...this.notify };
      case "nmi-unblocking": return { ...this.nmiUnblocking };
      default: return this.raw;
    }
  }
}

/** A qualification given as typed fields (any one that fits the reason) or as a raw value. */
export interface QualificationInput {
  raw?: bigint | number;
  cr?: Partial<CrAccessQualification>;
  dr?: Partial<DrAccessQualification>;
  io?: Partial<IoQualification>;
  ept?: Partial<EptViolationQualification>;
  taskSwitch?: Partial<TaskSwitchQualification>;
  debug?: Partial<DebugExceptionQualification>;
  apicAccess?: Partial<ApicAccessQualification>;
  notify?: Partial<NotifyQualification>;
  linearAddress?: bigint | number;
  displacement?: bigint | number;
  vector?: number;
}

/** Builds the raw qualification for `reason` from typed fields (raw wins when both are given). */
export function encodeQualification(reason: ExitReason, v: QualificationInput = {}): bigint {
  if (v.raw !== undefined) return BigInt.asUintN(64, BigInt(v.raw));
  const kind = EXIT_REASON_INFO[reason].qualification;
  const given = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
  const fits: Record<string, QualificationKind[]> = {
    cr: ["cr-access"], dr: ["dr-access"], io: ["io", "io-smi"], ept: ["ept-violation"], taskSwitch: ["task-switch"],
    debug: ["exception"], apicAccess: ["apic-access"], notify: ["notify"], linearAddress: ["linear-address", "exception"],
    displacement: ["displacement"], vector: ["sipi-vector", "eoi-vector"],
  };
  for (const k of given) {
    if (!fits[k]?.includes(kind)) throw internalError(`qualification.${k} does not fit a ${reason} exit (its qualification is '${kind}')`);
  }
  if (v.cr) return encodeCrAccess(v.cr);
  if (v.dr) return encodeDrAccess(v.dr);
  if (v.io) return encodeIo(v.io);
  if (v.ept) return encodeEptViolation(v.ept);
  if (v.taskSwitch) return encodeTaskSwitch(v.taskSwitch);
  if (v.debug) return encodeDebugException(v.debug);
  if (v.apicAccess) return encodeApicAccess(v.apicAccess);
  if (v.notify) return encodeNotify(v.notify);
  if (v.linearAddress !== undefined) return BigInt.asUintN(64, BigInt(v.linearAddress));
  if (v.displacement !== undefined) return BigInt.asUintN(64, BigInt(v.displacement));
  if (v.vector !== undefined) return BigInt(v.vector & 0xff);
  return 0n;
}
