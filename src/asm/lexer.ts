/**
 * Tokenizer for one source line (NASM-like syntax). Columns are 1-based and
 * point at the first character of each token so errors can name them.
 */
import { AsmError } from "./source";

export type Token =
  | { kind: "ident"; text: string; col: number }
  | { kind: "num"; value: bigint; text: string; col: number }
  | { kind: "str"; bytes: Uint8Array; quote: string; text: string; col: number }
  | { kind: "op"; text: string; col: number }
  | { kind: "eol"; text: ""; col: number };

const IDENT_START = /[A-Za-z_.?@]/;
const IDENT_CHAR = /[A-Za-z0-9_.?@$#~]/;
/** Longest operators first so `<<` wins over `<`. */
const OPERATORS = ["<<", ">>", "//", "%%", "[", "]", "(", ")", ",", ":", "+", "-", "*", "/", "%", "&", "|", "^", "~", "!"];

const encoder = new TextEncoder();

/** C-style escapes inside backquoted strings (NASM). */
const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, "0": 0, "\\": 92, "'": 39, '"': 34, "`": 96, a: 7, b: 8, f: 12, v: 11, e: 27 };

/** Splits a line into tokens; the comment (`;` or `#` outside quotes) is dropped. */
export function tokenize(text: string, line: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const col = i + 1;
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === ";" || c === "#") break;
    if (c === "'" || c === '"' || c === "`") {
      const [tok, next] = readString(text, i, line);
      out.push(tok);
      i = next;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i;
      while (j < text.length && /[0-9A-Za-z_.]/.test(text[j]!)) j++;
      const raw = text.slice(i, j);
      out.push({ kind: "num", value: parseNumberToken(raw, line, col), text: raw, col });
      i = j;
      continue;
    }
    if (c === "$") {
      const two = text.startsWith("$$", i);
      out.push({ kind: "op", text: two ? "$$" : "$", col });
      i += two ? 2 : 1;
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < text.length && IDENT_CHAR.test(text[j]!)) j++;
      out.push({ kind: "ident", text: text.slice(i, j), col });
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) throw new AsmError(`unexpected character '${c}'`, line, col);
    out.push({ kind: "op", text: op, col });
    i += op.length;
  }
  out.push({ kind: "eol", text: "", col: text.length + 1 });
  return out;
}

function readString(text: string, start: number, line: number): [Token, number] {
  const q = text[start]!;
  const bytes: number[] = [];
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw new AsmError(`unterminated string (missing closing ${q})`, line, start + 1);
    const c = text[i]!;
    if (c === q) break;
    if (q === "`" && c === "\\" && i + 1 < text.length) {
      const e = text[i + 1]!;
      if (e === "x") {
        const hex = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2))?.[0];
        if (!hex) throw new AsmError("'\\x' needs hex digits", line, i + 1);
        bytes.push(parseInt(hex, 16));
        i += 2 + hex.length;
        continue;
      }
      const v = ESCAPES[e];
      if (v === undefined) throw new AsmError(`unknown escape '\\${e}'`, line, i + 1);
      bytes.push(v);
      i += 2;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const s = String.fromCodePoint(cp);
    bytes.push(...encoder.encode(s));
    i += s.length;
  }
  return [{ kind: "str", bytes: Uint8Array.from(bytes), quote: q, text: text.slice(start, i + 1), col: start + 1 }, i + 1];
}

/**
 * Number syntaxes: 123, 0x7f, 7fh, 0b101, 101b, 0o17, 17q; `_` separates digits.
 * A trailing `h` wins over prefixes, as in NASM (`0bh` is 11).
 */
export function parseNumberToken(raw: string, line: number, col: number): bigint {
  const s = raw.toLowerCase().replace(/_/g, "");
  const bad = (): never => {
    if (/^[0-9]+\.[0-9]*(e[+-]?[0-9]+)?$/.test(s)) throw new AsmError(`floating-point constants are not supported ('${raw}')`, line, col);
    throw new AsmError(`invalid number '${raw}'`, line, col);
  };
  const parse = (digits: string, base: number, ok: RegExp): bigint => {
    if (!ok.test(digits)) bad();
    let v = 0n;
    for (const d of digits) v = v * BigInt(base) + BigInt(parseInt(d, base));
    return v;
  };
  if (/^[0-9][0-9a-f]*h$/.test(s)) return parse(s.slice(0, -1), 16, /^[0-9a-f]+$/);
  if (s.startsWith("0x")) return parse(s.slice(2), 16, /^[0-9a-f]+$/);
  if (s.startsWith("0b")) return parse(s.slice(2), 2, /^[01]+$/);
  if (s.startsWith("0o") || s.startsWith("0q")) return parse(s.slice(2), 8, /^[0-7]+$/);
  if (s.startsWith("0d")) return parse(s.slice(2), 10, /^[0-9]+$/);
  if (/^[01]+[by]$/.test(s)) return parse(s.slice(0, -1), 2, /^[01]+$/);
  if (/^[0-7]+[qo]$/.test(s)) return parse(s.slice(0, -1), 8, /^[0-7]+$/);
  if (/^[0-9]+[dt]$/.test(s)) return parse(s.slice(0, -1), 10, /^[0-9]+$/);
  return parse(s, 10, /^[0-9]+$/);
}
