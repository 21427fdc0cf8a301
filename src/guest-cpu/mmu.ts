/**
 * Memory management unit: linear → host-physical through the software TLB,
 * with a pluggable Translator behind it for misses (x86 paging, paging off,
 * or nested paging under VMX). Handles the slow paths the inline helpers in
 * memops.ts leave to it: TLB misses, accesses crossing a page, MMIO and
 * writes to pages watched for decoded code or snapshots.
 */
import { PF_CODE, PAGE_SIZE } from "../memory/host-memory";
import { type CpuState, TLB_USER } from "./state";
import { T_R, T_W, T_X, Tlb } from "./tlb";

/** Access kinds and attributes. */
export const A_R = 1, A_W = 2, A_X = 4;
/** The access is subject to user-mode checks (CPL 3 and not an implicit supervisor access). */
export const A_USER = 8;
/** Implicit supervisor access (descriptor tables, TSS, IDT): never fills the TLB (SMAP treats it apart). */
export const A_IMPLICIT = 16;

/** What a translation allows without another walk, for filling the TLB. */
export class TransOut {
  perm = 0; // T_R | T_W | T_X for the privilege of the access
  global = false;
  gpa = 0; // guest-physical address (equals the host-physical one without EPT/NPT)
  cacheable = true; // false: do not put in the TLB (e.g. paging-structure caching disabled)
}

export interface Translator {
  /**
   * Translates `lin` for access `acc` (A_* bits). Returns the host-physical
   * address and fills `out`; throws a CpuFault (#PF) or a VM-exit signal.
   */
  translate(s: CpuState, lin: number, acc: number, out: TransOut): number;
}

/** Paging off and no nested paging: linear = physical (32-bit outside long mode). */
export const flatTranslator: Translator = {
  translate(s, lin, _acc, out) {
    const pa = s.longMode ? lin : lin >>> 0;
    out.perm = T_R | T_W | T_X;
    out.global = false;
    out.gpa = pa;
    out.cacheable = true;
    return pa;
  },
};

export class Mmu {
  translator: Translator = flatTranslator;
  private readonly out = new TransOut();

  constructor(private readonly s: CpuState) {
    s.tlb = new Tlb("default");
  }

  /** Translates and, when the page is ordinary RAM, fills the TLB. Returns the host-physical address. */
  xlate(lin: number, acc: number): number {
    const s = this.s;
    const out = this.out;
    const hpa = this.translator.translate(s, lin, acc, out);
    if (out.cacheable && !(acc & A_IMPLICIT)) {
      const page = Math.floor(hpa / PAGE_SIZE);
      const mem = s.mem;
      if (page < mem.pageFlags.length) {
        const flags = mem.pageFlags[page]!;
        let perm = out.perm;
        if (flags !== 0) perm &= ~T_W; // writes to watched pages must reach HostMemory.beforeWrite
        if ((flags & 4) === 0) {
          // not MMIO
          const vpn = Math.floor(lin / PAGE_SIZE);
          s.tlb.fill(acc & A_USER ? TLB_USER : 0, vpn, page * PAGE_SIZE, Math.floor(out.gpa / PAGE_SIZE) * PAGE_SIZE, perm, out.global);
        }
      }
    }
    return hpa;
  }

  /** The access attribute for an explicit data access at the current privilege. */
  private userBit(): number {
    return this.s.cpl === 3 ? A_USER : 0;
  }

  /** Slow-path read of `size` (1, 2, 4, 8) bytes; returns the low 32 bits, the high half in s.t[0]. */
  read(lin: number, size: number, extra = 0): number {
    const acc = A_R | this.userBit() | extra;
    const s = this.s;
    const off = lin - Math.floor(lin / PAGE_SIZE) * PAGE_SIZE;
    if (off + size <= PAGE_SIZE) {
      const pa = this.xlate(lin, acc);
      return this.physRead(pa, size);
    }
    // Crossing a page: translate both pages first so a fault leaves nothing half done.
    const first = PAGE_SIZE - off;
    const pa1 = this.xlate(lin, acc);
    const pa2 = this.xlate(lin + first, acc);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) {
      const pa = i < first ? pa1 + i : pa2 + (i - first);
      v = (v << 8n) | s.mem.read(pa, 1);
    }
    s.t[0] = Number(v >> 32n) | 0;
    return Number(v & 0xffff_ffffn) | 0;
  }

  /** Checks that a write of `size` bytes at `lin` would succeed (RMW instructions translate for write first). */
  probeWrite(lin: number, size: number, extra = 0): void {
    const acc = A_W | this.userBit() | extra;
    const off = lin - Math.floor(lin / PAGE_SIZE) * PAGE_SIZE;
    this.xlate(lin, acc);
    if (off + size > PAGE_SIZE) this.xlate(lin + (PAGE_SIZE - off), acc);
  }

  write(lin: number, size: number, lo: number, hi: number, extra = 0): void {
    const acc = A_W | this.userBit() | extra;
    const s = this.s;
    const off = lin - Math.floor(lin / PAGE_SIZE) * PAGE_SIZE;
    if (off + size <= PAGE_SIZE) {
      const pa = this.xlate(lin, acc);
      this.physWrite(pa, size, lo, hi);
      return;
    }
    const first = PAGE_SIZE - off;
    const pa1 = this.xlate(lin, acc);
    const pa2 = this.xlate(lin + first, acc);
    let v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    for (let i = 0; i < size; i++) {
      const pa = i < first ? pa1 + i : pa2 + (i - first);
      this.noteWrite(pa, 1);
      s.mem.write(pa, 1, v & 0xffn);
      v >>= 8n;
    }
  }

  /** Host-physical read with MMIO and open-bus handling. */
  physRead(pa: number, size: number): number {
    const s = this.s;
    const mem = s.mem;
    if (mem.inRam(pa, size) && (mem.pageFlags[Math.floor(pa / PAGE_SIZE)]! & 4) === 0) {
      const v = mem.view;
      switch (size) {
        case 1: return mem.bytes[pa]!;
        case 2: return v.getUint16(pa, true);
        case 4: return v.getInt32(pa, true);
        default: s.t[0] = v.getInt32(pa + 4, true); return v.getInt32(pa, true);
      }
    }
    const big = mem.read(pa, size);
    s.t[0] = Number(big >> 32n) | 0;
    return Number(big & 0xffff_ffffn) | 0;
  }

  physWrite(pa: number, size: number, lo: number, hi: number): void {
    this.noteWrite(pa, size);
    const val = size === 8 ? (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) : BigInt(lo >>> 0) & ((1n << BigInt(size * 8)) - 1n);
    this.s.mem.write(pa, size, val);
  }

  /** A write is about to hit [pa, pa+size): if that drops decoded code, the running block must stop. */
  private noteWrite(pa: number, size: number): void {
    const mem = this.s.mem;
    const p = Math.floor(pa / PAGE_SIZE);
    const q = Math.floor((pa + size - 1) / PAGE_SIZE);
    if (p < mem.pageFlags.length && (mem.pageFlags[p]! & PF_CODE || (q < mem.pageFlags.length && mem.pageFlags[q]! & PF_CODE))) {
      this.s.smc = 1;
    }
  }

  /** Translates a code fetch; returns the host-physical address. */
  fetch(lin: number): number {
    const s = this.s;
    const vpn = Math.floor(lin / PAGE_SIZE);
    const i = (vpn & (TLB_USER - 1)) + s.mmuIdx;
    const t = s.tlb;
    if (t.tagX[i] === vpn) return lin + t.add[i]!;
    return this.xlate(lin, A_X | this.userBit());
  }
}
