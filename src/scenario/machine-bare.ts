/**
 * Scenarios that need no TypeScript VMM: a guest with no VMX at all (lab 1:
 * the code runs on the bare CPU as `vmxlab exec` runs it), and `host:`
 * scenarios where root-mode machine code is the hypervisor (it runs as
 * `exec` code; the guest code is only placed in memory for it to launch).
 * Port I/O goes to a minimal bus: the UART's transmit register feeds
 * `console`, its line-status register says "ready", and a write to the
 * debug-exit port stops the run (QEMU isa-debug-exit).
 */
import type { Cpu } from "../guest-cpu/cpu";
import type { IoBus } from "../guest-cpu/hooks";
import { createBareMachine } from "../vmm/bare";
import { readRegs as execRegs, setRegs } from "../vmm/exec";
import type { LoadedScenario } from "./loader";
import type { RunOutcome, UserspaceExit } from "./outcome";
import { REG_NAMES, ScenarioReg } from "./schema";
import { VECTORS } from "./schema";

/** Thrown by the debug-exit port; `cpu.onSignal` turns it into a stop. */
class DebugExitSignal {
  constructor(readonly code: number) {}
}

/** A machine hook so VMX (once present) can be attached to the bare CPU by `host:` scenarios. */
export type BareAttach = (cpu: Cpu, s: LoadedScenario) => { exits?: () => RunOutcome["exits"]; vmInstructionError?: () => number | undefined } | void;

const attachers: BareAttach[] = [];
/** Lets the VMX layer attach itself to bare machines (registered by run.ts when VMX is available). */
export function onBareMachine(a: BareAttach): void {
  attachers.push(a);
}

export function portOf(v: boolean | bigint | undefined, dflt: number): number | undefined {
  if (v === undefined || v === false) return undefined;
  return v === true ? dflt : Number(v);
}

export function runBare(ls: LoadedScenario): RunOutcome {
  const s = ls.scenario;
  const top = ls.host ?? ls.guest;
  const mode = ls.host ? "long64" : s.guest.mode;
  const cpu = createBareMachine(top.bytes, { memory: Number(s.guest.memory), mode, load: top.load, entry: top.entry });
  if (ls.host) cpu.mem.writeBytes(ls.guest.load, ls.guest.bytes);
  const regs = ls.host ? s.host?.regs : s.guest.regs;
  if (regs) setRegs(cpu, regs as never);

  let console = "";
  const userspace: UserspaceExit[] = [];
  const uart = portOf(s.devices?.uart, 0x3f8);
  const debugExit = portOf(s.devices?.["debug-exit"], 0xf4);
  const bus: IoBus = {
    read(port, size) {
      // LSR: transmitter empty and holding register empty (16550, bits 5 and 6).
      if (uart !== undefined && port === uart + 5) return 0x60;
      return size === 4 ? 0xffff_ffff : size === 2 ? 0xffff : 0xff;
    },
    write(port, size, value) {
      if (uart !== undefined && port === uart) console += String.fromCharCode(value & 0xff);
      if (debugExit !== undefined && port === debugExit) {
        userspace.push({ kind: "debug-exit", code: value });
        throw new DebugExitSignal(value);
      }
      void size;
    },
  };
  cpu.s.io = bus;
  let stoppedBy: string | undefined;
  cpu.onSignal = (sig) => {
    if (sig instanceof DebugExitSignal) {
      stoppedBy = "debug-exit";
      return true;
    }
    throw sig;
  };
  const hooks = attachers.map((a) => a(cpu, ls)).filter((h) => h !== undefined);
  const r = cpu.run(Number(s.limits?.steps ?? 1_000_000n));
  const after = execRegs(cpu);
  const out = {} as Record<ScenarioReg, bigint>;
  for (const n of REG_NAMES) out[n] = BigInt(after[n]);
  const exits = hooks.flatMap((h) => h.exits?.() ?? []);
  const vmErr = hooks.map((h) => h.vmInstructionError?.()).find((x) => x !== undefined);
  return {
    stopReason: stoppedBy ?? r.stop,
    steps: r.steps,
    exits,
    userspaceExits: userspace,
    console,
    regs: out,
    faults: cpu.faults.map((f) => ({ vector: f.vector.replace(/^#/, ""), ...(f.errorCode >= 0 ? { errorCode: f.errorCode } : {}), rip: f.rip })),
    ...(vmErr !== undefined ? { vmInstructionError: vmErr } : {}),
    readMemory: (gpa, length) => {
      const a = Number(gpa);
      const outb = new Uint8Array(length);
      for (let i = 0; i < length; i++) outb[i] = cpu.mem.inRam(a + i, 1) ? cpu.mem.bytes[a + i]! : 0xff;
      return outb;
    },
  };
}

void VECTORS;
