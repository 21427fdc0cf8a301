/**
 * Expressions: NASM operators and precedence (`|` `^` `&` `<< >>` `+ -`
 * `* / % // %%`, unary `- + ~ !`), numbers, characters, labels, `$` (address
 * of the current line) and `$$` (start of the section). Registers may appear
 * as leaves only inside memory operands.
 */
import type { Token } from "./lexer";
import { lookupRegister, RegInfo } from "./registers";
import { AsmError } from "./source";

export type Expr =
  | { k: "num"; v: bigint; col: number }
  | { k: "sym"; name: string; col: number }
  | { k: "here"; col: number }
  | { k: "start"; col: number }
  | { k: "reg"; reg: RegInfo; col: number }
  | { k: "un"; op: string; e: Expr; col: number }
  | { k: "bin"; op: string; l: Expr; r: Expr; col: number };

/** A value and whether it depends on an address (label, `$`, `$$`), which GNU `as` would relocate. */
export interface Value {
  v: bigint;
  sym: boolean;
}

export interface EvalContext {
  /** Value of a label or `equ` symbol; throws an AsmError when it is not defined. */
  resolve(name: string, col: number): Value;
  here: bigint;
  start: bigint;
}

/** Token cursor over one line. */
export class Cursor {
  pos = 0;
  constructor(
    readonly tokens: Token[],
    readonly line: number,
  ) {}
  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    if (t.kind !== "eol") this.pos++;
    return t;
  }
  isOp(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === "op" && t.text === text;
  }
  isWord(word: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === "ident" && t.text.toLowerCase() === word;
  }
  atEnd(): boolean {
    return this.peek().kind === "eol";
  }
  expectOp(text: string, what: string): Token {
    const t = this.peek();
    if (t.kind !== "op" || t.text !== text) throw this.error(`expected '${text}' ${what}`, t);
    return this.next();
  }
  error(message: string, t: Token = this.peek()): AsmError {
    return new AsmError(message, this.line, t.col);
  }
}

/** Words that are syntax, never labels, inside operands. */
export const RESERVED = new Set(["byte", "word", "dword", "fword", "qword", "tword", "tbyte", "oword", "xmmword", "yword", "ymmword", "zword", "zmmword", "ptr", "far", "near", "short", "rel", "abs", "to"]);

const BINARY_LEVELS: string[][] = [["|"], ["^"], ["&"], ["<<", ">>"], ["+", "-"], ["*", "/", "%", "//", "%%"]];

export interface ExprOptions {
  allowRegs: boolean;
  /** Turns `.local` into `global.local`. */
  qualify(name: string): string;
}

export function parseExpr(c: Cursor, o: ExprOptions): Expr {
  return parseLevel(c, o, 0);
}

function parseLevel(c: Cursor, o: ExprOptions, level: number): Expr {
  if (level === BINARY_LEVELS.length) return parseUnary(c, o);
  let l = parseLevel(c, o, level + 1);
  for (;;) {
    const t = c.peek();
    if (t.kind !== "op" || !BINARY_LEVELS[level]!.includes(t.text)) return l;
    c.next();
    const r = parseLevel(c, o, level + 1);
    l = { k: "bin", op: t.text, l, r, col: t.col };
  }
}

function parseUnary(c: Cursor, o: ExprOptions): Expr {
  const t = c.peek();
  if (t.kind === "op" && ["-", "+", "~", "!"].includes(t.text)) {
    c.next();
    return { k: "un", op: t.text, e: parseUnary(c, o), col: t.col };
  }
  return parsePrimary(c, o);
}

function parsePrimary(c: Cursor, o: ExprOptions): Expr {
  const t = c.next();
  switch (t.kind) {
    case "num":
      return { k: "num", v: t.value, col: t.col };
    case "str": {
      if (t.bytes.length > 8) throw c.error(`character constant ${t.text} is longer than 8 bytes`, t);
      let v = 0n;
      for (let i = t.bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(t.bytes[i]!);
      return { k: "num", v, col: t.col };
    }
    case "op":
      if (t.text === "$") return { k: "here", col: t.col };
      if (t.text === "$$") return { k: "start", col: t.col };
      if (t.text === "(") {
        const e = parseExpr(c, o);
        c.expectOp(")", "to close '('");
        return e;
      }
      throw c.error(`expected a value, found '${t.text}'`, t);
    case "ident": {
      const reg = lookupRegister(t.text);
      if (reg) {
        if (!o.allowRegs) throw c.error(`register '${t.text}' cannot be used in an expression`, t);
        return { k: "reg", reg, col: t.col };
      }
      if (RESERVED.has(t.text.toLowerCase())) throw c.error(`'${t.text}' is not allowed here`, t);
      return { k: "sym", name: o.qualify(t.text), col: t.col };
    }
    case "eol":
      throw c.error("expected a value at the end of the line", t);
  }
}

const MASK64 = (1n << 64n) - 1n;

export function evaluate(e: Expr, ctx: EvalContext, line: number): Value {
  switch (e.k) {
    case "num":
      return { v: e.v, sym: false };
    case "sym":
      return ctx.resolve(e.name, e.col);
    case "here":
      return { v: ctx.here, sym: true };
    case "start":
      return { v: ctx.start, sym: true };
    case "reg":
      throw new AsmError(`register '${e.reg.name}' cannot be used in an expression`, line, e.col);
    case "un": {
      const x = evaluate(e.e, ctx, line);
      const v = e.op === "-" ? -x.v : e.op === "~" ? ~x.v : e.op === "!" ? (x.v === 0n ? 1n : 0n) : x.v;
      return { v, sym: x.sym };
    }
    case "bin": {
      const a = evaluate(e.l, ctx, line);
      const b = evaluate(e.r, ctx, line);
      return { v: binary(e.op, a.v, b.v, line, e.col), sym: a.sym || b.sym };
    }
  }
}

function binary(op: string, a: bigint, b: bigint, line: number, col: number): bigint {
  const nonZero = (): void => {
    if (b === 0n) throw new AsmError("division by zero", line, col);
  };
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      nonZero();
      return (a & MASK64) / (b & MASK64);
    case "%":
      nonZero();
      return (a & MASK64) % (b & MASK64);
    case "//":
      nonZero();
      return a / b;
    case "%%":
      nonZero();
      return a % b;
    case "<<":
    case ">>":
      if (b < 0n || b > 64n) throw new AsmError(`shift count ${b} is out of range 0..64`, line, col);
      return op === "<<" ? (a << b) & MASK64 : (a & MASK64) >> b;
    case "&":
      return a & b;
    case "|":
      return a | b;
    case "^":
      return a ^ b;
  }
  throw new AsmError(`unknown operator '${op}'`, line, col);
}

/** True if the expression names no label, `$` or `$$` (its value is known while parsing). */
export function isConstantSyntax(e: Expr): boolean {
  switch (e.k) {
    case "num":
      return true;
    case "un":
      return isConstantSyntax(e.e);
    case "bin":
      return isConstantSyntax(e.l) && isConstantSyntax(e.r);
    default:
      return false;
  }
}
