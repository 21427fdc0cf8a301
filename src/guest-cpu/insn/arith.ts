/**
 * Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP TEST, INC DEC
 * NEG NOT (SDM Vol. 2 instruction pages; flags per each page's "Flags Affected").
 */
import { Mnemonic } from "iced-x86";
import { Emitter, szIdx } from "../emitter";
import { Insn } from "../insn";
import type { Helpers } from "../helpers";
import type { FamilyTable } from "./table";

type Arith = "add" | "adc" | "sub" | "sbb";

/** ADD/ADC/SUB/SBB/CMP: dst op= src with carry/borrow flags. */
function arith(fn: Arith, store: boolean) {
  return (g: Emitter, i: Insn) => {
    const [d, src] = i.ops as [never, never];
    if (i.opSize === 8) {
      const [al, ah] = g.read64(d, store);
      const [bl, bh] = g.read64(src);
      const r = g.let(g.call(`${fn}64` as keyof Helpers, al, ah, bl, bh));
      const rh = g.let("T[0]");
      if (store) g.write64(d, r, rh);
      if (fn === "add" || fn === "sub") g.flagsOut = { op: fn, size: 8, r: [r, rh], a: [al, ah], b: [bl, bh] };
    } else {
      const a = g.read(d, store);
      const b = g.read(src);
      const r = g.let(g.call(fn, szIdx(i.opSize), a, b));
      if (store) g.write(d, r);
      if (fn === "add" || fn === "sub") g.flagsOut = { op: fn, size: i.opSize, r: [r, "0"], a: [a, "0"], b: [b, "0"] };
    }
  };
}

/** AND/OR/XOR/TEST: CF=OF=0, AF undefined (vmxlab leaves AF=0). */
function logic(op: "&" | "|" | "^", store: boolean) {
  return (g: Emitter, i: Insn) => {
    const [d, src] = i.ops as [never, never];
    if (i.opSize === 8) {
      const [al, ah] = g.read64(d, store);
      const [bl, bh] = g.read64(src);
      const r = g.let(g.call("logic64", `${al} ${op} ${bl}`, `${ah} ${op} ${bh}`));
      const rh = g.let("T[0]");
      if (store) g.write64(d, r, rh);
      g.flagsOut = { op: "logic", size: 8, r: [r, rh] };
    } else {
      const a = g.read(d, store);
      const b = g.read(src);
      const r = g.let(g.call("logic", szIdx(i.opSize), `${a} ${op} ${b}`));
      if (store) g.write(d, r);
      g.flagsOut = { op: "logic", size: i.opSize, r: [r, "0"] };
    }
  };
}

function unary(fn: "inc" | "dec" | "neg") {
  return (g: Emitter, i: Insn) => {
    const d = i.ops[0]!;
    if (i.opSize === 8) {
      const [al, ah] = g.read64(d, true);
      const r = g.let(g.call(`${fn}64` as keyof Helpers, al, ah));
      const rh = g.let("T[0]");
      g.write64(d, r, rh);
      if (fn !== "neg") g.flagsOut = { op: fn, size: 8, r: [r, rh] };
    } else {
      const a = g.read(d, true);
      const r = g.let(g.call(fn, szIdx(i.opSize), a));
      g.write(d, r);
      if (fn !== "neg") g.flagsOut = { op: fn, size: i.opSize, r: [r, "0"] };
    }
  };
}

/** NOT changes no flags. */
function not(g: Emitter, i: Insn): void {
  const d = i.ops[0]!;
  g.keepFlags();
  if (i.opSize === 8) {
    const [al, ah] = g.read64(d, true);
    g.write64(d, `~${al}`, `~${ah}`);
  } else {
    g.write(d, `~${g.read(d, true)}`);
  }
}

export const ARITH: FamilyTable = {
  [Mnemonic.Add]: arith("add", true),
  [Mnemonic.Adc]: arith("adc", true),
  [Mnemonic.Sub]: arith("sub", true),
  [Mnemonic.Sbb]: arith("sbb", true),
  [Mnemonic.Cmp]: arith("sub", false),
  [Mnemonic.And]: logic("&", true),
  [Mnemonic.Or]: logic("|", true),
  [Mnemonic.Xor]: logic("^", true),
  [Mnemonic.Test]: logic("&", false),
  [Mnemonic.Inc]: unary("inc"),
  [Mnemonic.Dec]: unary("dec"),
  [Mnemonic.Neg]: unary("neg"),
  [Mnemonic.Not]: not,
};
