/**
 * Operand access for helpers that interpret an Insn at run time rather than
 * through compiled code (the VMX unit's VMREAD/VMWRITE/VMPTRLD/INVEPT...).
 * Addresses follow the same rules as compiled code: 64-bit mode adds only
 * FS/GS bases and checks canonicality (#GP(0), #SS(0) for SS), other modes
 * check segment limits and types. RIP-relative displacements are relative to
 * the next instruction, which is s.rip when VmxUnit.execute runs.
 */
import { CpuFault, GP, SS as SS_FAULT } from "./exceptions";
import type { Insn, MemOperand, Operand } from "./insn";
import { RIP_BASE } from "./insn";
import { FS, GS, SS } from "./registers";
import { segAddr } from "./segments";
import type { CpuState } from "./state";

const TWO32 = 4294967296;

function gpr(s: CpuState, r: number, size: number): number {
  if (size === 8) return s.hi[r]! * TWO32 + (s.lo[r]! >>> 0);
  return size === 4 ? s.lo[r]! >>> 0 : s.lo[r]! & 0xffff;
}

/** Linear address of a memory operand for an access of `size` bytes. */
export function effectiveAddress(s: CpuState, m: MemOperand, size: number, write: boolean): number {
  const a = m.addrSize;
  let off = m.disp;
  if (m.base === RIP_BASE) off += s.rip;
  else if (m.base >= 0) off += gpr(s, m.base, a);
  if (m.index >= 0) off += gpr(s, m.index, a) * m.scale;
  if (a === 8) {
    off = Number(BigInt.asIntN(64, BigInt(off)));
  } else {
    off = a === 4 ? ((off % TWO32) + TWO32) % TWO32 : ((off % 65536) + 65536) % 65536;
  }
  if (s.bits === 64) {
    const lin = m.seg === FS || m.seg === GS ? Number(BigInt.asIntN(64, BigInt(off + s.segBase[m.seg]!))) : off;
    if (lin < -140737488355328 || lin >= 140737488355328) throw new CpuFault(m.seg === SS ? SS_FAULT : GP, 0);
    return lin;
  }
  return segAddr(s, m.seg, off, size, write ? 1 : 0);
}

/** Reads a register or memory operand (zero-extended) at `size` bytes (default: the operand's own size). */
export function readOperand(s: CpuState, op: Operand, size?: number): bigint {
  if (op.kind === "reg") {
    const n = size ?? op.size;
    const v = (BigInt(s.hi[op.reg]! >>> 0) << 32n) | BigInt(s.lo[op.reg]! >>> 0);
    if (op.high8) return (v >> 8n) & 0xffn;
    return BigInt.asUintN(n * 8, v);
  }
  if (op.kind === "mem") {
    const n = size ?? op.size;
    const lin = effectiveAddress(s, op.m, n, false);
    let v = 0n;
    for (let i = 0; i < n; i += 4) {
      const part = Math.min(4, n - i);
      v |= BigInt(s.mmu.read(lin + i, part) >>> 0 & (part === 4 ? 0xffffffff : (1 << (part * 8)) - 1)) << BigInt(i * 8);
    }
    return v;
  }
  if (op.kind === "imm") return BigInt.asUintN(64, (BigInt(op.hi) << 32n) | BigInt(op.lo >>> 0));
  throw new Error(`readOperand: operand kind ${op.kind}`);
}

/**
 * Writes a register or memory operand. A 32-bit register write zero-extends
 * to 64 bits (SDM Vol. 1 3.4.1.1); 8/16-bit writes keep the other bits.
 */
export function writeOperand(s: CpuState, op: Operand, value: bigint, size?: number): void {
  if (op.kind === "reg") {
    const n = size ?? op.size;
    const v = BigInt.asUintN(64, value);
    const lo = Number(v & 0xffffffffn) | 0;
    if (n === 8) { s.lo[op.reg] = lo; s.hi[op.reg] = Number(v >> 32n) | 0; }
    else if (n === 4) { s.lo[op.reg] = lo; s.hi[op.reg] = 0; }
    else if (n === 2) s.lo[op.reg] = (s.lo[op.reg]! & -65536) | (lo & 0xffff);
    else if (op.high8) s.lo[op.reg] = (s.lo[op.reg]! & -65281) | ((lo & 0xff) << 8);
    else s.lo[op.reg] = (s.lo[op.reg]! & -256) | (lo & 0xff);
    return;
  }
  if (op.kind === "mem") {
    const n = size ?? op.size;
    const lin = effectiveAddress(s, op.m, n, true);
    // Check the whole destination before writing any of it.
    s.mmu.probeWrite(lin, n);
    for (let i = 0; i < n; i += 4) {
      const part = Math.min(4, n - i);
      s.mmu.write(lin + i, part, Number((value >> BigInt(i * 8)) & 0xffffffffn) | 0, 0);
    }
    return;
  }
  throw new Error(`writeOperand: operand kind ${op.kind}`);
}

export type { Insn };
