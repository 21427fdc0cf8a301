/**
 * The human report of a scenario run: one line per VM exit
 * (`#3 CR_ACCESS  mov cr3, rax  (CR3 write, rax=0x2000)  rip 0x10012`),
 * userspace exits, faults, console text, expectations with ✓/✗ and a
 * summary line. Colour through chalk at a level chosen by the caller (plain
 * when stdout is not a terminal or NO_COLOR is set), so golden files are
 * plain text.
 */
import { Chalk, ChalkInstance } from "chalk";
import type { ScenarioResultJson } from "./outcome";

export interface ReportOptions {
  /** chalk level: 0 plain, 1+ colour. */
  color: number;
  /** Only the summary line (and failed expectations). */
  quiet?: boolean;
  /** Cap on exit lines printed (the rest are counted). */
  maxExits?: number;
}

export function colorLevel(stream: NodeJS.WriteStream = process.stdout): number {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") return 0;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== "0") return 1;
  return stream.isTTY ? 1 : 0;
}

function uexit(u: Record<string, unknown>): string {
  const { kind, ...rest } = u;
  if (kind === "io") return `io ${rest.direction} port ${rest.port} size ${rest.size} value ${rest.value}${printable(rest.value)}`;
  if (kind === "fail-entry") return `fail-entry${rest.check ? ` check ${rest.check}` : ""}${rest.vmInstructionError !== undefined ? ` VM-instruction error ${rest.vmInstructionError}` : ""}`;
  if (kind === "mmio") return `mmio ${rest.direction} gpa ${rest.address} size ${rest.size}${rest.value !== undefined ? ` value ${rest.value}` : ""}`;
  const more = Object.entries(rest).map(([k, v]) => `${k} ${String(v)}`).join(" ");
  return more ? `${String(kind)} ${more}` : String(kind);
}

function printable(v: unknown): string {
  if (typeof v !== "string") return "";
  const n = Number(v);
  if (n >= 0x20 && n < 0x7f) return ` '${String.fromCharCode(n)}'`;
  if (n === 10) return " '\\n'";
  return "";
}

export function formatReport(r: ScenarioResultJson, o: ReportOptions): string {
  const c: ChalkInstance = new Chalk({ level: o.color > 0 ? 1 : 0 });
  const lines: string[] = [];
  const verdict = r.status === "pass" ? c.green.bold("PASS") : r.status === "fail" ? c.red.bold("FAIL") : c.red.bold("ERROR");
  const summary = `${verdict} ${c.bold(r.scenario)}  ${r.exits.length} exit${r.exits.length === 1 ? "" : "s"}, ${r.steps} instruction${r.steps === 1 ? "" : "s"}, stop: ${r.stopReason}${r.exitStatus !== undefined ? ` (status ${r.exitStatus})` : ""}` + (r.expectations.length ? `, ${r.expectations.filter((e) => e.ok).length}/${r.expectations.length} expectations` : "");
  if (o.quiet) {
    lines.push(summary);
    for (const e of r.expectations.filter((x) => !x.ok)) lines.push(`  ${c.red("✗")} ${e.path}: expected ${e.expected}, got ${e.actual}`);
    if (r.error) lines.push(`  ${c.red(r.error)}`);
    return lines.join("\n") + "\n";
  }
  lines.push(`${c.bold(r.scenario)}  ${c.dim(r.file)}`);
  if (r.description) lines.push(c.dim(`  ${r.description.trim()}`));
  if (r.exits.length) {
    lines.push(c.cyan("VM exits"));
    const max = o.maxExits ?? 200;
    const w = Math.max(...r.exits.slice(0, max).map((x) => x.reason.length));
    const nw = String(Math.min(r.exits.length, max)).length + 1;
    const iw = Math.max(0, ...r.exits.slice(0, max).map((x) => (x.instruction ?? "").length));
    for (const x of r.exits.slice(0, max)) {
      const parts = [`  ${c.dim(("#" + x.n).padEnd(nw))} ${c.yellow(x.reason.padEnd(w))}`];
      if (iw) parts.push(`  ${(x.instruction ?? "").padEnd(iw)}`);
      if (x.detail) parts.push(`  (${x.detail})`);
      parts.push(`  rip ${x.guestRip}`);
      lines.push(parts.join(""));
    }
    if (r.exits.length > max) lines.push(c.dim(`  … ${r.exits.length - max} more`));
  }
  if (r.entryFailure) {
    lines.push(`${c.red("VM entry failed")}: ${r.entryFailure.check}${r.entryFailure.sdm ? ` (${r.entryFailure.sdm})` : ""}: ${r.entryFailure.message}`);
    for (const [k, v] of Object.entries(r.entryFailure.fields ?? {})) lines.push(`  ${k} = ${v}`);
  }
  if (r.vmInstructionError !== undefined) lines.push(`${c.red("VM-instruction error")} ${r.vmInstructionError}`);
  if (r.userspaceExits.length) {
    lines.push(c.cyan("userspace exits"));
    const max = o.maxExits ?? 200;
    for (const u of r.userspaceExits.slice(0, max)) lines.push(`  ${uexit(u)}`);
    if (r.userspaceExits.length > max) lines.push(c.dim(`  … ${r.userspaceExits.length - max} more`));
  }
  if (r.faults.length) {
    lines.push(c.cyan("exceptions"));
    const fw = Math.max(...r.faults.map((f) => `#${f.vector}${f.errorCode !== undefined ? `(${f.errorCode})` : ""}`.length));
    const iw = Math.max(0, ...r.faults.map((f) => (f.instruction ?? "").length));
    for (const f of r.faults) {
      const v = `#${f.vector}${f.errorCode !== undefined ? `(${f.errorCode})` : ""}`.padEnd(fw);
      lines.push(`  ${c.yellow(v)}  ${iw ? (f.instruction ?? "").padEnd(iw) + "  " : ""}rip ${f.rip}`);
    }
  }
  if (r.notes?.length) {
    lines.push(c.cyan("run"));
    for (const n of r.notes) lines.push(`  ${n}`);
  }
  for (const w of r.walks ?? []) {
    lines.push(c.cyan(`2-D walk of ${w.address} (${w.access})`) + (w.hpa ? ` → gpa ${w.gpa} → hpa ${w.hpa}` : w.fault ? `: ${w.fault}` : ""));
    for (const t of w.trace) lines.push(`  ${t}`);
  }
  if (r.console) {
    lines.push(c.cyan("console"));
    const text = r.console.endsWith("\n") ? r.console.slice(0, -1) : r.console;
    for (const l of text.split("\n")) lines.push(`  | ${l}`);
  }
  if (r.error) lines.push(c.red(`error: ${r.error}`));
  if (r.stopDetail && r.stopReason !== "hlt" && r.stopReason !== "fail-entry") lines.push(`${c.cyan("stopped")}: ${r.stopDetail}`);
  if (r.expectations.length) {
    lines.push(c.cyan("expectations"));
    for (const e of r.expectations) {
      if (e.ok) lines.push(`  ${c.green("✓")} ${e.path}: ${e.actual}`);
      else lines.push(`  ${c.red("✗")} ${e.path}: expected ${e.expected}, got ${e.actual}`);
    }
  }
  lines.push(summary);
  return lines.join("\n") + "\n";
}
