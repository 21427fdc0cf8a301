/**
 * Scenarios under the TypeScript VMM (src/vmm/vm.ts): the scenario's keys
 * mapped onto `VmOptions`, the run's outcome mapped back. The mapping is
 * the only place that knows both vocabularies.
 */
import { resolve } from "node:path";
import { Dispatcher as ExitDispatcher, type HandlerPolicy as VmHandlerPolicy } from "../exits/dispatcher";
import type { HandlerOutcome, RegisterName, Vcpu } from "../exits/vcpu";
import { GPR_BY_NUMBER } from "../exits/qualification/bits";
import type { ControlWord } from "../vmcs/controls";
import { DEFAULT_CONTROLS, type ControlLists } from "../vmm/default-vmcs";
import { Vm, type VmOptions } from "../vmm/vm";
import type { MemoryTypeName } from "../ept/format-ept";

/** `ept[].page`: the largest EPT page size the mapping may use. */
const PAGE_BYTES = { "4K": 0x1000, "2M": 0x20_0000, "1G": 0x4000_0000 } as const;
import type { EventType } from "../exits/qualification/interruption-info";
import { loadHandlerModule } from "./handler-module";
import { createEptPhysicalMap } from "../ept/nested";
import { translate2d } from "../ept/translate2d";
import { formatTrace } from "../ept/trace-text";
import type { LoadedScenario } from "./loader";
import { exitInfo } from "./machine-bare";
import type { EntryFailureInfo, RunOutcome, UserspaceExit } from "./outcome";
import { REG_NAMES, SCENARIO_CONTROL_WORDS, type Scenario, type ScenarioReg } from "./schema";
import { parsePortRange } from "./validate";

type ControlList = NonNullable<NonNullable<Scenario["vmcs"]>["pin"]>;

/** A list replaces the KVM-like default of its word; `{set, clear}` edits the default. */
function controlList(word: ControlWord, list: ControlList): string[] {
  if (Array.isArray(list)) return [...list];
  const base = (DEFAULT_CONTROLS as Partial<Record<ControlWord, readonly string[]>>)[word] ?? [];
  const clear = new Set(list.clear ?? []);
  return [...new Set([...base, ...(list.set ?? [])])].filter((n) => !clear.has(n));
}

const portOf = (v: boolean | bigint | undefined): number | false | undefined => (v === undefined || v === true ? undefined : v === false ? false : Number(v));

export function vmOptions(ls: LoadedScenario): VmOptions {
  const s = ls.scenario;
  const v = s.vmcs ?? {};
  const controls: ControlLists = {};
  for (const w of SCENARIO_CONTROL_WORDS) {
    const list = v[w];
    if (list) controls[w] = controlList(w, list);
  }
  const handlers: Record<string, VmHandlerPolicy> = {};
  for (const [reason, h] of Object.entries(s.handlers ?? {})) {
    if (h === undefined) continue;
    if (typeof h === "string") handlers[reason] = h;
    else if ("inject" in h)
      handlers[reason] = {
        inject: {
          vector: h.inject.vector,
          ...(h.inject.type ? { type: h.inject.type as EventType } : {}),
          ...(h.inject["error-code"] !== undefined ? { errorCode: Number(h.inject["error-code"]) } : {}),
        },
      };
    else handlers[reason] = loadHandlerModule(resolve(ls.dir, h.module), reason);
  }
  const msr = v["msr-intercept"];
  const d = s.devices ?? {};
  const timer = d.timer;
  return {
    name: ls.name,
    mode: s.guest.mode,
    memory: Number(s.guest.memory),
    code: ls.guest.bytes,
    load: ls.guest.load,
    entry: ls.guest.entry,
    regs: s.guest.regs ?? {},
    profile: s.cpu?.profile ?? "default",
    nested: s.cpu?.nested ?? false,
    ...(Object.keys(controls).length ? { controls } : {}),
    ...(v.fields ? { fields: v.fields as Record<string, bigint> } : {}),
    ...(v["exception-bitmap"] ? { exceptionBitmap: v["exception-bitmap"] } : {}),
    ...(v["io-intercept"] && v["io-intercept"] !== "all"
      ? { ioIntercepts: v["io-intercept"].map((r) => { const [a, b] = parsePortRange(r); return a === b ? a : ([a, b] as const); }) }
      : {}),
    ...(msr && msr !== "all"
      ? {
          msrIntercepts: {
            passthroughAll: true,
            read: msr.filter((m) => typeof m === "bigint" || m.read).map((m) => Number(typeof m === "bigint" ? m : m.msr)),
            write: msr.filter((m) => typeof m === "bigint" || m.write).map((m) => Number(typeof m === "bigint" ? m : m.msr)),
          },
        }
      : {}),
    ...(s.ept
      ? {
          ept: s.ept.map((m) => ({
            gpa: Number(m.gpa),
            size: Number(m.size),
            ...(m.hpa !== undefined ? { hpa: Number(m.hpa) } : {}),
            perms: m.perms.length === 3 ? m.perms : `${m.perms.includes("r") ? "r" : "-"}${m.perms.includes("w") ? "w" : "-"}${m.perms.includes("x") ? "x" : "-"}`,
            memtype: m.memtype.toUpperCase() as MemoryTypeName,
            pageSize: PAGE_BYTES[m.page],
          })),
        }
      : {}),
    ...(Object.keys(handlers).length ? { handlers } : {}),
    devices: {
      ...(portOf(d.uart) !== undefined ? { uart: portOf(d.uart) } : {}),
      ...(portOf(d["debug-exit"]) !== undefined ? { debugExit: portOf(d["debug-exit"]) } : {}),
      ...(timer !== undefined ? { timer: timer !== false } : {}),
      ...(d.mmio !== undefined && d.mmio !== true ? { mmioDemo: d.mmio === false ? false : Number(d.mmio) } : {}),
      ...(d.passthrough !== undefined && d.passthrough !== true
        ? { passthrough: d.passthrough === false ? false : { gpa: Number(d.passthrough.gpa), size: Number(d.passthrough.size) } }
        : {}),
    },
    ...(typeof timer === "object" ? { pitTicksPerInstruction: timer["ticks-per-instruction"] } : {}),
    limits: { steps: Number(s.limits?.steps ?? 1_000_000n), exits: Number(s.limits?.exits ?? 10_000n) },
  };
}

/**
 * The default dispatcher with the scenario's handler policies, noting the
 * registers each exit's report line needs (the value a MOV to CR wrote, the
 * MSR index, the hypercall number) before the handler changes them.
 */
class RecordingDispatcher {
  readonly regsAt = new Map<number, Partial<Record<string, bigint>>>();
  private n = 0;
  /** Stop the run (for a snapshot) at the first exit from this one on that the handlers resume. */
  pauseAt = Infinity;
  paused = false;
  constructor(private readonly inner: ExitDispatcher) {}

  dispatch(vcpu: Vcpu): HandlerOutcome {
    this.n++;
    const reason = vcpu.exit.reason;
    const names: RegisterName[] =
      reason === "CR_ACCESS" ? [GPR_BY_NUMBER[Number((vcpu.exit.qualification.raw >> 8n) & 0xfn)] as RegisterName]
      : reason === "MSR_READ" || reason === "MSR_WRITE" ? ["rcx", "rax", "rdx"]
      : reason === "VMCALL" ? ["rax", "rbx"]
      : [];
    if (names.length) this.regsAt.set(this.n, Object.fromEntries(names.map((r) => [r, vcpu.getReg(r)])));
    const outcome = this.inner.dispatch(vcpu);
    if (!this.paused && this.n >= this.pauseAt && outcome.action === "resume") {
      this.paused = true;
      return { action: "stop", reason: "snapshot" };
    }
    return outcome;
  }
}

export function runVm(ls: LoadedScenario): RunOutcome {
  const opts = vmOptions(ls);
  const recorder = new RecordingDispatcher(new ExitDispatcher(opts.handlers ?? {}));
  const vm = new Vm({ ...opts, dispatcher: recorder });
  const snap = ls.scenario.snapshot;
  let r = (recorder.pauseAt = snap ? Number(snap["at-exit"]) : Infinity, vm.run());
  const notes: string[] = [];
  // Exits of every run segment, in the order they happened (a restore rewinds the VM's own list).
  const allExits = [...r.exits];
  let steps = r.steps;
  if (snap && recorder.paused && r.stopReason === "stopped") {
    const s0 = vm.snapshot("scenario");
    notes.push(`snapshot after exit #${allExits.length}`);
    r = vm.run();
    allExits.push(...r.exits);
    steps += r.steps;
    notes.push(`first run from the snapshot: stop ${r.stopReason}, console ${JSON.stringify(r.console)}`);
    vm.restore(s0);
    if (snap.restore?.regs) vm.setRegs(snap.restore.regs);
    notes.push(`restored the snapshot${snap.restore?.regs ? `, then set ${Object.keys(snap.restore.regs).join(", ")}` : ""}`);
    r = vm.run();
    allExits.push(...r.exits);
    steps += r.steps;
  } else if (snap) notes.push(`no snapshot: the run ended before exit #${Number(snap["at-exit"])} was resumed`);
  const regs = {} as Record<ScenarioReg, bigint>;
  for (const n of REG_NAMES) regs[n] = BigInt(r.regs[n]);
  const fail = r.userspaceExits.find((u) => u.kind === "fail-entry") as
    | { kind: "fail-entry"; vmInstructionError?: number; check?: string; sdm?: string; detail?: string }
    | undefined;
  const lf = vm.engine.lastFailure;
  let entryFailure: EntryFailureInfo | undefined;
  if (fail?.check) {
    entryFailure = {
      check: fail.check,
      ...(fail.sdm ? { sdm: fail.sdm } : {}),
      message: fail.detail ?? "",
      ...(lf && lf.id === fail.check ? { fields: Object.fromEntries(lf.fields.map((f) => [f.name, "0x" + f.value.toString(16)])) } : {}),
    };
  }
  const errField = vm.state.current?.read("VM_INSTRUCTION_ERROR");
  const vmErr = fail?.vmInstructionError ?? (errField ? Number(errField) : undefined);
  return {
    stopReason: r.stopReason,
    steps,
    ...(r.status !== undefined ? { status: r.status } : {}),
    ...(r.detail !== undefined ? { detail: r.detail } : {}),
    // Exits the dispatcher saw are numbered in the same order as the engine's records (entry failures never reach it).
    exits: allExits.map((x, i) => ({ ...exitInfo(x, recorder.regsAt.get(i + 1 - allExits.slice(0, i + 1).filter((e) => e.entryFailure).length)), n: i + 1 })),
    userspaceExits: r.userspaceExits as UserspaceExit[],
    console: r.console,
    regs,
    faults: vm.cpu.faults.map((f) => ({ vector: f.vector.replace(/^#/, ""), ...(f.errorCode >= 0 ? { errorCode: f.errorCode } : {}), rip: f.rip })),
    ...(vmErr !== undefined ? { vmInstructionError: vmErr } : {}),
    ...(entryFailure ? { entryFailure } : {}),
    walk: (lin, access) => {
      const v = vm.vmcs;
      const guest = { cr0: Number(v.read("GUEST_CR0")), cr3: Number(v.read("GUEST_CR3")), cr4: Number(v.read("GUEST_CR4")), efer: Number(v.read("GUEST_IA32_EFER")) };
      const nested = vm.eptEnabled() ? createEptPhysicalMap(vm.mem, v.read("EPT_POINTER")) : null;
      const t = translate2d(vm.mem, guest, nested, Number(BigInt.asIntN(64, lin)), access, { trace: true });
      const fault = t.fault ? `${t.fault.kind}` : undefined;
      return {
        address: lin,
        access,
        gpa: t.gpa === null ? null : BigInt(t.gpa),
        hpa: t.hpa === null ? null : BigInt(t.hpa),
        references: t.trace.length,
        trace: formatTrace(t.trace),
        ...(fault ? { fault } : {}),
      };
    },
    ...(notes.length ? { notes } : {}),
    // Guest RAM sits at host-physical 0 (src/vmm/layout.ts): a guest-physical RAM address reads the same host byte.
    readMemory: (gpa, length) => {
      const a = Number(gpa);
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = a + i < Number(ls.scenario.guest.memory) ? vm.mem.bytes[a + i]! : 0xff;
      return out;
    },
  };
}
