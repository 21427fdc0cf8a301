/** Helpers for ENTER/LEAVE, CMPXCHG8B/16B and XLAT (SDM Vol. 2A/2B instruction pages). */
import { updateArith } from "./flags";
import { CpuFault, GP } from "./exceptions";
import { rd64, rd8, rdw64, wr64 } from "./memops";
import { AR, FLAG, FS, GS, RAX, RBP, RBX, RCX, RDX, RSP, SS } from "./registers";
import { nonCanonical, segAddr } from "./segments";
import { getSp, peek, push, setSp } from "./stack";
import type { CpuState } from "./state";

const TWO32 = 4294967296;

function setRbp(s: CpuState, size: number, v: number): void {
  if (size === 8) { s.lo[RBP] = v % TWO32 | 0; s.hi[RBP] = Math.floor(v / TWO32) | 0; }
  else if (size === 4) { s.lo[RBP] = v | 0; if (s.bits === 64) s.hi[RBP] = 0; }
  else s.lo[RBP] = (s.lo[RBP]! & -65536) | (v & 0xffff);
}

/** LEAVE: rSP ← rBP at the stack-address size, then POP rBP at the operand size. */
export function leave(s: CpuState, size: number): void {
  const bp = s.bits === 64 ? s.hi[RBP]! * TWO32 + (s.lo[RBP]! >>> 0) : s.segAr[SS]! & AR.DB ? s.lo[RBP]! >>> 0 : s.lo[RBP]! & 0xffff;
  const old = getSp(s);
  setSp(s, bp);
  let v: number;
  try {
    v = peek(s, size);
  } catch (e) {
    setSp(s, old);
    throw e;
  }
  const h = s.t[0]!;
  setSp(s, getSp(s) + size);
  setRbp(s, size, size === 8 ? h * TWO32 + (v >>> 0) : v);
}

/** ENTER size, level: pushes rBP, copies `level - 1` frame pointers, pushes the new frame pointer, reserves `size` bytes. */
export function enter(s: CpuState, size: number, level: number, opSize: number): void {
  const old = getSp(s);
  const oldBp = [s.lo[RBP]!, s.hi[RBP]!] as const;
  try {
    push(s, opSize, s.lo[RBP]!, s.hi[RBP]!);
    const frame = getSp(s);
    if (level > 0) {
      let bp = opSize === 8 ? s.hi[RBP]! * TWO32 + (s.lo[RBP]! >>> 0) : opSize === 4 ? s.lo[RBP]! >>> 0 : s.lo[RBP]! & 0xffff;
      for (let i = 1; i < level; i++) {
        bp -= opSize;
        const a = s.bits === 64 ? bp : segAddr(s, SS, s.segAr[SS]! & AR.DB ? bp >>> 0 : bp & 0xffff, opSize, 0);
        const lo = opSize === 8 ? rd64(s, a) : opSize === 4 ? s.mmu.read(a, 4) : s.mmu.read(a, 2);
        push(s, opSize, lo, s.t[0]!);
      }
      push(s, opSize, frame % TWO32 | 0, Math.floor(frame / TWO32) | 0);
    }
    setRbp(s, opSize, frame);
    setSp(s, getSp(s) - size);
  } catch (e) {
    setSp(s, old);
    s.lo[RBP] = oldBp[0]; s.hi[RBP] = oldBp[1];
    throw e;
  }
}

/** CMPXCHG8B m64 / CMPXCHG16B m128 (16-byte aligned, else #GP(0)): compares rDX:rAX, stores rCX:rBX when equal. */
export function cmpxchgWide(s: CpuState, a: number, size: number): void {
  if (size === 16) {
    if (a % 16 !== 0) throw new CpuFault(GP, 0);
    const l0 = rdw64(s, a); const h0 = s.t[0]!;
    const l1 = rdw64(s, a + 8); const h1 = s.t[0]!;
    const eq = l0 === s.lo[RAX] && h0 === s.hi[RAX] && l1 === s.lo[RDX] && h1 === s.hi[RDX];
    if (eq) {
      wr64(s, a, s.lo[RBX]!, s.hi[RBX]!);
      wr64(s, a + 8, s.lo[RCX]!, s.hi[RCX]!);
    } else {
      wr64(s, a, l0, h0);
      wr64(s, a + 8, l1, h1);
      s.lo[RAX] = l0; s.hi[RAX] = h0; s.lo[RDX] = l1; s.hi[RDX] = h1;
    }
    updateArith(s.f, FLAG.ZF, eq ? FLAG.ZF : 0);
    return;
  }
  const lo = rdw64(s, a);
  const hi = s.t[0]!;
  const eq = lo === s.lo[RAX] && hi === s.lo[RDX];
  if (eq) wr64(s, a, s.lo[RBX]!, s.lo[RCX]!);
  else {
    wr64(s, a, lo, hi);
    s.lo[RAX] = lo; s.hi[RAX] = 0; s.lo[RDX] = hi; s.hi[RDX] = 0;
  }
  updateArith(s.f, FLAG.ZF, eq ? FLAG.ZF : 0);
}

/** XLAT: AL ← [seg:rBX + AL]. */
export function xlat(s: CpuState, seg: number, addrSize: number): void {
  const al = s.lo[RAX]! & 0xff;
  let a: number;
  if (s.bits === 64) {
    const base = addrSize === 8 ? s.hi[RBX]! * TWO32 + (s.lo[RBX]! >>> 0) : s.lo[RBX]! >>> 0;
    a = base + al + (seg === FS || seg === GS ? s.segBase[seg]! : 0);
    if (a < -140737488355328 || a >= 140737488355328) nonCanonical(s, 0);
  } else {
    const off = addrSize === 4 ? (s.lo[RBX]! + al) >>> 0 : (s.lo[RBX]! + al) & 0xffff;
    a = segAddr(s, seg, off, 1, 0);
  }
  s.lo[RAX] = (s.lo[RAX]! & -256) | rd8(s, a);
}

void RSP;
