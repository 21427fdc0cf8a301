/**
 * BT/BTS/BTR/BTC, BSF/BSR, LZCNT/TZCNT, POPCNT, BSWAP; semantics in ../bitops.ts.
 * A register bit offset with a memory operand addresses a bit string: the
 * offset is signed and may reach outside the operand (SDM Vol. 2A BT,
 * "Bit(BitBase, BitOffset)"); an immediate offset is taken modulo the size.
 */
import { Mnemonic } from "iced-x86";
import type { Emitter } from "../emitter";
import type { Insn, Operand } from "../insn";
import { BT, BTC, BTR, BTS } from "../bitops";
import type { FamilyTable } from "./table";

function bitTest(op: number) {
  return (g: Emitter, i: Insn) => {
    const [d, src] = i.ops as [Operand, Operand];
    const w = i.opSize * 8;
    const write = op !== BT;
    if (op === BT) g.flagsOut = null;
    if (d.kind === "mem" && src.kind === "reg") {
      // Bit string: byte address = EA + floor(offset / w) * (w / 8), bit = offset mod w.
      const [ol, oh] = g.read64(src);
      const off = g.let(i.opSize === 8 ? `${oh} * 4294967296 + (${ol} >>> 0)` : i.opSize === 4 ? `(${ol} | 0)` : `(${ol} << 16 >> 16)`);
      const q = g.let(`Math.floor(${off} / ${w})`);
      const bit = g.let(`${off} - ${q} * ${w}`);
      const a = g.let(`${g.address(d)} + ${q} * ${w / 8}`);
      const rd = (write ? "rdw" : "rd") + w;
      if (w === 64) {
        const l = g.let(`H.${rd}(s, ${a})`);
        const h = g.let("T[0]");
        const r = g.let(g.call("bitOp64", op, l, h, bit));
        if (write) {
          g.line(`H.wr64(s, ${a}, ${r}, T[0]);`);
          g.wroteMemory = true;
        }
      } else {
        const v = g.let(`H.${rd}(s, ${a})`);
        const r = g.let(g.call("bitOp", op, v, bit));
        if (write) {
          g.line(`H.wr${w}(s, ${a}, ${r});`);
          g.wroteMemory = true;
        }
      }
      return;
    }
    const bit = g.let(`${g.read(src)} & ${w - 1}`);
    if (w === 64) {
      const [l, h] = g.read64(d, write);
      const r = g.let(g.call("bitOp64", op, l, h, bit));
      if (write) g.write64(d, r, g.let("T[0]"));
    } else {
      const v = g.read(d, write);
      const r = g.let(g.call("bitOp", op, v, bit));
      if (write) g.write(d, r);
    }
  };
}

function scan(kind: number) {
  return (g: Emitter, i: Insn) => {
    const [d, src] = i.ops as [Operand, Operand];
    const w = i.opSize * 8;
    const [sl, sh] = g.read64(src);
    const [dl, dh] = d.kind === "reg" ? g.read64(d) : ["0", "0"];
    const r = g.let(g.call("bitScan", kind, w, sl, sh, dl, dh));
    // BSF/BSR of 0 keep the destination: a 32-bit one is then not zero-extended either.
    if (kind <= 1 && w === 32) g.line(`if (${r} !== ${dl} || ${sl} !== 0) { lo[${(d as { reg: number }).reg}] = ${r}; hi[${(d as { reg: number }).reg}] = 0; }`);
    else g.write64(d, r, g.let("T[0]"));
  };
}

function popcnt(g: Emitter, i: Insn): void {
  const [d, src] = i.ops as [Operand, Operand];
  const [sl, sh] = g.read64(src);
  const r = g.let(g.call("popcnt", sl, i.opSize === 8 ? sh : "0"));
  g.write64(d, r, "0");
}

function bswap(g: Emitter, i: Insn): void {
  g.keepFlags();
  const d = i.ops[0]!;
  if (i.opSize === 8) {
    const [l, h] = g.read64(d, true);
    const nl = g.let(g.call("bswap32", h));
    const nh = g.let(g.call("bswap32", l));
    g.write64(d, nl, nh);
  } else if (i.opSize === 4) {
    g.write(d, g.let(g.call("bswap32", g.read(d, true))));
  } else {
    g.write(d, "0");
  }
}

export const BITS: FamilyTable = {
  [Mnemonic.Bt]: bitTest(BT),
  [Mnemonic.Bts]: bitTest(BTS),
  [Mnemonic.Btr]: bitTest(BTR),
  [Mnemonic.Btc]: bitTest(BTC),
  [Mnemonic.Bsf]: scan(0),
  [Mnemonic.Bsr]: scan(1),
  [Mnemonic.Tzcnt]: scan(2),
  [Mnemonic.Lzcnt]: scan(3),
  [Mnemonic.Popcnt]: popcnt,
  [Mnemonic.Bswap]: bswap,
};
