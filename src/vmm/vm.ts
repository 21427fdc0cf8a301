/**
 * A virtual machine as the userspace VMM sees it — what QEMU + KVM do, in one
 * object: host memory with guest RAM, a Cpu with the VMX engine, EPT tables,
 * devices on port I/O and MMIO buses, the root-mode exit dispatcher, and a
 * run loop with KVM_RUN-like userspace exits (io, mmio, hlt, shutdown,
 * fail-entry, internal-error). The VMM enters VMX operation itself through the
 * VMX instruction semantics (VMXON, VMCLEAR, VMPTRLD, VMWRITE, VMLAUNCH), so
 * the same entry checks apply as for a hypervisor written in assembly.
 *
 * Interrupts follow KVM with a userspace irqchip: the PIC/PIT are the guest's
 * devices; before each VM entry a pending PIC request is injected through
 * VM_ENTRY_INTR_INFO_FIELD when the guest can take it, otherwise
 * interrupt-window exiting is requested. A timer tick that falls while the
 * guest runs reaches the host as an external interrupt (an EXTERNAL_INTERRUPT
 * exit, with external-interrupt exiting on), after which the tick is injected.
 * Time is virtual: the PIT counts retired guest instructions (plus time
 * skipped while the guest halts).
 */
import { assemble } from "../asm/assemble";
import { inputError, internalError } from "../common/errors";
import { hex, hexPair } from "../common/u64";
import { type DeviceState } from "../devices/device";
import { DEBUG_EXIT_PORT, DebugExit } from "../devices/debug-exit";
import { MMIO_DEMO_BASE, MMIO_DEMO_SIZE, MmioDemo } from "../devices/mmio-demo";
import { PASSTHROUGH_GPA, PassthroughDevice } from "../devices/passthrough";
import { PIC_MASTER, PIC_SLAVE, Pic8259 } from "../devices/pic8259";
import { PIT_BASE, Pit8254 } from "../devices/pit8254";
import { UART_COM1, Uart16550 } from "../devices/uart16550";
import { enterNestedPaging, leaveNestedPaging } from "../ept/attach";
import { EptBuilder, PageArena } from "../ept/builder";
import { eptCapsFromMsr } from "../ept/eptp";
import { createEptPhysicalMap } from "../ept/nested";
import { MEMORY_TYPES, type MemoryTypeName } from "../ept/format-ept";
import { EXIT_REASON_NUMBERS } from "../exits/reasons";
import { type HandlerOutcome, MsrStore, type UserspaceExit, type Vcpu, type VmServices } from "../exits/vcpu";
import { Cpu } from "../guest-cpu/cpu";
import { INVEPT_SINGLE } from "../guest-cpu/mmu";
import { GPR_NAMES } from "../guest-cpu/registers";
import { HLT } from "../guest-cpu/state";
import type { CowSnapshot, CowTracker } from "../memory/cow";
import { HostMemory, PAGE_SIZE } from "../memory/host-memory";
import { MmioBus } from "../memory/mmio-bus";
import type { VmxCapabilities } from "../vmcs/capabilities";
import { controlMask } from "../vmcs/controls";
import { getProfile } from "../vmcs/profiles";
import { SLOT, type Vmcs } from "../vmcs/vmcs";
import { type ExitRecord, VmxEngine } from "../vmx/engine";
import { VmExit } from "../vmx/exit/signal";
import type { VmxState } from "../vmx/state";
import { attachVmx, type VmxUnitImpl } from "../vmx/vmx-unit";
import { Dispatcher as ExitDispatcher, type HandlerPolicy } from "../exits/dispatcher";
import { completeIoIn } from "../exits/handlers/io";
import { completeMmioRead } from "../exits/handlers/mmio";
import { PASSTHROUGH_MSRS, writeIoBitmaps, writeMsrBitmap } from "./bitmaps";
import { type ControlLists, planVmcs, type VmcsPlan } from "./default-vmcs";
import { REG_ORDER, type RegName } from "./exec";
import { PortIoBus } from "./io-bus";
import { enterHostMode, type GuestMode, hostLayout, type HostLayout, setupGuest } from "./layout";
import { cpuCowTracker, flushCpuCaches, restoreCpuState, saveCpuState } from "./snapshot/cpu-state";
import { decodeSnapshot, encodeSnapshot, type SnapshotHeader } from "./snapshot/file";
import { restoreVmxState, saveVmxState } from "./snapshot/vmx-state";
import { RealVcpu } from "./vcpu";

/** An exit handler: `next` runs the default for the reason (the exits helper's Handler type). */
export type VmHandler = (vcpu: Vcpu, next: () => void) => void;

/** The root-mode dispatcher the run loop calls after every VM exit. */
export interface Dispatcher {
  dispatch(vcpu: Vcpu): HandlerOutcome;
}

export interface EptMappingOption {
  gpa: number;
  size: number;
  /** Host-physical address (default: identity, gpa). */
  hpa?: number;
  perms?: string;
  memtype?: MemoryTypeName | number;
  /** Largest EPT page size to use for this mapping (4 KiB, 2 MiB, 1 GiB); default: the largest alignment allows. */
  pageSize?: number;
}

export interface DeviceOptions {
  /** 16550 base port (false: none). Default 0x3f8. */
  uart?: number | false;
  /** Debug-exit port (false: none). Default 0xf4. */
  debugExit?: number | false;
  /** PIC pair at 0x20/0xa0 and PIT at 0x40 with IRQ 0. Default true. */
  timer?: boolean;
  /** MMIO demo device base (false: none). Default 0xfeb00000. */
  mmioDemo?: number | false;
  /** Passthrough region (needs EPT). Default: 4 KiB at 0xfec00000 when EPT is on. */
  passthrough?: { gpa: number; size: number } | false;
}

export interface VmLimits {
  /** Guest instructions (all runs together). Default 1,000,000. */
  steps?: number;
  /** VM exits. Default 10,000. */
  exits?: number;
}

export interface VmOptions {
  name?: string;
  mode?: GuestMode;
  /** Guest RAM in bytes (multiple of 4 KiB). Default 16 MiB. */
  memory?: number;
  /** Guest code bytes, or `asm` (Intel syntax, assembled for the mode at `load`). */
  code?: Uint8Array;
  asm?: string;
  load?: number;
  entry?: number;
  regs?: Partial<Record<RegName, bigint | number>>;
  /** Capability profile name (src/vmcs/profiles.ts). Default "default". */
  profile?: string;
  /** Control names per word; a word given replaces the KVM-like default list. */
  controls?: ControlLists;
  /** Raw VMCS writes after the defaults (names as Linux asm/vmx.h). */
  fields?: Readonly<Record<string, bigint | number>>;
  exceptionBitmap?: readonly (string | number)[];
  /** Ports that exit (use-io-bitmaps); default: every port exits (unconditional I/O exiting). */
  ioIntercepts?: readonly (number | readonly [number, number])[];
  /** MSR bitmap: by default every MSR exits except FS/GS/KERNEL_GS base and SYSENTER; `passthroughAll` lets all through, then `read`/`write` exit. */
  msrIntercepts?: { passthroughAll?: boolean; read?: readonly number[]; write?: readonly number[] };
  /** EPT mappings; default: identity map of guest RAM, rwx, WB. */
  ept?: readonly EptMappingOption[];
  /** Per exit reason (SDM names): "default" | "stop" | "skip" | {inject} | a handler (which can call the default as `next`). */
  handlers?: Readonly<Record<string, HandlerPolicy>>;
  devices?: DeviceOptions;
  limits?: VmLimits;
  /** PIT input ticks per retired guest instruction (default 1). */
  pitTicksPerInstruction?: number;
  /** Expose VMX to the guest (nested): CPUID shows it, guest VMX instructions go to the nested handler. */
  nested?: boolean;
  /** The dispatcher (default: src/exits' with `handlers`). */
  dispatcher?: Dispatcher;
}

export type FailEntry = {
  kind: "fail-entry";
  /** VMfailValid of VMLAUNCH/VMRESUME (control or host-state check): VM-instruction error. */
  vmInstructionError?: number;
  /** VM-entry failure exit (guest-state check, MSR loading): its reason. */
  reason?: string;
  qualification?: bigint;
  check?: string;
  sdm?: string;
  detail?: string;
};

/** A KVM_RUN-like exit to the userspace VMM. */
export type VmUserspaceExit = Exclude<UserspaceExit, { kind: "fail-entry" }> | FailEntry;

export type VmStopReason =
  | "hlt" | "step-limit" | "exit-limit" | "shutdown" | "debug-exit" | "fail-entry" | "internal-error" | "guest-exit" | "stopped";

/** What a step did, in order. */
export type VmEvent =
  | { kind: "entry"; launch: boolean }
  | { kind: "exit"; record: ExitRecord }
  /** The root-mode dispatcher handled the exit (stepping shows the VMCS before and after). */
  | { kind: "handled"; record: ExitRecord }
  | { kind: "userspace"; exit: VmUserspaceExit }
  | { kind: "stop"; reason: VmStopReason; detail?: string };

export interface VmRunResult {
  stopReason: VmStopReason;
  /** Guest instructions retired in this run. */
  steps: number;
  /** Debug-exit status or hypercall EXIT code. */
  status?: number;
  detail?: string;
  exits: ExitRecord[];
  userspaceExits: VmUserspaceExit[];
  console: string;
  regs: Record<RegName, string>;
}

export const VM_DEFAULTS = { memory: 16 << 20, load: 0x10000, rsp: 0x80000, steps: 1_000_000, exits: 10_000 };
/** The vector the host's own timer would have (ack-interrupt-on-exit reports it for kicks). */
export const HOST_KICK_VECTOR = 0xf0;

const INTR_VALID = 0x8000_0000;
/** "Interrupt-window exiting" in CPU_BASED_VM_EXEC_CONTROL (looked up once: the run loop tests it at every entry). */
const INTR_WINDOW_BIT = controlMask("primary", ["interrupt-window-exiting"]);
const INTR_WINDOW_NUM = Number(INTR_WINDOW_BIT);
/** Longest guest slice without a look at the interrupt controller (instructions). */
export const DEVICE_QUANTUM = 1000;

export interface VmSnapshot {
  label: string;
  cow: CowSnapshot;
  header: Omit<SnapshotHeader, "memorySize" | "creator" | "label">;
}

export class Vm {
  readonly name: string;
  readonly mode: GuestMode;
  readonly layout: HostLayout;
  readonly mem: HostMemory;
  readonly cpu: Cpu;
  readonly caps: VmxCapabilities;
  readonly state: VmxState;
  readonly engine: VmxEngine;
  /** The VMX instructions as the VMM issues them (VMXON, VMPTRLD, VMWRITE, VMLAUNCH…). */
  readonly vmx: VmxUnitImpl;
  readonly io = new PortIoBus();
  readonly mmio = new MmioBus();
  readonly ept: EptBuilder | null = null;
  readonly plan: VmcsPlan;
  readonly vcpu: RealVcpu;
  readonly msrs = new MsrStore();
  readonly devices: {
    uart?: Uart16550;
    debugExit?: DebugExit;
    pic?: Pic8259;
    pit?: Pit8254;
    mmioDemo?: MmioDemo;
    passthrough?: PassthroughDevice;
  } = {};
  readonly userspaceExits: VmUserspaceExit[] = [];
  /** What the guest printed, through the UART and the hypercall console, in order. */
  private consoleText = "";
  stopReason: VmStopReason | null = null;
  status: number | undefined;
  detail: string | undefined;
  /** Guest instructions retired over all runs. */
  steps = 0;
  /** PIT ticks skipped while the guest halted (virtual time that passed without instructions). */
  idleTicks = 0;
  private launched = false;
  private windowRequested = false;
  /** Stepping only: a VM exit has happened and its handler has not run yet. */
  private exitPending = false;
  private readonly limits: Required<VmLimits>;
  private readonly ticksPerInsn: number;
  private readonly dispatcher: Dispatcher;
  private cow: CowTracker | null = null;
  /** Collects events while stepping (null in run()). */
  private events: VmEvent[] | null = null;
  private readonly ramSize: number;

  constructor(o: VmOptions) {
    this.name = o.name ?? "vm";
    this.mode = o.mode ?? "long64";
    const ram = o.memory ?? VM_DEFAULTS.memory;
    if (!Number.isInteger(ram) || ram <= 0 || ram % PAGE_SIZE !== 0) throw inputError(`memory: ${ram} is not a positive multiple of 4 KiB`);
    this.ramSize = ram;
    this.caps = getProfile(o.profile ?? "default");
    if (!this.caps.vmx) throw inputError(`cpu profile '${this.caps.name}' has no VMX: a VM cannot run on it`);
    this.limits = { steps: o.limits?.steps ?? VM_DEFAULTS.steps, exits: o.limits?.exits ?? VM_DEFAULTS.exits };
    this.ticksPerInsn = o.pitTicksPerInstruction ?? 1;

    const dev = o.devices ?? {};
    const load = o.load ?? VM_DEFAULTS.load;
    const entry = o.entry ?? load;
    const code = o.code ?? (o.asm !== undefined ? assemble(o.asm, { bits: this.mode === "long64" ? 64 : this.mode === "protected32" ? 32 : 16, org: load }).bytes : new Uint8Array([0xf4]));
    if (load + code.length > ram) throw inputError(`code of ${code.length} bytes at 0x${load.toString(16)} does not fit in ${ram} bytes of guest memory`);

    // The guest state and controls first: they decide whether EPT (and so the passthrough region) exists.
    const probeLayout = hostLayout(ram);
    const tentative = planVmcs({ caps: this.caps, mode: this.mode, layout: probeLayout, guest: dummyGuest(), controls: o.controls, ioIntercepts: o.ioIntercepts, where: "vmcs" });
    const eptOn = tentative.ept;
    const pt = dev.passthrough === undefined ? (eptOn ? { gpa: PASSTHROUGH_GPA, size: PAGE_SIZE } : false) : dev.passthrough;
    if (pt && !eptOn) throw inputError("devices.passthrough needs EPT (secondary control enable-ept)");
    if (pt && (pt.gpa % PAGE_SIZE !== 0 || pt.size % PAGE_SIZE !== 0 || pt.size <= 0)) {
      throw inputError(`devices.passthrough: gpa 0x${pt.gpa.toString(16)} and size 0x${pt.size.toString(16)} must be 4-KByte aligned`);
    }
    if (pt && pt.gpa < ram) throw inputError(`devices.passthrough: gpa 0x${pt.gpa.toString(16)} lies inside guest RAM`);
    if (dev.mmioDemo !== undefined && dev.mmioDemo !== false && (dev.mmioDemo % PAGE_SIZE !== 0 || dev.mmioDemo < ram)) {
      throw inputError(`devices.mmio: base 0x${dev.mmioDemo.toString(16)} must be a 4-KByte aligned address above guest RAM`);
    }
    if (load < 0 || entry < 0 || entry >= ram) throw inputError(`guest: entry 0x${entry.toString(16)} is outside ${ram} bytes of guest memory`);
    this.layout = hostLayout(ram, pt ? pt.size : 0);
    const L = this.layout;
    this.mem = new HostMemory(L.total);
    this.cpu = new Cpu(this.mem);
    this.vmx = attachVmx(this.cpu, this.caps);
    this.state = this.vmx.state;
    this.engine = new VmxEngine(this.cpu, { caps: this.caps, stopOnExit: true, state: this.state });

    // ---- guest RAM
    this.mem.writeBytes(load, code);
    // The stack starts at 0x80000 as for `vmxlab exec`, or at the top of a smaller RAM.
    const guest = setupGuest(this.mem, this.mode, { load, entry, rsp: Math.min(VM_DEFAULTS.rsp, ram), ramSize: ram });

    // ---- devices
    if (dev.timer !== false) {
      const pic = new Pic8259();
      this.devices.pic = pic;
      this.io.map(PIC_MASTER, 2, pic.ports("master")).map(PIC_SLAVE, 2, pic.ports("slave"));
      const pit = new Pit8254(() => this.clock(), (level) => pic.setIrq(0, level));
      this.devices.pit = pit;
      this.io.map(PIT_BASE, 4, pit);
    }
    if (dev.uart !== false) {
      const pic = this.devices.pic;
      const uart = new Uart16550("uart", pic ? (level) => pic.setIrq(4, level) : undefined);
      uart.onTransmit = (b) => {
        this.consoleText += String.fromCharCode(b);
      };
      this.devices.uart = uart;
      this.io.map(dev.uart ?? UART_COM1, 8, uart);
    }
    if (dev.debugExit !== false) {
      const d = new DebugExit();
      this.devices.debugExit = d;
      this.io.map(dev.debugExit ?? DEBUG_EXIT_PORT, 1, d);
    }
    if (dev.mmioDemo !== false) {
      const d = new MmioDemo();
      this.devices.mmioDemo = d;
      const base = dev.mmioDemo ?? MMIO_DEMO_BASE;
      this.mmio.add(base, MMIO_DEMO_SIZE, d);
      // Without EPT nothing makes the access exit: guest-physical is host-physical, and the device answers on the bus directly.
      if (!eptOn) this.mem.addMmio(base, MMIO_DEMO_SIZE, d);
    }
    // Ports the I/O bitmaps let through reach the devices without an exit (port passthrough).
    this.cpu.s.io = this.io;

    // ---- EPT (in the host area, never mapped into the guest)
    let eptp: bigint | undefined;
    if (eptOn) {
      const b = new EptBuilder(this.mem, new PageArena(this.mem, L.eptArena, L.eptArena + (L.passthrough - L.eptArena)));
      (this as { ept: EptBuilder | null }).ept = b;
      const maps = o.ept ?? [{ gpa: 0, size: ram, perms: "rwx", memtype: "WB" as MemoryTypeName }];
      for (const m of maps) {
        if (m.gpa % PAGE_SIZE !== 0 || m.size % PAGE_SIZE !== 0 || m.size <= 0) throw inputError(`ept: mapping 0x${m.gpa.toString(16)}+0x${m.size.toString(16)} is not 4-KByte aligned`);
        b.map({ from: m.gpa, to: m.hpa ?? m.gpa, size: m.size, perms: m.perms ?? "rwx", memType: memType(m.memtype), ...(m.pageSize ? { maxPage: m.pageSize } : {}) });
      }
      if (pt) {
        const d = new PassthroughDevice(this.mem, L.passthrough, pt.gpa, pt.size);
        this.devices.passthrough = d;
        const m = d.mapping();
        b.map({ from: m.from, to: m.to, size: m.size, perms: m.perms, memType: "UC" });
      }
      eptp = b.eptp({ ad: false });
    }

    // ---- bitmaps and the VMCS
    writeIoBitmaps(this.mem, L.ioBitmapA, L.ioBitmapB, o.ioIntercepts ?? []);
    const mi = o.msrIntercepts ?? {};
    writeMsrBitmap(this.mem, L.msrBitmap, { interceptAll: !mi.passthroughAll, passthrough: mi.passthroughAll ? [] : PASSTHROUGH_MSRS, read: mi.read, write: mi.write });
    this.plan = planVmcs({
      caps: this.caps, mode: this.mode, layout: L, guest, controls: o.controls, exceptionBitmap: o.exceptionBitmap,
      ioIntercepts: o.ioIntercepts, eptp, vpid: 1, fields: o.fields, where: "vmcs",
    });

    // ---- root mode, VMX operation, the VMCS (as KVM: hardware_enable, vmx_vcpu_create, init_vmcs)
    enterHostMode(this.cpu, L, Number(this.caps.cr0Fixed0), Number(this.caps.cr4Fixed0));
    this.mem.write32(L.vmxon, this.caps.revisionId);
    this.mem.write32(L.vmcs, this.caps.revisionId);
    this.check(this.vmx.vmxon(L.vmxon), "VMXON");
    this.check(this.vmx.vmclear(L.vmcs), "VMCLEAR");
    this.check(this.vmx.vmptrld(L.vmcs), "VMPTRLD");
    const userFields = new Set(Object.keys(o.fields ?? {}));
    for (const [name, v] of this.plan.writes) {
      const r = this.vmx.vmwrite(name, v);
      if (r.kind !== "ok" && userFields.has(name)) {
        const why = r.kind === "failValid" ? `VMfailValid, VM-instruction error ${r.error}` : r.kind;
        throw inputError(`vmcs.fields: VMWRITE ${name} failed on profile '${this.caps.name}': ${why}`);
      }
      this.check(r, `VMWRITE ${name}`);
    }
    // Guest GPRs: VM entry does not load them; they are what the CPU holds at VMLAUNCH.
    this.setRegs(o.regs ?? {});

    this.vcpu = new RealVcpu({
      cpu: this.cpu,
      vmcs: () => this.vmcs,
      eptEnabled: () => this.eptEnabled(),
      services: this.services(o.nested ?? false),
      msrs: this.msrs,
    });
    this.dispatcher = o.dispatcher ?? new ExitDispatcher(o.handlers ?? {});
  }

  private check(r: { kind: string }, what: string): void {
    if (r.kind !== "ok") throw internalError(`${what} failed during VM set-up: ${JSON.stringify(r)}`);
  }

  /** The current VMCS. */
  get vmcs(): Vmcs {
    const v = this.state.current;
    if (!v) throw internalError("the VM has no current VMCS");
    return v;
  }

  get exits(): ExitRecord[] {
    return this.engine.exits;
  }

  /** Console text: UART output and hypercall prints, interleaved as the guest produced them. */
  get console(): string {
    return this.consoleText;
  }

  eptEnabled(): boolean {
    const v = this.vmcs;
    const primary = v.read("CPU_BASED_VM_EXEC_CONTROL");
    return (primary & controlMask("primary", ["activate-secondary-controls"])) !== 0n && (v.read("SECONDARY_VM_EXEC_CONTROL") & controlMask("secondary", ["enable-ept"])) !== 0n;
  }

  /** Virtual time in PIT ticks. */
  clock(): number {
    return Math.floor(this.cpu.s.icount * this.ticksPerInsn) + this.idleTicks;
  }

  // ------------------------------------------------------------------ registers

  /** Sets guest registers: RSP, RIP, RFLAGS in the VMCS; the others in the CPU (VM entry leaves them). */
  setRegs(regs: Partial<Record<RegName, bigint | number>>): void {
    const s = this.cpu.s;
    for (const [name, raw] of Object.entries(regs) as [RegName, bigint | number][]) {
      const v = BigInt.asUintN(64, BigInt(raw));
      if (name === "rip") this.vmcs.write("GUEST_RIP", v);
      else if (name === "rsp") this.vmcs.write("GUEST_RSP", v);
      else if (name === "rflags") this.vmcs.write("GUEST_RFLAGS", v | 2n);
      else {
        const i = (GPR_NAMES as readonly string[]).indexOf(name);
        if (i < 0) throw inputError(`regs: unknown register '${name}' (expected one of ${REG_ORDER.join(", ")})`);
        s.lo[i] = Number(v & 0xffff_ffffn) | 0;
        s.hi[i] = Number(v >> 32n) | 0;
      }
    }
  }

  /** Guest registers as lower-case hex strings (the `--json` contract): GPRs from the CPU, RSP/RIP/RFLAGS from the VMCS. */
  regs(): Record<RegName, string> {
    const s = this.cpu.s;
    const out = {} as Record<RegName, string>;
    // While the guest runs (a run stopped on its step budget) the CPU holds its state; after an exit the VMCS does.
    const live = this.state.nonRoot;
    for (const name of REG_ORDER) {
      if (name === "rip") out.rip = live ? hex(s.rip) : hex(this.vmcs.read("GUEST_RIP"));
      else if (name === "rsp") out.rsp = live ? hexPair(s.lo[4]!, s.hi[4]!) : hex(this.vmcs.read("GUEST_RSP"));
      else if (name === "rflags") out.rflags = live ? hex(s.rflags >>> 0) : hex(this.vmcs.read("GUEST_RFLAGS"));
      else {
        const i = (GPR_NAMES as readonly string[]).indexOf(name);
        out[name] = hexPair(s.lo[i]!, s.hi[i]!);
      }
    }
    return out;
  }

  reg(name: RegName): bigint {
    return BigInt(this.regs()[name]);
  }

  // ------------------------------------------------------------------ services for handlers

  private services(nested: boolean): VmServices {
    return {
      nested,
      cpuid: (leaf, sub) => this.cpu.s.cpuidModel.query(leaf, sub) as [number, number, number, number],
      tsc: () => BigInt(this.cpu.s.icount + this.cpu.s.tscAdjust),
      memoryKind: (gpa) => {
        const a = Number(gpa);
        if (a >= 0 && a < this.ramSize) return "ram";
        if (this.mmio.find(a)) return "mmio";
        return "unmapped";
      },
      mapRam: (gpa) => this.mapGuestPage(Number(gpa), "rwx"),
      mapPage: (gpa, perms) => {
        const a = Number(gpa);
        if (!this.ept || a < 0 || a >= this.ramSize) return false;
        this.mapGuestPage(a, perms);
        return true;
      },
      invalidateLinear: (lin) => this.cpu.mmu.invalidateVpid(0, Number(this.vmcs.read("VIRTUAL_PROCESSOR_ID")), Number(BigInt.asIntN(64, lin))),
      waitForInterrupt: () => this.waitForInterrupt(),
      hostInterrupt: () => {}, // the kick's only job was to leave the guest: the PIC request is injected on entry
      console: (text) => {
        this.consoleText += text;
      },
    };
  }

  /** Maps one guest page in EPT and drops stale combined mappings (INVEPT single-context, as KVM does). */
  private mapGuestPage(gpa: number, perms: string): void {
    if (!this.ept) return;
    const page = Math.floor(gpa / PAGE_SIZE) * PAGE_SIZE;
    this.ept.map({ from: page, to: page, size: PAGE_SIZE, perms, maxPage: PAGE_SIZE });
    this.cpu.mmu.invalidateEpt(INVEPT_SINGLE, this.vmcs.read("EPT_POINTER"));
  }

  /**
   * HLT with nothing pending: skip virtual time to the next timer tick (the
   * guest would idle until then). False when no interrupt can ever arrive.
   */
  waitForInterrupt(): boolean {
    const pic = this.devices.pic;
    const pit = this.devices.pit;
    if (!pic) return false;
    if (pic.pending()) return true;
    if (!pit) return false;
    for (let i = 0; i < 4 && !pic.pending(); i++) {
      const next = pit.nextEvent();
      if (!Number.isFinite(next)) return false;
      const now = this.clock();
      if (next > now) this.idleTicks += next - now;
      pit.update();
    }
    return pic.pending();
  }

  // ------------------------------------------------------------------ the run loop

  /** Runs until a stop (see VmStopReason); may be called again to continue after e.g. a step limit. */
  run(o: { maxSteps?: number } = {}): VmRunResult {
    const startSteps = this.steps;
    const budgetEnd = Math.min(this.limits.steps, o.maxSteps === undefined ? Infinity : this.steps + o.maxSteps);
    this.stopReason = null;
    this.detail = undefined;
    const firstUserspace = this.userspaceExits.length;
    const firstExit = this.engine.exits.length;
    while (this.stopReason === null) this.cycle(budgetEnd);
    return {
      stopReason: this.stopReason!, steps: this.steps - startSteps,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.detail !== undefined ? { detail: this.detail } : {}),
      exits: this.engine.exits.slice(firstExit), userspaceExits: this.userspaceExits.slice(firstUserspace),
      console: this.console, regs: this.regs(),
    };
  }

  /**
   * One turn of the loop: check limits, enter the guest if it is not running
   * (injecting a pending interrupt), run it until an exit, the budget or a
   * timer tick, and handle the exit. Sets stopReason when the run must end.
   */
  private cycle(budgetEnd: number, splitExit = false): void {
    if (this.exitPending) {
      this.exitPending = false;
      const rec = this.engine.exits[this.engine.exits.length - 1]!;
      this.handleExit();
      if (this.events) this.note({ kind: "handled", record: rec });
      return;
    }
    // The debug-exit port written without an exit (not intercepted): the run ends at the end of that slice.
    const dx = this.devices.debugExit;
    if (dx && dx.status !== null && this.status === undefined) {
      this.status = dx.status;
      return this.stop("debug-exit", `debug-exit port written: 0x${dx.status.toString(16)}`);
    }
    if (this.engine.exits.length >= this.limits.exits) return this.stop("exit-limit");
    if (this.steps >= budgetEnd) return this.stop("step-limit");
    // A run that stopped on the step budget left the guest in non-root operation: it just continues.
    let entered: "entered" | "exit" | "stop" = "entered";
    if (!this.state.nonRoot) {
      this.injectPendingInterrupt();
      const launch = !this.launched;
      entered = this.enter();
      if (entered !== "stop" && this.events) this.note({ kind: "entry", launch });
    }
    if (entered === "stop") return;
    if (entered === "entered") {
      const ran = this.runGuest(budgetEnd);
      if (ran !== "exit") return;
    }
    const rec = this.engine.exits[this.engine.exits.length - 1];
    if (rec && this.events) this.note({ kind: "exit", record: rec });
    // Stepping stops between the exit and its handler, so the exit's own VMCS state can be looked at.
    if (splitExit && rec) {
      this.exitPending = true;
      return;
    }
    this.handleExit();
  }

  /**
   * One step of a stepping session: a guest instruction (entering the guest
   * first when it is not running), stopping right after a VM exit; the next
   * step runs the exit's handler. Returns what happened: entries, exits,
   * handled exits, userspace exits, the stop.
   */
  step(): VmEvent[] {
    if (this.finished()) return [];
    const events: VmEvent[] = [];
    this.events = events;
    try {
      this.stopReason = null;
      this.cycle(this.steps + 1, true);
      if (this.stopReason === "step-limit") this.stopReason = null;
    } finally {
      this.events = null;
    }
    return events;
  }

  /** Why the VM cannot go on (hlt with nothing to wake it, shutdown, a limit, a handler's stop…), or null. */
  finished(): string | null {
    return this.stopReason === null || this.stopReason === "step-limit" ? null : this.stopReason;
  }

  private note(e: VmEvent): void {
    this.events?.push(e);
  }

  private stop(reason: VmStopReason, detail?: string): void {
    // A debug-exit write that did not exit (port not intercepted) is the real end of the run, whatever came after it.
    const dx = this.devices.debugExit;
    if (dx && dx.status !== null && this.status === undefined && reason !== "debug-exit") {
      this.status = dx.status;
      reason = "debug-exit";
      detail = `debug-exit port written: 0x${dx.status.toString(16)}`;
    }
    this.note({ kind: "stop", reason, ...(detail !== undefined ? { detail } : {}) });
    this.stopReason = reason;
    if (detail !== undefined) this.detail = detail;
  }

  /**
   * VMLAUNCH the first time, VMRESUME afterwards, through the VMX
   * instructions. "exit": the entry ended in an exit at once (event
   * injection that exited); failures become fail-entry userspace exits.
   */
  private enter(): "entered" | "exit" | "stop" {
    const before = this.engine.exits.length;
    const r = this.launched ? this.vmx.vmresume() : this.vmx.vmlaunch();
    if (r.kind === "failInvalid") return this.failEntry({ kind: "fail-entry", detail: "VMfailInvalid: no current VMCS" });
    if (r.kind === "failValid") {
      const f = this.engine.lastFailure;
      return this.failEntry({
        kind: "fail-entry", vmInstructionError: r.error,
        ...(f ? { check: f.id, sdm: f.sdm, detail: f.explain } : { detail: `VMfailValid, VM-instruction error ${r.error}` }),
      });
    }
    this.launched = true;
    if (this.state.nonRoot) return "entered";
    const rec = this.engine.exits[this.engine.exits.length - 1];
    if (rec && this.engine.exits.length > before && rec.entryFailure) {
      const f = rec.entryFailure;
      this.launched = this.vmcs.launched;
      return this.failEntry({ kind: "fail-entry", reason: rec.reason, qualification: rec.qualification, check: f.id, sdm: f.sdm, detail: f.explain });
    }
    return "exit";
  }

  private failEntry(fe: FailEntry): "stop" {
    this.pushUserspace(fe);
    this.stop("fail-entry", fe.sdm ? `${fe.sdm}: ${fe.detail}` : fe.detail);
    return "stop";
  }

  /** Runs the guest until an exit, the budget, or the next timer tick. */
  private runGuest(budgetEnd: number): "exit" | "continue" | "stop" {
    const s = this.cpu.s;
    const pit = this.devices.pit;
    let budget = budgetEnd - this.steps;
    // Devices the guest reaches without exits (ports the I/O bitmaps let through) can arm the timer or raise
    // an IRQ mid-slice; the slice ends at least every DEVICE_QUANTUM instructions so the VMM notices.
    if (this.devices.pic) budget = Math.min(budget, DEVICE_QUANTUM);
    const next = pit ? pit.nextEvent() : Infinity;
    if (Number.isFinite(next)) budget = Math.min(budget, Math.max(1, Math.ceil((next - this.clock()) / this.ticksPerInsn)));
    const r = this.cpu.run(budget);
    this.steps += r.steps;
    if (r.stop === "exit") return "exit";
    if (r.stop === "shutdown") {
      this.pushUserspace({ kind: "shutdown", reason: "triple fault in root operation" });
      this.stop("shutdown");
      return "stop";
    }
    // Still in non-root operation: a timer tick, a halted guest, or the step budget.
    pit?.update();
    if (r.stop === "hlt" && s.activity === HLT && !this.devices.pic?.pending()) {
      if (!this.waitForInterrupt()) {
        this.pushUserspace({ kind: "hlt" });
        this.stop("hlt");
        return "stop";
      }
    }
    if (this.devices.pic?.pending() && !this.windowArmed() && this.kick()) return "exit";
    return "continue";
  }

  /**
   * The host's interrupt while the guest runs: an EXTERNAL_INTERRUPT exit
   * when external-interrupt exiting is on (the guest's PIC request is then
   * injected on the next entry). False when the guest cannot be interrupted.
   */
  private kick(): boolean {
    const pin = this.vmcs.read("PIN_BASED_VM_EXEC_CONTROL");
    if ((pin & controlMask("pin", ["external-interrupt-exiting"])) === 0n || !this.state.nonRoot) return false;
    const ack = (this.vmcs.read("VM_EXIT_CONTROLS") & controlMask("exit", ["ack-interrupt-on-exit"])) !== 0n;
    this.engine.exitNow(new VmExit(EXIT_REASON_NUMBERS.EXTERNAL_INTERRUPT, 0, 0, ack ? { intrInfo: (INTR_VALID | HOST_KICK_VECTOR) >>> 0 } : {}));
    return true;
  }

  /** KVM's inject_pending_event for a userspace PIC: inject now, or ask for an interrupt window. */
  private injectPendingInterrupt(): void {
    const pic = this.devices.pic;
    if (!pic) return;
    const v = this.vmcs;
    const wantWindow = pic.pending();
    if (wantWindow && (v.u32(SLOT.VM_ENTRY_INTR_INFO_FIELD) & INTR_VALID) === 0) {
      const rflags = v.u32(SLOT.GUEST_RFLAGS);
      const blocking = v.u32(SLOT.GUEST_INTERRUPTIBILITY_INFO) & 3; // blocking by STI / MOV SS
      if ((rflags & 0x200) !== 0 && blocking === 0) {
        const vector = pic.acknowledge();
        v.write("VM_ENTRY_INTR_INFO_FIELD", BigInt((INTR_VALID | vector) >>> 0)); // type 0: external interrupt
        this.setWindow(false);
        return;
      }
    }
    this.setWindow(wantWindow);
  }

  /** Sets or clears interrupt-window exiting (the INTERRUPT_WINDOW handler may have cleared it: the VMCS is the truth). */
  private setWindow(on: boolean): void {
    const bit = INTR_WINDOW_BIT;
    const v = this.vmcs;
    this.windowRequested = on;
    if (((v.u32(SLOT.CPU_BASED_VM_EXEC_CONTROL) & INTR_WINDOW_NUM) !== 0) === on) return;
    const cur = v.read("CPU_BASED_VM_EXEC_CONTROL");
    if (on && !this.caps.allows("primary", "interrupt-window-exiting")) return;
    v.write("CPU_BASED_VM_EXEC_CONTROL", on ? cur | bit : cur & ~bit);
  }

  /** Is interrupt-window exiting on for the running guest (it will exit by itself once it can take the interrupt)? */
  private windowArmed(): boolean {
    return (this.vmcs.u32(SLOT.CPU_BASED_VM_EXEC_CONTROL) & INTR_WINDOW_NUM) !== 0;
  }

  /** After a VM exit: the dispatcher, then userspace exits to devices. */
  private handleExit(): void {
    const vcpu = this.vcpu;
    vcpu.beginExit();
    let outcome: HandlerOutcome;
    try {
      outcome = this.dispatcher.dispatch(vcpu);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.pushUserspace({ kind: "internal-error", message });
      this.stop("internal-error", message);
      return;
    }
    if (outcome.action === "resume") return;
    if (outcome.action === "stop") {
      const code = outcome.detail?.code;
      if (typeof code === "number") this.status = code;
      this.stop(outcome.reason === "guest-exit" ? "guest-exit" : "stopped", outcome.reason);
      return;
    }
    this.userspace(outcome.exit);
  }

  /** The userspace half: devices answer I/O and MMIO; HLT waits for the timer; the rest stops the run. */
  private pushUserspace(x: VmUserspaceExit): void {
    this.userspaceExits.push(x);
    this.note({ kind: "userspace", exit: x });
  }

  private userspace(x: UserspaceExit): void {
    this.pushUserspace(x);
    switch (x.kind) {
      case "io": {
        if (x.direction === "out") {
          const values = x.values ?? (x.value !== undefined ? [x.value] : []);
          for (const v of values) this.io.write(x.port, x.size, v);
          const d = this.devices.debugExit;
          if (d && d.status !== null) {
            this.status = d.status;
            this.stop("debug-exit", `debug-exit port written: 0x${d.status.toString(16)}`);
          }
          return;
        }
        const n = x.count ?? 1;
        const values = Array.from({ length: n }, () => this.io.read(x.port, x.size));
        x.values = values;
        completeIoIn(this.vcpu, values);
        return;
      }
      case "mmio": {
        if (x.direction === "write") {
          this.mmio.write(Number(x.address), x.size, x.value ?? 0n);
          return;
        }
        const value = this.mmio.read(Number(x.address), x.size);
        x.value = value;
        completeMmioRead(this.vcpu, value);
        return;
      }
      case "hlt": {
        // Only an interrupt the guest can take (RFLAGS.IF = 1) ends the halt; otherwise it is halted for good.
        const ifSet = (this.vmcs.read("GUEST_RFLAGS") & 0x200n) !== 0n;
        if (!ifSet || !this.waitForInterrupt()) this.stop("hlt");
        return;
      }
      case "hypercall":
        return;
      case "shutdown":
        this.stop("shutdown", x.reason);
        return;
      case "internal-error":
        this.stop("internal-error", x.message);
        return;
      case "fail-entry":
        this.stop("fail-entry", x.detail);
        return;
    }
  }

  // ------------------------------------------------------------------ snapshots

  /** Copy-on-write snapshot of the whole VM (memory, CPU, VMX state, devices, bookkeeping). Taken between runs. */
  snapshot(label = ""): VmSnapshot {
    this.cow ??= cpuCowTracker(this.cpu);
    return { label, cow: this.cow.snapshot(label), header: this.stateHeader() };
  }

  /**
   * Brings the vCPU back to root operation when a run stopped on its step
   * budget with the guest still running (as a signal makes KVM_RUN return):
   * an EXTERNAL_INTERRUPT exit, handled like any other.
   */
  pause(): void {
    if (!this.state.nonRoot) return;
    if (!this.kick()) throw internalError("cannot pause the guest: external-interrupt exiting is off, so nothing makes it exit");
    const keep = this.stopReason;
    this.handleExit();
    if (this.stopReason === null) this.stopReason = keep;
  }

  /** Puts the VM back to `snap`: pages written since, CPU, VMCSs, devices, counters. */
  restore(snap: VmSnapshot): void {
    if (!this.cow) throw internalError("restore without a snapshot");
    this.cow.restore(snap.cow);
    this.applyHeader(snap.header);
  }

  /** The snapshot as a "VMXLSNAP" v1 file. */
  saveFile(snap?: VmSnapshot): Uint8Array {
    const memory = snap ? snap.cow.materialize() : this.mem.bytes;
    const h = snap ? snap.header : this.stateHeader();
    return encodeSnapshot({ header: { creator: "vmxlab", label: snap?.label ?? "", memorySize: this.mem.size, ...h }, memory });
  }

  /** Loads a "VMXLSNAP" file into this VM (same memory size and devices). */
  loadFile(bytes: Uint8Array, file = "<snapshot>"): void {
    const img = decodeSnapshot(bytes, file);
    if (img.header.memorySize !== this.mem.size) throw inputError(`${file}: snapshot of ${img.header.memorySize} bytes of host memory, this VM has ${this.mem.size}`);
    this.mem.bytes.set(img.memory); // not a guest write: nothing to preserve for CoW, caches are flushed below
    this.applyHeader(img.header);
    // Earlier copy-on-write snapshots described the memory just replaced: they end here.
    if (this.cow) {
      for (const snap of [...this.cow.snapshots()]) this.cow.release(snap);
      this.cow = null;
      this.mem.onWatchWrite = null;
    }
    this.mem.pageFlags.fill(0);
    flushCpuCaches(this.cpu);
  }

  private stateHeader(): VmSnapshot["header"] {
    const devices: Record<string, DeviceState> = {};
    const d = this.devices;
    if (d.uart) devices.uart = d.uart.save();
    if (d.debugExit) devices["debug-exit"] = d.debugExit.save();
    if (d.pic) devices.pic = d.pic.save();
    if (d.pit) devices.pit = d.pit.save();
    if (d.mmioDemo) devices["mmio-demo"] = d.mmioDemo.save();
    if (d.passthrough) devices.passthrough = d.passthrough.save();
    return {
      cpu: saveCpuState(this.cpu.s),
      vmx: saveVmxState(this.state),
      devices,
      vm: {
        launched: this.launched, windowRequested: this.windowRequested, exitPending: this.exitPending, steps: this.steps, idleTicks: this.idleTicks,
        console: this.consoleText, exits: this.engine.exits.length, userspaceExits: this.userspaceExits.length,
        msrs: this.msrs.entries().map(([k, v]) => [k, "0x" + v.toString(16)]),
      },
    };
  }

  /**
   * After restoring CPU and VMX state: attach what non-root operation needs
   * (the engine's intercept, the control words, EPT and the TLB tags of the
   * restored VMCS) when the snapshot was taken while the guest ran, or
   * detach it when it was taken in root operation.
   */
  private syncOperation(): void {
    const cpu = this.cpu;
    const v = this.state.current;
    this.engine.vmcs = v;
    this.engine.intercept.vectoring = null;
    if (this.state.nonRoot && v) {
      this.engine.controls.load(v);
      const sec = (v.read("CPU_BASED_VM_EXEC_CONTROL") >> 31n) & 1n ? v.read("SECONDARY_VM_EXEC_CONTROL") : 0n;
      const has = (name: string) => (sec & controlMask("secondary", [name])) !== 0n;
      const nested = has("enable-ept")
        ? createEptPhysicalMap(this.mem, v.read("EPT_POINTER"), { caps: eptCapsFromMsr(this.caps.eptVpidCap, this.caps.physAddrWidth), mbec: has("mode-based-execute-control") })
        : null;
      enterNestedPaging(cpu, nested, { vpid: Number(v.read("VIRTUAL_PROCESSOR_ID") & 0xffffn), vpidEnabled: has("enable-vpid") });
      cpu.s.icpt = this.engine.intercept;
    } else {
      cpu.s.icpt = null;
      leaveNestedPaging(cpu, { vpidEnabled: true });
    }
  }

  private applyHeader(h: VmSnapshot["header"]): void {
    restoreCpuState(this.cpu, h.cpu);
    if (h.vmx) restoreVmxState(this.state, h.vmx);
    const d = this.devices;
    const dev = (k: string) => {
      const st = h.devices[k];
      if (!st) throw inputError(`snapshot has no state for device '${k}'`);
      return st;
    };
    d.uart?.restore(dev("uart"));
    d.debugExit?.restore(dev("debug-exit"));
    d.pic?.restore(dev("pic"));
    d.pit?.restore(dev("pit"));
    d.mmioDemo?.restore(dev("mmio-demo"));
    d.passthrough?.restore(dev("passthrough"));
    const vm = h.vm;
    this.launched = vm.launched === true;
    this.exitPending = vm.exitPending === true;
    this.windowRequested = vm.windowRequested === true;
    this.steps = Number(vm.steps);
    this.idleTicks = Number(vm.idleTicks);
    this.consoleText = String(vm.console ?? "");
    this.engine.exits.length = Math.min(this.engine.exits.length, Number(vm.exits));
    this.userspaceExits.length = Math.min(this.userspaceExits.length, Number(vm.userspaceExits));
    this.syncOperation();
    for (const [k, v] of (vm.msrs as [number, string][]) ?? []) this.msrs.set(k, BigInt(v));
    this.stopReason = null;
    this.status = undefined;
    this.detail = undefined;
  }
}

function memType(t: MemoryTypeName | number | undefined): MemoryTypeName | number {
  if (t === undefined) return "WB";
  if (typeof t === "number") return t;
  const up = t.toUpperCase() as MemoryTypeName;
  if (!(up in MEMORY_TYPES)) throw inputError(`ept: unknown memory type '${t}' (${Object.keys(MEMORY_TYPES).join(", ")})`);
  return up;
}

function dummyGuest() {
  const z = { selector: 0, base: 0, limit: 0, ar: 0 };
  return { cr0: 0, cr3: 0, cr4: 0, efer: 0, rip: 0, rsp: 0, rflags: 2, segs: { es: z, cs: z, ss: z, ds: z, fs: z, gs: z, ldtr: z, tr: z }, gdtr: { base: 0, limit: 0 }, idtr: { base: 0, limit: 0 } };
}

/** Code size of the guest from CS.L/CS.D and CR0.PE in the VMCS. */
export function guestBits(vm: Vm): 16 | 32 | 64 {
  const v = vm.vmcs;
  if ((v.read("GUEST_CR0") & 1n) === 0n) return 16;
  const ar = v.read("GUEST_CS_AR_BYTES");
  if ((v.read("VM_ENTRY_CONTROLS") >> 9n) & 1n && (ar >> 13n) & 1n) return 64;
  return (ar >> 14n) & 1n ? 32 : 16;
}
