/**
 * BMI1/BMI2 templates (semantics in ../bmi.ts) and RDFSBASE/RDGSBASE/
 * WRFSBASE/WRGSBASE (SDM Vol. 2B; CR4.FSGSBASE, 64-bit mode). Operand order
 * as iced decodes: ANDN d, s1(vvvv), s2(r/m); BEXTR/BZHI/SARX/SHLX/SHRX d,
 * r/m, vvvv; PDEP/PEXT d, vvvv, r/m; RORX d, r/m, imm8; BLS* d(vvvv), r/m;
 * MULX hi, lo(vvvv), r/m.
 */
import { Mnemonic } from "iced-x86";
import type { Emitter } from "../emitter";
import type { Insn, Operand } from "../insn";
import { ANDN, BEXTR, BLSI, BLSMSK, BLSR, BZHI, PDEP, PEXT, RORX, SARX, SHLX, SHRX } from "../bmi";
import type { FamilyTable } from "./table";

function bmi(kind: number, hasFlags: boolean) {
  return (g: Emitter, i: Insn) => {
    const ops = i.ops as Operand[];
    const d = ops[0]!;
    const [a, b] = ops.length === 2 ? [ops[1]!, undefined] : [ops[1]!, ops[2]!];
    const [al, ah] = g.read64(a);
    const [bl, bh] = b ? g.read64(b) : ["0", "0"];
    const w = i.opSize * 8;
    const r = g.let(g.call("bmi", kind, w, al, ah, bl, bh));
    if (!hasFlags) g.keepFlags();
    if (w === 64) g.write64(d, r, g.let("T[0]"));
    else g.write(d, r);
  };
}

function mulx(g: Emitter, i: Insn): void {
  g.keepFlags();
  const [hi, lo, src] = i.ops as [Operand, Operand, Operand];
  const [sl, sh] = g.read64(src);
  const w = i.opSize * 8;
  const l = g.let(g.call("mulx", w, sl, sh));
  const lh = g.let("T[0]"), hl = g.let("T[1]"), hh = g.let("T[2]");
  // The low half goes first: with one register named twice, the high half wins (SDM Vol. 2B MULX).
  if (w === 64) { g.write64(lo, l, lh); g.write64(hi, hl, hh); }
  else { g.write(lo, l); g.write(hi, hl); }
}

function fsgs(seg: "FS" | "GS", write: boolean) {
  return (g: Emitter, i: Insn) => {
    g.keepFlags();
    const r = i.ops[0]!;
    if (write) {
      const [l, h] = g.read64(r);
      g.line(`${g.call("wrFsGsBase", seg === "FS" ? 4 : 5, l, i.opSize === 8 ? h : "0")};`);
    } else {
      const l = g.let(g.call("rdFsGsBase", seg === "FS" ? 4 : 5));
      if (i.opSize === 8) g.write64(r, l, g.let("T[0]"));
      else g.write(r, l);
    }
  };
}

export const BMI: FamilyTable = {
  [Mnemonic.Andn]: bmi(ANDN, true),
  [Mnemonic.Bextr]: bmi(BEXTR, true),
  [Mnemonic.Blsi]: bmi(BLSI, true),
  [Mnemonic.Blsmsk]: bmi(BLSMSK, true),
  [Mnemonic.Blsr]: bmi(BLSR, true),
  [Mnemonic.Bzhi]: bmi(BZHI, true),
  [Mnemonic.Pdep]: bmi(PDEP, false),
  [Mnemonic.Pext]: bmi(PEXT, false),
  [Mnemonic.Rorx]: bmi(RORX, false),
  [Mnemonic.Sarx]: bmi(SARX, false),
  [Mnemonic.Shlx]: bmi(SHLX, false),
  [Mnemonic.Shrx]: bmi(SHRX, false),
  [Mnemonic.Mulx]: mulx,
  [Mnemonic.Rdfsbase]: fsgs("FS", false),
  [Mnemonic.Rdgsbase]: fsgs("GS", false),
  [Mnemonic.Wrfsbase]: fsgs("FS", true),
  [Mnemonic.Wrgsbase]: fsgs("GS", true),
};
