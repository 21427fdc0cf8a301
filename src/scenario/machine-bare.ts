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
import { VmxEngine } from "../vmx/engine";
import type { ExitRecord } from "../vmx/engine";
import { describeExit } from "./detail";
import type { LoadedScenario } from "./loader";
import type { ExitInfo, RunOutcome, UserspaceExit } from "./outcome";
import { REG_NAMES, ScenarioReg } from "./schema";

/** Thrown by the debug-exit port; `cpu.onSignal` turns it into a stop. */
class DebugExitSignal {
  constructor(readonly code: number) {}
}

export function portOf(v: boolean | bigint | undefined, dflt: number): number | undefined {
  if (v === undefined || v === false) return undefined;
  return v === true ? dflt : Number(v);
}

/** The bare machine of a scenario, built but not run (for `run` and for lab sessions). */
export interface BareMachine {
  cpu: Cpu;
  /** The VMX engine of a `host:` scenario (the hypervisor is the scenario's root-mode code). */
  engine: VmxEngine | undefined;
  /** What the minimal devices saw; lab sessions restore it with the machine. */
  io: { console: string; userspace: UserspaceExit[]; status: number | undefined; stoppedBy: string | undefined };
}

export function buildBare(ls: LoadedScenario): BareMachine {
  const s = ls.scenario;
  const top = ls.host ?? ls.guest;
  const mode = ls.host ? "long64" : s.guest.mode;
  const cpu = createBareMachine(top.bytes, { memory: Number(s.guest.memory), mode, load: top.load, entry: top.entry });
  if (ls.host) cpu.mem.writeBytes(ls.guest.load, ls.guest.bytes);
  const regs = ls.host ? s.host?.regs : s.guest.regs;
  if (regs) setRegs(cpu, regs as never);

  const io: BareMachine["io"] = { console: "", userspace: [], status: undefined, stoppedBy: undefined };
  const uart = portOf(s.devices?.uart, 0x3f8);
  const debugExit = portOf(s.devices?.["debug-exit"], 0xf4);
  const bus: IoBus = {
    read(port, size) {
      // LSR: transmitter empty and holding register empty (16550, bits 5 and 6).
      if (uart !== undefined && port === uart + 5) return 0x60;
      return size === 4 ? 0xffff_ffff : size === 2 ? 0xffff : 0xff;
    },
    write(port, size, value) {
      if (uart !== undefined && port === uart) io.console += String.fromCharCode(value & 0xff);
      if (debugExit !== undefined && port === debugExit) {
        io.userspace.push({ kind: "debug-exit", code: value });
        io.status = value;
        throw new DebugExitSignal(value);
      }
      void size;
    },
  };
  cpu.s.io = bus;
  // A hypervisor in machine code: the engine continues at HOST_RIP after each exit (no TypeScript VMM).
  const engine = ls.host ? VmxEngine.attach(cpu, { profile: s.cpu?.profile ?? "default", stopOnExit: false }) : undefined;
  const inner = cpu.onSignal;
  cpu.onSignal = (sig) => {
    if (sig instanceof DebugExitSignal) {
      io.stoppedBy = "debug-exit";
      return true;
    }
    if (inner) return inner(sig);
    throw sig;
  };
  return { cpu, engine, io };
}

export function runBare(ls: LoadedScenario): RunOutcome {
  const s = ls.scenario;
  const { cpu, engine, io } = buildBare(ls);
  const userspace = io.userspace;
  const r = cpu.run(Number(s.limits?.steps ?? 1_000_000n));
  const after = execRegs(cpu);
  const out = {} as Record<ScenarioReg, bigint>;
  for (const n of REG_NAMES) out[n] = BigInt(after[n]);
  const exits = engine ? engine.exits.map((r) => exitInfo(r)) : [];
  // VMfailValid leaves its error in the current VMCS (SDM 31.4); 0 means no error.
  const errField = engine?.state.current?.read("VM_INSTRUCTION_ERROR");
  const vmErr = errField ? Number(errField) : undefined;
  const failure = engine?.lastFailure;
  return {
    stopReason: io.stoppedBy ?? r.stop,
    steps: r.steps,
    ...(io.status !== undefined ? { status: io.status } : {}),
    exits,
    userspaceExits: userspace,
    console: io.console,
    regs: out,
    faults: cpu.faults.map((f) => ({ vector: f.vector.replace(/^#/, ""), ...(f.errorCode >= 0 ? { errorCode: f.errorCode } : {}), rip: f.rip })),
    ...(vmErr !== undefined ? { vmInstructionError: vmErr } : {}),
    ...(failure ? { entryFailure: { check: failure.id, sdm: failure.sdm, message: failure.explain, fields: Object.fromEntries(failure.fields.map((f) => [f.name, "0x" + f.value.toString(16)])) } } : {}),
    readMemory: (gpa, length) => {
      const a = Number(gpa);
      const outb = new Uint8Array(length);
      for (let i = 0; i < length; i++) outb[i] = cpu.mem.inRam(a + i, 1) ? cpu.mem.bytes[a + i]! : 0xff;
      return outb;
    },
  };
}

/** An engine exit record as the report shows it. */
export function exitInfo(r: ExitRecord, regs?: Partial<Record<string, bigint>>): ExitInfo {
  const detail = describeExit({
    reason: r.reason,
    qualification: r.qualification,
    intrInfo: r.intrInfo,
    intrErrorCode: r.intrErrorCode,
    guestPhysicalAddress: r.guestPhysicalAddress,
    guestLinearAddress: r.guestLinearAddress,
    regs,
  });
  return {
    n: r.n,
    reason: r.reason,
    basicReason: r.basicReason,
    qualification: r.qualification,
    guestRip: Number(r.guestRip),
    instructionLength: r.instructionLength,
    ...(detail ? { detail } : {}),
    ...(r.entryFailure ? { entryFailure: true } : {}),
  };
}
