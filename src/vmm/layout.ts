/**
 * Where a VM's pieces live in host memory, as a KVM host places them: guest
 * RAM at host-physical 0 (so a guest without EPT sees the same addresses),
 * then the hypervisor's own area, which the guest's EPT does not map:
 *
 *   host+0x00000  VMXON region            host+0x05000  host GDT (null, code64 0x08, data 0x10, TSS 0x18)
 *   host+0x01000  VMCS region             host+0x05100  host TSS
 *   host+0x02000  I/O bitmap A (0–7FFF)   host+0x06000  HOST_RIP page (a HLT; the TypeScript VMM never runs it)
 *   host+0x03000  I/O bitmap B            host+0x07000  host page tables (PML4, PDPT, 4 PDs: 4 GiB identity, 2-MiB pages)
 *   host+0x04000  MSR bitmap              host+0x0d000  host stack (top at host+0x10000)
 *   host+0x10000  EPT table arena (EPT_ARENA bytes), then the passthrough backing
 *
 * Guest RAM keeps the `vmxlab exec` layout (src/vmm/bare.ts): GDT at 0x7ce8
 * (code64 0x08, data 0x10, code32 0x18), identity paging rooted at 0x1000.
 */
import { inputError } from "../common/errors";
import { setSegment } from "../guest-cpu/descriptors";
import { AR, CR0, CR4, CS, DS, EFER, ES, FS, GS, LDTR, SS, TR } from "../guest-cpu/registers";
import type { Cpu } from "../guest-cpu/cpu";
import { HostMemory, PAGE_SIZE } from "../memory/host-memory";
import { BARE_LAYOUT } from "./bare";

export const EPT_ARENA = 0x40000;

export interface HostLayout {
  ramSize: number;
  base: number;
  vmxon: number;
  vmcs: number;
  ioBitmapA: number;
  ioBitmapB: number;
  msrBitmap: number;
  gdt: number;
  tss: number;
  hostRip: number;
  pml4: number;
  stackTop: number;
  eptArena: number;
  passthrough: number;
  /** Host memory size. */
  total: number;
}

const align = (v: number, a: number) => Math.ceil(v / a) * a;

export function hostLayout(ramSize: number, passthroughSize = 0): HostLayout {
  const base = align(ramSize, PAGE_SIZE);
  const eptArena = base + 0x10000;
  const passthrough = eptArena + EPT_ARENA;
  return {
    ramSize, base, vmxon: base, vmcs: base + 0x1000, ioBitmapA: base + 0x2000, ioBitmapB: base + 0x3000,
    msrBitmap: base + 0x4000, gdt: base + 0x5000, tss: base + 0x5100, hostRip: base + 0x6000, pml4: base + 0x7000,
    stackTop: base + 0x10000, eptArena, passthrough, total: passthrough + align(passthroughSize, PAGE_SIZE),
  };
}

/** Host GDT entries: null, 64-bit code, data, then a 16-byte available 64-bit TSS descriptor at 0x18. */
export const HOST_SEL = { CS: 0x08, DS: 0x10, TR: 0x18 } as const;
const CODE64_AR = 0xa09b, DATA_AR = 0xc093, TSS_AR = 0x8b;

/**
 * Writes the host environment (GDT, TSS, page tables, HLT at HOST_RIP) and
 * puts the CPU in it: 64-bit mode at CPL 0 with CR4.VMXE = 1, the state VMXON
 * requires (SDM Vol. 3C 24.7) — what the kernel is in when KVM runs.
 */
export function enterHostMode(cpu: Cpu, L: HostLayout, cr0Fixed0: number, cr4Fixed0: number): void {
  const mem = cpu.mem;
  const tssLimit = 0x67;
  mem.write(L.gdt + 0x08, 8, 0x00af9b000000ffffn);
  mem.write(L.gdt + 0x10, 8, 0x00cf93000000ffffn);
  mem.write(L.gdt + 0x18, 8, tssDescriptorLow(L.tss, tssLimit));
  mem.write(L.gdt + 0x20, 8, BigInt(Math.floor(L.tss / 2 ** 32)));
  mem.write(L.hostRip, 1, 0xf4n);
  // PML4 → PDPT → 4 PDs of 2-MiB pages: identity map of the low 4 GiB of host-physical memory.
  const pdpt = L.pml4 + 0x1000, pd = L.pml4 + 0x2000;
  mem.write(L.pml4, 8, BigInt(pdpt | 3));
  for (let i = 0; i < 4; i++) mem.write(pdpt + i * 8, 8, BigInt((pd + i * 0x1000) | 3));
  for (let i = 0; i < 2048; i++) mem.write(pd + i * 8, 8, (BigInt(i) << 21n) | 0x83n);

  const s = cpu.s;
  s.gdtrBase = L.gdt;
  s.gdtrLimit = 0x27;
  s.idtrBase = 0;
  s.idtrLimit = 0;
  s.cr0 = (CR0.PE | CR0.NE | CR0.ET | CR0.PG | cr0Fixed0) | 0;
  s.cr3 = L.pml4;
  s.cr4 = CR4.PAE | CR4.VMXE | cr4Fixed0;
  s.efer = EFER.LME | EFER.LMA;
  setSegment(s, CS, HOST_SEL.CS, 0, 0xffff_ffff, CODE64_AR);
  for (const seg of [DS, ES, SS, FS, GS]) setSegment(s, seg, HOST_SEL.DS, 0, 0xffff_ffff, DATA_AR);
  setSegment(s, LDTR, 0, 0, 0, AR.UNUSABLE);
  setSegment(s, TR, HOST_SEL.TR, L.tss, tssLimit, TSS_AR);
  s.rip = L.hostRip;
  s.lo[4] = L.stackTop;
  s.hi[4] = 0;
  s.rflags = 0x2;
  s.updateMode();
  cpu.mmu.flushCurrentVpid();
}

function tssDescriptorLow(base: number, limit: number): bigint {
  const b = BigInt(base >>> 0);
  return BigInt(limit & 0xffff) | ((b & 0xffffffn) << 16n) | (BigInt(TSS_AR) << 40n) | (BigInt((limit >> 16) & 0xf) << 48n) | (((b >> 24n) & 0xffn) << 56n);
}

export type GuestMode = "long64" | "protected32" | "real16";

/** A segment as the VMCS guest-state area holds it. */
export interface SegmentState {
  selector: number;
  base: number;
  limit: number;
  ar: number;
}

/** The guest's initial architectural state for its mode (written into the VMCS). */
export interface GuestInitialState {
  cr0: number;
  cr3: number;
  cr4: number;
  efer: number;
  rip: number;
  rsp: number;
  rflags: number;
  segs: Record<"es" | "cs" | "ss" | "ds" | "fs" | "gs" | "ldtr" | "tr", SegmentState>;
  gdtr: { base: number; limit: number };
  idtr: { base: number; limit: number };
}

const GUEST_GDT = [0n, 0x00af9b000000ffffn, 0x00cf93000000ffffn, 0x00cf9b000000ffffn];

/**
 * Writes the guest's GDT and (long64) identity page tables into guest RAM
 * (`toHost` maps guest-physical to host-physical) and returns its initial
 * state. CR0.NE is set as VMX operation requires (IA32_VMX_CR0_FIXED0).
 */
export function setupGuest(mem: HostMemory, mode: GuestMode, o: { load: number; entry: number; rsp: number; ramSize: number }, toHost: (gpa: number) => number = (a) => a): GuestInitialState {
  const B = BARE_LAYOUT;
  const flat = (selector: number, ar: number): SegmentState => ({ selector, base: 0, limit: 0xffff_ffff, ar });
  const tr: SegmentState = { selector: 0, base: 0, limit: 0x67, ar: 0x8b }; // busy TSS, as VM entry requires (SDM 27.3.1.2)
  const ldtr: SegmentState = { selector: 0, base: 0, limit: 0, ar: AR.UNUSABLE };
  if (mode !== "real16") {
    if (B.gdt + GUEST_GDT.length * 8 > o.ramSize) throw inputError(`memory: ${o.ramSize} bytes of guest RAM cannot hold the GDT at 0x7ce8`);
    GUEST_GDT.forEach((d, i) => mem.write(toHost(B.gdt + i * 8), 8, d));
  }
  if (mode === "long64") {
    if (B.pd + 0x4000 > o.ramSize) throw inputError(`memory: ${o.ramSize} bytes of guest RAM cannot hold the page tables at 0x1000–0x6fff`);
    mem.write(toHost(B.pml4), 8, BigInt(B.pdpt | 3));
    for (let i = 0; i < 4; i++) mem.write(toHost(B.pdpt + i * 8), 8, BigInt((B.pd + i * 0x1000) | 3));
    for (let i = 0; i < 2048; i++) mem.write(toHost(B.pd + i * 8), 8, (BigInt(i) << 21n) | 0x83n);
    const data = flat(0x10, DATA_AR);
    return {
      cr0: (CR0.PE | CR0.NE | CR0.ET | CR0.PG) >>> 0, cr3: B.pml4, cr4: CR4.PAE, efer: EFER.LME | EFER.LMA,
      rip: o.entry, rsp: o.rsp, rflags: 2,
      segs: { cs: flat(0x08, CODE64_AR), ss: data, ds: data, es: data, fs: data, gs: data, ldtr, tr },
      gdtr: { base: B.gdt, limit: GUEST_GDT.length * 8 - 1 }, idtr: { base: 0, limit: 0 },
    };
  }
  if (mode === "protected32") {
    const data = flat(0x10, DATA_AR);
    return {
      cr0: CR0.PE | CR0.NE | CR0.ET, cr3: 0, cr4: 0, efer: 0, rip: o.entry, rsp: o.rsp, rflags: 2,
      segs: { cs: flat(0x18, 0xc09b), ss: data, ds: data, es: data, fs: data, gs: data, ldtr, tr },
      gdtr: { base: B.gdt, limit: GUEST_GDT.length * 8 - 1 }, idtr: { base: 0, limit: 0 },
    };
  }
  // Real mode (needs unrestricted guest): CS base covers the load address when it is above 64 KiB.
  const cs = o.load > 0xffff ? o.load >>> 4 : 0;
  const rseg = (sel: number, ar: number): SegmentState => ({ selector: sel, base: sel << 4, limit: 0xffff, ar });
  const d = rseg(0, 0x93);
  return {
    cr0: CR0.NE | CR0.ET, cr3: 0, cr4: 0, efer: 0, rip: o.entry - (cs << 4), rsp: o.rsp & 0xffff, rflags: 2,
    segs: { cs: rseg(cs, 0x9b), ss: d, ds: d, es: d, fs: d, gs: d, ldtr, tr },
    gdtr: { base: 0, limit: 0xffff }, idtr: { base: 0, limit: 0x3ff },
  };
}
