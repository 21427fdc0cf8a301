/** Exit qualification for I/O instructions (SDM Vol. 3C 28.2.1 Table 28-5); also the I/O SMI layout. */
import { inputError } from "../../common/errors";
import { bit, field, flag, put } from "./bits";

export type IoSize = 1 | 2 | 4;

export interface IoQualification {
  /** Bits 2:0 hold size − 1 (0 = 1 byte, 1 = 2 bytes, 3 = 4 bytes). */
  size: IoSize;
  /** Bit 3: 0 = OUT, 1 = IN. */
  direction: "in" | "out";
  /** Bit 4: INS/OUTS. */
  string: boolean;
  /** Bit 5: REP prefixed. */
  rep: boolean;
  /** Bit 6: 0 = port in DX, 1 = immediate operand. */
  operand: "dx" | "immediate";
  /** Bits 31:16. */
  port: number;
}

export function decodeIo(q: bigint): IoQualification {
  const s = field(q, 2, 0);
  if (s !== 0 && s !== 1 && s !== 3) throw inputError(`I/O qualification bits 2:0 = ${s} is not an access size (SDM Table 28-5: 0, 1 or 3)`);
  return {
    size: (s + 1) as IoSize,
    direction: bit(q, 3) ? "in" : "out",
    string: bit(q, 4),
    rep: bit(q, 5),
    operand: bit(q, 6) ? "immediate" : "dx",
    port: field(q, 31, 16),
  };
}

export function encodeIo(v: Partial<IoQualification>): bigint {
  const size = v.size ?? 1;
  if (size !== 1 && size !== 2 && size !== 4) throw inputError(`I/O access size ${String(size)} is not 1, 2 or 4`);
  return (
    BigInt(size - 1) |
    flag(v.direction === "in", 3) |
    flag(v.string, 4) |
    flag(v.rep, 5) |
    flag(v.operand === "immediate", 6) |
    put(v.port ?? 0, 31, 16, "I/O port")
  );
}
