/**
 * A bare machine in root mode, as `vmxlab exec` runs code (DESIGN.md "exec"):
 * code at guest-physical 0x10000, RSP 0x80000, CPL 0, long mode with the low
 * 4 GiB identity-mapped by 2-MiB pages, flat CS 0x08 / DS 0x10. The layout of
 * the tables matches the Bochs reference runner (shared/tools/bochs-vmx), so
 * programs behave the same on both: PML4 0x1000, PDPT 0x2000, PDs
 * 0x3000–0x6fff, GDT 0x7ce8.
 */
import { inputError } from "../common/errors";
import { Cpu } from "../guest-cpu/cpu";
import { setSegment } from "../guest-cpu/descriptors";
import { AR, CR0, CR4, CS, DS, EFER, ES, FS, GS, LDTR, RSP, SS, TR } from "../guest-cpu/registers";
import { HostMemory } from "../memory/host-memory";

export type ExecMode = "long64" | "protected32" | "real16";

export interface BareOptions {
  memory: number;
  mode: ExecMode;
  load: number;
  entry?: number;
  rsp?: number;
}

export const EXEC_DEFAULTS = { memory: 16 << 20, load: 0x10000, rsp: 0x80000, mode: "long64" as ExecMode };

export const BARE_LAYOUT = { pml4: 0x1000, pdpt: 0x2000, pd: 0x3000, gdt: 0x7ce8 } as const;

/** GDT: null, 64-bit code 0x08, data 0x10, 32-bit code 0x18 (protected32 runs use 0x18/0x10). */
const GDT = [0n, 0x00af9b000000ffffn, 0x00cf93000000ffffn, 0x00cf9b000000ffffn];

const CODE64_AR = 0xa09b; // P, S, type 0xb, L, G
const CODE32_AR = 0xc09b; // P, S, type 0xb, D, G
const DATA_AR = 0xc093; // P, S, type 3, B, G

export function createBareMachine(code: Uint8Array, opts: BareOptions): Cpu {
  const mem = new HostMemory(opts.memory);
  if (opts.load + code.length > opts.memory) {
    throw inputError(`code of ${code.length} bytes at 0x${opts.load.toString(16)} does not fit in ${opts.memory} bytes of memory`);
  }
  const cpu = new Cpu(mem);
  const s = cpu.s;
  const L = BARE_LAYOUT;
  GDT.forEach((d, i) => mem.write(L.gdt + i * 8, 8, d));
  s.gdtrBase = L.gdt;
  s.gdtrLimit = GDT.length * 8 - 1;
  s.idtrBase = 0;
  s.idtrLimit = 0; // no IDT: an exception escalates to a triple fault (shutdown)
  setSegment(s, LDTR, 0, 0, 0, AR.UNUSABLE);
  setSegment(s, TR, 0, 0, 0x67, 0x8b);
  if (opts.mode === "long64" || opts.mode === "protected32") {
    if (opts.mode === "long64") buildIdentityMap(mem);
    s.cr0 = CR0.PE | CR0.ET | (opts.mode === "long64" ? CR0.PG : 0);
    s.cr4 = opts.mode === "long64" ? CR4.PAE : 0;
    s.cr3 = opts.mode === "long64" ? L.pml4 : 0;
    s.efer = opts.mode === "long64" ? EFER.LME | EFER.LMA : 0;
    const codeSel = opts.mode === "long64" ? 0x08 : 0x18;
    setSegment(s, CS, codeSel, 0, 0xffff_ffff, opts.mode === "long64" ? CODE64_AR : CODE32_AR);
    for (const seg of [DS, ES, SS, FS, GS]) setSegment(s, seg, 0x10, 0, 0xffff_ffff, DATA_AR);
  } else {
    // Real mode: CS:IP = load >> 4 : 0 would need a segment; use CS base 0, IP = load when it fits.
    for (const seg of [CS, DS, ES, SS, FS, GS]) setSegment(s, seg, 0, 0, 0xffff, seg === CS ? AR.P | AR.S | 0xb : AR.P | AR.S | 0x3);
    if (opts.load > 0xffff) {
      const cs = opts.load >>> 4;
      setSegment(s, CS, cs, cs << 4, 0xffff, AR.P | AR.S | 0xb);
    }
  }
  mem.writeBytes(opts.load, code);
  const entry = opts.entry ?? opts.load;
  s.rip = opts.mode === "real16" ? entry - s.segBase[CS]! : entry;
  const rsp = opts.rsp ?? EXEC_DEFAULTS.rsp;
  s.lo[RSP] = opts.mode === "real16" ? rsp & 0xffff : rsp;
  s.rflags = 0x2;
  s.updateMode();
  s.tlb.flushAll();
  void AR;
  return cpu;
}

/** PML4[0] → PDPT, PDPT[0..3] → four PDs of 512 2-MiB pages: identity map of 4 GiB (present, writable). */
function buildIdentityMap(mem: HostMemory): void {
  const L = BARE_LAYOUT;
  mem.write(L.pml4, 8, BigInt(L.pdpt | 3));
  for (let i = 0; i < 4; i++) mem.write(L.pdpt + i * 8, 8, BigInt((L.pd + i * 0x1000) | 3));
  for (let i = 0; i < 2048; i++) mem.write(L.pd + i * 8, 8, (BigInt(i) << 21n) | 0x83n);
}
