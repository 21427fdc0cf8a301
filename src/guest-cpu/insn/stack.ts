/** PUSH and POP of registers, memory, immediates and segment registers (SDM Vol. 2B PUSH, POP). */
import { Mnemonic } from "iced-x86";
import type { Emitter } from "../emitter";
import type { Insn, Operand } from "../insn";
import { RSP, SS } from "../registers";
import type { FamilyTable } from "./table";

function push(g: Emitter, i: Insn): void {
  g.keepFlags();
  const op = i.ops[0]!;
  const size = -i.stackInc;
  if (op.kind === "sreg") {
    // A segment register is pushed zero-extended at the operand size.
    g.line(`${g.call("push", size, g.read(op), 0)};`);
  } else if (size === 8) {
    const [l, h] = g.read64(op);
    g.line(`${g.call("push64", l, h)};`);
  } else {
    // PUSH RSP/ESP/SP pushes the value before the decrement: operands are read first.
    g.line(`${g.call("push", size, g.read(op), 0)};`);
  }
  g.wroteMemory = true;
}

function pop(g: Emitter, i: Insn): void {
  g.keepFlags();
  const op = i.ops[0]!;
  const size = i.stackInc;
  if (op.kind === "sreg") {
    g.line(`${g.call("popSeg", op.seg, size)};`);
    if (op.seg === SS) {
      g.line(`s.inhibit = 2;`);
      g.endBlock();
    }
    return;
  }
  if (op.kind === "mem") {
    // POP to memory: an address using RSP is computed after the increment (SDM Vol. 2B POP);
    // if the store faults, RSP is put back so the instruction can restart.
    const l = g.let(g.call("peek", size));
    const h = g.let("T[0]");
    g.line(`${g.call("addSp", size)};`);
    g.line(`try {`);
    g.write64(op, l, h);
    g.line(`} catch (e) { ${g.call("addSp", -size)}; throw e; }`);
    return;
  }
  if (size === 8) {
    const l = g.let(g.call("pop64"));
    g.write64(op, l, "T[0]");
  } else {
    const v = g.let(g.call(size === 4 ? "pop32" : "pop16"));
    if (op.kind === "reg" && op.reg === RSP && op.size === size) g.write(op, v);
    else g.write(op, v);
  }
}

export const STACK: FamilyTable = {
  [Mnemonic.Push]: push,
  [Mnemonic.Pop]: pop,
};

export type { Operand };
