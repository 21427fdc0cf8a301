/**
 * Memory management unit: linear → host-physical through the software TLB,
 * with a pluggable Translator behind it for misses (x86 paging, paging off,
 * or nested paging under VMX). Handles the slow paths the inline helpers in
 * memops.ts leave to it: TLB misses, accesses crossing a page, MMIO and
 * writes to pages watched for decoded code or snapshots.
 */
import { PF_CODE, PAGE_SIZE } from "../memory/host-memory";
import { type CpuState, TLB_USER } from "./state";
import { CpuFault, AC } from "./exceptions";
import { CR0, CR4, FLAG } from "./registers";
import { T_R, T_W, T_X, Tlb } from "./tlb";

const CR4_PCIDE = CR4.PCIDE;

/** Access kinds and attributes. */
export const A_R = 1, A_W = 2, A_X = 4;
/** The access is subject to user-mode checks (CPL 3 and not an implicit supervisor access). */
export const A_USER = 8;
/** Implicit supervisor access (descriptor tables, TSS, IDT): never fills the TLB (SMAP treats it apart). */
export const A_IMPLICIT = 16;
/**
 * The access has no linear address (loads of the PAE PDPTEs by MOV to CR3/CR0/CR4): an EPT
 * violation then reports the guest linear-address field invalid (SDM Vol. 3C 28.2.1 Table 28-7 bit 7).
 */
export const A_NO_GLA = 32;

/** INVEPT types and INVVPID types (SDM Vol. 3C 31.3, INVEPT / INVVPID). */
export const INVEPT_SINGLE = 1, INVEPT_ALL = 2;
export const INVVPID_ADDRESS = 0, INVVPID_SINGLE = 1, INVVPID_ALL = 2, INVVPID_SINGLE_RETAIN_GLOBALS = 3;

/**
 * What the VMX unit calls for INVEPT and INVVPID once it has checked the
 * operands (types against the capabilities, VPID 0, canonical address):
 * the invalidation itself, as SDM Vol. 3C 29.4.3.1 describes it.
 */
export interface TlbControl {
  /** INVEPT: type 1 single-context (mappings of this EPTP's EP4TA), 2 all-context. */
  invalidateEpt(type: number, eptp: bigint | number): void;
  /** INVVPID: type 0 individual-address, 1 single-context, 2 all-context (every VPID but 0), 3 single-context retaining globals. */
  invalidateVpid(type: number, vpid: number, addr: number): void;
}

/** Nested paging's answer for the last final access: the T_* bits its entries allow (EPT/NPT permissions, dirty flag). */
export interface NestedPermissions {
  readonly lastPerm: number;
}

/** Contexts kept at once; the least recently used one is dropped (hardware may drop entries at any time). */
const MAX_CONTEXTS = 8;
const EP4TA_MASK = 0x000f_ffff_ffff_f000n;

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

export class Mmu implements TlbControl {
  translator: Translator = flatTranslator;
  /** Set while EPT/NPT translates guest-physical addresses: its permissions restrict what the TLB caches. */
  nested: NestedPermissions | null = null;
  private readonly out = new TransOut();
  /** TLB contexts, most recently selected last; `s.tlb` is the current one. */
  private readonly ctxs: Tlb[] = [];
  /** Tags of the current context other than the PCID (which comes from CR3). */
  private vpid = 0;
  private ep4ta = -1;

  constructor(private readonly s: CpuState) {
    const t = new Tlb("vpid 0");
    this.ctxs.push(t);
    s.tlb = t;
  }

  // ---- contexts (SDM Vol. 3C 29.4.1: linear mappings are tagged by VPID and PCID, combined mappings also by EP4TA)

  /** The current PCID: CR3[11:0] when CR4.PCIDE = 1, else 000H. */
  private pcid(): number {
    const s = this.s;
    return s.cr4 & CR4_PCIDE ? s.cr3 % 4096 : 0;
  }

  /** Makes the context for the current VPID, PCID and EP4TA current, creating it if needed. */
  selectContext(): Tlb {
    const pcid = this.pcid();
    const cur = this.s.tlb;
    if (cur.vpid === this.vpid && cur.pcid === pcid && cur.ep4ta === this.ep4ta) return cur;
    let t = this.ctxs.find((c) => c.vpid === this.vpid && c.pcid === pcid && c.ep4ta === this.ep4ta);
    if (t) {
      this.ctxs.splice(this.ctxs.indexOf(t), 1);
    } else {
      if (this.ctxs.length >= MAX_CONTEXTS) this.ctxs.shift();
      t = new Tlb(`vpid ${this.vpid} pcid ${pcid}${this.ep4ta >= 0 ? ` ep4ta 0x${this.ep4ta.toString(16)}` : ""}`);
      t.vpid = this.vpid; t.pcid = pcid; t.ep4ta = this.ep4ta;
    }
    this.ctxs.push(t);
    this.s.tlb = t;
    return t;
  }

  /**
   * VM entry or VM exit: switch to the VPID and EP4TA (-1: no EPT/NPT) of the
   * side being entered. When the "enable VPID" control is 0, every VM entry and
   * VM exit invalidates all linear and combined mappings of VPID 0000H
   * (SDM Vol. 3C 29.4.3.1); with VPIDs, entries of both sides survive.
   */
  vmTransition(vpid: number, ep4ta: number, vpidEnabled: boolean): void {
    if (!vpidEnabled) this.forEach((t) => t.vpid === 0, (t) => t.flushAll());
    this.vpid = vpid;
    this.ep4ta = ep4ta;
    this.selectContext();
  }

  /** Current tags (labs, specs). */
  get tags(): { vpid: number; pcid: number; ep4ta: number } {
    return { vpid: this.vpid, pcid: this.pcid(), ep4ta: this.ep4ta };
  }

  /** Every context, for the lab's `tlb` view. */
  contexts(): readonly Tlb[] {
    return this.ctxs;
  }

  private forEach(match: (t: Tlb) => boolean, f: (t: Tlb) => void): void {
    for (const t of this.ctxs) if (match(t)) f(t);
  }

  // ---- invalidation by the guest's own instructions (SDM Vol. 3A 4.10.4.1, Vol. 3C 29.4.3.1)

  /**
   * MOV to CR3 (call after CR3 changed): selects the new PCID's context and,
   * unless CR4.PCIDE = 1 and bit 63 of the source was set (`noFlush`), drops
   * the non-global entries of the current VPID and PCID, for every EP4TA.
   */
  movCr3(noFlush = false): void {
    const t = this.selectContext();
    if (noFlush) return;
    this.forEach((c) => c.vpid === t.vpid && c.pcid === t.pcid, (c) => c.flushNonGlobal());
  }

  /** INVLPG: the page's entries, global or not, of the current VPID for every PCID and EP4TA. */
  invlpg(lin: number): void {
    this.forEach((c) => c.vpid === this.vpid, (c) => c.flushPage(lin));
  }

  /** MOV to CR0/CR4 changing paging bits (PG, WP, PGE, PAE, PSE, PCIDE, SMEP, SMAP, LA57): all entries of the current VPID. */
  flushCurrentVpid(): void {
    this.forEach((c) => c.vpid === this.vpid, (c) => c.flushAll());
    this.selectContext();
  }

  /**
   * INVPCID (SDM Vol. 2A INVPCID): 0 individual address for `pcid`, 1 single
   * context, 2 all contexts including globals, 3 all contexts except globals.
   * Only the current VPID's mappings are affected.
   */
  invpcid(type: number, pcid: number, lin: number): void {
    const v = this.vpid;
    switch (type) {
      case 0: this.forEach((c) => c.vpid === v && c.pcid === pcid, (c) => c.flushPage(lin)); break;
      case 1: this.forEach((c) => c.vpid === v && c.pcid === pcid, (c) => c.flushNonGlobal()); break;
      case 2: this.forEach((c) => c.vpid === v, (c) => c.flushAll()); break;
      case 3: this.forEach((c) => c.vpid === v, (c) => c.flushNonGlobal()); break;
      default: throw new RangeError(`INVPCID type ${type}`);
    }
  }

  // ---- TlbControl: INVEPT / INVVPID from the VMX unit (SDM Vol. 3C 29.4.3.1)

  invalidateEpt(type: number, eptp: bigint | number): void {
    if (type === INVEPT_SINGLE) {
      const ep4ta = Number(BigInt(eptp) & EP4TA_MASK);
      this.forEach((c) => c.ep4ta === ep4ta, (c) => c.flushAll());
    } else if (type === INVEPT_ALL) {
      this.forEach((c) => c.ep4ta >= 0, (c) => c.flushAll());
    } else {
      throw new RangeError(`INVEPT type ${type}`);
    }
  }

  invalidateVpid(type: number, vpid: number, addr: number): void {
    switch (type) {
      case INVVPID_ADDRESS: this.forEach((c) => c.vpid === vpid, (c) => c.flushPage(addr)); break;
      case INVVPID_SINGLE: this.forEach((c) => c.vpid === vpid, (c) => c.flushAll()); break;
      case INVVPID_ALL: this.forEach((c) => c.vpid !== 0, (c) => c.flushAll()); break;
      case INVVPID_SINGLE_RETAIN_GLOBALS: this.forEach((c) => c.vpid === vpid, (c) => c.flushNonGlobal()); break;
      default: throw new RangeError(`INVVPID type ${type}`);
    }
  }

  /** A page now holds decoded code: no context may keep writing to it without the slow path. */
  protectPage(hpage: number): void {
    for (const t of this.ctxs) t.protectPage(hpage);
  }

  /** Every page is now watched (snapshots): no context may write without the slow path. */
  protectAll(): void {
    for (const t of this.ctxs) t.protectAll();
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
        if (this.nested !== null) perm &= this.nested.lastPerm;
        if (flags !== 0) perm &= ~T_W; // writes to watched pages must reach HostMemory.beforeWrite
        // With alignment checking on, CPL-3 accesses stay on the slow path, where it is checked.
        if ((flags & 4) === 0 && !(acc & A_USER && alignmentChecking(s))) {
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

  /** #AC(0) for a misaligned explicit data access at CPL 3 with CR0.AM and RFLAGS.AC (SDM Vol. 3A 6.15, interrupt 17). */
  private align(lin: number, size: number, acc: number): void {
    if (size > 1 && (lin & (size - 1)) !== 0 && acc & A_USER && !(acc & A_IMPLICIT) && alignmentChecking(this.s)) throw new CpuFault(AC, 0);
  }

  /** Slow-path read of `size` (1, 2, 4, 8) bytes; returns the low 32 bits, the high half in s.t[0]. */
  read(lin: number, size: number, extra = 0): number {
    const acc = A_R | this.userBit() | extra;
    const s = this.s;
    this.align(lin, size, acc);
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
    this.align(lin, size, acc);
    const off = lin - Math.floor(lin / PAGE_SIZE) * PAGE_SIZE;
    this.xlate(lin, acc);
    if (off + size > PAGE_SIZE) this.xlate(lin + (PAGE_SIZE - off), acc);
  }

  write(lin: number, size: number, lo: number, hi: number, extra = 0): void {
    const acc = A_W | this.userBit() | extra;
    const s = this.s;
    this.align(lin, size, acc);
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

/** Alignment checking applies: CPL 3, CR0.AM and RFLAGS.AC (SDM Vol. 3A 2.5, 6.15). */
export function alignmentChecking(s: CpuState): boolean {
  return s.cpl === 3 && (s.cr0 & CR0.AM) !== 0 && (s.rflagsRest & FLAG.AC) !== 0;
}
