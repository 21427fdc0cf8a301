/**
 * Event delivery through the IDT/IVT (SDM Vol. 3A 6.10–6.15, 7.7 for 64-bit
 * mode): real-mode IVT, 32-bit interrupt/trap gates with a stack switch on a
 * privilege change, 64-bit gates with the TSS RSP0 and IST stacks. A fault
 * during delivery becomes #DF per Table 6-5; a fault while delivering #DF is
 * a triple fault (shutdown, or a VM exit in non-root operation).
 */
import { CpuFault, DF, GP, hasErrorCode, isContributory, NP, PF, SS as SS_FAULT, TS } from "./exceptions";
import { descAr, descBase, descLimit, fetchDescriptor } from "./descriptors";
import { A_IMPLICIT } from "./mmu";
import { AR, CR0, CS, FLAG, RSP, SS, TR } from "./registers";
import type { CpuState } from "./state";

/** How an event arose; decides privilege checks, error codes and the saved RIP (SDM Vol. 3C 25.8.3 types). */
export const EV_EXT_INT = 0, EV_NMI = 2, EV_HW_EXC = 3, EV_SW_INT = 4, EV_PRIV_SW_EXC = 5, EV_SW_EXC = 6;

export interface Event {
  vector: number;
  type: number; // EV_*
  errorCode: number; // -1 none
  /** RIP to save: the faulting instruction (faults) or the next one (traps, INT n). */
  returnRip: number;
}

/** Thrown when delivery ends in a triple fault. */
export class TripleFault {
  constructor(readonly cause: CpuFault) {}
}

function write(s: CpuState, lin: number, size: number, lo: number, hi = 0): void {
  s.mmu.write(lin, size, lo, hi, A_IMPLICIT);
}

function read(s: CpuState, lin: number, size: number): number {
  return s.mmu.read(lin, size, A_IMPLICIT);
}

/**
 * Delivers `ev`, handling nested faults. `ev.vector` is the original event;
 * if delivering it faults, the nested fault is delivered instead (or #DF).
 */
export function deliver(s: CpuState, ev: Event): void {
  try {
    deliverOnce(s, ev);
  } catch (e) {
    if (!(e instanceof CpuFault)) throw e;
    const first = ev.vector;
    const second = e.vector;
    if (ev.type === EV_HW_EXC && first === DF) throw new TripleFault(e);
    // Table 6-5: contributory then contributory, or #PF then contributory/#PF, is a double fault.
    const c2 = isContributory(second) || second === PF;
    const toDF = ev.type === EV_HW_EXC && ((isContributory(first) && isContributory(second)) || (first === PF && c2));
    // Ask the intercept first: a #PF that causes a VM exit leaves CR2 unchanged (SDM Vol. 3C 27.1).
    s.icpt?.exception(s, e);
    if (e.vector === PF) s.cr2 = e.address;
    if (toDF) {
      const df: Event = { vector: DF, type: EV_HW_EXC, errorCode: 0, returnRip: ev.returnRip };
      s.icpt?.exception(s, new CpuFault(DF, 0));
      try {
        deliverOnce(s, df);
      } catch (e2) {
        if (e2 instanceof CpuFault) throw new TripleFault(e2);
        throw e2;
      }
      return;
    }
    // Benign combinations deliver the second fault (serially, Table 6-5).
    deliver(s, { vector: second, type: EV_HW_EXC, errorCode: e.errorCode, returnRip: ev.returnRip });
  }
}

/**
 * Delivers without the nested-fault rules: a fault propagates to the caller.
 * INT n uses it, since a fault while delivering a software interrupt is a
 * fault of the INT instruction itself (RIP at the INT).
 */
export function deliverEvent(s: CpuState, ev: Event): void {
  deliverOnce(s, ev);
}

function deliverOnce(s: CpuState, ev: Event): void {
  if (!(s.cr0 & CR0.PE)) return deliverReal(s, ev);
  if (s.longMode) return deliverLong(s, ev);
  return deliverProtected(s, ev);
}

/** Error code for faults while fetching a gate: IDT bit set, EXT for external events (SDM Vol. 3A 6.13). */
function idtError(ev: Event): number {
  return (ev.vector << 3) | 2 | (ev.type === EV_SW_INT || ev.type === EV_PRIV_SW_EXC || ev.type === EV_SW_EXC ? 0 : 1);
}

function clearFlagsOnEntry(s: CpuState, gateType: number): void {
  s.rflagsRest &= ~(FLAG.TF | FLAG.NT | FLAG.RF | FLAG.VM);
  if ((gateType & 1) === 0) s.rflagsRest &= ~FLAG.IF; // interrupt gate (type 6/14) clears IF; trap gate keeps it
}

function deliverReal(s: CpuState, ev: Event): void {
  const v = ev.vector;
  if (v * 4 + 3 > s.idtrLimit) throw new CpuFault(GP, 0);
  const entry = read(s, s.idtrBase + v * 4, 4);
  const flags = s.rflags & 0xffff;
  const ss = s.segBase[SS]!;
  let sp = s.lo[RSP]! & 0xffff;
  const push = (val: number) => {
    sp = (sp - 2) & 0xffff;
    write(s, (ss + sp) >>> 0, 2, val & 0xffff);
  };
  push(flags);
  push(s.segSel[CS]!);
  push(ev.returnRip);
  s.lo[RSP] = (s.lo[RSP]! & -65536) | sp;
  s.rflagsRest &= ~(FLAG.IF | FLAG.TF | FLAG.AC);
  const sel = entry >>> 16;
  s.segSel[CS] = sel;
  s.segBase[CS] = sel << 4;
  s.rip = entry & 0xffff;
  s.updateMode();
}

interface Gate {
  sel: number;
  offset: number;
  type: number;
  dpl: number;
  present: boolean;
  ist: number;
}

function readGate(s: CpuState, ev: Event, size: 8 | 16): Gate {
  const v = ev.vector;
  if (v * size + size - 1 > s.idtrLimit) throw new CpuFault(GP, idtError(ev));
  const base = s.idtrBase + v * size;
  const lo = read(s, base, 4);
  const hi = read(s, base + 4, 4);
  const off63 = size === 16 ? read(s, base + 8, 4) : 0;
  const type = (hi >> 8) & 0xf;
  const offset32 = ((hi & 0xffff0000) | (lo & 0xffff)) >>> 0;
  return {
    sel: lo >>> 16,
    offset: size === 16 ? (off63 | 0) * 4294967296 + offset32 : offset32,
    type,
    dpl: (hi >> 13) & 3,
    present: (hi & 0x8000) !== 0,
    ist: size === 16 ? hi & 7 : 0,
  };
}

/** Software INT n / INT3 / INTO check the gate DPL against CPL (SDM Vol. 3A 6.12.1.1). */
function checkGate(s: CpuState, ev: Event, g: Gate, long: boolean): void {
  const valid = long ? g.type === 0xe || g.type === 0xf : g.type === 0xe || g.type === 0xf || g.type === 0x6 || g.type === 0x7;
  if (!valid) throw new CpuFault(GP, idtError(ev)); // task gates are not supported by vmxlab (documented)
  const software = ev.type === EV_SW_INT || ev.type === EV_SW_EXC;
  if (software && g.dpl < s.cpl) throw new CpuFault(GP, idtError(ev));
  if (!g.present) throw new CpuFault(NP, idtError(ev));
}

/** The handler's code segment: present, executable, DPL ≤ CPL (SDM Vol. 3A 6.12.1). */
function handlerCs(s: CpuState, ev: Event, sel: number, long: boolean) {
  const ext = idtError(ev) & 1;
  if ((sel & ~3) === 0) throw new CpuFault(GP, ext);
  const d = fetchDescriptor(s, sel, GP);
  const ar = descAr(d);
  if (!(ar & AR.S) || !(ar & 8)) throw new CpuFault(GP, (sel & 0xfffc) | ext);
  const dpl = (ar >> AR.DPL_SHIFT) & 3;
  if (dpl > s.cpl) throw new CpuFault(GP, (sel & 0xfffc) | ext);
  if (long && (!(ar & AR.L) || ar & AR.DB)) throw new CpuFault(GP, (sel & 0xfffc) | ext);
  if (!(ar & AR.P)) throw new CpuFault(NP, (sel & 0xfffc) | ext);
  const conforming = (ar & 0xc) === 0xc;
  return { d, ar, newCpl: conforming ? s.cpl : dpl };
}

function deliverProtected(s: CpuState, ev: Event): void {
  const g = readGate(s, ev, 8);
  checkGate(s, ev, g, false);
  const { d, ar, newCpl } = handlerCs(s, ev, g.sel, false);
  const big = (g.type & 8) !== 0; // 32-bit gate
  const size = big ? 4 : 2;
  const oldFlags = s.rflags;
  const oldCs = s.segSel[CS]!;
  const oldSs = s.segSel[SS]!;
  const oldEsp = s.lo[RSP]!;
  let ssBase = s.segBase[SS]!;
  let ssBig = (s.segAr[SS]! & AR.DB) !== 0;
  let esp = oldEsp;
  let newSs: { sel: number; base: number; limit: number; ar: number } | undefined;
  if (newCpl < s.cpl) {
    // Stack switch: SS:ESP for the new CPL from the 32-bit TSS (SDM Vol. 3A 7.2.1).
    const tss = s.segBase[TR]!;
    const espN = read(s, tss + 4 + newCpl * 8, 4);
    const ssN = read(s, tss + 8 + newCpl * 8, 2) & 0xffff;
    if ((ssN & ~3) === 0) throw new CpuFault(TS, 0);
    const sd = fetchDescriptor(s, ssN, TS);
    const sar = descAr(sd);
    if ((ssN & 3) !== newCpl || ((sar >> AR.DPL_SHIFT) & 3) !== newCpl || sar & 8 || !(sar & 2)) throw new CpuFault(TS, ssN & 0xfffc);
    if (!(sar & AR.P)) throw new CpuFault(SS_FAULT, ssN & 0xfffc);
    newSs = { sel: ssN, base: descBase(sd), limit: descLimit(sd), ar: sar };
    ssBase = newSs.base;
    ssBig = (sar & AR.DB) !== 0;
    esp = espN;
  }
  const frame: number[] = [];
  if (newSs) frame.push(oldSs, oldEsp);
  frame.push(oldFlags, oldCs, ev.returnRip);
  if (ev.errorCode >= 0) frame.push(ev.errorCode);
  for (const val of frame) {
    esp = ssBig ? (esp - size) >>> 0 : (esp - size) & 0xffff;
    write(s, (ssBase + esp) >>> 0, size, val);
  }
  if (newSs) {
    s.segSel[SS] = newSs.sel; s.segBase[SS] = newSs.base; s.segLimit[SS] = newSs.limit; s.segAr[SS] = newSs.ar;
  }
  s.lo[RSP] = ssBig ? esp | 0 : (s.lo[RSP]! & -65536) | esp;
  s.segSel[CS] = (g.sel & 0xfffc) | newCpl;
  s.segBase[CS] = descBase(d);
  s.segLimit[CS] = descLimit(d);
  s.segAr[CS] = ar | 1;
  s.rip = big ? g.offset : g.offset & 0xffff;
  clearFlagsOnEntry(s, g.type);
  s.updateMode();
}

function deliverLong(s: CpuState, ev: Event): void {
  const g = readGate(s, ev, 16);
  checkGate(s, ev, g, true);
  const { d, ar, newCpl } = handlerCs(s, ev, g.sel, true);
  const oldFlags = s.rflags;
  const oldCs = s.segSel[CS]!;
  const oldSs = s.segSel[SS]!;
  const oldRsp = s.hi[RSP]! * 4294967296 + (s.lo[RSP]! >>> 0);
  let rsp = oldRsp;
  const tss = s.segBase[TR]!;
  if (g.ist !== 0) rsp = readQ(s, tss + 36 + (g.ist - 1) * 8);
  else if (newCpl < s.cpl) rsp = readQ(s, tss + 4 + newCpl * 8);
  if (rsp < -140737488355328 || rsp >= 140737488355328) throw new CpuFault(SS_FAULT, 0);
  // The new stack is 16-byte aligned before the frame is pushed (SDM Vol. 3A 7.14.2).
  rsp -= ((rsp % 16) + 16) % 16;
  const frame: [number, number][] = [[oldSs, 0], split(oldRsp), [oldFlags, 0], [oldCs, 0], split(ev.returnRip)];
  if (ev.errorCode >= 0) frame.push([ev.errorCode, 0]);
  for (const [lo, hi] of frame) {
    rsp -= 8;
    write(s, rsp, 8, lo, hi);
  }
  if (newCpl < s.cpl) {
    // SS is loaded with a null selector whose RPL is the new CPL.
    s.segSel[SS] = newCpl;
    s.segBase[SS] = 0;
    s.segLimit[SS] = 0;
    s.segAr[SS] = AR.UNUSABLE | (newCpl << AR.DPL_SHIFT);
  }
  [s.lo[RSP], s.hi[RSP]] = split(rsp);
  s.segSel[CS] = (g.sel & 0xfffc) | newCpl;
  s.segBase[CS] = 0;
  s.segLimit[CS] = descLimit(d);
  s.segAr[CS] = ar | 1;
  if (g.offset < -140737488355328 || g.offset >= 140737488355328) throw new CpuFault(GP, 0);
  s.rip = g.offset;
  clearFlagsOnEntry(s, g.type);
  s.updateMode();
}

function readQ(s: CpuState, lin: number): number {
  const lo = read(s, lin, 8);
  return s.t[0]! * 4294967296 + (lo >>> 0);
}

function split(v: number): [number, number] {
  return [v % 4294967296 | 0, Math.floor(v / 4294967296) | 0];
}

export { hasErrorCode };
