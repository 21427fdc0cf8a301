/**
 * A guest taking timer interrupts: it programs the PIC (vectors 0x20–0x2f)
 * and the PIT (mode 2), installs an IDT gate for IRQ 0 and halts; each tick
 * is injected by the VMM on VM entry (VM_ENTRY_INTR_INFO_FIELD), the handler
 * counts it and sends EOI.
 */
import { Vm } from "../../src/vmm/vm";

const IDT = 0x8000;

const TIMER_GUEST = (ticks: number, halt: boolean, beforeSti = "") => `
  ; IDT gate 0x20 → handler (64-bit interrupt gate, selector 0x08)
  lea rax, [rel handler]
  mov rdi, ${IDT} + 0x20 * 16
  mov word [rdi], ax
  mov word [rdi+2], 0x08
  mov word [rdi+4], 0x8e00
  shr rax, 16
  mov word [rdi+6], ax
  shr rax, 16
  mov dword [rdi+8], eax
  mov dword [rdi+12], 0
  lidt [rel idtr]
  ; PIC: ICW1..ICW4, master base 0x20, slave 0x28; mask everything but IRQ0
  mov al, 0x11
  out 0x20, al
  out 0xa0, al
  mov al, 0x20
  out 0x21, al
  mov al, 0x28
  out 0xa1, al
  mov al, 4
  out 0x21, al
  mov al, 2
  out 0xa1, al
  mov al, 1
  out 0x21, al
  out 0xa1, al
  mov al, 0xfe
  out 0x21, al
  mov al, 0xff
  out 0xa1, al
  ; PIT channel 0, mode 2, count 1000
  mov al, 0x34
  out 0x43, al
  mov ax, 1000
  out 0x40, al
  mov al, ah
  out 0x40, al
  xor r12, r12
  ${beforeSti}
  sti
wait:
  ${halt ? "hlt" : "pause\n  nop"}
  cmp r12, ${ticks}
  jb wait
  cli
  mov al, r12b
  out 0xf4, al
  hlt
handler:
  inc r12
  push rax
  mov al, 0x20
  out 0x20, al
  pop rax
  iretq
idtr: dw 0x2ff
      dq ${IDT}
`;

describe("a guest taking timer interrupts (PIT → PIC → injection)", () => {
  it("HLT waits for the next tick: virtual time skips ahead, the tick is injected as vector 0x20", () => {
    const vm = new Vm({ memory: 1 << 20, asm: TIMER_GUEST(3, true) });
    const r = vm.run();
    expect(r.detail).toMatch(/debug-exit/);
    expect(r.status).toBe(3);
    expect(vm.devices.pic!.acked).toEqual([0x20, 0x20, 0x20]);
    const hlts = r.exits.filter((e) => e.reason === "HLT").length;
    expect(hlts).toBeGreaterThanOrEqual(3);
    expect(vm.idleTicks).toBeGreaterThan(0);
  });

  it("a tick while the guest runs is a host interrupt (EXTERNAL_INTERRUPT exit), then the injection", () => {
    const vm = new Vm({ memory: 1 << 20, asm: TIMER_GUEST(2, false), controls: { primary: ["unconditional-io-exiting", "activate-secondary-controls", "use-msr-bitmaps"] } });
    const r = vm.run();
    expect(r.status).toBe(2);
    expect(r.exits.filter((e) => e.reason === "EXTERNAL_INTERRUPT").length).toBeGreaterThanOrEqual(2);
    expect(vm.idleTicks).toBe(0);
    // The ticks came 1000 instructions apart in virtual time.
    expect(r.steps).toBeGreaterThan(2000);
  });

  it("a tick while interrupts are disabled waits for the interrupt window (INTERRUPT_WINDOW exit after STI)", () => {
    // STI's shadow covers one instruction; the window opens before the second NOP (an HLT right after STI would exit as HLT first).
    const spin = "cli\n  mov ecx, 1500\nspin:\n  dec ecx\n  jnz spin\n  sti\n  nop\n  nop";
    const vm = new Vm({ memory: 1 << 20, asm: TIMER_GUEST(1, true, spin) });
    const r = vm.run();
    // The ticks during the CLI section coalesce into one request (IRR); the guest's wait loop then halts once more for the next.
    expect(r.status).toBe(2);
    const reasons = r.exits.map((e) => e.reason);
    const w = reasons.indexOf("INTERRUPT_WINDOW");
    expect(w).toBeGreaterThan(0);
    expect(reasons.slice(0, w)).toContain("EXTERNAL_INTERRUPT");
    // One kick only: after it the window is armed and the guest exits by itself once IF = 1.
    expect(reasons.slice(0, w).filter((x) => x === "EXTERNAL_INTERRUPT")).toHaveLength(1);
    expect(vm.devices.pic!.acked[0]).toBe(0x20);
  });

  it("a timer programmed through ports that do not exit (empty I/O bitmaps) still ticks on time", () => {
    const vm = new Vm({ memory: 1 << 20, ioIntercepts: [], asm: TIMER_GUEST(2, false) });
    const r = vm.run();
    expect(r.status).toBe(2);
    // No I/O exits: two host kicks for the ticks; the debug-exit write does not exit either, so the guest
    // reaches its final HLT (IF = 0: halted for good) before the VMM sees the status.
    expect(r.exits.map((e) => e.reason)).toEqual(["EXTERNAL_INTERRUPT", "EXTERNAL_INTERRUPT", "HLT"]);
  });
});
