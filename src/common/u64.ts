/**
 * 64-bit values at API boundaries. The hot paths keep 64-bit quantities as
 * lo/hi int32 halves or as signed doubles (canonical addresses fit in 48 bits);
 * BigInt appears only here, where users and files meet the machine.
 */

const TWO32 = 0x1_0000_0000;

export function toBigU64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function fromBigU64(v: bigint): { lo: number; hi: number } {
  const u = BigInt.asUintN(64, v);
  return { lo: Number(u & 0xffff_ffffn) | 0, hi: Number(u >> 32n) | 0 };
}

/** Lower-case hex with 0x prefix, as the JSON contract specifies. */
export function hex(v: number | bigint): string {
  if (typeof v === "bigint") return "0x" + BigInt.asUintN(64, v).toString(16);
  if (v < 0) return "0x" + BigInt.asUintN(64, BigInt(v)).toString(16);
  return "0x" + v.toString(16);
}

export function hexPair(lo: number, hi: number): string {
  return hex(toBigU64(lo, hi));
}

/** A signed double holding a 64-bit value whose magnitude is below 2^53 → bigint (two's complement). */
export function numToBig(v: number): bigint {
  return BigInt.asUintN(64, BigInt(v));
}

/** bigint → number, treating values with bit 63 set as negative (canonical addresses). */
export function bigToNum(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

export function lo32(v: number): number {
  return v % TWO32 | 0;
}

export function hi32(v: number): number {
  return Math.floor(v / TWO32) | 0;
}

export function pairToNum(lo: number, hi: number): number {
  return hi * TWO32 + (lo >>> 0);
}

const SIZE_SUFFIX: Record<string, number> = { K: 1 << 10, M: 1 << 20, G: 1 << 30 };

/**
 * Parses the numbers users write: decimal, 0x hex, 0b binary, with `_`
 * separators, and sizes like `16M`. Returns undefined when it is not a number.
 */
export function parseNumber(text: string): bigint | undefined {
  const t = text.trim().replace(/_/g, "");
  const m = /^(-)?(0x[0-9a-f]+|0b[01]+|0o[0-7]+|[0-9]+)([KMG])?i?B?$/i.exec(t);
  if (!m) return undefined;
  let v = BigInt(m[2]!.toLowerCase());
  if (m[3]) v *= BigInt(SIZE_SUFFIX[m[3].toUpperCase()]!);
  return m[1] ? -v : v;
}
