/**
 * The assembler's entry points. Layout runs in passes: each pass places every
 * statement using label addresses from the pass before (a label not placed yet
 * is assumed to be at the referring line), and passes repeat until no label
 * moves. Instruction lengths never shrink from one pass to the next (short
 * branches grow to near ones, never back), so the passes settle.
 */
import { readFileSync } from "node:fs";
import { inputError } from "../common/errors";
import { encodeInsn } from "./encode";
import { evaluate, EvalContext, Expr, Value } from "./expr";
import { DataStmt, InsnStmt, parseSource, ParsedSource, Stmt } from "./parser";
import { lookupRegister, registerTable } from "./registers";
import { AsmError, SourceOrigin, toInputError } from "./source";
import { didYouMean } from "../common/suggest";

export interface AsmOptions {
  /** Code size at the start of the source (a `bits` directive changes it). Default 64. */
  bits?: 16 | 32 | 64;
  /** Address of the first byte (an `org` directive changes it). Default 0. */
  org?: number;
  /** Named in error messages. Default "<asm>". */
  file?: string;
  /** Where the source sits inside `file` (scenario YAML block scalars): added to reported lines and columns. */
  lineOffset?: number;
  colOffset?: number;
}

/** One statement's place in the output, for listings and source-level stepping. */
export interface AsmLine {
  address: number;
  length: number;
  /** 1-based line within the assembled source (without `lineOffset`). */
  line: number;
  /** Instructions or data (`db`…, `times n db`, `resb`, `align` padding). */
  kind: "code" | "data";
  /** Code size the statement was assembled for. */
  bits: 16 | 32 | 64;
}

export interface AsmResult {
  bytes: Uint8Array;
  /** Address of `bytes[0]`. */
  org: number;
  /** Labels (local ones as `global.local`) and their addresses. */
  labels: Map<string, number>;
  /** Statements that produced bytes, in address order. */
  lines: AsmLine[];
}

const MAX_PASSES = 40;
const MAX_OUTPUT = 256 << 20;

export function assemble(source: string, opts: AsmOptions = {}): AsmResult {
  const origin: SourceOrigin = { file: opts.file ?? "<asm>", lineOffset: opts.lineOffset ?? 0, colOffset: opts.colOffset ?? 0 };
  try {
    const parsed = parseSource(source);
    return layout(parsed, opts.bits ?? 64, BigInt(opts.org ?? 0));
  } catch (e) {
    if (e instanceof AsmError) throw toInputError(e, origin);
    throw e;
  }
}

/** Assembles a file; `bits` and `org` are the defaults its directives may change. */
export function assembleFile(path: string, bits: 16 | 32 | 64, org: number): AsmResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw inputError(`cannot read '${path}'`);
  }
  return assemble(text, { bits, org, file: path });
}

interface PassResult {
  labels: Map<string, bigint>;
  equHere: Map<string, bigint>;
  chunks: Uint8Array[];
  lines: AsmLine[];
  start: bigint;
  usedEstimate: boolean;
  error?: AsmError;
}

function layout(parsed: ParsedSource, bits0: 16 | 32 | 64, org0: bigint): AsmResult {
  const equs = new Map<string, Extract<Stmt, { kind: "equ" }>>();
  for (const s of parsed.stmts) if (s.kind === "equ") equs.set(s.name, s);
  const minLengths = new Map<string, number>();
  let prev: PassResult | undefined;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const r = runPass(parsed, equs, bits0, org0, prev, minLengths);
    const settled = prev ? sameMap(r.labels, prev.labels) && sameMap(r.equHere, prev.equHere) : !r.usedEstimate;
    if (settled) {
      if (r.error) throw r.error;
      const total = r.chunks.reduce((n, c) => n + c.length, 0);
      const bytes = new Uint8Array(total);
      let off = 0;
      for (const c of r.chunks) {
        bytes.set(c, off);
        off += c.length;
      }
      const labels = new Map<string, number>();
      for (const [k, v] of r.labels) labels.set(k, Number(v));
      return { bytes, org: Number(r.start), labels, lines: r.lines };
    }
    prev = r;
  }
  const s = parsed.stmts.find((x) => x.kind === "times" || x.kind === "align") ?? parsed.stmts[0]!;
  throw new AsmError("label addresses do not settle: a 'times' or 'align' depends on a label that moves because of it", s.line, s.col);
}

function sameMap(a: Map<string, bigint>, b: Map<string, bigint>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function runPass(
  parsed: ParsedSource,
  equs: Map<string, Extract<Stmt, { kind: "equ" }>>,
  bits0: 16 | 32 | 64,
  org0: bigint,
  prev: PassResult | undefined,
  minLengths: Map<string, number>,
): PassResult {
  const r: PassResult = { labels: new Map(), equHere: new Map(), chunks: [], lines: [], start: org0, usedEstimate: false };
  let addr = org0;
  let size = 0;
  let bits = bits0;
  let defaultRel = false;
  let here = addr;
  const evaluating = new Set<string>();

  const resolve = (name: string, col: number, line: number): Value => {
    const v = r.labels.get(name);
    if (v !== undefined) return { v, sym: true };
    const equ = equs.get(name);
    if (equ) {
      if (evaluating.has(name)) throw new AsmError(`'${name}' is defined in terms of itself`, equ.line, equ.col);
      evaluating.add(name);
      try {
        const at = r.equHere.get(name) ?? prev?.equHere.get(name) ?? addr;
        return evaluate(equ.expr, context(at), equ.line);
      } finally {
        evaluating.delete(name);
      }
    }
    const p = prev?.labels.get(name);
    if (p !== undefined) return { v: p, sym: true };
    if (parsed.symbols.has(name)) {
      r.usedEstimate = true;
      return { v: here, sym: true };
    }
    throw new AsmError(undefinedMessage(name, parsed), line, col);
  };
  let curLine = 0;
  const context = (at: bigint): EvalContext => ({ resolve: (n, c) => resolve(n, c, curLine), here: at, start: r.start });

  const emit = (bytes: Uint8Array, line: number, kind: AsmLine["kind"] = "data"): void => {
    size += bytes.length;
    if (size > MAX_OUTPUT) throw new AsmError(`output larger than ${MAX_OUTPUT >> 20} MiB`, line, 1);
    if (bytes.length) {
      r.chunks.push(bytes);
      r.lines.push({ address: Number(addr), length: bytes.length, line, kind, bits });
    }
    addr += BigInt(bytes.length);
  };
  const value = (e: Expr, line: number): Value => evaluate(e, context(here), line);
  const count = (e: Expr, line: number, what: string): number => {
    const v = value(e, line).v;
    if (v < 0n) throw new AsmError(`${what} is negative (${v})`, line, e.col);
    if (v > BigInt(MAX_OUTPUT)) throw new AsmError(`${what} ${v} is too large`, line, e.col);
    return Number(v);
  };
  const insn = (s: InsnStmt, key: string): Uint8Array => {
    const bytes = encodeInsn(s, { bits, ip: addr, ctx: context(addr), defaultRel, minLength: minLengths.get(key) ?? 0 });
    minLengths.set(key, Math.max(bytes.length, minLengths.get(key) ?? 0));
    return bytes;
  };

  parsed.stmts.forEach((s, index) => {
    here = addr;
    curLine = s.line;
    try {
      switch (s.kind) {
        case "label":
          r.labels.set(s.name, addr);
          break;
        case "equ":
          r.equHere.set(s.name, addr);
          break;
        case "bits":
          bits = s.bits;
          break;
        case "default":
          defaultRel = s.rel;
          break;
        case "org": {
          if (size > 0) throw new AsmError("'org' must come before any code or data", s.line, s.col);
          const v = value(s.value, s.line);
          if (v.sym) throw new AsmError("'org' needs a constant, not a label", s.line, s.value.col);
          if (v.v < 0n) throw new AsmError("'org' cannot be negative", s.line, s.value.col);
          r.start = addr = here = v.v;
          for (const k of r.labels.keys()) r.labels.set(k, addr);
          break;
        }
        case "insn":
          emit(insn(s, `${index}`), s.line, "code");
          break;
        case "data":
          emit(dataBytes(s, (e) => value(e, s.line)), s.line);
          break;
        case "reserve":
          emit(new Uint8Array(count(s.count, s.line, "reserve count") * s.unit), s.line);
          break;
        case "align": {
          const n = count(s.n, s.line, "alignment");
          if (n === 0 || (n & (n - 1)) !== 0) throw new AsmError(`alignment must be a power of two, not ${n}`, s.line, s.n.col);
          const pad = Number((BigInt(n) - (addr % BigInt(n))) % BigInt(n));
          const fill = s.fill ? byteValue(value(s.fill, s.line).v, s.line, s.fill.col) : 0x90;
          emit(new Uint8Array(pad).fill(fill), s.line);
          break;
        }
        case "times": {
          const n = count(s.count, s.line, "'times' count");
          if (s.body.kind === "data") {
            const one = dataBytes(s.body, (e) => value(e, s.line));
            const all = new Uint8Array(one.length * n);
            for (let i = 0; i < n; i++) all.set(one, i * one.length);
            emit(all, s.line);
          } else for (let i = 0; i < n; i++) emit(insn(s.body, `${index}:${i}`), s.line, "code");
          break;
        }
      }
    } catch (e) {
      if (!(e instanceof AsmError)) throw e;
      r.error ??= e;
    }
  });
  return r;
}

function undefinedMessage(name: string, parsed: ParsedSource): string {
  const labelHint = didYouMean(name, parsed.symbols.keys());
  if (labelHint) return `label '${name}' not defined${labelHint}`;
  const base = name.includes(".") && !name.startsWith(".") ? name.slice(name.lastIndexOf(".")) : name;
  const regHint = didYouMean(base.toLowerCase(), registerTable().keys());
  if (regHint && !lookupRegister(base)) return `unknown register '${base}'${regHint}`;
  return `label '${name}' not defined`;
}

function byteValue(v: bigint, line: number, col: number): number {
  if (v < -128n || v > 255n) throw new AsmError(`value ${v} does not fit in a byte`, line, col);
  return Number(BigInt.asUintN(8, v));
}

const UNIT_NAMES: Record<number, string> = { 1: "db", 2: "dw", 4: "dd", 8: "dq" };

function dataBytes(s: DataStmt, value: (e: Expr) => Value): Uint8Array {
  const out: number[] = [];
  const bits = BigInt(s.unit * 8);
  for (const item of s.items) {
    if (item.k === "str") {
      out.push(...item.bytes);
      // NASM pads a string in dw/dd/dq to a whole number of units.
      while (out.length % s.unit) out.push(0);
      continue;
    }
    const v = value(item.e).v;
    if (v < -(1n << (bits - 1n)) || v >= 1n << bits)
      throw new AsmError(`value ${v < 0n ? "-0x" + (-v).toString(16) : "0x" + v.toString(16)} does not fit in ${UNIT_NAMES[s.unit]}`, s.line, item.e.col);
    let u = BigInt.asUintN(Number(bits), v);
    for (let i = 0; i < s.unit; i++) {
      out.push(Number(u & 0xffn));
      u >>= 8n;
    }
  }
  return Uint8Array.from(out);
}
