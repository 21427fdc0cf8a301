/**
 * RFLAGS transfer (PUSHF/POPF, LAHF/SAHF), SETcc, CMOVcc, sign extension of
 * the accumulator (CBW..CQO), ENTER/LEAVE, CMPXCHG8B/16B, XLAT, and the
 * instructions that are no-ops for an interpreter with no caches or
 * speculation (fences, prefetches, CLFLUSH, ENDBR).
 */
import { Mnemonic } from "iced-x86";
import type { Emitter } from "../emitter";
import type { Insn, Operand } from "../insn";
import { RAX, RBX, RDX } from "../registers";
import type { FamilyTable } from "./table";

function pushf(g: Emitter, i: Insn): void {
  g.keepFlags();
  g.line(`${g.call("push", -i.stackInc, g.call("pushfValue"), 0)};`);
  g.wroteMemory = true;
}

/** POPF may change TF, IF, AC, DF: leave the block so the run loop sees them. */
function popf(g: Emitter, i: Insn): void {
  const size = i.stackInc;
  const v = g.let(g.call("peek", size));
  g.line(`${g.call("popf", v, size)}; ${g.call("addSp", size)};`);
  g.endBlock();
}

function setcc(g: Emitter, i: Insn): void {
  g.keepFlags();
  g.write(i.ops[0]!, `${g.condition(i.cc - 1)} ? 1 : 0`);
}

/** CMOVcc reads its source whether or not it moves; a 32-bit destination is zero-extended either way (SDM Vol. 2A CMOVcc). */
function cmovcc(g: Emitter, i: Insn): void {
  g.keepFlags();
  const [d, src] = i.ops as [Operand & { kind: "reg" }, Operand];
  const cond = g.condition(i.cc - 1);
  if (i.opSize === 8) {
    const [l, h] = g.read64(src);
    g.line(`if (${cond}) { lo[${d.reg}] = ${l}; hi[${d.reg}] = ${h}; }`);
  } else if (i.opSize === 4) {
    const v = g.read(src);
    g.line(`if (${cond}) lo[${d.reg}] = ${v}; hi[${d.reg}] = 0;`);
  } else {
    const v = g.read(src);
    g.line(`if (${cond}) lo[${d.reg}] = (lo[${d.reg}] & -65536) | (${v} & 65535);`);
  }
}

const acc = (size: 1 | 2 | 4 | 8): Operand => ({ kind: "reg", reg: RAX, size, high8: false });

const extend = {
  cbw: (g: Emitter) => g.write(acc(2), `lo[${RAX}] << 24 >> 24`),
  cwde: (g: Emitter) => g.write(acc(4), `lo[${RAX}] << 16 >> 16`),
  cdqe: (g: Emitter) => g.line(`hi[${RAX}] = lo[${RAX}] >> 31;`),
  cwd: (g: Emitter) => g.line(`lo[${RDX}] = (lo[${RDX}] & -65536) | ((lo[${RAX}] << 16 >> 31) & 65535);`),
  cdq: (g: Emitter) => g.line(`lo[${RDX}] = lo[${RAX}] >> 31; hi[${RDX}] = 0;`),
  cqo: (g: Emitter) => g.line(`lo[${RDX}] = hi[${RAX}] >> 31; hi[${RDX}] = lo[${RDX}];`),
};

function keep(fn: (g: Emitter) => void) {
  return (g: Emitter) => {
    g.keepFlags();
    fn(g);
  };
}

/** LEAVE: rSP ← rBP, then pop rBP at the operand size. */
function leave(g: Emitter, i: Insn): void {
  g.keepFlags();
  g.line(`${g.call("leave", stackOpSize(i))};`);
}

/** Operand size of a stack instruction: 64-bit mode 8 (16 with 66h), otherwise the code size flipped by 66h. */
function stackOpSize(i: Insn): number {
  let o16 = false;
  for (const b of i.bytes) {
    if (b === 0x66) o16 = true;
    else if (!(b === 0xf0 || b === 0xf2 || b === 0xf3 || b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e || b === 0x64 || b === 0x65 || b === 0x67 || (i.bits === 64 && (b & 0xf0) === 0x40))) break;
  }
  if (i.bits === 64) return o16 ? 2 : 8;
  return (i.bits === 32) !== o16 ? 4 : 2;
}

function enter(g: Emitter, i: Insn): void {
  g.keepFlags();
  const [size, level] = i.ops as [Operand & { kind: "imm" }, Operand & { kind: "imm" }];
  g.line(`${g.call("enter", size.lo & 0xffff, level.lo & 0x1f, stackOpSize(i))};`);
  g.wroteMemory = true;
}

/** CMPXCHG8B/16B: only ZF changes (SDM Vol. 2A CMPXCHG8B/CMPXCHG16B). */
function cmpxchgWide(g: Emitter, i: Insn): void {
  const m = i.ops[0] as Operand & { kind: "mem" };
  g.line(`${g.call("cmpxchgWide", g.address(m), m.size)};`);
  g.wroteMemory = true;
}

function xlat(g: Emitter, i: Insn): void {
  g.keepFlags();
  const m = (i.ops[0] as Operand & { kind: "mem" }).m;
  g.line(`${g.call("xlat", m.seg, i.addrSize)};`);
  void RBX;
}

const NOPS = [
  Mnemonic.Lfence, Mnemonic.Mfence, Mnemonic.Sfence, Mnemonic.Prefetchnta, Mnemonic.Prefetcht0, Mnemonic.Prefetcht1,
  Mnemonic.Prefetcht2, Mnemonic.Prefetchw, Mnemonic.Clflush, Mnemonic.Clflushopt, Mnemonic.Endbr64, Mnemonic.Endbr32,
];

const SETCC = [
  Mnemonic.Seto, Mnemonic.Setno, Mnemonic.Setb, Mnemonic.Setae, Mnemonic.Sete, Mnemonic.Setne, Mnemonic.Setbe, Mnemonic.Seta,
  Mnemonic.Sets, Mnemonic.Setns, Mnemonic.Setp, Mnemonic.Setnp, Mnemonic.Setl, Mnemonic.Setge, Mnemonic.Setle, Mnemonic.Setg,
];
const CMOVCC = [
  Mnemonic.Cmovo, Mnemonic.Cmovno, Mnemonic.Cmovb, Mnemonic.Cmovae, Mnemonic.Cmove, Mnemonic.Cmovne, Mnemonic.Cmovbe, Mnemonic.Cmova,
  Mnemonic.Cmovs, Mnemonic.Cmovns, Mnemonic.Cmovp, Mnemonic.Cmovnp, Mnemonic.Cmovl, Mnemonic.Cmovge, Mnemonic.Cmovle, Mnemonic.Cmovg,
];

export const MISC2: FamilyTable = {
  [Mnemonic.Pushf]: pushf, [Mnemonic.Pushfd]: pushf, [Mnemonic.Pushfq]: pushf,
  [Mnemonic.Popf]: popf, [Mnemonic.Popfd]: popf, [Mnemonic.Popfq]: popf,
  [Mnemonic.Lahf]: keep((g) => g.line(`${g.call("lahf")};`)),
  [Mnemonic.Sahf]: (g) => g.line(`${g.call("sahf")};`),
  ...Object.fromEntries(SETCC.map((m) => [m, setcc])),
  ...Object.fromEntries(CMOVCC.map((m) => [m, cmovcc])),
  [Mnemonic.Cbw]: keep(extend.cbw), [Mnemonic.Cwde]: keep(extend.cwde), [Mnemonic.Cdqe]: keep(extend.cdqe),
  [Mnemonic.Cwd]: keep(extend.cwd), [Mnemonic.Cdq]: keep(extend.cdq), [Mnemonic.Cqo]: keep(extend.cqo),
  [Mnemonic.Leave]: leave,
  [Mnemonic.Enter]: enter,
  [Mnemonic.Cmpxchg8b]: cmpxchgWide,
  [Mnemonic.Cmpxchg16b]: cmpxchgWide,
  [Mnemonic.Xlatb]: xlat,
  [Mnemonic.Wait]: (g: Emitter) => { g.keepFlags(); g.line(`${g.call("fwait")};`); },
  ...Object.fromEntries(NOPS.map((m) => [m, (g: Emitter) => g.keepFlags()])),
};
