/**
 * Operand syntax: registers, memory (`qword ptr [rbx+rcx*8+16]`, NASM `qword [..]`,
 * `[rel label]`, `[rip + label]`, `fs:[rax]`, `[fs:rax]`), immediates and branch
 * targets (`short`/`near`/`far`), far pointers (`0x08:label`).
 */
import { Register } from "iced-x86";
import { Cursor, Expr, ExprOptions, parseExpr } from "./expr";
import { lookupRegister, RegInfo } from "./registers";
import { AsmError } from "./source";

/** Size keywords in bytes; NASM and GAS spellings. */
export const SIZE_KEYWORDS: Record<string, number> = {
  byte: 1,
  word: 2,
  dword: 4,
  fword: 6,
  qword: 8,
  tword: 10,
  tbyte: 10,
  oword: 16,
  xmmword: 16,
  yword: 32,
  ymmword: 32,
  zword: 64,
  zmmword: 64,
};

export const SIZE_NAMES: Record<number, string> = { 1: "byte", 2: "word", 4: "dword", 6: "fword", 8: "qword", 10: "tword", 16: "oword", 32: "yword", 64: "zword" };

export interface RegOperand {
  k: "reg";
  reg: RegInfo;
  col: number;
  size?: number;
}

export interface MemOperand {
  k: "mem";
  col: number;
  /** Size keyword in bytes, if written. */
  size?: number;
  far: boolean;
  seg: Register;
  base?: RegInfo;
  index?: RegInfo;
  /** Index scale expression (constant); undefined means 1. */
  scale?: Expr;
  disp?: Expr;
  /** `[rel x]`: x is the target address; `[rip + x]`: x is a target if it names a label, else a displacement. */
  rip: "none" | "rel" | "rip";
  /** `[qword 0x1000]`: address size in bytes for a moffs operand. */
  addrSize?: number;
}

export interface ImmOperand {
  k: "imm";
  col: number;
  expr: Expr;
  size?: number;
  jump?: "short" | "near" | "far";
}

export interface FarPtrOperand {
  k: "farptr";
  col: number;
  seg: Expr;
  off: Expr;
  size?: number;
}

export type Operand = RegOperand | MemOperand | ImmOperand | FarPtrOperand;

/** Parses one operand; stops before `,` or the end of the line. */
export function parseOperand(c: Cursor, o: Omit<ExprOptions, "allowRegs">): Operand {
  const col = c.peek().col;
  let size: number | undefined;
  let jump: ImmOperand["jump"];
  for (;;) {
    const t = c.peek();
    if (t.kind !== "ident") break;
    const w = t.text.toLowerCase();
    if (w in SIZE_KEYWORDS && !c.isOp(":", 1)) {
      if (size !== undefined) throw c.error(`a second size keyword '${t.text}'`);
      size = SIZE_KEYWORDS[w];
      c.next();
      if (c.isWord("ptr")) c.next();
    } else if (w === "far" || w === "near" || w === "short") {
      if (jump !== undefined) throw c.error(`a second distance keyword '${t.text}'`);
      jump = w;
      c.next();
    } else break;
  }
  const t = c.peek();
  if (c.isOp("[")) return parseMemory(c, o, col, size, jump === "far", Register.None);
  if (t.kind === "ident") {
    const reg = lookupRegister(t.text);
    if (reg && reg.cls === "seg" && c.isOp(":", 1)) {
      // GAS: fs:[rax], fs:0x28
      c.next();
      c.next();
      if (c.isOp("[")) return parseMemory(c, o, col, size, jump === "far", reg.reg);
      const disp = parseExpr(c, { ...o, allowRegs: false });
      return { k: "mem", col, size, far: jump === "far", seg: reg.reg, disp, rip: "none" };
    }
    if (reg && (c.isOp(",", 1) || c.peek(1).kind === "eol" || (reg.cls === "st" && c.isOp("(", 1)))) {
      c.next();
      if (jump) throw new AsmError(`'${jump}' needs a jump target, not a register`, c.line, col);
      if (reg.cls === "st" && t.text.toLowerCase() === "st" && c.isOp("(")) return { k: "reg", reg: parseStIndex(c), col, size };
      return { k: "reg", reg, col, size };
    }
  }
  const expr = parseExpr(c, { ...o, allowRegs: false });
  if (c.isOp(":")) {
    c.next();
    const off = parseExpr(c, { ...o, allowRegs: false });
    return { k: "farptr", col, seg: expr, off, size };
  }
  return { k: "imm", col, expr, size, jump };
}

/** GAS `st(3)`. */
function parseStIndex(c: Cursor): RegInfo {
  c.expectOp("(", "after 'st'");
  const n = c.next();
  if (n.kind !== "num" || n.value > 7n) throw c.error("expected a number 0..7 in st(n)", n);
  c.expectOp(")", "to close st(n)");
  return lookupRegister(`st${n.value}`)!;
}

function parseMemory(c: Cursor, o: Omit<ExprOptions, "allowRegs">, col: number, size: number | undefined, far: boolean, outerSeg: Register): MemOperand {
  c.expectOp("[", "to start a memory operand");
  let rip: MemOperand["rip"] = "none";
  let seg = outerSeg;
  let addrSize: number | undefined;
  for (;;) {
    const t = c.peek();
    if (t.kind !== "ident") break;
    const w = t.text.toLowerCase();
    if (w === "rel" || w === "abs") {
      rip = w === "rel" ? "rel" : "none";
      c.next();
    } else if ((w === "qword" || w === "dword" || w === "word") && !c.isOp(":", 1)) {
      addrSize = SIZE_KEYWORDS[w];
      c.next();
    } else if (lookupRegister(w)?.cls === "seg" && c.isOp(":", 1)) {
      if (seg !== Register.None) throw c.error("a second segment override");
      seg = lookupRegister(w)!.reg;
      c.next();
      c.next();
    } else break;
  }
  const startTok = c.peek();
  const e = parseExpr(c, { ...o, allowRegs: true });
  c.expectOp("]", "to close the memory operand");
  const m: MemOperand = { k: "mem", col, size, far, seg, rip, addrSize };
  splitAddress(e, m, c.line, startTok.col);
  if (m.base?.cls === "ip") {
    if (m.index) throw new AsmError("rip-relative addressing cannot have an index register", c.line, startTok.col);
    if (m.rip === "rel") throw new AsmError("use either 'rel' or 'rip', not both", c.line, startTok.col);
    m.rip = "rip";
  }
  return m;
}

interface Term {
  reg?: RegInfo;
  scale?: Expr;
  neg: boolean;
  e: Expr;
}

/** Splits `[base + index*scale + disp]` written in any order into its parts. */
function splitAddress(e: Expr, m: MemOperand, line: number, col: number): void {
  const terms: Term[] = [];
  const walk = (x: Expr, neg: boolean): void => {
    if (x.k === "bin" && (x.op === "+" || x.op === "-")) {
      walk(x.l, neg);
      walk(x.r, x.op === "-" ? !neg : neg);
    } else if (x.k === "reg") terms.push({ reg: x.reg, neg, e: x });
    else if (x.k === "bin" && x.op === "*" && (x.l.k === "reg" || x.r.k === "reg")) {
      const reg = x.l.k === "reg" ? x.l : (x.r as Extract<Expr, { k: "reg" }>);
      const other = x.l.k === "reg" ? x.r : x.l;
      if (hasReg(other)) throw new AsmError("invalid effective address: registers cannot be multiplied together", line, x.col);
      terms.push({ reg: reg.reg, scale: other, neg, e: x });
    } else {
      if (hasReg(x)) throw new AsmError("invalid effective address", line, x.col);
      terms.push({ neg, e: x });
    }
  };
  walk(e, false);
  let disp: Expr | undefined;
  const regs: Term[] = [];
  for (const t of terms) {
    if (t.reg) {
      if (t.neg) throw new AsmError(`invalid effective address: register '${t.reg.name}' cannot be subtracted`, line, t.e.col);
      if (!["gpr16", "gpr32", "gpr64", "ip", "xmm", "ymm", "zmm"].includes(t.reg.cls))
        throw new AsmError(`register '${t.reg.name}' cannot be used in an address`, line, t.e.col);
      regs.push(t);
      continue;
    }
    const term: Expr = t.neg ? { k: "un", op: "-", e: t.e, col: t.e.col } : t.e;
    disp = disp ? { k: "bin", op: "+", l: disp, r: term, col: t.e.col } : term;
  }
  m.disp = disp;
  const scaled = regs.filter((r) => r.scale);
  const plain = regs.filter((r) => !r.scale);
  if (regs.length > 2 || scaled.length > 1) throw new AsmError("invalid effective address: too many registers", line, col);
  if (scaled.length === 1) {
    m.index = scaled[0]!.reg;
    m.scale = scaled[0]!.scale;
    m.base = plain[0]?.reg;
  } else {
    m.base = plain[0]?.reg;
    m.index = plain[1]?.reg;
    // rsp/esp can only be a base: [rax + rsp] means [rsp + rax].
    if (m.index && /^[er]?sp$/.test(m.index.name)) [m.base, m.index] = [m.index, m.base];
  }
}

function hasReg(e: Expr): boolean {
  switch (e.k) {
    case "reg":
      return true;
    case "un":
      return hasReg(e.e);
    case "bin":
      return hasReg(e.l) || hasReg(e.r);
    default:
      return false;
  }
}
