/**
 * Builds real paging structures in host memory: EPT for a VMM (identity maps,
 * explicit mappings with permissions and memory types, 2-MByte and 1-GByte
 * pages), AMD nested page tables, and IA-32e guest page tables for specs and
 * labs. Root-mode assembly hypervisors and the TypeScript VMM see the same
 * bytes, so the hardware walk (walker.ts) is what checks them.
 */
import type { HostMemory } from "../memory/host-memory";
import { makeEptp } from "./eptp";
import { FORMAT_4LEVEL, FORMAT_5LEVEL, type PagingFormat, type WalkContext } from "./format";
import { EPTE, FORMAT_EPT4, FORMAT_EPT5, MEMORY_TYPES, type MemoryTypeName } from "./format-ept";

const PAGE = 4096;

/** Allocates zeroed 4-KByte pages for tables from [base, limit) of the tables' address space. */
export class PageArena {
  private next: number;

  constructor(
    private readonly mem: HostMemory,
    readonly base: number,
    readonly limit: number,
    /** Tables' address → host-physical (guest tables live in guest-physical memory). */
    private readonly toHost: (addr: number) => number = (a) => a,
  ) {
    if (base % PAGE !== 0) throw new RangeError(`table arena base 0x${base.toString(16)} is not 4-KByte aligned`);
    this.next = base;
  }

  alloc(): number {
    if (this.next + PAGE > this.limit) throw new RangeError(`table arena [0x${this.base.toString(16)}, 0x${this.limit.toString(16)}) is full`);
    const a = this.next;
    this.next += PAGE;
    this.mem.writeBytes(this.toHost(a), new Uint8Array(PAGE));
    return a;
  }

  get used(): number {
    return this.next - this.base;
  }
}

/** One mapping request. */
export interface Mapping {
  /** Input address (guest-physical for EPT/NPT, linear for guest tables), aligned to 4 KBytes. */
  from: number;
  /** Output address; default: `from` (identity). */
  to?: number;
  size: number;
  /** Letters r, w, x (EPT: R/W/X bits; x86: R/W bit and NX clear). Default "rwx". */
  perms?: string;
  /** Largest page size to use (default: the largest the format supports and alignment allows). */
  maxPage?: number;
  /** EPT leaf memory type (bits 5:3): a name or a raw value (reserved values make misconfigurations). Default WB. */
  memType?: MemoryTypeName | number;
  /** EPT leaf bit 6. */
  ignorePat?: boolean;
  /** EPT bit 10, execute for user-mode linear addresses (mode-based execute control); default: same as x. */
  userExec?: boolean;
  /** x86 U/S bit (guest tables, NPT). Default: true for NPT, false for guest tables. */
  user?: boolean;
  /** x86 global bit. */
  global?: boolean;
}

/** How one format's entries are written. */
export interface EntryCodec {
  readonly format: PagingFormat;
  readonly ctx: WalkContext;
  /** Entry referencing the table at `addr`. */
  table(addr: number): bigint;
  /** Entry mapping `out` with a page of 2^shift bytes at `level`. */
  leaf(out: number, level: number, shift: number, m: Mapping): bigint;
}

function letters(p: string | undefined): { r: boolean; w: boolean; x: boolean } {
  const s = p ?? "rwx";
  for (const ch of s) if (ch !== "r" && ch !== "w" && ch !== "x" && ch !== "-") throw new RangeError(`permissions "${s}" may hold only r, w, x and -`);
  return { r: s.includes("r"), w: s.includes("w"), x: s.includes("x") };
}

function memTypeValue(t: MemoryTypeName | number | undefined): number {
  if (t === undefined) return MEMORY_TYPES.WB.value;
  return typeof t === "number" ? t & 7 : MEMORY_TYPES[t].value;
}

/** EPT entries (SDM Vol. 3C 29.3.2). Tables get R/W/X and bit 10 so that only leaves restrict access. */
export function eptCodec(levels: 4 | 5 = 4, o: { page1G?: boolean } = {}): EntryCodec {
  return {
    format: levels === 5 ? FORMAT_EPT5 : FORMAT_EPT4,
    ctx: { nxe: false, page1G: o.page1G ?? true, pse: false, maxPhys: 52, adEnabled: false, mbec: true, execOnly: true },
    table: (addr) => BigInt(addr) | BigInt(EPTE.R | EPTE.W | EPTE.X | EPTE.USER_X),
    leaf(out, _level, shift, m) {
      const p = letters(m.perms);
      let lo = (p.r ? EPTE.R : 0) | (p.w ? EPTE.W : 0) | (p.x ? EPTE.X : 0);
      if (m.userExec ?? p.x) lo |= EPTE.USER_X;
      lo |= memTypeValue(m.memType) << EPTE.MEMTYPE_SHIFT;
      if (m.ignorePat) lo |= EPTE.IGNORE_PAT;
      if (shift > 12) lo |= EPTE.PAGE;
      return BigInt(out) | BigInt(lo);
    },
  };
}

/** IA-32e entries (SDM Vol. 3A 4.5): guest page tables, and AMD nested tables (`user` defaults to true there). */
export function x86Codec(levels: 4 | 5 = 4, o: { userDefault?: boolean; page1G?: boolean } = {}): EntryCodec {
  return {
    format: levels === 5 ? FORMAT_5LEVEL : FORMAT_4LEVEL,
    ctx: { nxe: true, page1G: o.page1G ?? true, pse: false, maxPhys: 52, adEnabled: true, mbec: false, execOnly: false },
    table: (addr) => BigInt(addr) | 0x7n, // P, R/W, U/S: the leaf decides
    leaf(out, _level, shift, m) {
      const p = letters(m.perms);
      if (!p.r) throw new RangeError("x86 paging cannot map a page without read access");
      let v = BigInt(out) | 1n;
      if (p.w) v |= 2n;
      if (m.user ?? o.userDefault ?? false) v |= 4n;
      if (shift > 12) v |= 0x80n;
      if (m.global) v |= 0x100n;
      if (!p.x) v |= 1n << 63n;
      return v;
    },
  };
}

/** Writes mappings into tables rooted at a page from the arena. */
export class TableBuilder {
  readonly root: number;

  constructor(
    readonly mem: HostMemory,
    readonly codec: EntryCodec,
    private readonly arena: PageArena,
    private readonly toHost: (addr: number) => number = (a) => a,
  ) {
    this.root = arena.alloc();
  }

  private read(addr: number): bigint {
    return this.mem.read(this.toHost(addr), 8);
  }

  private write(addr: number, v: bigint): void {
    this.mem.write(this.toHost(addr), 8, v);
  }

  /** Maps [from, from+size) to [to, to+size) with the largest pages alignment allows. */
  map(m: Mapping): this {
    const f = this.codec.format;
    const to = m.to ?? m.from;
    if (m.from % PAGE || to % PAGE || m.size % PAGE || m.size <= 0) {
      throw new RangeError(`mapping 0x${m.from.toString(16)}+0x${m.size.toString(16)} → 0x${to.toString(16)} is not in whole 4-KByte pages`);
    }
    const spec = { ...m, perms: m.perms ?? "rwx" };
    letters(spec.perms); // reject bad permission strings before writing anything
    for (let off = 0; off < m.size; ) {
      const a = m.from + off, b = to + off, left = m.size - off;
      let level = f.levels - 1;
      for (let l = 0; l < f.levels - 1; l++) {
        const span = 2 ** f.shifts[l]!;
        if (f.largeAt(l, this.codec.ctx) && span <= (m.maxPage ?? Infinity) && a % span === 0 && b % span === 0 && left >= span) {
          level = l;
          break;
        }
      }
      const shift = f.shifts[level]!;
      this.write(this.entryAddr(a, level), this.codec.leaf(b, level, shift, spec));
      off += 2 ** shift;
    }
    return this;
  }

  /** Identity map of [0, size) with the same attributes. */
  identity(size: number, m: Omit<Mapping, "from" | "to" | "size"> = {}): this {
    return this.map({ ...m, from: 0, size });
  }

  /** Clears the entries mapping [from, from+size) (tables stay; large pages in the way are split first). */
  unmap(from: number, size: number): this {
    const f = this.codec.format;
    for (let off = 0; off < size; ) {
      const a = from + off;
      const { addr, level } = this.lookup(a);
      const span = 2 ** f.shifts[level]!;
      if (addr === null) { off += span - (a % span); continue; }
      if (a % span === 0 && size - off >= span) { this.write(addr, 0n); off += span; continue; }
      this.split(addr, level);
    }
    return this;
  }

  /**
   * Address of the entry at `level` for `addr`, creating tables (and splitting
   * large pages) on the way. Labs use it with `setEntry` to plant raw values.
   */
  entryAddr(addr: number, level: number): number {
    const f = this.codec.format;
    let table = this.root;
    for (let l = 0; l < level; l++) {
      const e = table + this.index(addr, l) * 8;
      let v = this.read(e);
      if (!this.present(v)) {
        v = this.codec.table(this.arena.alloc());
        this.write(e, v);
      } else if (this.isLeaf(v, l)) {
        this.split(e, l);
        v = this.read(e);
      }
      table = f.frame(Number(v & 0xffff_ffffn) | 0, Number(v >> 32n) | 0, l, false);
    }
    return table + this.index(addr, level) * 8;
  }

  /** Writes a raw entry value (e.g. a write-only EPT entry for the misconfiguration lab). */
  setEntry(addr: number, level: number, value: bigint): this {
    this.write(this.entryAddr(addr, level), value);
    return this;
  }

  /** The deepest existing entry for `addr`: its address (null if a table is missing) and level. */
  lookup(addr: number): { addr: number | null; level: number; value: bigint } {
    const f = this.codec.format;
    let table = this.root;
    for (let l = 0; l < f.levels; l++) {
      const e = table + this.index(addr, l) * 8;
      const v = this.read(e);
      if (!this.present(v)) return { addr: null, level: l, value: v };
      if (this.isLeaf(v, l)) return { addr: e, level: l, value: v };
      table = f.frame(Number(v & 0xffff_ffffn) | 0, Number(v >> 32n) | 0, l, false);
    }
    throw new Error("unreachable");
  }

  /** Replaces the large-page entry at `entry` (level `level`) by a table of 512 entries mapping the same. */
  private split(entry: number, level: number): void {
    const f = this.codec.format;
    const v = this.read(entry);
    const lo = Number(v & 0xffff_ffffn) | 0, hi = Number(v >> 32n) | 0;
    const base = f.frame(lo, hi, level, true);
    const child = this.arena.alloc();
    const childShift = f.shifts[level + 1]!;
    const bigPageBit = 0x80n;
    // Attributes (permissions, memory type, A/D, NX) stay; an x86 large page's PAT bit (12) is dropped: the builder never sets it.
    const attrs = v & ~0x000f_ffff_ffff_f000n & ~bigPageBit;
    const childLarge = level + 1 < f.levels - 1;
    for (let i = 0; i < 512; i++) {
      const out = BigInt(base + i * 2 ** childShift);
      this.write(child + i * 8, out | attrs | (childLarge ? bigPageBit : 0n));
    }
    this.write(entry, this.codec.table(child));
  }

  private index(addr: number, level: number): number {
    const f = this.codec.format;
    return Math.floor(addr / 2 ** f.shifts[level]!) & ((1 << f.indexBits[level]!) - 1);
  }

  private present(v: bigint): boolean {
    return this.codec.format.present(Number(v & 0xffff_ffffn) | 0, Number(v >> 32n) | 0, this.codec.ctx);
  }

  private isLeaf(v: bigint, level: number): boolean {
    return this.codec.format.isLeaf(Number(v & 0xffff_ffffn) | 0, Number(v >> 32n) | 0, level, this.codec.ctx);
  }
}

/** An EPT in host memory; `eptp()` gives the value for the EPT_POINTER field. */
export class EptBuilder extends TableBuilder {
  constructor(mem: HostMemory, arena: PageArena, readonly levels: 4 | 5 = 4, o: { page1G?: boolean } = {}) {
    super(mem, eptCodec(levels, o), arena);
  }

  eptp(o: { ad?: boolean; memType?: number } = {}): bigint {
    return makeEptp(this.root, { walkLength: this.levels, ad: o.ad, memType: o.memType });
  }
}

/** AMD nested page tables: `root` is the nCR3 value. Nested entries need U/S, so `user` defaults to true. */
export class NptBuilder extends TableBuilder {
  constructor(mem: HostMemory, arena: PageArena, levels: 4 | 5 = 4) {
    super(mem, x86Codec(levels, { userDefault: true }), arena);
  }
}

/** A guest's own IA-32e page tables, written at guest-physical addresses through `toHost`. */
export class GuestTableBuilder extends TableBuilder {
  constructor(mem: HostMemory, arena: PageArena, toHost: (gpa: number) => number, levels: 4 | 5 = 4) {
    super(mem, x86Codec(levels), arena, toHost);
  }
}
