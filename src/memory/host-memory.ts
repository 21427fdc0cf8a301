/**
 * Host-physical memory: one flat ArrayBuffer (guest RAM of every VM lives in
 * it, placed by the VMM), per-page flags that route writes through a slow path
 * (decoded code, copy-on-write snapshot tracking, MMIO), and MMIO regions.
 * Addresses outside RAM read as all ones and ignore writes, like an open bus.
 */

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/** Page flags; any flag set makes CPU writes to the page take the slow path. */
export const PF_CODE = 1; // instructions from this page are in the decode cache
export const PF_WATCH = 2; // first write after a snapshot must preserve the old page
export const PF_MMIO = 4; // accesses go to an MMIO handler

export interface MmioHandler {
  readonly name: string;
  /** Returns the value read at `offset` from the region base, `size` bytes (1, 2, 4 or 8). */
  read(offset: number, size: number): bigint;
  write(offset: number, size: number, value: bigint): void;
}

export interface MmioRegion {
  base: number;
  size: number;
  handler: MmioHandler;
}

export type PageWriteListener = (ppn: number) => void;

export class HostMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly pageFlags: Uint8Array;
  readonly mmio: MmioRegion[] = [];
  /** Called before the first write to a PF_CODE page (the decode cache drops it). */
  onCodeWrite: PageWriteListener | null = null;
  /** Called before the first write to a PF_WATCH page (the snapshot keeps the old contents). */
  onWatchWrite: PageWriteListener | null = null;

  constructor(readonly size: number) {
    if (size % PAGE_SIZE !== 0) throw new RangeError("host memory size must be a multiple of 4 KiB");
    const buf = new ArrayBuffer(size);
    this.bytes = new Uint8Array(buf);
    this.view = new DataView(buf);
    this.pageFlags = new Uint8Array(size >>> PAGE_SHIFT);
  }

  inRam(pa: number, len: number): boolean {
    return pa >= 0 && pa + len <= this.size;
  }

  addMmio(base: number, size: number, handler: MmioHandler): void {
    this.mmio.push({ base, size, handler });
    for (let p = Math.floor(base / PAGE_SIZE); p * PAGE_SIZE < base + size; p++) {
      if (p < this.pageFlags.length) this.pageFlags[p]! |= PF_MMIO;
    }
  }

  findMmio(pa: number): MmioRegion | undefined {
    for (const r of this.mmio) if (pa >= r.base && pa < r.base + r.size) return r;
    return undefined;
  }

  /** Marks a page whose writes must be seen by the decode cache or a snapshot. */
  setFlag(ppn: number, flag: number): void {
    if (ppn < this.pageFlags.length) this.pageFlags[ppn]! |= flag;
  }

  clearFlag(ppn: number, flag: number): void {
    if (ppn < this.pageFlags.length) this.pageFlags[ppn]! &= ~flag;
  }

  /** Runs the write listeners for the pages [pa, pa+len) touches. */
  beforeWrite(pa: number, len: number): void {
    const first = Math.floor(pa / PAGE_SIZE);
    const last = Math.floor((pa + len - 1) / PAGE_SIZE);
    for (let p = first; p <= last && p < this.pageFlags.length; p++) {
      const f = this.pageFlags[p]!;
      if (f === 0) continue;
      if (f & PF_WATCH) {
        this.pageFlags[p] = f & ~PF_WATCH;
        this.onWatchWrite?.(p);
      }
      if (f & PF_CODE) {
        this.pageFlags[p]! &= ~PF_CODE;
        this.onCodeWrite?.(p);
      }
    }
  }

  read(pa: number, size: number): bigint {
    if (this.inRam(pa, size)) {
      switch (size) {
        case 1: return BigInt(this.bytes[pa]!);
        case 2: return BigInt(this.view.getUint16(pa, true));
        case 4: return BigInt(this.view.getUint32(pa, true));
        case 8: return this.view.getBigUint64(pa, true);
      }
    }
    const r = this.findMmio(pa);
    if (r) return r.handler.read(pa - r.base, size);
    return size === 8 ? 0xffff_ffff_ffff_ffffn : BigInt(2 ** (size * 8) - 1);
  }

  write(pa: number, size: number, value: bigint): void {
    if (this.inRam(pa, size)) {
      this.beforeWrite(pa, size);
      switch (size) {
        case 1: this.bytes[pa] = Number(value & 0xffn); return;
        case 2: this.view.setUint16(pa, Number(value & 0xffffn), true); return;
        case 4: this.view.setUint32(pa, Number(value & 0xffff_ffffn), true); return;
        case 8: this.view.setBigUint64(pa, BigInt.asUintN(64, value), true); return;
      }
    }
    const r = this.findMmio(pa);
    if (r) r.handler.write(pa - r.base, size, BigInt.asUintN(size * 8, value));
  }

  /** 32-bit read for hot root-side paths (page walks, VMCS regions); open bus outside RAM. */
  read32(pa: number): number {
    return this.inRam(pa, 4) ? this.view.getUint32(pa, true) : 0xffff_ffff;
  }

  write32(pa: number, v: number): void {
    if (!this.inRam(pa, 4)) return;
    this.beforeWrite(pa, 4);
    this.view.setUint32(pa, v >>> 0, true);
  }

  readBytes(pa: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.inRam(pa + i, 1) ? this.bytes[pa + i]! : 0xff;
    return out;
  }

  writeBytes(pa: number, data: Uint8Array): void {
    if (!this.inRam(pa, data.length)) throw new RangeError(`write of ${data.length} bytes at 0x${pa.toString(16)} is outside host memory`);
    this.beforeWrite(pa, data.length);
    this.bytes.set(data, pa);
  }
}
