/**
 * What a scenario run produced, before expectations are checked and before
 * it is formatted (JSON per DESIGN.md "Run result", or the human report).
 * Machines (bare CPU, `host:` hypervisor code, the TypeScript VMM) all report
 * in this one shape.
 */
import type { ScenarioReg } from "./schema";

export interface ExitInfo {
  n: number;
  /** SDM/Linux name without EXIT_REASON_ (CPUID, CR_ACCESS, …). */
  reason: string;
  basicReason: number;
  qualification: bigint;
  guestRip: number;
  instructionLength: number;
  /** The instruction at guestRip as disassembled (for the report). */
  instruction?: string;
  /** Decoded qualification in words ("CR3 write, rax=0x2000"). */
  detail?: string;
  /** VM-entry failure (exit reason bit 31). */
  entryFailure?: boolean;
}

export type UserspaceExit =
  | { kind: "io"; port: number; direction: "in" | "out"; size: number; value: number }
  | { kind: "mmio"; gpa: bigint; direction: "read" | "write"; size: number; value: bigint }
  | { kind: "hlt" }
  | { kind: "shutdown" }
  | { kind: "debug-exit"; code: number }
  | { kind: string; [k: string]: unknown };

export interface FaultInfo {
  vector: string;
  errorCode?: number;
  rip: number;
}

export interface WalkInfo {
  address: bigint;
  access: string;
  gpa: bigint | null;
  hpa: bigint | null;
  references: number;
  /** The trace as text, one line per entry read (src/ept/trace-text.ts). */
  trace: string[];
  fault?: string;
}

export interface EntryFailureInfo {
  check: string;
  sdm?: string;
  message: string;
  fields?: Record<string, string>;
}

export interface RunOutcome {
  stopReason: string;
  steps: number;
  /** Debug-exit value or hypercall EXIT code. */
  status?: number;
  /** Why the run stopped, in words (VMM). */
  detail?: string;
  exits: ExitInfo[];
  userspaceExits: UserspaceExit[];
  console: string;
  regs: Record<ScenarioReg, bigint>;
  faults: FaultInfo[];
  vmInstructionError?: number;
  entryFailure?: EntryFailureInfo;
  /** Reads guest-physical memory after the run (for expect.memory). */
  readMemory(gpa: bigint, length: number): Uint8Array;
  /** A 2-D translation of a guest-linear address in the final state (VMM runs), for expect.walk. */
  walk?(lin: bigint, access: "read" | "write" | "fetch"): WalkInfo;
  /** Free-form lines a machine wants in the report (e.g. "the hypervisor in host code ran 12 VMRESUMEs"). */
  notes?: string[];
}

/** JSON result, one object per scenario (DESIGN.md "Run result"): numbers as lower-case hex strings. */
export interface ScenarioResultJson {
  scenario: string;
  file: string;
  description?: string;
  status: "pass" | "fail" | "error";
  stopReason: string;
  /** Debug-exit value or hypercall EXIT code, when the run ended with one. */
  exitStatus?: number;
  stopDetail?: string;
  steps: number;
  exits: { n: number; reason: string; basicReason: number; qualification: string; guestRip: string; instructionLength: number; instruction?: string; detail?: string }[];
  userspaceExits: Record<string, unknown>[];
  console: string;
  final: { regs: Record<string, string> };
  faults: { vector: string; errorCode?: string; rip: string; instruction?: string }[];
  vmInstructionError?: number;
  entryFailure?: EntryFailureInfo;
  notes?: string[];
  walks?: { address: string; access: string; gpa: string | null; hpa: string | null; references: number; trace: string[]; fault?: string }[];
  expectations: Expectation[];
  error?: string;
}

export interface Expectation {
  path: string;
  expected: string;
  actual: string;
  ok: boolean;
}
