/**
 * The generic paging-structure walker (one loop for every format). It reads
 * entries, checks presence and reserved bits, ANDs permissions across levels,
 * sets accessed/dirty flags, and can record every entry it read in a trace.
 * Table addresses may themselves need translation (guest tables under EPT):
 * the caller passes `tableToHost`, which for nested paging runs the EPT walk.
 */
import type { HostMemory } from "../memory/host-memory";
import { P_ALL, PagingFormat, WalkContext } from "./format";

/** One paging-structure entry read during a walk. */
export interface WalkStep {
  /** Which translation the entry belongs to: the guest's own tables or EPT/NPT. */
  readonly stage: "guest" | "nested";
  readonly format: string;
  readonly level: number; // 0 = root
  readonly levelName: string;
  readonly tableAddr: number; // address of the table as the format sees it (guest-physical for guest tables)
  readonly index: number;
  readonly entryAddr: number; // host-physical address the entry was read from
  readonly entry: bigint;
}

export type WalkTrace = WalkStep[];

/** Why a walk stopped early. */
export const W_OK = 0, W_NOT_PRESENT = 1, W_RESERVED = 2;

/** Reusable result record (no allocation per walk). */
export class WalkResult {
  status = W_OK;
  /** Address (as the format sees it) the input translated to. */
  addr = 0;
  /** Size of the mapped page in bytes (4K, 2M, 1G, 4M). */
  pageSize = 4096;
  /** AND of the allow-bits of every level (P_*). */
  perms = P_ALL;
  /** Level (0 = root) of the leaf, or of the entry that was not present / misconfigured. */
  level = 0;
  /** Leaf entry (lo/hi halves) and its host-physical address, for A/D updates and the global bit. */
  leafLo = 0;
  leafHi = 0;
  leafAddr = 0;
}

export type TableToHost = (tableAddr: number, write: boolean) => number;

const identity: TableToHost = (a) => a;

/**
 * Walks `format` from the table at `root` for address `addr`. The result's
 * `perms` let the caller decide whether the access is allowed; the walker
 * itself does not raise faults. `setAccessed` sets A bits on the way down
 * (x86 sets them during the walk, before the permission check, SDM Vol. 3A 4.8).
 */
export function walk(
  mem: HostMemory,
  format: PagingFormat,
  ctx: WalkContext,
  root: number,
  addr: number,
  out: WalkResult,
  opts: { setAccessed?: boolean; tableToHost?: TableToHost; trace?: WalkTrace; stage?: "guest" | "nested" } = {},
): WalkResult {
  const toHost = opts.tableToHost ?? identity;
  const ad = opts.setAccessed !== false && format.adActive(ctx);
  const view = mem.view;
  let table = root;
  let perms = P_ALL;
  const levels = format.levels;
  for (let level = 0; level < levels; level++) {
    const shift = format.shifts[level]!;
    const index = Math.floor(addr / 2 ** shift) & ((1 << format.indexBits[level]!) - 1);
    const entryGuest = table + index * format.entryBytes;
    const entryHost = toHost(entryGuest, ad);
    let lo: number, hi: number;
    if (mem.inRam(entryHost, format.entryBytes)) {
      lo = view.getInt32(entryHost, true);
      hi = format.entryBytes === 8 ? view.getInt32(entryHost + 4, true) : 0;
    } else {
      lo = -1; hi = format.entryBytes === 8 ? -1 : 0; // open bus: all ones
    }
    if (opts.trace) {
      opts.trace.push({
        stage: opts.stage ?? "guest", format: format.name, level, levelName: format.levelNames[level]!,
        tableAddr: table, index, entryAddr: entryHost,
        entry: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0),
      });
    }
    out.level = level;
    if (!format.present(lo, hi)) {
      out.status = W_NOT_PRESENT;
      out.perms = perms;
      return out;
    }
    const leaf = format.isLeaf(lo, hi, level, ctx);
    if (format.reserved(lo, hi, level, leaf, ctx)) {
      out.status = W_RESERVED;
      out.perms = perms;
      return out;
    }
    perms &= format.perms(lo, hi, ctx);
    if (ad && !(lo & (1 << format.accessedBit)) && mem.inRam(entryHost, 4)) {
      lo |= 1 << format.accessedBit;
      mem.write32(entryHost, lo);
    }
    const frame = format.frame(lo, hi, level, leaf);
    if (leaf) {
      const size = 2 ** shift;
      out.status = W_OK;
      out.addr = frame + (addr - Math.floor(addr / size) * size);
      out.pageSize = size;
      out.perms = perms;
      out.leafLo = lo;
      out.leafHi = hi;
      out.leafAddr = entryHost;
      return out;
    }
    table = frame;
  }
  throw new Error(`format ${format.name}: walk fell through its last level`);
}

/** Sets the dirty flag in the leaf entry of a completed walk (first write through the translation). */
export function setDirty(mem: HostMemory, format: PagingFormat, r: WalkResult): void {
  const bit = 1 << format.dirtyBit;
  if (!(r.leafLo & bit) && mem.inRam(r.leafAddr, 4)) {
    r.leafLo |= bit;
    mem.write32(r.leafAddr, r.leafLo);
  }
}
