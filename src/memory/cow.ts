/**
 * Copy-on-write snapshots of host memory. Taking a snapshot copies nothing:
 * it marks every page PF_WATCH, so the first write to a page afterwards
 * (HostMemory.beforeWrite → onWatchWrite) first preserves the page's old
 * contents in every live snapshot that does not hold it yet. A snapshot is
 * therefore "the current memory, except the pages it preserved".
 *
 * The CPU's software TLB caches write permission to host pages and lets
 * compiled code store without calling HostMemory: a TLB entry filled before
 * the snapshot would let writes bypass the tracking. So taking a snapshot
 * calls `protect` (the owner drops write permission from every TLB context,
 * Mmu.protectAll), and the MMU never fills write permission for a page with
 * any flag set. Restoring rewrites pages behind the decode cache's back, so
 * the owner must also drop decoded code (`invalidateCode`).
 */
import { HostMemory, PAGE_SIZE, PF_WATCH } from "./host-memory";

export interface CowHooks {
  /** Drop cached write permission everywhere (every TLB context). */
  protect(): void;
  /** Memory changed under decoded code: drop it (the code cache and pages' PF_CODE). */
  invalidateCode(ppns: readonly number[]): void;
}

export class CowSnapshot {
  /** Pages written since the snapshot: their contents at snapshot time. */
  readonly pages = new Map<number, Uint8Array>();
  released = false;

  constructor(
    readonly tracker: CowTracker,
    readonly id: number,
    readonly label: string,
  ) {}

  /** Bytes of host-physical page `ppn` as they were when the snapshot was taken. */
  page(ppn: number): Uint8Array {
    const saved = this.pages.get(ppn);
    if (saved) return saved;
    const a = ppn * PAGE_SIZE;
    return this.tracker.mem.bytes.subarray(a, a + PAGE_SIZE);
  }

  /** Reads `len` bytes at `pa` as of the snapshot. */
  read(pa: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; ) {
      const ppn = Math.floor((pa + i) / PAGE_SIZE);
      const off = (pa + i) % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, len - i);
      out.set(this.page(ppn).subarray(off, off + n), i);
      i += n;
    }
    return out;
  }

  /** Number of pages copied so far (the cost of the snapshot). */
  get copiedPages(): number {
    return this.pages.size;
  }

  /** The whole memory image as of the snapshot (for files; allocates memory-size bytes). */
  materialize(): Uint8Array {
    const out = new Uint8Array(this.tracker.mem.bytes);
    for (const [ppn, data] of this.pages) out.set(data, ppn * PAGE_SIZE);
    return out;
  }
}

export class CowTracker {
  private readonly live: CowSnapshot[] = [];
  private nextId = 1;
  /** Pages preserved in total (statistics for labs and benches). */
  copies = 0;

  constructor(
    readonly mem: HostMemory,
    private readonly hooks: CowHooks,
  ) {
    if (mem.onWatchWrite) throw new Error("host memory already has a copy-on-write tracker");
    mem.onWatchWrite = (ppn) => this.preserve(ppn);
  }

  /** Takes a snapshot of all of host memory: O(pages) flag writes, no copying. */
  snapshot(label = ""): CowSnapshot {
    const snap = new CowSnapshot(this, this.nextId++, label);
    this.live.push(snap);
    this.watchAll();
    return snap;
  }

  snapshots(): readonly CowSnapshot[] {
    return this.live;
  }

  /** Stops keeping a snapshot's pages. */
  release(snap: CowSnapshot): void {
    const i = this.live.indexOf(snap);
    if (i >= 0) this.live.splice(i, 1);
    snap.released = true;
    snap.pages.clear();
  }

  /**
   * Puts memory back as it was at `snap`: only the pages written since are
   * copied. Other live snapshots keep their view (the overwritten pages are
   * preserved for them first, as for any write).
   */
  restore(snap: CowSnapshot): number[] {
    if (snap.released || snap.tracker !== this) throw new Error(`snapshot ${snap.id} is not live on this memory`);
    const ppns = [...snap.pages.keys()];
    for (const ppn of ppns) {
      this.preserveFor(ppn, snap);
      this.mem.bytes.set(snap.pages.get(ppn)!, ppn * PAGE_SIZE);
    }
    snap.pages.clear(); // memory equals the snapshot again
    this.hooks.invalidateCode(ppns);
    this.watchAll();
    return ppns;
  }

  /** onWatchWrite: the first write to `ppn` since the last snapshot/restore. */
  private preserve(ppn: number): void {
    this.preserveFor(ppn, null);
  }

  private preserveFor(ppn: number, except: CowSnapshot | null): void {
    let copy: Uint8Array | null = null;
    for (const s of this.live) {
      if (s === except || s.pages.has(ppn)) continue;
      if (!copy) {
        const a = ppn * PAGE_SIZE;
        copy = this.mem.bytes.slice(a, a + PAGE_SIZE);
        this.copies++;
      }
      s.pages.set(ppn, copy); // pages are never written in place, so snapshots may share a copy
    }
  }

  private watchAll(): void {
    const f = this.mem.pageFlags;
    for (let p = 0; p < f.length; p++) f[p]! |= PF_WATCH;
    this.hooks.protect();
  }
}
