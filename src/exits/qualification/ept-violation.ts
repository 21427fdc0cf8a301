/**
 * Exit qualification for EPT violations (SDM Vol. 3C 28.2.1 Table 28-7) as a
 * typed record. The bit table itself lives in src/ept/qualification.ts (one
 * table per fact); this file only names its bits for handlers.
 */
import { EPT_VIOLATION_BITS } from "../../ept/qualification";
import { bit, flag } from "./bits";

/** Record property → key of EPT_VIOLATION_BITS. */
const PROPS = {
  read: "READ",
  write: "WRITE",
  fetch: "FETCH",
  readable: "READABLE",
  writable: "WRITABLE",
  executable: "EXECUTABLE",
  userExecutable: "USER_EXECUTABLE",
  glaValid: "GLA_VALID",
  translated: "TRANSLATED",
  userLinear: "USER_LINEAR",
  writableLinear: "WRITABLE_LINEAR",
  executeDisableLinear: "EXECUTE_DISABLE_LINEAR",
  nmiUnblocking: "NMI_UNBLOCKING",
  shadowStack: "SHADOW_STACK",
} as const satisfies Record<string, keyof typeof EPT_VIOLATION_BITS>;

export type EptViolationQualification = { -readonly [K in keyof typeof PROPS]: boolean };

export function decodeEptViolation(q: bigint): EptViolationQualification {
  const out = {} as EptViolationQualification;
  for (const [prop, key] of Object.entries(PROPS) as [keyof typeof PROPS, keyof typeof EPT_VIOLATION_BITS][]) {
    out[prop] = bit(q, EPT_VIOLATION_BITS[key].bit);
  }
  return out;
}

export function encodeEptViolation(v: Partial<EptViolationQualification>): bigint {
  let q = 0n;
  for (const [prop, key] of Object.entries(PROPS) as [keyof typeof PROPS, keyof typeof EPT_VIOLATION_BITS][]) {
    q |= flag(v[prop], EPT_VIOLATION_BITS[key].bit);
  }
  return q;
}

/** "read", "write" or "fetch": the access that failed (bits 2:0; one is set for a violation). */
export function eptAccess(v: EptViolationQualification): "read" | "write" | "fetch" {
  return v.write ? "write" : v.fetch ? "fetch" : "read";
}
