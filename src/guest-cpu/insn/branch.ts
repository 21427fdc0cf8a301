/**
 * Near control transfers: Jcc, JMP, CALL, RET, LOOP/LOOPcc, JCXZ/JECXZ/JRCXZ
 * (SDM Vol. 2 instruction pages). Far forms go to system helpers. A branch to
 * a non-canonical address (64-bit) or beyond the CS limit faults with #GP(0)
 * on the branch itself, before any state changes.
 */
import { Mnemonic } from "iced-x86";
import type { Emitter } from "../emitter";
import type { Insn, Operand } from "../insn";
import { RCX } from "../registers";
import { farTarget } from "./system";
import type { FamilyTable } from "./table";

/** Emits a checked transfer to `target` (an expression) and leaves the block. */
export function goTo(g: Emitter, target: string): void {
  const t = g.let(target);
  if (g.insn.bits === 64) g.line(`if (${t} < -140737488355328 || ${t} >= 140737488355328) ${g.call("nonCanonical", 0)};`);
  else g.line(`${g.call("checkCsLimit", t)};`);
  g.jump(t);
}

/** A relative branch: loops inside the block when it targets the block start. */
function goRel(g: Emitter, op: Operand & { kind: "rel" }): void {
  if (g.isBackEdge(op.rel)) g.loopBack();
  else goTo(g, relTarget(g, op));
}

/** Target of a relative branch, wrapped at its operand size. */
function relTarget(g: Emitter, op: Operand & { kind: "rel" }): string {
  return g.maskIp(`s.rip + ${g.off + op.rel}`, op.size);
}

function jcc(g: Emitter, i: Insn): void {
  const op = i.ops[0] as Operand & { kind: "rel" };
  g.line(`if (${g.condition(i.cc - 1)}) {`);
  goRel(g, op);
  g.line(`}`);
  g.jump(g.nextRip);
}

/** Indirect targets: register or memory at the operand size (64-bit mode forces 64). */
function indirectTarget(g: Emitter, op: Operand, size: number): string {
  if (size === 8) {
    const [l, h] = g.read64(op);
    return `${h} * 4294967296 + (${l} >>> 0)`;
  }
  const v = g.read(op);
  return size === 4 ? `${v} >>> 0` : `${v} & 0xffff`;
}

function jmp(g: Emitter, i: Insn): void {
  const op = i.ops[0]!;
  if (op.kind === "rel") return goRel(g, op);
  if (i.far) {
    const t = farTarget(g, i);
    g.line(`${g.call("farJump", t.sel, t.off)};`);
    g.jump("s.rip");
    return;
  }
  goTo(g, indirectTarget(g, op, i.opSize));
}

function call(g: Emitter, i: Insn): void {
  const op = i.ops[0]!;
  if (i.far) {
    const t = farTarget(g, i);
    const next = g.let(g.nextRip);
    g.line(`${g.call("farCall", t.sel, t.off, -i.stackInc / 2, next)};`);
    g.wroteMemory = true;
    g.jump("s.rip");
    return;
  }
  const size = -i.stackInc; // the pushed return address has the call's operand size
  const target = g.let(op.kind === "rel" ? relTarget(g, op) : indirectTarget(g, op, size));
  if (g.insn.bits === 64) g.line(`if (${target} < -140737488355328 || ${target} >= 140737488355328) ${g.call("nonCanonical", 0)};`);
  else g.line(`${g.call("checkCsLimit", target)};`);
  const next = g.let(g.nextRip);
  if (size === 8) g.line(`${g.call("push64", `${next} | 0`, `Math.floor(${next} / 4294967296)`)};`);
  else g.line(`${g.call("push", size, next, 0)};`);
  g.wroteMemory = true;
  g.jump(target);
}

function ret(g: Emitter, i: Insn): void {
  const imm = i.ops[0]?.kind === "imm" ? i.ops[0].lo & 0xffff : 0;
  const size = i.stackInc - imm; // RET pops the return address, then imm16 bytes
  g.line(`${g.call("retNear", size, imm)};`);
  g.jump("s.rip");
}

/** LOOP/LOOPE/LOOPNE/JCXZ count with CX, ECX or RCX by address size (SDM Vol. 2A LOOP/LOOPcc). */
function counter(g: Emitter, i: Insn, decrement: boolean): string {
  const a = i.addrSize;
  if (a === 8) {
    if (decrement) {
      g.line(`lo[${RCX}] = (lo[${RCX}] - 1) | 0; if (lo[${RCX}] === -1) hi[${RCX}] = (hi[${RCX}] - 1) | 0;`);
    }
    return `(lo[${RCX}] | hi[${RCX}]) !== 0`;
  }
  if (a === 4) {
    if (decrement) g.line(`lo[${RCX}] = (lo[${RCX}] - 1) | 0; hi[${RCX}] = 0;`);
    return `lo[${RCX}] !== 0`;
  }
  if (decrement) g.line(`lo[${RCX}] = (lo[${RCX}] & -65536) | ((lo[${RCX}] - 1) & 0xffff);`);
  return `(lo[${RCX}] & 0xffff) !== 0`;
}

function loop(kind: "loop" | "loope" | "loopne" | "jcxz") {
  return (g: Emitter, i: Insn) => {
    const op = i.ops[0] as Operand & { kind: "rel" };
    let cond: string;
    if (kind === "jcxz") cond = `!(${counter(g, i, false)})`;
    else {
      cond = counter(g, i, true);
      if (kind === "loope") cond = `${cond} && ${g.condition(4)}`;
      if (kind === "loopne") cond = `${cond} && ${g.condition(5)}`;
    }
    g.line(`if (${cond}) {`);
    goRel(g, op);
    g.line(`}`);
    g.jump(g.nextRip);
  };
}

const JCC_MNEMONICS = [
  Mnemonic.Jo, Mnemonic.Jno, Mnemonic.Jb, Mnemonic.Jae, Mnemonic.Je, Mnemonic.Jne, Mnemonic.Jbe, Mnemonic.Ja,
  Mnemonic.Js, Mnemonic.Jns, Mnemonic.Jp, Mnemonic.Jnp, Mnemonic.Jl, Mnemonic.Jge, Mnemonic.Jle, Mnemonic.Jg,
];

export const BRANCH: FamilyTable = {
  ...Object.fromEntries(JCC_MNEMONICS.map((m) => [m, jcc])),
  [Mnemonic.Jmp]: jmp,
  [Mnemonic.Call]: call,
  [Mnemonic.Ret]: ret,
  [Mnemonic.Loop]: loop("loop"),
  [Mnemonic.Loope]: loop("loope"),
  [Mnemonic.Loopne]: loop("loopne"),
  [Mnemonic.Jcxz]: loop("jcxz"),
  [Mnemonic.Jecxz]: loop("jcxz"),
  [Mnemonic.Jrcxz]: loop("jcxz"),
};
