/** The engine behind `vmxlab exec`: build a bare machine, set registers, run, report. */
import { inputError } from "../common/errors";
import { hex, hexPair, parseNumber, fromBigU64 } from "../common/u64";
import type { Cpu, StopReason } from "../guest-cpu/cpu";
import { GPR_NAMES } from "../guest-cpu/registers";
import { VmxEngine } from "../vmx/engine";
import { attachVmx } from "../vmx/vmx-unit";
import { createBareMachine, ExecMode } from "./bare";

/** Register order in results: the familiar one, then r8–r15, rip, rflags. */
export const REG_ORDER = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"] as const;
export type RegName = (typeof REG_ORDER)[number];

export interface ExecOptions {
  mode: ExecMode;
  memory: number;
  load: number;
  maxSteps: number;
  regs: Partial<Record<RegName, bigint>>;
}

export interface ExecResult {
  stopReason: StopReason;
  steps: number;
  regs: Record<RegName, string>;
  /** Exceptions raised on the way (with no IDT, the first one leads to the shutdown). */
  faults?: { vector: string; errorCode?: string; rip: string }[];
}

/** Parses `--regs` JSON: register names to numbers or number strings (hex, decimal). */
export function regsFromJson(text: string): Partial<Record<RegName, bigint>> {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw inputError(`--regs: not valid JSON (${(e as Error).message})`);
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw inputError("--regs: expected a JSON object like {\"rax\":\"0x1\"}");
  const out: Partial<Record<RegName, bigint>> = {};
  for (const [k, v] of Object.entries(obj)) {
    const name = k.toLowerCase() as RegName;
    if (!REG_ORDER.includes(name)) throw inputError(`--regs: unknown register '${k}' (expected one of ${REG_ORDER.join(", ")})`);
    const n = typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : typeof v === "string" ? parseNumber(v) : undefined;
    if (n === undefined) throw inputError(`--regs: ${k}: expected a number or hex string, got ${JSON.stringify(v)}`);
    out[name] = n;
  }
  return out;
}

export function setRegs(cpu: Cpu, regs: Partial<Record<RegName, bigint>>): void {
  const s = cpu.s;
  for (const [name, v] of Object.entries(regs) as [RegName, bigint][]) {
    if (name === "rip") s.rip = Number(BigInt.asIntN(64, v));
    else if (name === "rflags") s.rflags = Number(BigInt.asUintN(32, v));
    else {
      const i = GPR_NAMES.indexOf(name);
      const { lo, hi } = fromBigU64(v);
      s.lo[i] = lo;
      s.hi[i] = hi;
    }
  }
}

export function readRegs(cpu: Cpu): Record<RegName, string> {
  const s = cpu.s;
  const out = {} as Record<RegName, string>;
  for (const name of REG_ORDER) {
    if (name === "rip") out.rip = hex(s.rip);
    else if (name === "rflags") out.rflags = hex(s.rflags >>> 0);
    else {
      const i = GPR_NAMES.indexOf(name);
      out[name] = hexPair(s.lo[i]!, s.hi[i]!);
    }
  }
  return out;
}

export function runExec(code: Uint8Array, o: ExecOptions): ExecResult {
  const cpu = createBareMachine(code, { memory: o.memory, mode: o.mode, load: o.load });
  // Root-mode software on a CPU with the default profile: it may run VMXON..VMLAUNCH itself;
  // VM exits continue at HOST_RIP (a hypervisor in machine code).
  const vmx = attachVmx(cpu, "default");
  new VmxEngine(cpu, { state: vmx.state, stopOnExit: false });
  setRegs(cpu, o.regs);
  const r = cpu.run(o.maxSteps);
  const result: ExecResult = { stopReason: r.stop, steps: r.steps, regs: readRegs(cpu) };
  if (cpu.faults.length > 0) {
    result.faults = cpu.faults.map((f) => ({
      vector: f.vector,
      ...(f.errorCode >= 0 ? { errorCode: hex(f.errorCode) } : {}),
      rip: hex(f.rip),
    }));
  }
  return result;
}
