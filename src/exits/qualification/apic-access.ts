/** Exit qualification for APIC-access VM exits (SDM Vol. 3C 28.2.1 Table 28-6). */
import { inputError } from "../../common/errors";
import { bit, field, flag, put } from "./bits";

/** Bits 15:12 (values 4–9 and 11–14 are not used). */
export const APIC_ACCESS_TYPES = {
  "linear-read": 0,
  "linear-write": 1,
  "linear-fetch": 2,
  "linear-event-delivery": 3,
  "physical-event-delivery": 10,
  "physical-fetch-or-execution": 15,
} as const;
export type ApicAccessType = keyof typeof APIC_ACCESS_TYPES;

export interface ApicAccessQualification {
  /** Bits 11:0: offset on the APIC-access page (linear accesses, types 0–3). */
  offset: number;
  access: ApicAccessType;
  /** Bit 16: the access was asynchronous to instruction execution and not part of event delivery. */
  asynchronous: boolean;
}

export function decodeApicAccess(q: bigint): ApicAccessQualification {
  const t = field(q, 15, 12);
  const access = (Object.keys(APIC_ACCESS_TYPES) as ApicAccessType[]).find((k) => APIC_ACCESS_TYPES[k] === t);
  if (!access) throw inputError(`APIC-access qualification bits 15:12 = ${t} is not an access type (SDM Table 28-6)`);
  return { offset: field(q, 11, 0), access, asynchronous: bit(q, 16) };
}

export function encodeApicAccess(v: Partial<ApicAccessQualification>): bigint {
  return put(v.offset ?? 0, 11, 0, "APIC-access offset") | BigInt(APIC_ACCESS_TYPES[v.access ?? "linear-read"]) << 12n | flag(v.asynchronous, 16);
}
