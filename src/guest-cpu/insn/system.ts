/**
 * System instructions: CR/descriptor-table/TLB/MSR/TSC/PMC access, port I/O,
 * CLI/STI, INT n/INT3/INT1/INTO, IRET, far JMP/CALL/RET, SYSCALL/SYSRET,
 * SWAPGS, caches, XSETBV/XGETBV, MONITOR/MWAIT, RDRAND/RDSEED, CLAC/STAC and
 * the VMX instructions (handed to the VMX unit). Semantics in ../sysinsn.ts,
 * ../far.ts, ../system.ts. Everything that can change mode, privilege or
 * RIP ends the block.
 */
import { Mnemonic } from "iced-x86";
import type { Emitter } from "../emitter";
import { BP, OF as OF_VEC, DB } from "../exceptions";
import type { Insn, Operand } from "../insn";
import { OP } from "../intercept";
import type { FamilyTable } from "./table";

const call = (name: Parameters<Emitter["call"]>[0], ...args: (string | number)[]) => (g: Emitter) => {
  g.line(`${g.call(name, g.insnRef, ...args)};`);
};

/** Runs `body`, then leaves the block at the next instruction. */
function thenEnd(body: (g: Emitter, i: Insn) => void, keep = true) {
  return (g: Emitter, i: Insn) => {
    if (keep) g.keepFlags();
    body(g, i);
    g.endBlock();
  };
}

/** Emits a helper call that sets s.rip itself (control transfers); `next` is passed as the return address. */
function transfer(g: Emitter, expr: (next: string) => string): void {
  const next = g.let(g.nextRip);
  g.line(`${expr(next)};`);
  g.jump("s.rip");
}

function memAddress(g: Emitter, op: Operand): string {
  if (op.kind !== "mem") throw new Error("memory operand expected");
  return g.address(op);
}

// ---- descriptor tables

function storeDt(which: number) {
  return (g: Emitter, i: Insn) => {
    g.keepFlags();
    g.line(`${g.call("storeDt", g.insnRef, which, memAddress(g, i.ops[0]!))};`);
    g.wroteMemory = true;
  };
}

function loadDt(which: number) {
  return thenEnd((g, i) => g.line(`${g.call("loadDt", g.insnRef, which, memAddress(g, i.ops[0]!))};`));
}

/** SLDT/STR: a register destination gets the selector zero-extended at the operand size, memory 16 bits. */
function storeSel(which: number) {
  return (g: Emitter, i: Insn) => {
    g.keepFlags();
    const d = i.ops[0]!;
    const v = g.let(g.call("storeSel", g.insnRef, which));
    if (d.kind === "reg" && d.size === 8) g.write64(d, v, "0");
    else g.write(d, v);
  };
}

function loadSel(name: "lldt" | "ltr") {
  return thenEnd((g, i) => {
    const v = g.read(i.ops[0]!);
    g.line(`${g.call(name, g.insnRef, `${v} & 0xffff`)};`);
  });
}

function smsw(g: Emitter, i: Insn): void {
  g.keepFlags();
  const d = i.ops[0]!;
  const v = g.let(g.call("smsw", g.insnRef));
  if (d.kind === "reg" && d.size === 8) g.write64(d, v, "0");
  else g.write(d, d.kind === "mem" ? `${v} & 0xffff` : v);
}

// ---- port I/O

function portOf(g: Emitter, op: Operand): string {
  return op.kind === "imm" ? String(op.lo & 0xff) : `lo[2] & 0xffff`;
}

function portIn(g: Emitter, i: Insn): void {
  g.keepFlags();
  const [d, p] = i.ops as [Operand, Operand];
  g.line(`${g.call("portIn", g.insnRef, portOf(g, p), (d as { size: number }).size)};`);
}

function portOut(g: Emitter, i: Insn): void {
  g.keepFlags();
  const [p, src] = i.ops as [Operand, Operand];
  g.line(`${g.call("portOut", g.insnRef, portOf(g, p), (src as { size: number }).size)};`);
  // A device may have stopped the machine or raised an interrupt: look at the run loop.
  g.endBlock();
}

// ---- software interrupts and returns

function intN(g: Emitter, i: Insn): void {
  const v = i.ops[0]!.kind === "imm" ? (i.ops[0] as { lo: number }).lo & 0xff : 3;
  transfer(g, (next) => g.call("softInt", v, next));
}

/** INT3, INT1 and INTO raise trap-like exceptions: the run loop delivers them with RIP after the instruction. */
function trapException(vector: number) {
  return (g: Emitter) => {
    g.line(`${g.call("trap", vector)};`);
    g.jumped = true;
  };
}

function into(g: Emitter): void {
  g.line(`if (${g.condition(0)}) ${g.call("trap", OF_VEC)};`);
  g.keepFlags();
}

function iret(g: Emitter, i: Insn): void {
  const size = i.mnemonic === Mnemonic.Iretq ? 8 : i.mnemonic === Mnemonic.Iretd ? 4 : 2;
  g.line(`${g.call("iret", size)};`);
  g.jump("s.rip");
}

function retf(g: Emitter, i: Insn): void {
  const imm = i.ops[0]?.kind === "imm" ? i.ops[0].lo & 0xffff : 0;
  const size = (i.stackInc - imm) / 2;
  g.line(`${g.call("retFar", size, imm)};`);
  g.jump("s.rip");
}

/** Far JMP/CALL: direct ptr16:16/32 or indirect m16:16/32/64 (offset first, selector after it). */
export function farTarget(g: Emitter, i: Insn): { sel: string; off: string; size: number } {
  const op = i.ops[0]!;
  if (op.kind === "far") return { sel: String(op.sel), off: String(op.off), size: i.bits === 16 ? (op.off > 0xffff ? 4 : 2) : 4 };
  const a = memAddress(g, op);
  const offSize = (op as { size: number }).size - 2;
  let off: string;
  if (offSize === 8) {
    const lo = g.let(`H.rd64(s, ${a})`);
    off = g.let(`T[0] * 4294967296 + (${lo} >>> 0)`);
  } else {
    off = g.let(offSize === 4 ? `H.rd32(s, ${a}) >>> 0` : `H.rd16(s, ${a})`);
  }
  const sel = g.let(`H.rd16(s, ${a} + ${offSize})`);
  return { sel, off, size: offSize };
}

// ---- VMX instructions

const VMX_OPS: [number, number][] = [
  [Mnemonic.Vmxon, OP.VMXON], [Mnemonic.Vmxoff, OP.VMXOFF], [Mnemonic.Vmclear, OP.VMCLEAR],
  [Mnemonic.Vmptrld, OP.VMPTRLD], [Mnemonic.Vmptrst, OP.VMPTRST], [Mnemonic.Vmread, OP.VMREAD],
  [Mnemonic.Vmwrite, OP.VMWRITE], [Mnemonic.Vmlaunch, OP.VMLAUNCH], [Mnemonic.Vmresume, OP.VMRESUME],
  [Mnemonic.Vmcall, OP.VMCALL], [Mnemonic.Vmfunc, OP.VMFUNC], [Mnemonic.Invept, OP.INVEPT],
  [Mnemonic.Invvpid, OP.INVVPID], [Mnemonic.Getsec, OP.GETSEC],
];

/** RIP is set to the next instruction before the VMX unit runs (it may load a new RIP: VM entry, VMfail continues). */
function vmx(op: number) {
  return (g: Emitter) => {
    const next = g.let(g.nextRip);
    g.line(`s.rip = ${next}; ${g.call("vmxInsn", g.insnRef, op)};`);
    g.jump("s.rip");
  };
}

export const SYSTEM: FamilyTable = {
  [Mnemonic.Clts]: thenEnd(call("clts")),
  [Mnemonic.Lmsw]: thenEnd((g, i) => g.line(`${g.call("lmsw", g.insnRef, g.read(i.ops[0]!))};`)),
  [Mnemonic.Smsw]: smsw,
  [Mnemonic.Sgdt]: storeDt(0),
  [Mnemonic.Sidt]: storeDt(1),
  [Mnemonic.Lgdt]: (g, i) => loadDt(0)(g, i),
  [Mnemonic.Lidt]: (g, i) => loadDt(1)(g, i),
  [Mnemonic.Sldt]: storeSel(0),
  [Mnemonic.Str]: storeSel(1),
  [Mnemonic.Lldt]: loadSel("lldt"),
  [Mnemonic.Ltr]: loadSel("ltr"),
  [Mnemonic.Invlpg]: thenEnd((g, i) => g.line(`${g.call("invlpg", g.insnRef, memAddress(g, i.ops[0]!))};`)),
  [Mnemonic.Invpcid]: thenEnd((g, i) => {
    const [t, m] = i.ops as [Operand, Operand];
    const [tl, th] = g.read64(t);
    g.line(`${g.call("invpcid", g.insnRef, tl, th, memAddress(g, m))};`);
  }),
  [Mnemonic.Rdmsr]: (g) => { g.keepFlags(); call("rdmsr")(g); },
  [Mnemonic.Wrmsr]: thenEnd(call("wrmsr")),
  [Mnemonic.Rdtsc]: (g) => { g.keepFlags(); call("rdtsc")(g); },
  [Mnemonic.Rdtscp]: (g) => { g.keepFlags(); call("rdtscp")(g); },
  [Mnemonic.Rdpmc]: (g) => { g.keepFlags(); call("rdpmc")(g); },
  [Mnemonic.In]: portIn,
  [Mnemonic.Out]: portOut,
  [Mnemonic.Cli]: (g) => { g.keepFlags(); g.line(`${g.call("cli")};`); },
  [Mnemonic.Sti]: thenEnd((g) => g.line(`${g.call("sti")};`)),
  [Mnemonic.Int]: intN,
  [Mnemonic.Int3]: trapException(BP),
  [Mnemonic.Int1]: trapException(DB),
  [Mnemonic.Into]: into,
  [Mnemonic.Iret]: iret,
  [Mnemonic.Iretd]: iret,
  [Mnemonic.Iretq]: iret,
  [Mnemonic.Retf]: retf,
  [Mnemonic.Syscall]: (g) => transfer(g, (next) => g.call("syscall", next)),
  [Mnemonic.Sysret]: (g) => { g.line(`${g.call("sysret", 0)};`); g.jump("s.rip"); },
  [Mnemonic.Sysretq]: (g) => { g.line(`${g.call("sysret", 1)};`); g.jump("s.rip"); },
  [Mnemonic.Swapgs]: (g) => { g.keepFlags(); g.line(`${g.call("swapgs")};`); },
  [Mnemonic.Wbinvd]: (g) => { g.keepFlags(); call("wbinvd", 0)(g); },
  [Mnemonic.Invd]: (g) => { g.keepFlags(); call("wbinvd", 1)(g); },
  [Mnemonic.Xsetbv]: thenEnd(call("xsetbv")),
  [Mnemonic.Xgetbv]: (g) => { g.keepFlags(); g.line(`${g.call("xgetbv")};`); },
  [Mnemonic.Monitor]: (g) => { g.keepFlags(); call("monitor")(g); },
  [Mnemonic.Mwait]: thenEnd(call("mwait")),
  [Mnemonic.Rdrand]: (g, i) => rdrand(g, i, 0),
  [Mnemonic.Rdseed]: (g, i) => rdrand(g, i, 1),
  // CLAC/STAC: CPL 0 only (SDM Vol. 2A CLAC); they change AC, which SMAP reads.
  [Mnemonic.Clac]: thenEnd((g) => g.line(`${g.call("setAc", 0)};`)),
  [Mnemonic.Stac]: thenEnd((g) => g.line(`${g.call("setAc", 1)};`)),
  ...Object.fromEntries(VMX_OPS.map(([m, op]) => [m, vmx(op)])),
  [Mnemonic.Sysenter]: (g) => { g.keepFlags(); g.line(`${g.call("sysenter")};`); g.jump("s.rip"); },
  [Mnemonic.Sysexit]: (g) => { g.keepFlags(); g.line(`${g.call("sysexit", 0)};`); g.jump("s.rip"); },
  [Mnemonic.Sysexitq]: (g) => { g.keepFlags(); g.line(`${g.call("sysexit", 1)};`); g.jump("s.rip"); },
  [Mnemonic.Lar]: (g, i) => larLsl(g, i, 0),
  [Mnemonic.Lsl]: (g, i) => larLsl(g, i, 1),
  [Mnemonic.Verr]: (g, i) => g.line(`${g.call("verify", `${g.read(i.ops[0]!)} & 0xffff`, 0)};`),
  [Mnemonic.Verw]: (g, i) => g.line(`${g.call("verify", `${g.read(i.ops[0]!)} & 0xffff`, 1)};`),
  [Mnemonic.Arpl]: (g, i) => {
    const [d, src] = i.ops as [Operand, Operand];
    const dv = g.read(d, true);
    const sv = g.read(src);
    g.write(d, g.let(g.call("arpl", dv, sv)));
  },
  [Mnemonic.Bound]: (g, i) => {
    g.keepFlags();
    const [idx, m] = i.ops as [Operand, Operand];
    g.line(`${g.call("bound", g.read(idx), memAddress(g, m), i.opSize)};`);
  },
};

/** LAR/LSL: the destination changes only when ZF = 1 (a 32-bit one is then zero-extended). */
function larLsl(g: Emitter, i: Insn, kind: number): void {
  const [d, src] = i.ops as [Operand & { kind: "reg" }, Operand];
  const v = g.let(g.call("larLsl", `${g.read(src)} & 0xffff`, kind));
  g.line(`if (${v} !== -1) {`);
  if (d.size === 8) g.write64(d, `${v} | 0`, "0");
  else g.write(d, `${v} | 0`);
  g.line(`}`);
}

function rdrand(g: Emitter, i: Insn, seed: number): void {
  const d = i.ops[0]!;
  const v = g.let(g.call("rdrand", g.insnRef, seed));
  if (d.kind === "reg" && d.size === 8) g.write64(d, v, g.let("T[0]"));
  else g.write(d, v);
}

