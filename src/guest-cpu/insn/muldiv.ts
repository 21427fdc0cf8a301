/** MUL, IMUL (all forms), DIV, IDIV; semantics in ../muldiv.ts. */
import { Mnemonic } from "iced-x86";
import { Emitter, szIdx } from "../emitter";
import type { Insn, Operand } from "../insn";
import type { FamilyTable } from "./table";

function oneOperand(kind: "mul" | "div", signed: number) {
  return (g: Emitter, i: Insn) => {
    const src = i.ops[0]!;
    if (i.opSize === 8) {
      const [l, h] = g.read64(src);
      g.line(`${g.call(kind === "mul" ? "mul1_64" : "div1_64", signed, l, h)};`);
    } else {
      g.line(`${g.call(kind === "mul" ? "mul1" : "div1", szIdx(i.opSize), signed, g.read(src))};`);
    }
    // DIV/IDIV leave the (undefined) flags unchanged.
    if (kind === "div") g.keepFlags();
  };
}

function imul(g: Emitter, i: Insn): void {
  if (i.ops.length === 1) return oneOperand("mul", 1)(g, i);
  const [d, a, b] = (i.ops.length === 3 ? i.ops : [i.ops[0], i.ops[0], i.ops[1]]) as [Operand, Operand, Operand];
  if (i.opSize === 8) {
    const [al, ah] = g.read64(a);
    const [bl, bh] = g.read64(b);
    const r = g.let(g.call("imul2_64", al, ah, bl, bh));
    g.write64(d, r, g.let("T[0]"));
  } else {
    const av = g.read(a);
    const bv = g.read(b);
    g.write(d, g.let(g.call("imul2", szIdx(i.opSize), av, bv)));
  }
}

export const MULDIV: FamilyTable = {
  [Mnemonic.Mul]: oneOperand("mul", 0),
  [Mnemonic.Imul]: imul,
  [Mnemonic.Div]: oneOperand("div", 0),
  [Mnemonic.Idiv]: oneOperand("div", 1),
};
