/** Bit-field helpers and the SDM's register numbering shared by the qualification layouts. */
import { inputError } from "../../common/errors";

/** Bits hi:lo of a qualification (bit positions < 64). */
export function field(v: bigint, hi: number, lo: number): number {
  return Number((v >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n));
}

export function bit(v: bigint, n: number): boolean {
  return ((v >> BigInt(n)) & 1n) === 1n;
}

/** Places `value` in bits hi:lo, rejecting what does not fit (a clear error instead of silent truncation). */
export function put(value: number | bigint, hi: number, lo: number, what: string): bigint {
  const v = BigInt(value);
  const max = (1n << BigInt(hi - lo + 1)) - 1n;
  if (v < 0n || v > max) throw inputError(`${what}: ${value} does not fit in bits ${hi}:${lo} (0..${max})`);
  return v << BigInt(lo);
}

export function flag(on: boolean | undefined, n: number): bigint {
  return on ? 1n << BigInt(n) : 0n;
}

/**
 * General-purpose registers in the order the SDM numbers them in exit
 * qualifications and VMX_INSTRUCTION_INFO (SDM Vol. 3C Table 28-3, bits 11:8):
 * 0 = RAX, 1 = RCX, 2 = RDX, 3 = RBX, 4 = RSP, 5 = RBP, 6 = RSI, 7 = RDI, 8–15 = R8–R15.
 */
export const GPR_BY_NUMBER = [
  "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
] as const;

export type GprName = (typeof GPR_BY_NUMBER)[number];

export function gprNumber(name: GprName | number): number {
  if (typeof name === "number") return name;
  const n = GPR_BY_NUMBER.indexOf(name);
  if (n < 0) throw inputError(`'${name}' is not a general-purpose register (rax … r15)`);
  return n;
}

/** Segment registers as VMX_INSTRUCTION_INFO bits 17:15 number them (SDM 28.2.5). */
export const SEGMENT_BY_NUMBER = ["es", "cs", "ss", "ds", "fs", "gs"] as const;
export type SegmentName = (typeof SEGMENT_BY_NUMBER)[number];
