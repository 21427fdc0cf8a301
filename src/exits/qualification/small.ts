/**
 * Qualifications that are a single number or a couple of flags
 * (SDM Vol. 3C 28.2.1 Table 28-1 and the sections cited per function).
 */
import { bit, field, flag, put } from "./bits";

/** VM-entry failure due to invalid guest state (SDM Vol. 3C 27.8). */
export const ENTRY_FAILURE_QUALIFICATIONS = {
  0: "default (no further information)",
  2: "failure was due to a problem loading the PDPTEs",
  3: "failure was due to an attempt to inject a non-maskable interrupt (NMI) into a guest that is blocking events through the STI blocking bit",
  4: "failure was due to an invalid VMCS link pointer",
} as const satisfies Record<number, string>;

export interface EntryFailureQualification {
  code: number;
  meaning: string;
}

export function decodeEntryFailure(q: bigint): EntryFailureQualification {
  const code = Number(q & 0xffffn);
  return { code, meaning: (ENTRY_FAILURE_QUALIFICATIONS as Record<number, string>)[code] ?? "not defined by the SDM" };
}

/** PML full, SPP-related events, bus lock: bit 12 = NMI unblocking due to IRET. */
export interface NmiUnblockingQualification {
  nmiUnblocking: boolean;
}

export function decodeNmiUnblocking(q: bigint): NmiUnblockingQualification {
  return { nmiUnblocking: bit(q, 12) };
}

/** Instruction timeout (NOTIFY): bit 0 = VM context invalid, bit 12 = NMI unblocking due to IRET. */
export interface NotifyQualification {
  contextInvalid: boolean;
  nmiUnblocking: boolean;
}

export function decodeNotify(q: bigint): NotifyQualification {
  return { contextInvalid: bit(q, 0), nmiUnblocking: bit(q, 12) };
}

export function encodeNotify(v: Partial<NotifyQualification>): bigint {
  return flag(v.contextInvalid, 0) | flag(v.nmiUnblocking, 12);
}

/** SIPI vector and virtualized-EOI vector: bits 7:0. */
export function decodeVector(q: bigint): number {
  return field(q, 7, 0);
}

export function encodeVector(v: number): bigint {
  return put(v, 7, 0, "vector");
}

/** APIC write: bits 11:0 = offset on the APIC-access page. */
export function decodeApicWriteOffset(q: bigint): number {
  return field(q, 11, 0);
}
