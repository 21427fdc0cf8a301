/**
 * The architectural state of a CpuState as plain JSON data, and back. Taken
 * in root operation between runs (the VMM never snapshots mid-instruction),
 * so nested paging is detached and the guest's state is in the VMCS; what is
 * here is the logical processor's current state. After a restore every TLB
 * context and the decode cache are flushed: they cache translations and host
 * pages of the state being replaced.
 */
import type { Cpu } from "../../guest-cpu/cpu";
import type { CpuState } from "../../guest-cpu/state";
import { CowTracker } from "../../memory/cow";

export interface CpuStateJson {
  lo: number[];
  hi: number[];
  rip: number;
  /** Lazy-flags record, verbatim (flags.ts layout). */
  f: number[];
  rflagsRest: number;
  segSel: number[];
  segBase: number[];
  segLimit: number[];
  segAr: number[];
  gdtr: [base: number, limit: number];
  idtr: [base: number, limit: number];
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  cr8: number;
  efer: number;
  xcr0: number;
  dr: number[];
  /** MSR index → value as a hex string. */
  msrs: [number, string][];
  icount: number;
  tscAdjust: number;
  activity: number;
  inhibit: number;
  nmiBlocked: boolean;
}

export function saveCpuState(s: CpuState): CpuStateJson {
  return {
    lo: Array.from(s.lo), hi: Array.from(s.hi), rip: s.rip, f: Array.from(s.f), rflagsRest: s.rflagsRest,
    segSel: Array.from(s.segSel), segBase: Array.from(s.segBase), segLimit: Array.from(s.segLimit), segAr: Array.from(s.segAr),
    gdtr: [s.gdtrBase, s.gdtrLimit], idtr: [s.idtrBase, s.idtrLimit],
    cr0: s.cr0, cr2: s.cr2, cr3: s.cr3, cr4: s.cr4, cr8: s.cr8, efer: s.efer, xcr0: s.xcr0,
    dr: Array.from(s.dr),
    msrs: [...s.msrs].map(([k, v]) => [k, "0x" + v.toString(16)]),
    icount: s.icount, tscAdjust: s.tscAdjust, activity: s.activity, inhibit: s.inhibit, nmiBlocked: s.nmiBlocked,
  };
}

function fill(dst: Int32Array | Float64Array, src: number[], what: string): void {
  if (!Array.isArray(src) || src.length !== dst.length) throw new RangeError(`CPU state: '${what}' should hold ${dst.length} numbers`);
  dst.set(src);
}

export function restoreCpuState(cpu: Cpu, j: CpuStateJson): void {
  const s = cpu.s;
  fill(s.lo, j.lo, "lo"); fill(s.hi, j.hi, "hi"); fill(s.f, j.f, "f");
  s.rip = j.rip;
  s.rflagsRest = j.rflagsRest;
  fill(s.segSel, j.segSel, "segSel"); fill(s.segBase, j.segBase, "segBase");
  fill(s.segLimit, j.segLimit, "segLimit"); fill(s.segAr, j.segAr, "segAr");
  [s.gdtrBase, s.gdtrLimit] = j.gdtr;
  [s.idtrBase, s.idtrLimit] = j.idtr;
  s.cr0 = j.cr0; s.cr2 = j.cr2; s.cr3 = j.cr3; s.cr4 = j.cr4; s.cr8 = j.cr8; s.efer = j.efer; s.xcr0 = j.xcr0;
  fill(s.dr, j.dr, "dr");
  s.msrs.clear();
  for (const [k, v] of j.msrs) s.msrs.set(k, BigInt(v));
  s.icount = j.icount; s.tscAdjust = j.tscAdjust; s.activity = j.activity; s.inhibit = j.inhibit; s.nmiBlocked = j.nmiBlocked;
  s.smc = 0;
  s.updateMode();
  flushCpuCaches(cpu);
}

/** Drops every cached translation (all TLB contexts) and all decoded code. */
/** Copy-on-write tracking of a CPU's host memory, wired to drop the CPU's cached write permission and decoded code. */
export function cpuCowTracker(cpu: Cpu): CowTracker {
  return new CowTracker(cpu.mem, { protect: () => cpu.mmu.protectAll(), invalidateCode: () => flushCpuCaches(cpu) });
}

export function flushCpuCaches(cpu: Cpu): void {
  for (const t of cpu.mmu.contexts()) t.flushAll();
  cpu.mmu.selectContext();
  cpu.cache.invalidateAll();
}
