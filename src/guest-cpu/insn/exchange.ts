/**
 * CMPXCHG and XADD (SDM Vol. 2A CMPXCHG, Vol. 2B XADD). Both are locked when
 * they have a memory operand; one interpreter thread makes every access atomic.
 */
import { Mnemonic } from "iced-x86";
import { Emitter, szIdx } from "../emitter";
import type { Insn, Operand } from "../insn";
import type { FamilyTable } from "./table";

/**
 * CMPXCHG: flags as CMP accumulator, destination. Equal: destination ← source
 * (the accumulator is not written, so a 32-bit RAX keeps its upper half).
 * Not equal: accumulator ← destination, and a memory destination is written
 * back with its own value (the write cycle happens either way).
 */
function cmpxchg(g: Emitter, i: Insn): void {
  const [d, src] = i.ops as [Operand, Operand];
  const size = i.opSize as 1 | 2 | 4 | 8;
  const acc: Operand = { kind: "reg", reg: 0, size, high8: false };
  if (size === 8) {
    const [al, ah] = g.read64(acc);
    const [dl, dh] = g.read64(d, true);
    const [sl, sh] = g.read64(src);
    const r = g.let(g.call("sub64", al, ah, dl, dh));
    const rh = g.let("T[0]");
    g.flagsOut = { op: "sub", size: 8, r: [r, rh], a: [al, ah], b: [dl, dh] };
    g.line(`if ((${r} | ${rh}) === 0) {`);
    g.write64(d, sl, sh);
    g.line(`} else {`);
    if (d.kind === "mem") g.write64(d, dl, dh);
    g.write64(acc, dl, dh);
    g.line(`}`);
    return;
  }
  const a = g.read(acc);
  const dv = g.read(d, true);
  const sv = g.read(src);
  const r = g.let(g.call("sub", szIdx(size), a, dv));
  g.flagsOut = { op: "sub", size, r: [r, "0"], a: [a, "0"], b: [dv, "0"] };
  g.line(`if (${r} === 0) {`);
  g.write(d, sv);
  g.line(`} else {`);
  if (d.kind === "mem") g.write(d, dv);
  g.write(acc, dv);
  g.line(`}`);
}

/** XADD: TEMP ← SRC + DEST; SRC ← DEST; DEST ← TEMP (so with one register twice the sum wins). */
function xadd(g: Emitter, i: Insn): void {
  const [d, src] = i.ops as [Operand, Operand];
  if (i.opSize === 8) {
    const [dl, dh] = g.read64(d, true);
    const [sl, sh] = g.read64(src);
    const r = g.let(g.call("add64", dl, dh, sl, sh));
    const rh = g.let("T[0]");
    g.flagsOut = { op: "add", size: 8, r: [r, rh], a: [dl, dh], b: [sl, sh] };
    g.write64(src, dl, dh);
    g.write64(d, r, rh);
    return;
  }
  const dv = g.read(d, true);
  const sv = g.read(src);
  const r = g.let(g.call("add", szIdx(i.opSize), dv, sv));
  g.flagsOut = { op: "add", size: i.opSize, r: [r, "0"], a: [dv, "0"], b: [sv, "0"] };
  g.write(src, dv);
  g.write(d, r);
}

export const EXCHANGE: FamilyTable = {
  [Mnemonic.Cmpxchg]: cmpxchg,
  [Mnemonic.Xadd]: xadd,
};
