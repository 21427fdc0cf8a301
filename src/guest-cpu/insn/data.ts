/**
 * Data movement: MOV (general, segment, control and debug register forms),
 * MOVZX, MOVSX, MOVSXD, LEA, XCHG, NOP (SDM Vol. 2 instruction pages).
 */
import { Mnemonic } from "iced-x86";
import type { Emitter } from "../emitter";
import type { Insn, Operand } from "../insn";
import { SS } from "../registers";
import type { FamilyTable } from "./table";

/** Copies src to dst at the destination's size (no flags). */
export function move(g: Emitter, dst: Operand, src: Operand, size: number): void {
  if (size === 8) {
    const [l, h] = g.read64(src);
    g.write64(dst, l, h);
  } else {
    g.write(dst, g.read(src));
  }
}

function mov(g: Emitter, i: Insn): void {
  g.keepFlags();
  const [d, src] = i.ops as [Operand, Operand];
  if (d.kind === "sreg") {
    // MOV to a segment register loads the descriptor (protected mode checks in H.loadSeg).
    g.line(`${g.call("loadSeg", d.seg, `${g.read(src)} & 0xffff`)};`);
    if (d.seg === SS) {
      // MOV SS blocks interrupts and debug traps for one instruction (SDM Vol. 3A 6.8.3).
      g.line(`s.inhibit = 2;`);
      g.endBlock();
    }
    return;
  }
  if (src.kind === "sreg") {
    // Register destinations get the selector zero-extended; memory destinations store 16 bits.
    const sel = g.read(src);
    if (d.kind === "reg" && d.size === 8) g.write64(d, sel, "0");
    else g.write(d, sel);
    return;
  }
  if (d.kind === "creg" || src.kind === "creg" || d.kind === "dreg" || src.kind === "dreg") {
    movSystem(g, i, d, src);
    return;
  }
  move(g, d, src, i.opSize);
}

/** MOV to/from CR and DR: privileged, may exit in VMX non-root operation, may change the paging mode. */
function movSystem(g: Emitter, i: Insn, d: Operand, src: Operand): void {
  if (d.kind === "creg" && src.kind === "reg") {
    g.line(`${g.call("movToCr", g.insnRef, d.n, src.reg)};`);
    g.endBlock(); // paging, protection or mode may have changed
  } else if (src.kind === "creg" && d.kind === "reg") {
    g.line(`${g.call("movFromCr", g.insnRef, src.n, d.reg)};`);
  } else if (d.kind === "dreg" && src.kind === "reg") {
    g.line(`${g.call("movToDr", g.insnRef, d.n, src.reg)};`);
    g.endBlock();
  } else if (src.kind === "dreg" && d.kind === "reg") {
    g.line(`${g.call("movFromDr", g.insnRef, src.n, d.reg)};`);
  }
}

function signExtend(v: string, fromBytes: number): string {
  return fromBytes === 1 ? `(${v} << 24 >> 24)` : fromBytes === 2 ? `(${v} << 16 >> 16)` : `(${v} | 0)`;
}

function srcSize(o: Operand): number {
  return o.kind === "reg" || o.kind === "mem" ? o.size : 4;
}

function movzx(g: Emitter, i: Insn): void {
  g.keepFlags();
  const [d, src] = i.ops as [Operand, Operand];
  const v = g.read(src);
  if (i.opSize === 8) g.write64(d, v, "0");
  else g.write(d, v);
}

function movsx(g: Emitter, i: Insn): void {
  g.keepFlags();
  const [d, src] = i.ops as [Operand, Operand];
  const v = g.let(signExtend(g.read(src), srcSize(src)));
  if (i.opSize === 8) g.write64(d, v, `${v} >> 31`);
  else g.write(d, v);
}

/** LEA computes the offset only: no segment, no memory access, no canonical check (SDM Vol. 2A LEA). */
function lea(g: Emitter, i: Insn): void {
  g.keepFlags();
  const [d, src] = i.ops as [Operand, Operand & { kind: "mem" }];
  const m = src.m;
  if (m.addrSize === 8) {
    const [t, h] = g.eaPair64(m);
    if (i.opSize === 8) g.write64(d, `${t} | 0`, h);
    else g.write(d, `${t} | 0`);
    return;
  }
  // 16/32-bit address size: the offset wraps at the address size, then is truncated or zero-extended.
  const parts: string[] = [];
  if (m.base >= 0) parts.push(`lo[${m.base}]`);
  if (m.index >= 0) parts.push(`lo[${m.index}] * ${m.scale}`);
  parts.push(String(m.disp));
  const off = g.let(m.addrSize === 2 ? `(${parts.join(" + ")}) & 0xffff` : `(${parts.join(" + ")}) | 0`);
  if (i.opSize === 8) g.write64(d, off, "0");
  else g.write(d, off);
}

/** XCHG: with a memory operand the exchange is locked; both operands are read before either is written. */
function xchg(g: Emitter, i: Insn): void {
  g.keepFlags();
  const [a, b] = i.ops as [Operand, Operand];
  if (i.opSize === 8) {
    const [al, ah] = g.read64(a, true);
    const [bl, bh] = g.read64(b, true);
    g.write64(a, bl, bh);
    g.write64(b, al, ah);
  } else {
    const av = g.read(a, true);
    const bv = g.read(b, true);
    g.write(a, bv);
    g.write(b, av);
  }
}

export const DATA: FamilyTable = {
  [Mnemonic.Mov]: mov,
  [Mnemonic.Movzx]: movzx,
  [Mnemonic.Movsx]: movsx,
  [Mnemonic.Movsxd]: movsx,
  [Mnemonic.Lea]: lea,
  [Mnemonic.Xchg]: xchg,
  [Mnemonic.Nop]: (g) => g.keepFlags(),
};
