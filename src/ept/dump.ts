/**
 * Reads paging structures back for labs and specs: every present entry of
 * every table, and the mappings they make merged into ranges. Works for any
 * PagingFormat (EPT, NPT, guest tables) with the same format methods the
 * walker uses, and never sets accessed flags.
 */
import type { HostMemory } from "../memory/host-memory";
import { P_R, P_U, P_W, P_XS, P_XU, type PagingFormat, type WalkContext } from "./format";

export interface DumpedEntry {
  level: number;
  levelName: string;
  /** Address of the table (in the tables' address space) and the entry's index in it. */
  table: number;
  index: number;
  value: bigint;
  leaf: boolean;
  /** The entry holds a reserved setting (x86: #PF with RSVD; EPT: misconfiguration). */
  reserved: boolean;
}

export interface DumpedMapping {
  from: number;
  to: number;
  size: number;
  /** Effective permissions across the levels: r, w, x (supervisor execute), X (user execute), u (user). */
  perms: string;
  /** Leaf entry of the first page of the range (memory type etc. live there). */
  leafValue: bigint;
  pageSize: number;
}

export interface TableDump {
  entries: DumpedEntry[];
  mappings: DumpedMapping[];
}

function permString(p: number): string {
  return (p & P_R ? "r" : "-") + (p & P_W ? "w" : "-") + (p & P_XS ? "x" : "-") + (p & P_XU ? "X" : "-") + (p & P_U ? "u" : "-");
}

export function dumpTables(
  mem: HostMemory,
  format: PagingFormat,
  ctx: WalkContext,
  root: number,
  toHost: (addr: number) => number = (a) => a,
): TableDump {
  const entries: DumpedEntry[] = [];
  const mappings: DumpedMapping[] = [];
  const visit = (table: number, level: number, base: number, perms: number): void => {
    const n = 2 ** format.indexBits[level]!;
    const span = 2 ** format.shifts[level]!;
    for (let i = 0; i < n; i++) {
      const h = toHost(table + i * format.entryBytes);
      const lo = mem.inRam(h, 4) ? mem.view.getInt32(h, true) : -1;
      const hi = format.entryBytes === 8 && mem.inRam(h + 4, 4) ? mem.view.getInt32(h + 4, true) : 0;
      if (!format.present(lo, hi, ctx)) continue;
      const leaf = format.isLeaf(lo, hi, level, ctx);
      const reserved = format.reserved(lo, hi, level, leaf, ctx);
      const value = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
      entries.push({ level, levelName: format.levelNames[level]!, table, index: i, value, leaf, reserved });
      if (reserved) continue;
      const p = perms & format.perms(lo, hi, ctx);
      const from = base + i * span;
      const frame = format.frame(lo, hi, level, leaf);
      if (!leaf) {
        visit(frame, level + 1, from, p);
        continue;
      }
      const last = mappings[mappings.length - 1];
      const ps = permString(p);
      if (last && last.from + last.size === from && last.to + last.size === frame && last.perms === ps && last.pageSize === span) {
        last.size += span;
      } else {
        mappings.push({ from, to: frame, size: span, perms: ps, leafValue: value, pageSize: span });
      }
    }
  };
  visit(root, 0, 0, P_R | P_W | P_XS | P_XU | P_U);
  return { entries, mappings };
}
