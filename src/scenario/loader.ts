/**
 * Reads a scenario file: YAML (with positions) → zod schema → checks that
 * need more than the schema (one code form, files, ranges, names from the
 * VMX tables) → code assembled at its load address. Every error is a
 * `ScenarioError` whose message starts with `file:line:col` and names the key
 * path; assembler errors point at the faulty line inside `code: |`.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import { LineCounter, parseAllDocuments } from "yaml";
import { inputError, VmxlabError } from "../common/errors";
import { parseHexBytes } from "../common/hex-input";
import { assemble, AsmLine } from "../asm/assemble";
import { convertIssues, fail, issue, ScenarioError, ScenarioIssue } from "./issues";
import { KeyPath, Positions } from "./positions";
import { Scenario, scenarioSchema } from "./schema";
import { semanticIssues } from "./validate";
import { suggest } from "./suggest";

/** Code ready to load: bytes, where, and (when assembled) the source lines for traces. */
export interface LoadedCode {
  bytes: Uint8Array;
  load: number;
  entry: number;
  /** Assembled statements (address → line of the scenario file), when the code was assembly. */
  lines?: (AsmLine & { fileLine: number })[];
  labels?: Map<string, number>;
  /** Source text lines of the assembly (for traces that show the instruction as written). */
  source?: string[];
}

export interface LoadedScenario {
  /** The path as given on the command line. */
  file: string;
  /** `name:` or the file name without extension. */
  name: string;
  scenario: Scenario;
  guest: LoadedCode;
  host?: LoadedCode;
  positions: Positions;
  /** Directory that relative paths in the scenario (code files, handler modules) are resolved against. */
  dir: string;
}

export function loadScenarioFile(file: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as NodeJS.ErrnoException).code === "EISDIR" ? "is a directory" : (e as Error).message;
    throw inputError(`${file}: cannot read scenario (${why})`);
  }
  return loadScenarioText(text, file);
}

/** Converts YAML integers (parsed as bigint to keep 64-bit values exact) to what the schema takes. */
function normalize(v: unknown): unknown {
  if (typeof v === "bigint") return v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v >= 0n ? "0x" + v.toString(16) : Number(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), normalize(x)]));
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

export function parseScenarioYaml(text: string, file: string): { raw: unknown; positions: Positions } {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, intAsBigInt: true, prettyErrors: false, uniqueKeys: true });
  if (!Array.isArray(docs)) throw inputError(`${file}: the file is empty`, { file, line: 1, col: 1 });
  if (docs.length === 0) throw inputError("the file is empty: a scenario needs at least `guest:`", { file, line: 1, col: 1 });
  const doc = docs[0]!;
  const errs = docs.flatMap((d) => d.errors);
  if (errs.length > 0) {
    const issues: ScenarioIssue[] = errs.map((e) => {
      const p = lines.linePos(e.pos[0]);
      const msg = e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, "");
      return { path: [], message: `invalid YAML: ${msg}${blockHint(text, p.line)}`, location: { file, line: p.line, col: p.col } };
    });
    throw new ScenarioError(issues);
  }
  const positions = new Positions(file, doc, lines, text);
  if (docs.length > 1) {
    const second = docs[1]!;
    throw new ScenarioError([{ path: [], message: "one scenario per file: remove the second document (---)", location: positions.at(second.range[0]) }]);
  }
  const raw = normalize(doc.toJS({ mapAsMap: false }));
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ScenarioError([{ path: [], message: "a scenario is a mapping of keys (name, guest, vmcs, …, expect)", location: positions.locate([]) }]);
  }
  return { raw, positions };
}

/**
 * A block scalar (`code: |`) takes its indentation from its first line; a
 * later line indented less (a label written left of the instructions) ends
 * the block and the YAML around it breaks. Says so when that is likely.
 */
function blockHint(text: string, errLine: number): string {
  const lines = text.split("\n");
  for (let i = errLine - 2; i >= 0; i--) {
    const m = /^(\s*)(code|hex)\s*:\s*[|>]/.exec(lines[i]!);
    if (!m) continue;
    const first = lines.slice(i + 1).find((l) => l.trim() !== "");
    const indent = first ? first.length - first.trimStart().length : 0;
    const bad = lines[errLine - 1] ?? "";
    const badIndent = bad.length - bad.trimStart().length;
    if (badIndent > m[1]!.length && badIndent < indent)
      return ` (line ${errLine} is indented less than the first line of the \`${m[2]}: |\` block at line ${i + 2}, which ends the block; indent every line of the block at least as much as its first line)`;
    return "";
  }
  return "";
}

export function loadScenarioText(text: string, file: string): LoadedScenario {
  const { raw, positions } = parseScenarioYaml(text, file);
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = convertIssues(scenarioSchema, raw, parsed.error.issues, positions);
    issues.push(...asmIssues(raw as Record<string, unknown>, positions, issues));
    issues.sort((a, b) => a.location.line - b.location.line || a.location.col - b.location.col);
    throw new ScenarioError(issues);
  }
  const scenario = parsed.data;
  const dir = dirname(resolve(file));
  const problems = semanticIssues(scenario, positions, dir);
  if (problems.length > 0) throw new ScenarioError(problems);

  const hostLoad = scenario.host ? Number(scenario.host.load) : undefined;
  const guestLoad = Number(scenario.guest.load ?? (scenario.host ? 0x20000n : 0x10000n));
  const guest = loadCode(positions, ["guest"], scenario.guest, scenario.guest.mode, guestLoad, scenario.guest.entry, dir);
  const host = scenario.host ? loadCode(positions, ["host"], scenario.host, "long64", hostLoad!, scenario.host.entry, dir) : undefined;
  const memory = scenario.guest.memory;
  for (const [what, c] of [["guest", guest], ["host", host]] as const) {
    if (!c) continue;
    if (BigInt(c.load + c.bytes.length) > memory)
      fail(positions, [what, "load"], `${c.bytes.length} bytes of code at 0x${c.load.toString(16)} do not fit in guest.memory (0x${memory.toString(16)} bytes)`, "key");
  }
  if (host && guest.bytes.length > 0 && overlaps(host, guest))
    fail(positions, ["guest", "load"], `guest code (0x${guest.load.toString(16)}…) overlaps host code (0x${host.load.toString(16)}…); move one of them`, "key");
  (scenario.expect?.memory ?? []).forEach((m, i) => {
    if (m.label !== undefined && !guest.labels?.has(m.label))
      fail(positions, ["expect", "memory", i, "label"], `no label '${m.label}' in the guest code${suggest(m.label, [...(guest.labels?.keys() ?? [])])}`);
  });
  const name = scenario.name ?? basename(file, extname(file));
  return { file, name, scenario, guest, host, positions, dir };
}

/**
 * Assembly errors in `code:` blocks even when other keys are wrong, so that
 * `vmxlab check` lists everything at once (the code is assembled at address 0
 * here: only errors that do not depend on the load address are found).
 */
function asmIssues(raw: Record<string, unknown>, pos: Positions, found: readonly ScenarioIssue[]): ScenarioIssue[] {
  const out: ScenarioIssue[] = [];
  for (const section of ["guest", "host"] as const) {
    const sec = raw[section] as Record<string, unknown> | undefined;
    if (!sec || typeof sec.code !== "string") continue;
    // An unknown key in the section may be a label that ended the block: the code seen here is then cut short.
    if (found.some((i) => i.path[0] === section && i.message.includes("unknown key"))) continue;
    const mode = section === "guest" && typeof sec.mode === "string" ? sec.mode : "long64";
    const origin = pos.scalarOrigin([section, "code"]);
    try {
      assemble(sec.code, { bits: bitsOf(mode), org: 0, file: pos.file, lineOffset: origin.lineOffset, colOffset: origin.colOffset });
    } catch (e) {
      if (e instanceof VmxlabError && e.location) out.push({ path: [section, "code"], message: `${section}.code: ${e.message}`, location: e.location });
    }
  }
  return out;
}

function overlaps(a: LoadedCode, b: LoadedCode): boolean {
  return a.load < b.load + b.bytes.length && b.load < a.load + a.bytes.length;
}

interface CodeForms {
  code?: string;
  hex?: string;
  file?: string;
}

function bitsOf(mode: string): 16 | 32 | 64 {
  return mode === "long64" ? 64 : mode === "protected32" ? 32 : 16;
}

/**
 * Code from one of `code:` (assembly), `hex:` or `file:`. In real16, a load
 * above 64 KiB runs at CS = load >> 4, so the code is assembled for IP = load & 0xf
 * (the same rule as `vmxlab exec`, src/vmm/bare.ts).
 */
function loadCode(pos: Positions, at: KeyPath, c: CodeForms, mode: string, load: number, entry: bigint | undefined, dir: string): LoadedCode {
  const org = mode === "real16" && load > 0xffff ? load & 0xf : load;
  const result: LoadedCode = { bytes: new Uint8Array(0), load, entry: entry === undefined ? load : Number(entry) };
  try {
    if (c.code !== undefined) {
      const origin = pos.scalarOrigin([...at, "code"]);
      const r = assemble(c.code, { bits: bitsOf(mode), org, file: pos.file, lineOffset: origin.lineOffset, colOffset: origin.colOffset });
      if (r.org !== org) fail(pos, [...at, "code"], `the code sets org 0x${r.org.toString(16)} but is loaded at 0x${org.toString(16)}; remove the org or change load`);
      result.bytes = r.bytes;
      result.lines = r.lines.map((l) => ({ ...l, fileLine: l.line + origin.lineOffset }));
      result.labels = r.labels;
      result.source = c.code.split("\n");
    } else if (c.hex !== undefined) {
      try {
        result.bytes = parseHexBytes(c.hex, "hex");
      } catch (e) {
        if (e instanceof VmxlabError) fail(pos, [...at, "hex"], e.message.replace(/^hex: /, ""));
        throw e;
      }
    } else if (c.file !== undefined) {
      const path = resolve(dir, c.file);
      const ext = extname(path).toLowerCase();
      let data: Buffer;
      try {
        data = readFileSync(path);
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
        fail(pos, [...at, "file"], `cannot read '${c.file}' (${why})`);
      }
      if (ext === ".s" || ext === ".asm") {
        const r = assemble(data.toString("utf8"), { bits: bitsOf(mode), org, file: path });
        result.bytes = r.bytes;
        result.labels = r.labels;
      } else result.bytes = new Uint8Array(data);
    }
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    if (e instanceof VmxlabError && e.location) {
      // An assembler error: already at the file position; add the key path for context.
      const key = c.code !== undefined ? "code" : "file";
      throw new ScenarioError([{ path: [...at, key], message: `${at.join(".")}.${key}: ${e.message}`, location: e.location }]);
    }
    throw e;
  }
  return result;
}

export { issue };
