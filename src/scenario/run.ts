/**
 * Runs a loaded scenario on the machine it asks for and checks `expect:`.
 * `machine: bare` (no hypervisor) and `host:` scenarios (the hypervisor is
 * root-mode code in the scenario) run on the bare CPU as `vmxlab exec` does;
 * all others run under the TypeScript VMM (src/vmm/vm.ts).
 */
import { hex } from "../common/u64";
import { formatInsn } from "../asm/disasm";
import { evaluate, walks } from "./expect";
import type { LoadedCode, LoadedScenario } from "./loader";
import { runBare } from "./machine-bare";
import { runVm } from "./machine-vm";
import type { ExitInfo, RunOutcome, ScenarioResultJson } from "./outcome";
import { REG_NAMES } from "./schema";

export class UnsupportedScenario extends Error {}

export function pickMachine(ls: LoadedScenario): "bare" | "host" | "vm" {
  if (ls.host) return "host";
  if (ls.scenario.machine === "bare") return "bare";
  return "vm";
}

export function runOutcome(ls: LoadedScenario): RunOutcome {
  const kind = pickMachine(ls);
  if (kind !== "vm") return runBare(ls);
  return runVm(ls);
}

/** The instruction at `rip` as written in the scenario's assembly, else disassembled from the loaded bytes. */
export function instructionAt(code: LoadedCode, rip: number, bits: 16 | 32 | 64): string | undefined {
  const line = code.lines?.find((l) => l.address === rip && l.kind === "code");
  if (line && code.source) {
    const text = code.source[line.line - 1]?.replace(/;.*$/, "").trim();
    if (text) return text.replace(/^[A-Za-z_.][\w.]*:\s*/, "");
  }
  const off = rip - code.load;
  if (off >= 0 && off < code.bytes.length) return formatInsn(code.bytes.subarray(off, off + 15), rip, bits);
  return undefined;
}

/** Userspace-exit data for JSON: numbers as hex strings (sizes and counts stay numbers), bigints never raw. */
function jsonValue(key: string, v: unknown): unknown {
  if (typeof v === "bigint") return hex(v);
  if (typeof v === "number") return key === "size" || key === "count" || key === "nr" || key === "code" || key === "vmInstructionError" ? v : hex(v);
  if (Array.isArray(v)) return v.map((x) => jsonValue(key, x));
  return v;
}

export function toJson(ls: LoadedScenario, o: RunOutcome): ScenarioResultJson {
  const done = walks(ls.scenario.expect, o);
  const expectations = evaluate(ls.scenario.expect, o, ls.guest.labels, done);
  const bits = ls.scenario.guest.mode === "long64" ? 64 : ls.scenario.guest.mode === "protected32" ? 32 : 16;
  const exits = o.exits.map((x: ExitInfo) => {
    // A failed VM entry executed nothing: no instruction to show.
    const instruction = x.entryFailure ? undefined : x.instruction ?? instructionAt(ls.guest, x.guestRip, bits);
    return {
      n: x.n,
      reason: x.reason,
      basicReason: x.basicReason,
      qualification: hex(x.qualification),
      guestRip: hex(x.guestRip),
      instructionLength: x.instructionLength,
      ...(instruction ? { instruction } : {}),
      ...(x.detail ? { detail: x.detail } : {}),
    };
  });
  const regs: Record<string, string> = {};
  for (const n of REG_NAMES) regs[n] = hex(o.regs[n]);
  const uexits = o.userspaceExits.map((u) => Object.fromEntries(Object.entries(u).map(([k, v]) => [k, jsonValue(k, v)])));
  return {
    scenario: ls.name,
    file: ls.file,
    ...(ls.scenario.description ? { description: ls.scenario.description } : {}),
    status: expectations.every((e) => e.ok) ? "pass" : "fail",
    stopReason: o.stopReason,
    ...(o.status !== undefined ? { exitStatus: o.status } : {}),
    ...(o.detail !== undefined ? { stopDetail: o.detail } : {}),
    steps: o.steps,
    exits,
    userspaceExits: uexits,
    console: o.console,
    final: { regs },
    faults: o.faults.map((f) => {
      const instruction = instructionAt(ls.host ?? ls.guest, f.rip, ls.host ? 64 : bits);
      return { vector: f.vector, ...(f.errorCode !== undefined ? { errorCode: hex(f.errorCode) } : {}), rip: hex(f.rip), ...(instruction ? { instruction } : {}) };
    }),
    ...(o.vmInstructionError !== undefined ? { vmInstructionError: o.vmInstructionError } : {}),
    ...(o.entryFailure ? { entryFailure: o.entryFailure } : {}),
    ...(o.notes?.length ? { notes: o.notes } : {}),
    ...(done.length
      ? { walks: done.map((w) => ({ address: hex(w.address), access: w.access, gpa: w.gpa === null ? null : hex(w.gpa), hpa: w.hpa === null ? null : hex(w.hpa), references: w.references, trace: w.trace, ...(w.fault ? { fault: w.fault } : {}) })) }
      : {}),
    expectations,
  };
}

/** Runs and checks one scenario; internal failures become status "error" (exit code 3). */
export function runScenario(ls: LoadedScenario): ScenarioResultJson {
  return toJson(ls, runOutcome(ls));
}
