/**
 * The generic paging-structure walker (one loop for every format). It reads
 * entries, checks presence and reserved bits, ANDs permissions across levels,
 * sets accessed/dirty flags, and can record every entry it read in a trace.
 * Table addresses may themselves need translation (guest tables under EPT):
 * the caller passes `tableToHost`, which for nested paging runs the EPT walk.
 * Each entry is first translated for a read; setting an accessed or dirty
 * flag translates it again for a write, because nested paging checks those
 * updates as data writes (SDM Vol. 3C 29.3.3.2).
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
  /** Address of the leaf entry as the format sees it (guest-physical for guest tables), to translate the dirty-flag write. */
  leafEntry = 0;
}

/** Translates the address of an entry; `write` is true for the accessed/dirty-flag update, false for the read. */
export type TableToHost = (entryAddr: number, write: boolean) => number;


export interface WalkOptions {
  /** false: leave accessed flags alone (inspection by labs and dumps). */
  setAccessed?: boolean;
  tableToHost?: TableToHost;
  /** Every entry read is appended here. */
  trace?: WalkTrace;
  stage?: "guest" | "nested";
}

const NO_OPTIONS: WalkOptions = {};

/** Module constants the walk loop uses, under a private name the compilers leave alone (see `walkerFor`). */
const k = { W_OK, W_NOT_PRESENT, W_RESERVED, P_ALL } as const;

/** A walk function: `walk` itself, or the copy `walkerFor` compiled for one format. */
export type Walk = (
  mem: HostMemory, format: PagingFormat, ctx: WalkContext, root: number, addr: number, out: WalkResult, opts: WalkOptions,
) => WalkResult;

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
  opts: WalkOptions = NO_OPTIONS,
): WalkResult {
  return walkerFor(format)(mem, format, ctx, root, addr, out, opts);
}

/**
 * The walk loop. Besides its parameters and globals it refers only to `k`,
 * never to imported or exported names, so that `walkerFor` can compile a copy
 * of its source per format.
 */
function walkLoop(
  mem: HostMemory,
  format: PagingFormat,
  ctx: WalkContext,
  root: number,
  addr: number,
  out: WalkResult,
  opts: WalkOptions,
): WalkResult {
  const toHost = opts.tableToHost;
  const trace = opts.trace;
  const ad = opts.setAccessed !== false && format.adActive(ctx);
  const view = mem.view, memSize = mem.size;
  const shifts = format.shifts, indexBits = format.indexBits, eb = format.entryBytes;
  const aBit = 1 << format.accessedBit;
  let table = root;
  let perms = k.P_ALL;
  // The address as 32-bit halves, so indices come from integer shifts (no float division per level).
  const aHi = Math.floor(addr / 4294967296) | 0;
  const aLo = addr >>> 0;
  for (let level = 0; level < format.levels; level++) {
    const shift = shifts[level]!;
    const bits = shift >= 32 ? aHi >>> (shift - 32) : (aLo >>> shift) | (aHi << (32 - shift));
    const index = bits & ((1 << indexBits[level]!) - 1);
    const entryAddr = table + index * eb;
    const entryHost = toHost === undefined ? entryAddr : toHost(entryAddr, false);
    let lo: number, hi: number;
    if (entryHost >= 0 && entryHost + eb <= memSize) {
      lo = view.getInt32(entryHost, true);
      hi = eb === 8 ? view.getInt32(entryHost + 4, true) : 0;
    } else {
      lo = -1; hi = eb === 8 ? -1 : 0; // open bus: all ones
    }
    if (trace !== undefined) {
      trace.push({
        stage: opts.stage ?? "guest", format: format.name, level, levelName: format.levelNames[level]!,
        tableAddr: table, index, entryAddr: entryHost,
        entry: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0),
      });
    }
    if (!format.present(lo, hi, ctx)) {
      out.level = level;
      out.status = k.W_NOT_PRESENT;
      out.perms = perms;
      return out;
    }
    const leaf = format.isLeaf(lo, hi, level, ctx);
    if (format.reserved(lo, hi, level, leaf, ctx)) {
      out.level = level;
      out.status = k.W_RESERVED;
      out.perms = perms;
      return out;
    }
    perms &= format.perms(lo, hi, ctx);
    if (ad && (lo & aBit) === 0) {
      const wHost = toHost === undefined ? entryAddr : toHost(entryAddr, true);
      if (mem.inRam(wHost, 4)) {
        lo |= aBit;
        mem.write32(wHost, lo);
      }
    }
    const frame = format.frame(lo, hi, level, leaf);
    if (leaf) {
      const size = shift < 31 ? 1 << shift : 2 ** shift;
      out.level = level;
      out.status = k.W_OK;
      out.addr = frame + (shift < 31 ? aLo & (size - 1) : addr - Math.floor(addr / size) * size);
      out.pageSize = size;
      out.perms = perms;
      out.leafLo = lo;
      out.leafHi = hi;
      out.leafAddr = entryHost;
      out.leafEntry = entryAddr;
      return out;
    }
    table = frame;
  }
  throw new Error(`format ${format.name}: walk fell through its last level`);
}

const walkers = new Map<PagingFormat, Walk>();

/**
 * V8 keeps type feedback per function source, so one loop shared by guest
 * and nested formats makes every format call polymorphic and slow. Each
 * format gets its own compiled copy of the same loop, whose calls stay
 * monomorphic and inline (about twice as fast for 2-D walks; `npm run bench`).
 * Hot callers keep the result instead of going through `walk`.
 */
export function walkerFor(format: PagingFormat): Walk {
  let f = walkers.get(format);
  if (f === undefined) {
    try {
      f = new Function("k", `return ${walkLoop.toString()}`)(k) as Walk;
    } catch {
      f = walkLoop; // source not recompilable (an instrumented build): the shared loop is just as correct
    }
    walkers.set(format, f);
  }
  return f;
}

/**
 * Sets the dirty flag in the leaf entry of a completed walk (first write
 * through the translation). Under nested paging the flag update is itself a
 * write to a guest paging-structure entry, translated by `tableToHost` first
 * (it may cause an EPT violation or nested page fault before anything changes).
 */
export function setDirty(mem: HostMemory, format: PagingFormat, r: WalkResult, tableToHost?: TableToHost): void {
  const bit = 1 << format.dirtyBit;
  if (r.leafLo & bit) return;
  const addr = tableToHost ? tableToHost(r.leafEntry, true) : r.leafAddr;
  if (mem.inRam(addr, 4)) {
    r.leafLo |= bit;
    mem.write32(addr, r.leafLo);
  }
}
