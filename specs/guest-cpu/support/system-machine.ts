/**
 * A machine for system-instruction specs: long mode (or 32-bit protected /
 * real mode) with a GDT holding ring-0 and ring-3 segments, a TSS with RSP0,
 * IST1 and an I/O permission bitmap, an IDT whose every vector points at its
 * own `hlt` stub (so the vector that was delivered is read off RIP), and an
 * identity map of the low 1 GiB that user mode may use. Code is written in
 * Intel syntax and assembled by src/asm.
 */
import { assemble } from "../../../src/asm/assemble";
import { Cpu } from "../../../src/guest-cpu/cpu";
import { setSegment } from "../../../src/guest-cpu/descriptors";
import { AR, CR0, CR4, CS, DS, EFER, ES, FS, GPR_NAMES, GS, LDTR, SS, TR } from "../../../src/guest-cpu/registers";
import { HostMemory } from "../../../src/memory/host-memory";

export const L = {
  pml4: 0x1000, pdpt: 0x2000, pd: 0x3000, gdt: 0x8000, idt: 0x9000, tss: 0xb000, handlers: 0xc000,
  code: 0x10000, data: 0x20000, rsp: 0x80000, rsp0: 0x70000, ist1: 0x60000, userRsp: 0x50000,
} as const;

/** Selectors. SYSRET with STAR[63:48] = 0x18 returns to USER_CS64 / USER_DS (SDM Vol. 3A 5.8.8). */
export const SEL = {
  KCODE64: 0x08, KDATA: 0x10, UCODE32: 0x1b, UDATA: 0x23, UCODE64: 0x2b, KCODE32: 0x30, KCODE16: 0x38, TSS: 0x40, LDT: 0x50, KDATA16: 0x60,
  NOT_PRESENT: 0x68, READ_ONLY: 0x70, EXEC_ONLY: 0x78,
} as const;

export type Mode = "long64" | "protected32" | "real16";

/** A flat code/data descriptor. */
export function segDesc(o: { code: boolean; dpl: number; l?: boolean; db?: boolean; present?: boolean; base?: number; limit?: number; g?: boolean; type?: number }): bigint {
  const base = BigInt(o.base ?? 0);
  const limit = BigInt(o.limit ?? 0xfffff);
  const type = BigInt(o.type ?? (o.code ? 0xb : 0x3));
  const access = type | (1n << 4n) | (BigInt(o.dpl) << 5n) | ((o.present ?? true) ? 1n << 7n : 0n);
  const flags = (o.l ? 2n : 0n) | (o.db ? 4n : 0n) | ((o.g ?? true) ? 8n : 0n);
  return (limit & 0xffffn) | ((base & 0xffffffn) << 16n) | (access << 40n) | (((limit >> 16n) & 0xfn) << 48n) | (flags << 52n) | (((base >> 24n) & 0xffn) << 56n);
}

/** A system descriptor (TSS, LDT): 16 bytes in IA-32e mode. Returns [low qword, high qword]. */
export function sysDesc(base: number, limit: number, type: number, dpl = 0): [bigint, bigint] {
  const b = BigInt(base);
  const lim = BigInt(limit);
  const lo = (lim & 0xffffn) | ((b & 0xffffffn) << 16n) | (BigInt(type | 0x80 | (dpl << 5)) << 40n) | (((lim >> 16n) & 0xfn) << 48n) | (((b >> 24n) & 0xffn) << 56n);
  return [lo, b >> 32n];
}

export interface SysOptions {
  mode?: Mode;
  /** Start at CPL 3 (user code/stack segments). */
  user?: boolean;
  regs?: Partial<Record<(typeof GPR_NAMES)[number], bigint | number>>;
  /** Handler code per vector (assembled at that vector's stub, 64 bytes each); default `hlt`. */
  handlers?: Record<number, string>;
  /** IDT gate DPL per vector (default 0; 3 for 3, 4 and 0x80). */
  gateDpl?: Record<number, number>;
  /** Vectors whose IDT gate is not present. */
  absent?: number[];
  /** Extra code placed at L.data + 0x1000 (e.g. a ring-3 routine). */
  extra?: string;
  cr4?: number;
  /** Changes before running (memory, MSRs, registers). */
  setup?: (cpu: Cpu) => void;
  /** Own memory instead of the shared one (for a machine that outlives the next sysMachine call). */
  fresh?: boolean;
}

/** One 8-MiB memory reused (zeroed) by successive machines: allocating it is most of a machine's cost. */
let pool: HostMemory | undefined;
function memory(fresh: boolean): HostMemory {
  if (fresh) return new HostMemory(8 << 20);
  if (!pool) pool = new HostMemory(8 << 20);
  pool.bytes.fill(0);
  pool.pageFlags.fill(0);
  pool.onCodeWrite = null;
  return pool;
}

const STUB = 64;
const HLT = new Uint8Array([0xf4]);

export interface SysRun {
  cpu: Cpu;
  stop: string;
  reg(name: (typeof GPR_NAMES)[number]): bigint;
  /** The vector whose handler stub ran (its `hlt`), or undefined if none ran. */
  vector: number | undefined;
  /** Faults raised, as "#GP(0x0)" strings. */
  faults: string[];
  /** Reads a qword of guest memory. */
  q(addr: number): bigint;
}

function bits(mode: Mode): 16 | 32 | 64 {
  return mode === "long64" ? 64 : mode === "protected32" ? 32 : 16;
}

export function sysMachine(code: string, o: SysOptions = {}): Cpu {
  const mode = o.mode ?? "long64";
  const mem = memory(o.fresh ?? false);
  const cpu = new Cpu(mem);
  const s = cpu.s;
  // Identity map of 1 GiB in 2-MiB pages, user-accessible and writable.
  mem.write(L.pml4, 8, BigInt(L.pdpt | 7));
  mem.write(L.pdpt, 8, BigInt(L.pd | 7));
  for (let i = 0; i < 512; i++) mem.write(L.pd + i * 8, 8, (BigInt(i) << 21n) | 0x87n);
  // GDT
  const gdt: bigint[] = [];
  gdt[0x08 / 8] = segDesc({ code: true, dpl: 0, l: true });
  gdt[0x10 / 8] = segDesc({ code: false, dpl: 0, db: true });
  gdt[0x18 / 8] = segDesc({ code: true, dpl: 3, db: true });
  gdt[0x20 / 8] = segDesc({ code: false, dpl: 3, db: true });
  gdt[0x28 / 8] = segDesc({ code: true, dpl: 3, l: true });
  gdt[0x30 / 8] = segDesc({ code: true, dpl: 0, db: true });
  gdt[0x38 / 8] = segDesc({ code: true, dpl: 0, limit: 0xffff, g: false });
  const long = mode === "long64";
  const tssLimit = 0x68 + 0x80 + 1 - 1; // TSS, a 1024-port bitmap, the terminating 0xff byte
  const [t0, t1] = sysDesc(L.tss, tssLimit, long ? 9 : 9);
  gdt[0x40 / 8] = t0;
  gdt[0x48 / 8] = long ? t1 : 0n;
  const [l0, l1] = sysDesc(L.data + 0x800, 0xf, 2);
  gdt[0x50 / 8] = l0;
  gdt[0x58 / 8] = long ? l1 : 0n;
  gdt[0x60 / 8] = segDesc({ code: false, dpl: 0, limit: 0xffff, g: false });
  gdt[0x68 / 8] = segDesc({ code: false, dpl: 0, db: true, present: false });
  gdt[0x70 / 8] = segDesc({ code: false, dpl: 0, db: true, type: 0x1 }); // read-only data
  gdt[0x78 / 8] = segDesc({ code: true, dpl: 0, type: 0x9, db: true }); // execute-only code
  for (let i = 0; i < 16; i++) mem.write(L.gdt + i * 8, 8, gdt[i] ?? 0n);
  s.gdtrBase = L.gdt;
  s.gdtrLimit = 16 * 8 - 1;
  // TSS: RSP0/ESP0+SS0, IST1, I/O bitmap at 0x68 allowing only port 0x80.
  if (long) {
    mem.write(L.tss + 4, 8, BigInt(L.rsp0));
    mem.write(L.tss + 36, 8, BigInt(L.ist1));
  } else {
    mem.write(L.tss + 4, 4, BigInt(L.rsp0));
    mem.write(L.tss + 8, 4, BigInt(SEL.KDATA));
  }
  mem.write(L.tss + 0x66, 2, 0x68n);
  for (let i = 0; i < 0x80; i++) mem.write(L.tss + 0x68 + i, 1, 0xffn);
  mem.write(L.tss + 0x68 + 0x10, 1, 0xfen); // port 0x80 allowed
  mem.write(L.tss + 0x68 + 0x80, 1, 0xffn);
  // IDT: each vector → its stub.
  const gateSize = long ? 16 : mode === "protected32" ? 8 : 4;
  const dpls: Record<number, number> = { 3: 3, 4: 3, 0x80: 3, ...o.gateDpl };
  for (let v = 0; v < 256; v++) {
    const h = L.handlers + v * STUB;
    if (mode === "real16") {
      mem.write(v * 4, 4, BigInt(((h >> 4) << 16) | (h & 0xf)));
    } else {
      const sel = long ? SEL.KCODE64 : SEL.KCODE32;
      const p = o.absent?.includes(v) ? 0 : 0x80;
      const w = BigInt(h & 0xffff) | (BigInt(sel) << 16n) | (BigInt(0x0e | p | ((dpls[v] ?? 0) << 5)) << 40n) | (BigInt((h >>> 16) & 0xffff) << 48n);
      mem.write(L.idt + v * gateSize, 8, w);
      if (long) mem.write(L.idt + v * gateSize + 8, 8, 0n);
    }
    const stub = o.handlers?.[v];
    mem.writeBytes(h, stub ? assemble(stub, { bits: bits(mode), org: mode === "real16" ? h & 0xf : h }).bytes : HLT);
  }
  s.idtrBase = mode === "real16" ? 0 : L.idt;
  s.idtrLimit = mode === "real16" ? 0x3ff : 256 * gateSize - 1;
  // Mode
  if (mode === "real16") {
    for (const seg of [CS, DS, ES, SS, FS, GS]) setSegment(s, seg, 0, 0, 0xffff, AR.P | AR.S | (seg === CS ? 0xb : 3));
    setSegment(s, CS, L.code >> 4, L.code, 0xffff, AR.P | AR.S | 0xb);
  } else {
    s.cr0 = CR0.PE | CR0.ET | CR0.NE | (long ? CR0.PG : 0);
    s.cr4 = (long ? CR4.PAE : 0) | (o.cr4 ?? 0);
    s.cr3 = long ? L.pml4 : 0;
    s.efer = long ? EFER.LME | EFER.LMA | EFER.NXE | EFER.SCE : 0;
    const u = o.user ?? false;
    const cs = long ? (u ? SEL.UCODE64 : SEL.KCODE64) : u ? SEL.UCODE32 : SEL.KCODE32;
    const codeAr = AR.P | AR.S | 0xb | AR.G | (long ? AR.L : AR.DB) | ((u ? 3 : 0) << AR.DPL_SHIFT);
    const dataAr = AR.P | AR.S | 0x3 | AR.G | AR.DB | ((u ? 3 : 0) << AR.DPL_SHIFT);
    const ds = u ? SEL.UDATA : SEL.KDATA;
    for (const seg of [DS, ES, SS, FS, GS]) setSegment(s, seg, ds, 0, 0xffff_ffff, dataAr);
    setSegment(s, CS, cs, 0, 0xffff_ffff, codeAr);
  }
  setSegment(s, LDTR, 0, 0, 0, AR.UNUSABLE);
  if (mode !== "real16") {
    setSegment(s, TR, SEL.TSS, L.tss, tssLimit, 0x8b);
    mem.write(L.gdt + 0x40 + 5, 1, BigInt(0x8b)); // busy
  } else {
    setSegment(s, TR, 0, 0, 0xffff, 0x8b);
  }
  const prog = assemble(code + "\nhlt\n", { bits: bits(mode), org: mode === "real16" ? 0 : L.code });
  mem.writeBytes(L.code, prog.bytes);
  if (o.extra) mem.writeBytes(L.data + 0x1000, assemble(o.extra, { bits: bits(mode), org: L.data + 0x1000 }).bytes);
  s.rip = mode === "real16" ? 0 : L.code;
  const rsp = o.user ? L.userRsp : L.rsp;
  s.lo[4] = mode === "real16" ? 0xfff0 : rsp;
  s.rflags = 0x2;
  for (const [k, v] of Object.entries(o.regs ?? {})) {
    const i = GPR_NAMES.indexOf(k as (typeof GPR_NAMES)[number]);
    const b = BigInt.asUintN(64, BigInt(v));
    s.lo[i] = Number(b & 0xffffffffn) | 0;
    s.hi[i] = Number(b >> 32n) | 0;
  }
  s.updateMode();
  s.tlb.flushAll();
  o.setup?.(cpu);
  return cpu;
}

export function runSys(code: string, o: SysOptions = {}, maxSteps = 10_000): SysRun {
  const cpu = sysMachine(code, o);
  const r = cpu.run(maxSteps);
  const s = cpu.s;
  const rip = s.rip + (o.mode === "real16" ? s.segBase[CS]! : 0);
  const off = rip - 1 - L.handlers;
  const vector = off >= 0 && off < 256 * STUB && r.stop === "hlt" ? Math.floor(off / STUB) : undefined;
  return {
    cpu,
    stop: r.stop,
    vector,
    faults: cpu.faults.map((f) => `${f.vector}(0x${(f.errorCode >>> 0).toString(16)})`.replace("(0xffffffff)", "")),
    reg: (name) => {
      const i = GPR_NAMES.indexOf(name);
      return (BigInt(s.hi[i]! >>> 0) << 32n) | BigInt(s.lo[i]! >>> 0);
    },
    q: (addr) => cpu.mem.read(addr, 8),
  };
}

export const VEC = { DE: 0, DB: 1, BP: 3, OF: 4, UD: 6, NM: 7, DF: 8, TS: 10, NP: 11, SS: 12, GP: 13, PF: 14, AC: 17 } as const;
