/** Exit qualification for MOV DR (SDM Vol. 3C 28.2.1 Table 28-4). */
import { bit, field, flag, gprNumber, GPR_BY_NUMBER, put, type GprName } from "./bits";

export interface DrAccessQualification {
  /** Bits 2:0: the debug register. */
  dr: number;
  /** Bit 4: 0 = MOV to DR, 1 = MOV from DR. */
  direction: "to-dr" | "from-dr";
  /** Bits 11:8. */
  gpr: GprName;
}

export function decodeDrAccess(q: bigint): DrAccessQualification {
  return { dr: field(q, 2, 0), direction: bit(q, 4) ? "from-dr" : "to-dr", gpr: GPR_BY_NUMBER[field(q, 11, 8)]! };
}

export function encodeDrAccess(v: Partial<DrAccessQualification>): bigint {
  return put(v.dr ?? 0, 2, 0, "MOV-DR qualification dr") | flag(v.direction === "from-dr", 4) | put(gprNumber(v.gpr ?? "rax"), 11, 8, "MOV-DR gpr");
}
