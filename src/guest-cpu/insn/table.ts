/**
 * The instruction table: iced Mnemonic → template that emits its semantics.
 * Each family file (insn/*.ts) exports a partial table; this file merges them
 * and rejects duplicates, so every mnemonic has exactly one implementation.
 */
import type { Emitter } from "../emitter";
import type { Insn } from "../insn";

export type EmitFn = (g: Emitter, i: Insn) => void;
export type FamilyTable = Partial<Record<number, EmitFn>>;

export function mergeFamilies(families: Record<string, FamilyTable>): Map<number, EmitFn> {
  const table = new Map<number, EmitFn>();
  const owner = new Map<number, string>();
  for (const [name, fam] of Object.entries(families)) {
    for (const [mn, fn] of Object.entries(fam)) {
      const m = Number(mn);
      if (table.has(m)) throw new Error(`mnemonic ${m} is implemented by both ${owner.get(m)} and ${name}`);
      table.set(m, fn!);
      owner.set(m, name);
    }
  }
  return table;
}
