/** Parsers for option values shared by several commands; errors are input errors (exit 2). */
import { inputError } from "../common/errors";
import { parseNumber } from "../common/u64";
import type { ExecMode } from "../vmm/bare";

export const MODES: readonly ExecMode[] = ["long64", "protected32", "real16"];

export function bitsOfMode(mode: ExecMode): 16 | 32 | 64 {
  return mode === "long64" ? 64 : mode === "protected32" ? 32 : 16;
}

/** A number option that may be hex or a size (16M). */
export function numberOption(name: string, value: string | number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const v = typeof value === "number" ? BigInt(value) : parseNumber(String(value));
  if (v === undefined || v < 0n) throw inputError(`--${name}: '${value}' is not a number (decimal, 0x hex, or a size like 16M)`);
  return Number(v);
}
