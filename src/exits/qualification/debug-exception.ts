/**
 * Exit qualification for debug exceptions (#DB through the exception bitmap):
 * the DR6 bits the exception would have set (SDM Vol. 3C 28.2.1 Table 28-1).
 * DR6 itself is not updated on such a VM exit.
 */
import { bit, field, flag, put } from "./bits";

export interface DebugExceptionQualification {
  /** Bits 3:0: B0–B3, the breakpoint conditions met (bit n = DRn). */
  breakpoints: number;
  /** Bit 11: BLD, a bus lock was asserted. */
  busLock: boolean;
  /** Bit 13: BD, debug-register access detected. */
  bd: boolean;
  /** Bit 14: BS, single step (RFLAGS.TF). */
  bs: boolean;
  /** Bit 16: RTM, the exception occurred inside an RTM region. */
  rtm: boolean;
}

export function decodeDebugException(q: bigint): DebugExceptionQualification {
  return { breakpoints: field(q, 3, 0), busLock: bit(q, 11), bd: bit(q, 13), bs: bit(q, 14), rtm: bit(q, 16) };
}

export function encodeDebugException(v: Partial<DebugExceptionQualification>): bigint {
  return put(v.breakpoints ?? 0, 3, 0, "B0-B3") | flag(v.busLock, 11) | flag(v.bd, 13) | flag(v.bs, 14) | flag(v.rtm, 16);
}
