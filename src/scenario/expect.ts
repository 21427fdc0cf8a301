/**
 * Checks `expect:` against a run outcome. Each expectation becomes one
 * `{path, expected, actual, ok}` record (DESIGN.md "Run result"), in the order
 * the keys appear in the schema, so reports and JSON list them the same way.
 */
import { hex } from "../common/u64";
import { parseHexBytes } from "../common/hex-input";
import type { Expectation, RunOutcome, WalkInfo } from "./outcome";
import type { ExpectSection } from "./schema";

const h = (v: bigint | number) => hex(typeof v === "number" ? BigInt(v) : v);

function isSubsequence(want: string[], got: string[]): boolean {
  let i = 0;
  for (const g of got) if (i < want.length && g === want[i]) i++;
  return i === want.length;
}

function bytesText(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/** Label addresses of the guest code, for `expect.memory[].label`. */
export type Labels = ReadonlyMap<string, number> | undefined;

/** The walks `expect.walk` asks for, done once (the report prints them, the checks compare them). */
export function walks(e: ExpectSection | undefined, o: RunOutcome): WalkInfo[] {
  return (e?.walk ?? []).map((w) =>
    o.walk ? o.walk(w.address, w.access) : { address: w.address, access: w.access, gpa: null, hpa: null, references: 0, trace: [], fault: "no 2-D walk on this machine (needs the VMM with EPT)" },
  );
}

export function evaluate(e: ExpectSection | undefined, o: RunOutcome, labels?: Labels, done: WalkInfo[] = walks(e, o)): Expectation[] {
  const out: Expectation[] = [];
  if (!e) return out;
  const push = (path: string, expected: string, actual: string, ok = expected === actual) => out.push({ path, expected, actual, ok });

  if (e.stop !== undefined) push("stop", e.stop, o.stopReason);
  if (e.status !== undefined) push("status", h(e.status), o.status === undefined ? "none" : h(o.status));
  if (e.exits !== undefined) {
    const got = o.exits.map((x) => x.reason);
    if (Array.isArray(e.exits)) push("exits", `[${e.exits.join(", ")}]`, `[${got.join(", ")}]`);
    else push("exits.subsequence", `[${e.exits.subsequence.join(", ")}] in order`, `[${got.join(", ")}]`, isSubsequence(e.exits.subsequence, got));
  }
  for (const [name, want] of Object.entries(e.regs ?? {})) push(`regs.${name}`, h(want), h(o.regs[name as keyof typeof o.regs]));
  for (const m of e.memory ?? []) {
    const want = m.bytes !== undefined ? parseHexBytes(m.bytes, "bytes") : new TextEncoder().encode(m.text ?? "");
    const at = m.gpa ?? BigInt(labels?.get(m.label!) ?? 0);
    const got = o.readMemory(at, want.length);
    const path = m.label !== undefined ? `memory[${m.label}]` : `memory[${h(at)}]`;
    if (m.text !== undefined) push(path, quote(m.text), quote(Buffer.from(got).toString("latin1")));
    else push(path, bytesText(want), bytesText(got));
  }
  if (e.console !== undefined) push("console", quote(e.console), quote(o.console));
  if (e["vm-instruction-error"] !== undefined)
    push("vm-instruction-error", String(e["vm-instruction-error"]), o.vmInstructionError === undefined ? "none" : String(o.vmInstructionError));
  if (e["entry-failure"] !== undefined) push("entry-failure", e["entry-failure"], o.entryFailure?.check ?? "none");
  (e.walk ?? []).forEach((w, i) => {
    const got = done[i]!;
    const at = `walk[${h(w.address)}]`;
    if (w.references !== undefined) push(`${at}.references`, String(w.references), got.fault ? got.fault : String(got.references));
    if (w.gpa !== undefined) push(`${at}.gpa`, h(w.gpa), got.gpa === null ? got.fault ?? "none" : h(got.gpa));
    if (w.hpa !== undefined) push(`${at}.hpa`, h(w.hpa), got.hpa === null ? got.fault ?? "none" : h(got.hpa));
  });
  if (e.faults !== undefined) push("faults", `[${e.faults.join(", ")}]`, `[${o.faults.map((f) => f.vector).join(", ")}]`);
  for (const [what, n] of Object.entries(e.counts ?? {})) {
    const actual =
      what === "exits" ? o.exits.length
      : what === "userspace" ? o.userspaceExits.length
      : what === "faults" ? o.faults.length
      : what === "steps" ? o.steps
      : o.exits.filter((x) => x.reason === what).length;
    push(`counts.${what}`, String(n), String(actual));
  }
  return out;
}
