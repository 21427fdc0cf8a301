/** The full 32-bit exit-reason field VM_EXIT_REASON (SDM Vol. 3C 25.9.1, "Format of Exit Reason"). */
import { exitReasonName, type ExitReason } from "../reasons";
import { bit, field, flag, put } from "./bits";

export interface ExitReasonField {
  /** Bits 15:0. */
  basic: number;
  name: ExitReason | `UNKNOWN_${number}`;
  /** Bit 26: a bus lock was asserted (Linux `bus_lock_detected`). */
  busLockDetected: boolean;
  /** Bit 27: the exit was incident to enclave mode. */
  enclaveMode: boolean;
  /** Bit 28: pending MTF VM exit (SMM VM exits). */
  pendingMtf: boolean;
  /** Bit 29: VM exit from VMX root operation (SMM VM exits). */
  fromVmxRoot: boolean;
  /** Bit 31: VM-entry failure. */
  entryFailure: boolean;
}

export function decodeExitReasonField(v: bigint | number): ExitReasonField {
  const q = BigInt(v);
  const basic = field(q, 15, 0);
  return {
    basic,
    name: exitReasonName(basic),
    busLockDetected: bit(q, 26),
    enclaveMode: bit(q, 27),
    pendingMtf: bit(q, 28),
    fromVmxRoot: bit(q, 29),
    entryFailure: bit(q, 31),
  };
}

export function encodeExitReasonField(v: Partial<ExitReasonField> & { basic: number }): bigint {
  return (
    put(v.basic, 15, 0, "basic exit reason") |
    flag(v.busLockDetected, 26) |
    flag(v.enclaveMode, 27) |
    flag(v.pendingMtf, 28) |
    flag(v.fromVmxRoot, 29) |
    flag(v.entryFailure, 31)
  );
}
