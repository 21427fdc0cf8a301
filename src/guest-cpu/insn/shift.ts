/** Shifts and rotates (group 2) and SHLD/SHRD; semantics in ../shifts.ts. */
import { Mnemonic } from "iced-x86";
import { Emitter, szIdx } from "../emitter";
import type { Insn, Operand } from "../insn";
import { RCL, RCR, ROL, ROR, SAL, SAR, SHL, SHR } from "../shifts";
import type { FamilyTable } from "./table";

function group2(op: number) {
  return (g: Emitter, i: Insn) => {
    const [d, c] = i.ops as [Operand, Operand];
    const count = g.read(c);
    if (i.opSize === 8) {
      const [al, ah] = g.read64(d, true);
      const r = g.let(g.call("shift64", op, al, ah, count));
      g.write64(d, r, g.let("T[0]"));
    } else {
      const a = g.read(d, true);
      g.write(d, g.let(g.call("shift", op, szIdx(i.opSize), a, count)));
    }
  };
}

function double(left: number) {
  return (g: Emitter, i: Insn) => {
    const [d, src, c] = i.ops as [Operand, Operand, Operand];
    const count = g.read(c);
    const [al, ah] = g.read64(d, true);
    const [bl, bh] = g.read64(src);
    const r = g.let(g.call("shiftDouble", left, szIdx(i.opSize), al, ah, bl, bh, count));
    g.write64(d, r, g.let("T[0]"));
  };
}

export const SHIFT: FamilyTable = {
  [Mnemonic.Rol]: group2(ROL),
  [Mnemonic.Ror]: group2(ROR),
  [Mnemonic.Rcl]: group2(RCL),
  [Mnemonic.Rcr]: group2(RCR),
  [Mnemonic.Shl]: group2(SHL),
  [Mnemonic.Sal]: group2(SAL),
  [Mnemonic.Shr]: group2(SHR),
  [Mnemonic.Sar]: group2(SAR),
  [Mnemonic.Shld]: double(1),
  [Mnemonic.Shrd]: double(0),
};
