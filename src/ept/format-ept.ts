/**
 * EPT paging structures, 4 and 5 levels (SDM Vol. 3C 29.3.2, Tables 29-1..29-6
 * and Figure 29-1), as data for the generic walker. Misconfigurations (SDM
 * Vol. 3C 29.3.3.1) are this format's "reserved" answer, so the walker reports
 * them as W_RESERVED and the nested translation turns them into EPT_MISCONFIG.
 */
import { frame4k, frameLarge, highAddrReserved, P_R, P_W, P_XS, P_XU, PagingFormat, WalkContext } from "./format";

/** Bit positions in EPT paging-structure entries (SDM Vol. 3C Figure 29-1). */
export const EPTE = {
  R: 1 << 0,
  W: 1 << 1,
  X: 1 << 2,
  MEMTYPE_SHIFT: 3,
  MEMTYPE_MASK: 7 << 3,
  IGNORE_PAT: 1 << 6,
  PAGE: 1 << 7,
  ACCESSED: 1 << 8,
  DIRTY: 1 << 9,
  /** Execute for user-mode linear addresses when mode-based execute control is 1. */
  USER_X: 1 << 10,
} as const;

/**
 * Memory-type encodings (SDM Vol. 3A "Memory Cache Control", table "Memory
 * Types and Their Properties"; EPT leaf bits 5:3 and the EPTP use the same numbers). 2, 3 and 7 are reserved in an EPT
 * leaf (an EPT misconfiguration); the EPTP accepts only UC and WB.
 */
export const MEMORY_TYPES = {
  UC: { value: 0, eptLeaf: true, eptp: true },
  WC: { value: 1, eptLeaf: true, eptp: false },
  WT: { value: 4, eptLeaf: true, eptp: false },
  WP: { value: 5, eptLeaf: true, eptp: false },
  WB: { value: 6, eptLeaf: true, eptp: true },
} as const satisfies Record<string, { value: number; eptLeaf: boolean; eptp: boolean }>;

export type MemoryTypeName = keyof typeof MEMORY_TYPES;

const LEAF_TYPE_OK: readonly boolean[] = Array.from({ length: 8 }, (_, v) =>
  Object.values(MEMORY_TYPES).some((t) => t.value === v && t.eptLeaf),
);

export function memoryTypeName(v: number): MemoryTypeName | "reserved" {
  for (const [name, t] of Object.entries(MEMORY_TYPES)) if (t.value === v) return name as MemoryTypeName;
  return "reserved";
}

/** Bits 29:12 of a 1-GByte leaf and 20:12 of a 2-MByte leaf are reserved (Tables 29-2 and 29-4). */
function largeLeafReserved(lo: number, shift: number): boolean {
  const m = ((1 << shift) - 1) & ~0xfff; // shift is 21 or 30
  return (lo & m) !== 0;
}

function ept(levels: 4 | 5): PagingFormat {
  const shifts = levels === 5 ? [48, 39, 30, 21, 12] : [39, 30, 21, 12];
  const names = ["EPT PML5E", "EPT PML4E", "EPT PDPTE", "EPT PDE", "EPT PTE"].slice(5 - levels);
  const last = levels - 1;
  const largeAt = (level: number, ctx: WalkContext): boolean =>
    shifts[level] === 30 ? ctx.page1G : shifts[level] === 21 ? ctx.page2M !== false : false;
  return {
    name: levels === 5 ? "EPT 5-level" : "EPT 4-level",
    levels,
    entryBytes: 8,
    shifts,
    indexBits: shifts.map(() => 9),
    levelNames: names,
    largeAt,
    // Not present: bits 2:0 all 0; with mode-based execute control bit 10 also counts (SDM Vol. 3C 29.3.2).
    present: (lo, _hi, ctx) => (lo & 7) !== 0 || (ctx !== undefined && ctx.mbec && (lo & EPTE.USER_X) !== 0),
    isLeaf: (lo, _hi, level, ctx) => level === last || ((lo & EPTE.PAGE) !== 0 && largeAt(level, ctx)),
    reserved(lo, hi, level, leaf, ctx) {
      if (highAddrReserved(hi, ctx.maxPhys)) return true;
      // SDM Vol. 3C 29.3.3.1: write-only or write/execute without read.
      if ((lo & (EPTE.R | EPTE.W)) === EPTE.W) return true;
      // Execute-only (readable and writable both clear) needs IA32_VMX_EPT_VPID_CAP bit 0.
      if ((lo & (EPTE.R | EPTE.W)) === 0 && !ctx.execOnly) return true;
      if (!leaf) return (lo & 0xf8) !== 0; // bits 7:3 of an entry referencing a table (bit 7 = page where none is allowed)
      if (!LEAF_TYPE_OK[(lo >> EPTE.MEMTYPE_SHIFT) & 7]) return true;
      const shift = shifts[level]!;
      return shift > 12 && largeLeafReserved(lo, shift);
    },
    frame: (lo, hi, level, leaf) => (leaf && shifts[level]! > 12 ? frameLarge(lo, hi, shifts[level]!) : frame4k(lo, hi)),
    perms(lo, _hi, ctx) {
      const xs = lo & EPTE.X ? P_XS : 0;
      const xu = ctx.mbec ? (lo & EPTE.USER_X ? P_XU : 0) : lo & EPTE.X ? P_XU : 0;
      return (lo & EPTE.R ? P_R : 0) | (lo & EPTE.W ? P_W : 0) | xs | xu; // EPT has no user/supervisor bit
    },
    accessedBit: 8,
    dirtyBit: 9,
    adActive: (ctx) => ctx.adEnabled,
    globalBit: -1,
  };
}

export const FORMAT_EPT4 = ept(4);
export const FORMAT_EPT5 = ept(5);
