/**
 * String instructions MOVS CMPS STOS LODS SCAS INS OUTS with REP/REPE/REPNE
 * (SDM Vol. 2 instruction pages; Vol. 1 7.3.9). The address size picks
 * (R|E)SI/(R|E)DI/(R|E)CX; DF picks the direction. A REP instruction runs
 * at most CHUNK iterations per call and is then re-executed from its own
 * RIP with the registers updated, as hardware does after an interrupt, so
 * long repeats stay interruptible and a fault leaves the completed
 * iterations in place.
 */
import { sub, sub64 } from "./alu";
import { getZF } from "./flags";
import type { Insn, Operand } from "./insn";
import { OP } from "./intercept";
import { rd16, rd32, rd64, rd8, wr16, wr32, wr64, wr8 } from "./memops";
import { FLAG, FS, GS, RAX, RCX, RDI, RDX, RSI } from "./registers";
import { nonCanonical, segAddr } from "./segments";
import type { CpuState } from "./state";
import { ioPermission } from "./sysinsn";

export const S_MOVS = 0, S_CMPS = 1, S_STOS = 2, S_LODS = 3, S_SCAS = 4, S_INS = 5, S_OUTS = 6;
const CHUNK = 65536;
const TWO32 = 4294967296;

function getReg(s: CpuState, r: number, a: number): number {
  if (a === 8) return s.hi[r]! * TWO32 + (s.lo[r]! >>> 0);
  return a === 4 ? s.lo[r]! >>> 0 : s.lo[r]! & 0xffff;
}

function setReg(s: CpuState, r: number, a: number, v: number): void {
  if (a === 8) {
    s.lo[r] = v % TWO32 | 0;
    s.hi[r] = Math.floor(v / TWO32) | 0;
  } else if (a === 4) {
    s.lo[r] = v | 0;
    s.hi[r] = 0;
  } else {
    s.lo[r] = (s.lo[r]! & -65536) | (v & 0xffff);
  }
}

function lin(s: CpuState, seg: number, off: number, size: number, write: number): number {
  if (s.bits === 64) {
    const a = seg === FS || seg === GS ? off + s.segBase[seg]! : off;
    const v = a >= 2 ** 63 ? a - 2 ** 64 : a;
    if (v < -140737488355328 || v >= 140737488355328) nonCanonical(s, 0);
    return v;
  }
  return segAddr(s, seg, off, size, write);
}

function load(s: CpuState, a: number, size: number): number {
  return size === 1 ? rd8(s, a) : size === 2 ? rd16(s, a) : size === 4 ? rd32(s, a) : rd64(s, a);
}

function store(s: CpuState, a: number, size: number, lo: number, hi: number): void {
  if (size === 1) wr8(s, a, lo);
  else if (size === 2) wr16(s, a, lo);
  else if (size === 4) wr32(s, a, lo);
  else wr64(s, a, lo, hi);
}

function strOperand(insn: Insn, si: boolean): (Operand & { kind: "str" }) | undefined {
  return insn.ops.find((o): o is Operand & { kind: "str" } => o.kind === "str" && (o.reg === RSI) === si);
}

/** Executes the string instruction `kind`; returns 1 when done, 0 when it must run again (REP chunk). */
export function strOp(s: CpuState, insn: Insn, kind: number): number {
  const a = insn.addrSize;
  const src = strOperand(insn, true);
  const dst = strOperand(insn, false);
  const size = (src ?? dst)!.size;
  const srcSeg = src ? src.seg : 0;
  const step = s.rflagsRest & FLAG.DF ? -size : size;
  const rep = insn.rep !== 0;
  const wrapA = (v: number) => (a === 8 ? v : a === 4 ? (v + TWO32) % TWO32 : (v + 65536) & 0xffff);
  if (kind === S_INS || kind === S_OUTS) {
    const port = s.lo[RDX]! & 0xffff;
    ioPermission(s, port, size);
    s.icpt?.io(s, insn, port, size, kind === S_INS, true, rep);
  }
  for (let n = 0; ; n++) {
    if (rep) {
      if (getReg(s, RCX, a) === 0) return 1;
      if (n === CHUNK) return 0;
    }
    let lo = 0, hi = 0;
    switch (kind) {
      case S_MOVS: {
        lo = load(s, lin(s, srcSeg, getReg(s, RSI, a), size, 0), size); hi = s.t[0]!;
        store(s, lin(s, 0, getReg(s, RDI, a), size, 1), size, lo, hi);
        break;
      }
      case S_STOS:
        store(s, lin(s, 0, getReg(s, RDI, a), size, 1), size, s.lo[RAX]!, s.hi[RAX]!);
        break;
      case S_LODS: {
        lo = load(s, lin(s, srcSeg, getReg(s, RSI, a), size, 0), size); hi = s.t[0]!;
        if (size === 8) { s.lo[RAX] = lo; s.hi[RAX] = hi; }
        else if (size === 4) { s.lo[RAX] = lo; s.hi[RAX] = 0; }
        else if (size === 2) s.lo[RAX] = (s.lo[RAX]! & -65536) | (lo & 0xffff);
        else s.lo[RAX] = (s.lo[RAX]! & -256) | (lo & 0xff);
        break;
      }
      case S_CMPS: {
        const x = load(s, lin(s, srcSeg, getReg(s, RSI, a), size, 0), size); const xh = s.t[0]!;
        const y = load(s, lin(s, 0, getReg(s, RDI, a), size, 0), size); const yh = s.t[0]!;
        if (size === 8) sub64(s, x, xh, y, yh); else sub(s, size === 1 ? 0 : size === 2 ? 1 : 2, x, y);
        break;
      }
      case S_SCAS: {
        const y = load(s, lin(s, 0, getReg(s, RDI, a), size, 0), size); const yh = s.t[0]!;
        if (size === 8) sub64(s, s.lo[RAX]!, s.hi[RAX]!, y, yh); else sub(s, size === 1 ? 0 : size === 2 ? 1 : 2, s.lo[RAX]!, y);
        break;
      }
      case S_INS: {
        const at = lin(s, 0, getReg(s, RDI, a), size, 1);
        const v = s.io.read(s.lo[RDX]! & 0xffff, size as 1 | 2 | 4);
        store(s, at, size, v | 0, 0);
        break;
      }
      default: {
        const v = load(s, lin(s, srcSeg, getReg(s, RSI, a), size, 0), size);
        s.io.write(s.lo[RDX]! & 0xffff, size as 1 | 2 | 4, size === 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff));
        break;
      }
    }
    if (kind === S_MOVS || kind === S_LODS || kind === S_CMPS || kind === S_OUTS) setReg(s, RSI, a, wrapA(getReg(s, RSI, a) + step));
    if (kind !== S_LODS && kind !== S_OUTS) setReg(s, RDI, a, wrapA(getReg(s, RDI, a) + step));
    if (!rep) return 1;
    setReg(s, RCX, a, wrapA(getReg(s, RCX, a) - 1));
    if (kind === S_CMPS || kind === S_SCAS) {
      // REPE stops on ZF = 0, REPNE on ZF = 1 (F3 / F2 prefixes).
      const zf = getZF(s.f);
      if (insn.rep === 1 ? zf === 0 : zf === 1) return 1;
    }
  }
}

void OP;
