/**
 * Turns zod's validation issues into messages users can act on:
 * `file:line:col: guest.regs.rax: expected a number or hex string, got 'zz'`.
 * Unknown keys get a "did you mean" from the keys the schema allows there.
 */
import type { z } from "zod";
import { inputError, SourceLocation, VmxlabError } from "../common/errors";
import { suggest } from "./suggest";
import { formatPath, KeyPath, Positions } from "./positions";

export interface ScenarioIssue {
  path: KeyPath;
  message: string;
  location: SourceLocation;
}

/** One error carrying every issue: the first as message and location, all of them in `issues`. */
export class ScenarioError extends VmxlabError {
  constructor(readonly issues: ScenarioIssue[]) {
    const first = issues[0]!;
    const rest = issues.slice(1).map((i) => `\n${i.location.file}:${i.location.line}:${i.location.col}: ${i.message}`);
    super("invalid-input", first.message + rest.join(""), first.location);
  }
}

export function issue(pos: Positions, path: KeyPath, message: string, where: "value" | "key" = "value"): ScenarioIssue {
  const p = formatPath(path);
  return { path, message: p ? `${p}: ${message}` : message, location: where === "key" ? pos.locateKeyOf(path) : pos.locate(path) };
}

export function fail(pos: Positions, path: KeyPath, message: string, where: "value" | "key" = "value"): never {
  throw new ScenarioError([issue(pos, path, message, where)]);
}

export function errorAt(location: SourceLocation, message: string): VmxlabError {
  return inputError(message, location);
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null (an empty value)";
  if (typeof v === "string") return `'${v.length > 40 ? v.slice(0, 37) + "..." : v}'`;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return "a list";
  return "a mapping";
}

function valueAt(root: unknown, path: KeyPath): unknown {
  let cur = root;
  for (const k of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

type Def = { type: string; [k: string]: unknown };
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/** The schemas that may sit at `path` (unions fan out). */
function schemasAt(schema: z.ZodType, path: KeyPath): z.ZodType[] {
  let cur: z.ZodType[] = [schema];
  const unwrap = (s: z.ZodType): z.ZodType[] => {
    const d = defOf(s);
    switch (d.type) {
      case "optional":
      case "default":
      case "nullable":
      case "prefault":
        return unwrap(d.innerType as z.ZodType);
      case "pipe":
        return unwrap(d.in as z.ZodType);
      case "union":
        return (d.options as z.ZodType[]).flatMap(unwrap);
      default:
        return [s];
    }
  };
  cur = cur.flatMap(unwrap);
  for (const key of path) {
    const next: z.ZodType[] = [];
    for (const s of cur) {
      const d = defOf(s);
      if (d.type === "object" && typeof key === "string") {
        const f = (d.shape as Record<string, z.ZodType>)[key];
        if (f) next.push(f);
      } else if (d.type === "record") next.push(d.valueType as z.ZodType);
      else if (d.type === "array" && typeof key === "number") next.push(d.element as z.ZodType);
    }
    cur = next.flatMap(unwrap);
  }
  return cur;
}

/** Keys allowed in the mapping at `path`. */
export function allowedKeys(schema: z.ZodType, path: KeyPath): string[] {
  const out = new Set<string>();
  for (const s of schemasAt(schema, path)) {
    const d = defOf(s);
    if (d.type === "object") for (const k of Object.keys(d.shape as object)) out.add(k);
    if (d.type === "record") {
      const kd = defOf(d.keyType);
      if (kd.type === "enum") for (const v of Object.values(kd.entries as Record<string, string>)) out.add(v);
    }
  }
  return [...out];
}

/** Flattens zod issues (choosing the most specific branch of a failed union) into user messages. */
export function convertIssues(schema: z.ZodType, input: unknown, issues: readonly z.core.$ZodIssue[], pos: Positions, base: KeyPath = []): ScenarioIssue[] {
  const out: ScenarioIssue[] = [];
  for (const raw of issues) {
    const path = [...base, ...(raw.path as (string | number)[])];
    const value = valueAt(input, path);
    if (raw.code === "unrecognized_keys") {
      const allowed = allowedKeys(schema, path);
      for (const key of raw.keys) {
        const hint = suggest(key, allowed);
        const where = formatPath([...path, key]);
        const parent = valueAt(input, path) as Record<string, unknown> | undefined;
        const v = parent?.[key];
        const afterCode = parent && typeof parent.code === "string" && pos.locateKey(path, key).line > pos.locateKey(path, "code").line;
        if (afterCode && (v === null || typeof v === "string")) {
          // `label:` at the indentation of the keys ends the `code: |` block scalar and becomes a key.
          out.push({ path: [...path, key], message: `${where}: unknown key; if '${key}:' is a label of the code above, indent it like the instructions`, location: pos.locateKey(path, key) });
          continue;
        }
        out.push({
          path: [...path, key],
          message: `${where}: unknown key${hint || (allowed.length ? ` (expected one of ${allowed.join(", ")})` : "")}`,
          location: pos.locateKey(path, key),
        });
      }
      continue;
    }
    if (raw.code === "invalid_union") {
      // Prefer the branch that got furthest into the value (a mapping with one bad key says more than "expected …").
      const branches = (raw as z.core.$ZodIssueInvalidUnion).errors;
      let best: readonly z.core.$ZodIssue[] | undefined;
      let bestDepth = 0;
      for (const b of branches) {
        const depth = Math.max(0, ...b.map((i) => i.path.length + (i.code === "unrecognized_keys" ? 1 : 0)));
        if (depth > bestDepth) {
          best = b;
          bestDepth = depth;
        }
      }
      if (best) {
        out.push(...convertIssues(schema, input, best, pos, path));
        continue;
      }
    }
    if (value === undefined && (raw.code === "invalid_type" || raw.code === "invalid_union")) {
      const where = formatPath(path);
      out.push({ path, message: `${where}: required key is missing`, location: pos.locate(path.slice(0, -1)) });
      continue;
    }
    let msg = raw.message;
    if (msg.startsWith("Invalid input: expected")) msg = msg.replace(/^Invalid input: /, "").replace(/, received .*$/, "");
    else if (msg.startsWith("Invalid option: expected one of")) msg = "expected one of " + msg.slice("Invalid option: expected one of ".length).replace(/"/g, "").split("|").join(", ");
    const shown = describe(value);
    const got = value === undefined || msg.includes(shown) ? "" : `, got ${shown}`;
    out.push({ path, message: `${formatPath(path) || "scenario"}: ${msg}${got}`, location: pos.locate(path) });
  }
  return out;
}
