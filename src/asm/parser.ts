/**
 * Source lines to statements: labels (`name:`, `.local:`), `equ`, directives
 * (`bits`, `org`, `align`, `db/dw/dd/dq`, `resb…`, `times`, `default rel`) and
 * instructions with prefixes and operands.
 */
import { Cursor, Expr, parseExpr, RESERVED } from "./expr";
import { formsFor, allMnemonics, pseudoOp } from "./forms";
import { tokenize, Token } from "./lexer";
import { Operand, parseOperand } from "./operands";
import { lookupRegister } from "./registers";
import { AsmError } from "./source";
import { didYouMean } from "../common/suggest";

interface At {
  line: number;
  col: number;
}

export interface InsnStmt extends At {
  kind: "insn";
  mnemonic: string;
  prefixes: { name: Prefix; col: number }[];
  operands: Operand[];
  /** FPU `fadd to st1`: the register is the destination. */
  to: boolean;
}

export type DataItem = { k: "expr"; e: Expr } | { k: "str"; bytes: Uint8Array; col: number };

export interface DataStmt extends At {
  kind: "data";
  unit: 1 | 2 | 4 | 8;
  items: DataItem[];
}

export type Stmt =
  | (At & { kind: "label"; name: string })
  | InsnStmt
  | DataStmt
  | (At & { kind: "reserve"; unit: number; count: Expr })
  | (At & { kind: "align"; n: Expr; fill?: Expr })
  | (At & { kind: "bits"; bits: 16 | 32 | 64 })
  | (At & { kind: "org"; value: Expr })
  | (At & { kind: "equ"; name: string; expr: Expr })
  | (At & { kind: "times"; count: Expr; body: InsnStmt | DataStmt })
  | (At & { kind: "default"; rel: boolean });

const DATA_UNITS: Record<string, 1 | 2 | 4 | 8> = { db: 1, dw: 2, dd: 4, dq: 8 };
const RESERVE_UNITS: Record<string, number> = { resb: 1, resw: 2, resd: 4, resq: 8 };
const BITS_WORDS: Record<string, 16 | 32 | 64> = { use16: 16, use32: 32, use64: 64, ".code16": 16, ".code32": 32, ".code64": 64 };
export type Prefix = "rep" | "repe" | "repne" | "lock" | "o16" | "o32" | "o64" | "a16" | "a32" | "a64";
/** Instruction prefixes; `o16`…`a64` (NASM) and `data16`…`addr32` (GAS) ask for an operand or address size. */
export const PREFIXES: Record<string, Prefix> = {
  rep: "rep",
  repe: "repe",
  repz: "repe",
  repne: "repne",
  repnz: "repne",
  lock: "lock",
  o16: "o16",
  o32: "o32",
  o64: "o64",
  a16: "a16",
  a32: "a32",
  a64: "a64",
  data16: "o16",
  data32: "o32",
  addr16: "a16",
  addr32: "a32",
};
/** Words after which a bare name on the line is a label even without a colon (`msg db "hi"`). */
const LABEL_BEFORE = new Set(["equ", "times", ...Object.keys(DATA_UNITS), ...Object.keys(RESERVE_UNITS)]);

export interface ParsedSource {
  stmts: Stmt[];
  /** Every label and equ name with where it is defined. */
  symbols: Map<string, At>;
}

export function parseSource(source: string): ParsedSource {
  const stmts: Stmt[] = [];
  const symbols = new Map<string, At>();
  let scope = "";
  const lines = source.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = n + 1;
    const c = new Cursor(tokenize(lines[n]!, line), line);
    const qualify = (name: string): string => (name.startsWith(".") && !name.startsWith("..") ? scope + name : name);
    const define = (name: string, t: Token, local: boolean): string => {
      checkLabelName(name, line, t.col);
      const full = local ? qualify(name) : name;
      const prev = symbols.get(full);
      if (prev) throw new AsmError(`'${full}' is already defined on line ${prev.line}`, line, t.col);
      symbols.set(full, { line, col: t.col });
      return full;
    };
    if (c.atEnd()) continue;
    if (c.isOp("[")) {
      stmts.push(parseBracketDirective(c, qualify));
      continue;
    }
    let t = c.peek();
    if (t.kind === "ident" && (c.isOp(":", 1) || (c.peek(1).kind === "ident" && LABEL_BEFORE.has((c.peek(1).text as string).toLowerCase())))) {
      if (c.isWord("equ", 1) || (c.isOp(":", 1) && c.isWord("equ", 2))) {
        c.next();
        if (c.isOp(":")) c.next();
        c.next();
        const name = define(t.text, t, true);
        stmts.push({ kind: "equ", name, expr: parseExpr(c, { allowRegs: false, qualify }), line, col: t.col });
        expectEnd(c);
        continue;
      }
      const isLocal = t.text.startsWith(".");
      const name = define(t.text, t, true);
      if (!isLocal) scope = name;
      stmts.push({ kind: "label", name, line, col: t.col });
      c.next();
      if (c.isOp(":")) c.next();
      if (c.atEnd()) continue;
      t = c.peek();
    }
    stmts.push(parseStatement(c, qualify));
  }
  return { stmts, symbols };
}

function checkLabelName(name: string, line: number, col: number): void {
  if (lookupRegister(name)) throw new AsmError(`'${name}' is a register and cannot be a label`, line, col);
  if (RESERVED.has(name.toLowerCase())) throw new AsmError(`'${name}' is a keyword and cannot be a label`, line, col);
}

function expectEnd(c: Cursor): void {
  if (!c.atEnd()) throw c.error(`unexpected '${c.peek().text}' at the end of the statement`);
}

function parseBracketDirective(c: Cursor, qualify: (n: string) => string): Stmt {
  const open = c.next();
  const t = c.peek();
  const w = t.kind === "ident" ? t.text.toLowerCase() : "";
  if (w !== "bits" && w !== "org" && w !== "default") throw c.error("expected 'bits', 'org' or 'default' after '['", t);
  const inner = parseDirective(c, qualify)!;
  c.expectOp("]", "to close the directive");
  expectEnd(c);
  return { ...inner, col: open.col };
}

function parseStatement(c: Cursor, qualify: (n: string) => string): Stmt {
  const d = parseDirective(c, qualify);
  if (d) {
    expectEnd(c);
    return d;
  }
  return parseInsn(c, qualify);
}

/** A directive at the cursor, or undefined when the word is not one. */
function parseDirective(c: Cursor, qualify: (n: string) => string): Stmt | undefined {
  const t = c.peek();
  if (t.kind !== "ident") throw c.error(`expected an instruction or directive, found '${t.text}'`, t);
  const w = t.text.toLowerCase();
  const at = { line: c.line, col: t.col };
  const expr = (): Expr => parseExpr(c, { allowRegs: false, qualify });
  if (w === "bits" || w in BITS_WORDS) {
    c.next();
    let bits = BITS_WORDS[w];
    if (!bits) {
      const n = c.next();
      if (n.kind !== "num" || ![16n, 32n, 64n].includes(n.value)) throw c.error("'bits' takes 16, 32 or 64", n);
      bits = Number(n.value) as 16 | 32 | 64;
    }
    return { kind: "bits", bits, ...at };
  }
  if (w === "org") {
    c.next();
    return { kind: "org", value: expr(), ...at };
  }
  if (w === "default") {
    c.next();
    const m = c.next();
    const mode = m.kind === "ident" ? m.text.toLowerCase() : "";
    if (mode !== "rel" && mode !== "abs") throw c.error("'default' takes 'rel' or 'abs'", m);
    return { kind: "default", rel: mode === "rel", ...at };
  }
  if (w === "align") {
    c.next();
    const n = expr();
    let fill: Expr | undefined;
    if (c.isOp(",")) {
      c.next();
      if (!c.isWord("db")) throw c.error("expected 'db value' after 'align n,'");
      c.next();
      fill = expr();
    }
    return { kind: "align", n, fill, ...at };
  }
  if (w in RESERVE_UNITS) {
    c.next();
    return { kind: "reserve", unit: RESERVE_UNITS[w]!, count: expr(), ...at };
  }
  if (w in DATA_UNITS) return parseData(c, qualify);
  if (w === "times") {
    c.next();
    const count = expr();
    const body = parseStatement(c, qualify);
    if (body.kind !== "insn" && body.kind !== "data") throw new AsmError("'times' repeats an instruction or data", c.line, body.col);
    return { kind: "times", count, body, ...at };
  }
  if (w === "equ") throw c.error("'equ' needs a name before it");
  return undefined;
}

function parseData(c: Cursor, qualify: (n: string) => string): DataStmt {
  const t = c.next();
  const unit = DATA_UNITS[t.text.toLowerCase()]!;
  const items: DataItem[] = [];
  for (;;) {
    const s = c.peek();
    if (s.kind === "str" && (c.isOp(",", 1) || c.peek(1).kind === "eol")) {
      c.next();
      items.push({ k: "str", bytes: s.bytes, col: s.col });
    } else items.push({ k: "expr", e: parseExpr(c, { allowRegs: false, qualify }) });
    if (c.atEnd()) break;
    c.expectOp(",", "between data values");
  }
  return { kind: "data", unit, items, line: c.line, col: t.col };
}

function parseInsn(c: Cursor, qualify: (n: string) => string): InsnStmt {
  const prefixes: InsnStmt["prefixes"] = [];
  let t = c.next();
  while (t.kind === "ident" && PREFIXES[t.text.toLowerCase()] && !c.atEnd()) {
    prefixes.push({ name: PREFIXES[t.text.toLowerCase()]!, col: t.col });
    t = c.next();
  }
  if (t.kind !== "ident") throw c.error(`expected an instruction, found '${t.text}'`, t);
  const pseudo = pseudoOp(t.text);
  if (!pseudo && !formsFor(t.text)) {
    if (PREFIXES[t.text.toLowerCase()]) throw c.error(`'${t.text}' needs an instruction after it`, t);
    throw c.error(`unknown instruction '${t.text}'${didYouMean(t.text.toLowerCase(), allMnemonics())}`, t);
  }
  const insn: InsnStmt = { kind: "insn", mnemonic: pseudo?.mnemonic ?? t.text.toLowerCase(), prefixes, operands: [], to: false, line: c.line, col: t.col };
  if (c.isWord("to")) {
    c.next();
    insn.to = true;
  }
  while (!c.atEnd()) {
    insn.operands.push(parseOperand(c, { qualify }));
    if (c.atEnd()) break;
    c.expectOp(",", "between operands");
  }
  if (pseudo) insn.operands.push({ k: "imm", col: t.col, expr: { k: "num", v: BigInt(pseudo.imm), col: t.col } });
  return insn;
}
