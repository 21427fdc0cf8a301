/**
 * Where things are in a scenario file. The loader keeps the parsed YAML
 * document so every message can name `file:line:col` and the key path, and so
 * assembly inside a block scalar reports the file line of the faulty
 * instruction.
 */
import { Document, isMap, isPair, isScalar, isSeq, LineCounter, Node, Pair, Scalar } from "yaml";
import type { SourceLocation } from "../common/errors";

export type KeyPath = readonly (string | number)[];

/** `guest.regs.rax`, `ept[0].gpa`. */
export function formatPath(path: KeyPath): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? p : `.${p}`;
  }
  return out;
}

export class Positions {
  constructor(
    readonly file: string,
    readonly doc: Document,
    readonly lines: LineCounter,
    readonly text: string,
  ) {}

  at(offset: number): SourceLocation {
    const p = this.lines.linePos(offset);
    return { file: this.file, line: p.line, col: p.col };
  }

  /** The node at `path`, or the deepest existing ancestor (for missing keys). */
  node(path: KeyPath): { node: Node | null; depth: number } {
    let cur: unknown = this.doc.contents;
    let depth = 0;
    for (const key of path) {
      if (isMap(cur) || isSeq(cur)) {
        const next = cur.get(key, true) as unknown;
        if (next === undefined || next === null) break;
        cur = next;
        depth++;
      } else break;
    }
    return { node: (cur as Node | null) ?? null, depth };
  }

  /** Location of the value at `path` (or of its nearest existing ancestor). */
  locate(path: KeyPath): SourceLocation {
    const { node } = this.node(path);
    if (node?.range) return this.at(node.range[0]);
    return { file: this.file, line: 1, col: 1 };
  }

  /** Location of the key `key` inside the mapping at `path` (for unknown keys). */
  locateKey(path: KeyPath, key: string): SourceLocation {
    const pair = this.pair(path, key);
    const k = pair?.key as Node | undefined;
    if (k?.range) return this.at(k.range[0]);
    return this.locate(path);
  }

  /** Location of the key that holds the value at `path` (better than the value for "missing" messages). */
  locateKeyOf(path: KeyPath): SourceLocation {
    if (path.length === 0) return this.locate(path);
    const last = path[path.length - 1]!;
    if (typeof last === "string") {
      const pair = this.pair(path.slice(0, -1), last);
      const k = pair?.key as Node | undefined;
      if (k?.range) return this.at(k.range[0]);
    }
    return this.locate(path);
  }

  private pair(path: KeyPath, key: string): Pair | undefined {
    const { node, depth } = this.node(path);
    if (depth !== path.length || !isMap(node)) return undefined;
    return node.items.find((p) => isPair(p) && isScalar(p.key) && String((p.key as Scalar).value) === key);
  }

  /**
   * Line and column offsets that map line/col within the string value at
   * `path` to the file: for a block scalar (`code: |`) line 1 of the value is
   * the line after the header and columns shift by the block's indentation.
   */
  scalarOrigin(path: KeyPath): { lineOffset: number; colOffset: number } {
    const { node, depth } = this.node(path);
    if (depth !== path.length || !isScalar(node) || !node.range) return { lineOffset: 0, colOffset: 0 };
    const start = this.lines.linePos(node.range[0]);
    if (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) {
      // Content indentation is that of the first non-blank line after the header (YAML 1.2 8.1.1.1).
      const lines = this.text.split("\n");
      let indent = 0;
      for (let i = start.line; i < lines.length; i++) {
        const l = lines[i]!.replace(/\r$/, "");
        if (l.trim() === "") continue;
        indent = l.length - l.trimStart().length;
        break;
      }
      return { lineOffset: start.line, colOffset: indent };
    }
    const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE ? 1 : 0;
    return { lineOffset: start.line - 1, colOffset: start.col - 1 + quoted };
  }
}
