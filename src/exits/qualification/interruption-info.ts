/**
 * The event-information fields: VM-exit interruption information
 * (VM_EXIT_INTR_INFO, SDM Vol. 3C 25.9.2), IDT-vectoring
 * information (IDT_VECTORING_INFO_FIELD, 25.9.3) and VM-entry
 * interruption information (VM_ENTRY_INTR_INFO_FIELD, 25.8.3).
 * All three share one layout: vector 7:0, type 10:8, error code valid 11,
 * bit 12 NMI unblocking due to IRET (exit interruption info only), valid 31.
 */
import { inputError } from "../../common/errors";
import { flag, put } from "./bits";

/** Bits 10:8 (the interruption-type tables of SDM 25.8.3, 25.9.2, 25.9.3); 1 is reserved. */
export const EVENT_TYPES = {
  "external-interrupt": 0,
  nmi: 2,
  "hardware-exception": 3,
  "software-interrupt": 4,
  "privileged-software-exception": 5,
  "software-exception": 6,
  "other-event": 7,
} as const;
export type EventType = keyof typeof EVENT_TYPES;

/** Architectural exception vectors (SDM Vol. 3A 6.3.1 Table 6-1). */
export const EXCEPTION_VECTORS = {
  DE: 0, DB: 1, NMI: 2, BP: 3, OF: 4, BR: 5, UD: 6, NM: 7, DF: 8, TS: 10, NP: 11, SS: 12, GP: 13, PF: 14,
  MF: 16, AC: 17, MC: 18, XM: 19, VE: 20, CP: 21,
} as const;
export type ExceptionName = keyof typeof EXCEPTION_VECTORS;

/** Exceptions that push an error code in protected/long mode (SDM Vol. 3A Table 6-1). */
const HAS_ERROR_CODE: ReadonlySet<number> = new Set([8, 10, 11, 12, 13, 14, 17, 21]);

export function exceptionHasErrorCode(vector: number): boolean {
  return HAS_ERROR_CODE.has(vector);
}

/** A vector given as a number or as an exception mnemonic ("UD", "#GP", "gp"). */
export function vectorNumber(v: number | string): number {
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw inputError(`vector ${v} is not in 0..255`);
    return v;
  }
  const name = v.replace(/^#/, "").toUpperCase();
  if (name in EXCEPTION_VECTORS) return EXCEPTION_VECTORS[name as ExceptionName];
  if (/^(0x[0-9a-f]+|\d+)$/i.test(v)) return vectorNumber(Number(v));
  throw inputError(`'${v}' is not an exception name (${Object.keys(EXCEPTION_VECTORS).join(", ")}) or a vector number`);
}

/** "#UD" for exception vectors, the number otherwise. */
export function vectorName(vector: number): string {
  const e = Object.entries(EXCEPTION_VECTORS).find(([, n]) => n === vector);
  return e && vector !== 2 ? `#${e[0]}` : String(vector);
}

export interface InterruptionInfo {
  /** Bit 31. */
  valid: boolean;
  /** Bits 7:0. */
  vector: number;
  /** Bits 10:8. */
  type: EventType;
  /** Bit 11: the error code field (VM_EXIT_INTR_ERROR_CODE / IDT_VECTORING_ERROR_CODE / VM_ENTRY_EXCEPTION_ERROR_CODE) is valid. */
  errorCodeValid: boolean;
  /** Bit 12 of VM-exit interruption information: NMI unblocking due to IRET (undefined in the other two fields). */
  nmiUnblocking: boolean;
}

/** Type number (bits 10:8) → name; the reserved type 1 reads as an external interrupt. */
const TYPE_BY_NUMBER: readonly EventType[] = (() => {
  const t: EventType[] = [];
  for (let n = 0; n < 8; n++) t.push((Object.keys(EVENT_TYPES) as EventType[]).find((k) => EVENT_TYPES[k] === n) ?? "external-interrupt");
  return t;
})();

export function decodeInterruptionInfo(v: bigint | number): InterruptionInfo {
  // Every bit decoded is in 31:0, so the low 32 bits are all that matter (the exit path calls this; no BigInt on it).
  const q = typeof v === "bigint" ? Number(v & 0xffff_ffffn) : Number.isSafeInteger(v) ? v >>> 0 : Number(BigInt(v) & 0xffff_ffffn);
  return {
    valid: (q & 0x8000_0000) !== 0, vector: q & 0xff, type: TYPE_BY_NUMBER[(q >>> 8) & 7]!,
    errorCodeValid: (q & 0x800) !== 0, nmiUnblocking: (q & 0x1000) !== 0,
  };
}

export function encodeInterruptionInfo(v: Partial<InterruptionInfo> & { vector: number }): bigint {
  return (
    put(v.vector, 7, 0, "vector") |
    (BigInt(EVENT_TYPES[v.type ?? "hardware-exception"]) << 8n) |
    flag(v.errorCodeValid, 11) |
    flag(v.nmiUnblocking, 12) |
    flag(v.valid ?? true, 31)
  );
}

/** The event type an injection of `vector` has when the caller does not say (#BP/#OF software exceptions, NMI, else hardware exception / external interrupt). */
export function defaultEventType(vector: number): EventType {
  if (vector === 2) return "nmi";
  if (vector === 3 || vector === 4) return "software-exception";
  return vector < 32 ? "hardware-exception" : "external-interrupt";
}

export function formatInterruptionInfo(i: InterruptionInfo): string {
  if (!i.valid) return "not valid";
  return `${i.type} ${vectorName(i.vector)}${i.errorCodeValid ? " (error code valid)" : ""}${i.nmiUnblocking ? " NMI-unblocking" : ""}`;
}
