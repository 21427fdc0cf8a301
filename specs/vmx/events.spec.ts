/**
 * Events at instruction boundaries in VMX non-root operation (SDM Vol. 3C
 * 26.2, 26.7; 25.6.1 pin-based controls) and event injection at VM entry
 * (27.6): external interrupts and NMIs that exit or are delivered through
 * the guest IDT, interrupt and NMI windows, the VMX-preemption timer, the
 * monitor trap flag, and the HLT activity state.
 */
import type { InterruptLine } from "../../src/guest-cpu/hooks";
import { RAX, RSP } from "../../src/guest-cpu/registers";
import { HLT } from "../../src/guest-cpu/state";
import { GUEST_CODE, GUEST_STACK, rig, type Rig } from "./rig";
import { machine } from "../support/machine";

class Line implements InterruptLine {
  acks = 0;
  constructor(public vector = -1) {}
  pending(): boolean {
    return this.vector >= 0;
  }
  acknowledge(): number {
    const v = this.vector;
    this.vector = -1;
    this.acks++;
    return v;
  }
}

const IDT = 0x6000, HANDLER = 0x10100;

/** A 64-bit interrupt gate for `vector` → HANDLER (CS 08H), which halts. */
function guestIdt(mem: Rig["cpu"]["mem"], vector: number): void {
  const e = IDT + vector * 16;
  mem.write(e, 4, BigInt((0x08 << 16) | (HANDLER & 0xffff)));
  mem.write(e + 4, 4, BigInt((HANDLER & 0xffff_0000) | 0x8e00));
  mem.write(e + 8, 8, 0n);
  mem.writeBytes(HANDLER, new Uint8Array([0xf4]));
}

function withIdt(r: Rig, vector: number): void {
  guestIdt(r.cpu.mem, vector);
  r.set("GUEST_IDTR_BASE", IDT);
  r.set("GUEST_IDTR_LIMIT", 0xfff);
}

const V = 0x8000_0000;
const u = (x: number) => BigInt(x >>> 0);

describe("external interrupts (SDM Vol. 3C 25.6.1, 26.2)", () => {
  it("exit with \"external-interrupt exiting\" even when the guest has RFLAGS.IF = 0", () => {
    const r = rig({ code: "l: jmp l" });
    const line = new Line(0x20);
    r.cpu.s.intr = line;
    r.controls("pin", ["external-interrupt-exiting"]);
    expect(r.launch(1000).stop).toBe("exit");
    expect(r.engine.exits[0]).toMatchObject({ reason: "EXTERNAL_INTERRUPT", basicReason: 1, guestRip: BigInt(GUEST_CODE) });
    // Without "acknowledge interrupt on exit" the interrupt stays pending at the controller.
    expect(r.get("VM_EXIT_INTR_INFO")).toBe(0n);
    expect(line.acks).toBe(0);
  });

  it("with \"acknowledge interrupt on exit\" the vector is taken and reported in VM_EXIT_INTR_INFO", () => {
    const r = rig({ code: "l: jmp l" });
    const line = new Line(0x31);
    r.cpu.s.intr = line;
    r.controls("pin", ["external-interrupt-exiting"]);
    r.controls("exit", ["ack-interrupt-on-exit"]);
    expect(r.launch(1000).stop).toBe("exit");
    expect(r.get("VM_EXIT_INTR_INFO")).toBe(u(V | 0x31));
    expect(line.acks).toBe(1);
  });

  it("without exiting, an interrupt is delivered through the guest IDT when RFLAGS.IF = 1", () => {
    const r = rig({ code: "l: jmp l" });
    withIdt(r, 0x20);
    r.set("GUEST_RFLAGS", 0x202);
    r.cpu.s.intr = new Line(0x20);
    expect(r.launch(1000).stop).toBe("hlt");
    expect(r.engine.exits).toEqual([]);
    expect(r.cpu.s.rip).toBe(HANDLER + 1);
    expect(r.cpu.mem.read(GUEST_STACK - 40, 8)).toBe(BigInt(GUEST_CODE)); // saved RIP of the interrupted jmp
  });

  it("wakes a guest halted in the HLT activity state and exits with activity HLT saved", () => {
    const r = rig({ code: "hlt\nnop" });
    const line = new Line();
    r.cpu.s.intr = line;
    r.controls("pin", ["external-interrupt-exiting"]);
    expect(r.launch(100).stop).toBe("hlt");
    line.vector = 0x20;
    expect(r.cpu.run(100).stop).toBe("exit");
    expect(r.get("GUEST_ACTIVITY_STATE")).toBe(1n);
    expect(r.get("GUEST_RIP")).toBe(BigInt(GUEST_CODE + 1));
  });
});

describe("interrupt-window and NMI-window exiting", () => {
  it("an interrupt window opens after STI's shadow ends (SDM Vol. 3A 6.8.3)", () => {
    const r = rig({ code: "nop\nsti\nnop\nhlt" });
    r.controls("primary", ["interrupt-window-exiting"]);
    expect(r.launch(100).stop).toBe("exit");
    expect(r.engine.exits[0]).toMatchObject({ reason: "INTERRUPT_WINDOW", basicReason: 7, qualification: 0n, guestRip: BigInt(GUEST_CODE + 3) });
  });

  it("an NMI window exits at once when virtual NMIs are not blocked", () => {
    const r = rig({ code: "hlt" });
    r.controls("pin", ["nmi-exiting", "virtual-nmis"]);
    r.controls("primary", ["nmi-window-exiting"]);
    expect(r.launch(100).stop).toBe("exit");
    expect(r.engine.exits[0]!.reason).toBe("NMI_WINDOW");
  });
});

describe("NMIs", () => {
  it("exit with \"NMI exiting\" as EXCEPTION_NMI with interruption type 2, vector 2", () => {
    const r = rig({ code: "l: jmp l" });
    r.controls("pin", ["nmi-exiting"]);
    r.cpu.s.nmiPending = true;
    expect(r.launch(100).stop).toBe("exit");
    expect(r.engine.exits[0]!.reason).toBe("EXCEPTION_NMI");
    expect(r.get("VM_EXIT_INTR_INFO")).toBe(u(V | 0x202));
    expect(r.cpu.s.nmiBlocked).toBe(true);
  });

  it("are delivered through the guest IDT (vector 2) without \"NMI exiting\"", () => {
    const r = rig({ code: "l: jmp l" });
    withIdt(r, 2);
    r.cpu.s.nmiPending = true;
    expect(r.launch(100).stop).toBe("hlt");
    expect(r.cpu.s.rip).toBe(HANDLER + 1);
    expect(r.cpu.s.nmiBlocked).toBe(true);
  });
});

describe("VMX-preemption timer (SDM Vol. 3C 26.5.1)", () => {
  it("counts down at the TSC rate divided by 2^5 and exits when it reaches 0", () => {
    const r = rig({ code: "l: inc rax\njmp l" });
    r.controls("pin", ["activate-vmx-preemption-timer"]);
    r.controls("exit", ["save-vmx-preemption-timer-value"]);
    r.set("VMX_PREEMPTION_TIMER_VALUE", 2);
    expect(r.launch(10_000).stop).toBe("exit");
    expect(r.engine.exits[0]!.reason).toBe("PREEMPTION_TIMER");
    expect(r.cpu.s.lo[RAX]).toBe(32); // 2 × 32 instructions: 32 iterations of inc + jmp
    expect(r.get("VMX_PREEMPTION_TIMER_VALUE")).toBe(0n);
  });

  it("exits before the first guest instruction when the value is 0", () => {
    const r = rig({ code: "inc rax\nhlt" });
    r.controls("pin", ["activate-vmx-preemption-timer"]);
    expect(r.launch(100).stop).toBe("exit");
    expect(r.engine.exits[0]).toMatchObject({ reason: "PREEMPTION_TIMER", guestRip: BigInt(GUEST_CODE) });
  });
});

describe("monitor trap flag (SDM Vol. 3C 26.5.2)", () => {
  it("exits after every guest instruction", () => {
    const r = rig({ code: "nop\nnop\nhlt" });
    r.controls("primary", ["monitor-trap-flag"]);
    expect(r.launch(100).stop).toBe("exit");
    expect(r.engine.resume().kind).toBe("entered");
    expect(r.cpu.run(100).stop).toBe("exit");
    expect(r.engine.exits.map((e) => [e.reason, e.guestRip])).toEqual([["MONITOR_TRAP_FLAG", 0x10001n], ["MONITOR_TRAP_FLAG", 0x10002n]]);
  });

  it("a pending MTF VM exit injected with type 7 exits before any instruction, even with MTF off (27.6.2)", () => {
    const r = rig({ code: "nop\nhlt" });
    r.set("VM_ENTRY_INTR_INFO_FIELD", V | (7 << 8));
    expect(r.launch(100).stop).toBe("exit");
    expect(r.engine.exits[0]).toMatchObject({ reason: "MONITOR_TRAP_FLAG", guestRip: BigInt(GUEST_CODE) });
    // Every VM exit clears the valid bit of the VM-entry interruption-information field (28.2).
    expect(r.get("VM_ENTRY_INTR_INFO_FIELD") >> 31n).toBe(0n);
  });
});

describe("event injection (SDM Vol. 3C 27.6)", () => {
  it("delivers an injected external interrupt through the guest IDT", () => {
    const r = rig({ code: "nop\nhlt" });
    withIdt(r, 0x20);
    r.set("GUEST_RFLAGS", 0x202);
    r.set("VM_ENTRY_INTR_INFO_FIELD", V | 0x20);
    expect(r.launch(100).stop).toBe("hlt");
    expect(r.cpu.s.rip).toBe(HANDLER + 1);
    expect(r.cpu.mem.read(GUEST_STACK - 40, 8)).toBe(BigInt(GUEST_CODE));
  });

  it("pushes RIP + VM_ENTRY_INSTRUCTION_LEN for an injected software interrupt", () => {
    const r = rig({ code: "nop\nhlt" });
    withIdt(r, 0x80);
    r.set("VM_ENTRY_INTR_INFO_FIELD", V | (4 << 8) | 0x80);
    r.set("VM_ENTRY_INSTRUCTION_LEN", 2);
    expect(r.launch(100).stop).toBe("hlt");
    expect(r.cpu.mem.read(GUEST_STACK - 40, 8)).toBe(BigInt(GUEST_CODE + 2));
    expect(r.cpu.s.lo[RSP]).toBe(GUEST_STACK - 40);
  });

  it("a fault while delivering an injected event can exit, with the injected event as IDT-vectoring information", () => {
    const r = rig({ code: "nop\nhlt" });
    r.set("EXCEPTION_BITMAP", 1 << 13);
    r.set("VM_ENTRY_INTR_INFO_FIELD", V | (3 << 8) | 6); // #UD; the guest IDT (limit 0) cannot deliver it: #GP
    const out = r.engine.enter(r.vmcs, true);
    expect(out.kind).toBe("exit");
    expect(r.engine.exits[0]!.reason).toBe("EXCEPTION_NMI");
    expect(r.get("VM_EXIT_INTR_INFO")).toBe(u(V | 0x800 | (3 << 8) | 13));
    expect(r.get("IDT_VECTORING_INFO_FIELD")).toBe(u(V | (3 << 8) | 6));
  });

  it("an injected event is not subject to the exception bitmap", () => {
    const r = rig({ code: "nop\nhlt" });
    withIdt(r, 6);
    r.set("EXCEPTION_BITMAP", 1 << 6);
    r.set("VM_ENTRY_INTR_INFO_FIELD", V | (3 << 8) | 6);
    expect(r.launch(100).stop).toBe("hlt");
    expect(r.cpu.s.rip).toBe(HANDLER + 1);
    expect(r.cpu.s.activity).toBe(HLT);
  });
});

describe("interrupts in root operation (no VMX)", () => {
  it("are delivered at an instruction boundary when IF = 1 and wake HLT", () => {
    const cpu = machine("fb f4 90 f4"); // sti; hlt; nop; hlt
    guestIdt(cpu.mem, 0x21);
    cpu.s.idtrBase = IDT;
    cpu.s.idtrLimit = 0xfff;
    expect(cpu.run(100).stop).toBe("hlt");
    expect(cpu.s.rip).toBe(0x10002);
    const line = new Line(0x21);
    cpu.s.intr = line;
    expect(cpu.run(100).stop).toBe("hlt");
    expect(cpu.s.rip).toBe(HANDLER + 1);
    expect(line.acks).toBe(1);
  });
});
