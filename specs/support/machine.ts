/** Spec helpers: run machine code on a bare machine (the `vmxlab exec` set-up) and read registers. */
import { parseHexBytes } from "../../src/common/hex-input";
import { hexPair } from "../../src/common/u64";
import type { Cpu, RunResult } from "../../src/guest-cpu/cpu";
import { GPR_NAMES } from "../../src/guest-cpu/registers";
import { createBareMachine, EXEC_DEFAULTS, ExecMode } from "../../src/vmm/bare";
import { RegName, setRegs } from "../../src/vmm/exec";

export interface RunOptions {
  mode?: ExecMode;
  regs?: Partial<Record<RegName, bigint | number>>;
  maxSteps?: number;
  memory?: number;
  load?: number;
}

export interface Ran {
  cpu: Cpu;
  result: RunResult;
  /** 64-bit register value as bigint. */
  reg(name: (typeof GPR_NAMES)[number]): bigint;
  hex(name: (typeof GPR_NAMES)[number]): string;
}

export function machine(code: Uint8Array | string, o: RunOptions = {}): Cpu {
  const bytes = typeof code === "string" ? parseHexBytes(code) : code;
  const cpu = createBareMachine(bytes, {
    memory: o.memory ?? EXEC_DEFAULTS.memory,
    mode: o.mode ?? "long64",
    load: o.load ?? EXEC_DEFAULTS.load,
  });
  const regs: Partial<Record<RegName, bigint>> = {};
  for (const [k, v] of Object.entries(o.regs ?? {})) regs[k as RegName] = BigInt(v as bigint | number);
  setRegs(cpu, regs);
  return cpu;
}

/** Runs `code` (bytes or hex) until HLT or the step limit. */
export function run(code: Uint8Array | string, o: RunOptions = {}): Ran {
  const cpu = machine(code, o);
  const result = cpu.run(o.maxSteps ?? 1_000_000);
  const reg = (name: (typeof GPR_NAMES)[number]) => {
    const i = GPR_NAMES.indexOf(name);
    return (BigInt(cpu.s.hi[i]! >>> 0) << 32n) | BigInt(cpu.s.lo[i]! >>> 0);
  };
  return {
    cpu,
    result,
    reg,
    hex: (name) => {
      const i = GPR_NAMES.indexOf(name);
      return hexPair(cpu.s.lo[i]!, cpu.s.hi[i]!);
    },
  };
}
