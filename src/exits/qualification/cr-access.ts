/** Exit qualification for control-register accesses (SDM Vol. 3C 28.2.1 Table 28-3). */
import { bit, field, flag, gprNumber, GPR_BY_NUMBER, put, type GprName } from "./bits";

export const CR_ACCESS_TYPES = ["mov-to-cr", "mov-from-cr", "clts", "lmsw"] as const;
export type CrAccessType = (typeof CR_ACCESS_TYPES)[number];

export interface CrAccessQualification {
  /** Bits 3:0: the control register (0 for CLTS and LMSW). */
  cr: number;
  /** Bits 5:4. */
  access: CrAccessType;
  /** Bit 6: LMSW operand type (0 register, 1 memory); 0 for the other types. */
  lmswOperand: "register" | "memory";
  /** Bits 11:8: the general-purpose register of MOV CR (0 for CLTS and LMSW). */
  gpr: GprName;
  /** Bits 31:16: the LMSW source data (0 for the other types). */
  lmswSource: number;
}

export function decodeCrAccess(q: bigint): CrAccessQualification {
  return {
    cr: field(q, 3, 0),
    access: CR_ACCESS_TYPES[field(q, 5, 4)]!,
    lmswOperand: bit(q, 6) ? "memory" : "register",
    gpr: GPR_BY_NUMBER[field(q, 11, 8)]!,
    lmswSource: field(q, 31, 16),
  };
}

export function encodeCrAccess(v: Partial<CrAccessQualification>): bigint {
  return (
    put(v.cr ?? 0, 3, 0, "CR-access qualification cr") |
    put(CR_ACCESS_TYPES.indexOf(v.access ?? "mov-to-cr"), 5, 4, "CR-access type") |
    flag(v.lmswOperand === "memory", 6) |
    put(gprNumber(v.gpr ?? "rax"), 11, 8, "CR-access gpr") |
    put(v.lmswSource ?? 0, 31, 16, "LMSW source data")
  );
}
