/**
 * Snapshots of a whole VM: memory (copy-on-write), CPU, VMX state with the
 * VMCS, devices and the VMM's bookkeeping. snapshot → run → restore gives the
 * identical state, and running again from it gives the identical outcome.
 */
import { Vm, type VmOptions } from "../../src/vmm/vm";
import { saveCpuState } from "../../src/vmm/snapshot/cpu-state";
import { saveVmxState } from "../../src/vmm/snapshot/vmx-state";

/** Counts in memory and prints a digit per round through the UART, 3 rounds per run, then HLT. */
const OPTS: VmOptions = {
  memory: 1 << 20,
  asm: `
  again:
    mov rbx, 0x20000
    mov ecx, 3
  round:
    inc qword [rbx]
    mov rax, [rbx]
    add al, '0'
    mov dx, 0x3f8
    out dx, al
    dec ecx
    jnz round
    hlt
    jmp again
  `,
};

function fingerprint(vm: Vm) {
  return {
    cpu: saveCpuState(vm.cpu.s),
    vmx: saveVmxState(vm.state),
    uart: vm.devices.uart!.save(),
    pic: vm.devices.pic!.save(),
    pit: vm.devices.pit!.save(),
    counter: vm.mem.read(0x20000, 8),
    steps: vm.steps,
    exits: vm.exits.length,
  };
}

describe("VM snapshots", () => {
  it("snapshot → run → restore gives back the identical state; the rerun repeats the same outcome", () => {
    const vm = new Vm(OPTS);
    vm.run();
    expect(vm.console).toBe("123");
    const snap = vm.snapshot("after first run");
    const before = fingerprint(vm);
    const r1 = vm.run();
    expect(r1.console).toBe("123456");
    expect(vm.mem.read(0x20000, 8)).toBe(6n);
    vm.restore(snap);
    expect(fingerprint(vm)).toEqual(before);
    const r2 = vm.run();
    expect(r2.console).toBe(r1.console);
    expect(r2.regs).toEqual(r1.regs);
    expect(r2.exits.map((e) => [e.reason, e.guestRip])).toEqual(r1.exits.map((e) => [e.reason, e.guestRip]));
  });

  it("only pages written after the snapshot are copied", () => {
    const vm = new Vm(OPTS);
    vm.run();
    const snap = vm.snapshot();
    vm.run();
    // The counter page, the stack page is untouched (no pushes); the VMCS lives in the processor, not memory.
    expect(snap.cow.copiedPages).toBeLessThanOrEqual(3);
    expect(snap.cow.copiedPages).toBeGreaterThanOrEqual(1);
  });

  it("a VMXLSNAP file restores into a fresh VM built from the same options", () => {
    const vm = new Vm(OPTS);
    vm.run();
    const file = vm.saveFile();
    expect(Buffer.from(file.subarray(0, 8)).toString("latin1")).toBe("VMXLSNAP");
    const r1 = vm.run();

    const other = new Vm(OPTS);
    other.loadFile(file, "vm.snap");
    expect(other.console).toBe("123");
    const r2 = other.run();
    expect(r2.console).toBe(r1.console);
    expect(r2.regs).toEqual(r1.regs);
  });

  it("a snapshot file of a snapshot taken earlier holds memory as of the snapshot", () => {
    const vm = new Vm(OPTS);
    vm.run();
    const snap = vm.snapshot();
    vm.run();
    const other = new Vm(OPTS);
    other.loadFile(vm.saveFile(snap));
    expect(other.mem.read(0x20000, 8)).toBe(3n);
    expect(other.run().console).toBe("123456");
  });

  it("a file from a VM of another memory size is refused with an input error", () => {
    const vm = new Vm(OPTS);
    const other = new Vm({ ...OPTS, memory: 2 << 20 });
    expect(() => other.loadFile(vm.saveFile(), "small.snap")).toThrow(/small\.snap: snapshot of \d+ bytes/);
  });

  it("a snapshot while the guest runs (a run stopped on its step budget) restores into non-root operation", () => {
    const vm = new Vm({ memory: 1 << 20, asm: "mov rbx, 0x20000\nl: inc rax\nmov [rbx], rax\ncpuid\njmp l" });
    vm.run({ maxSteps: 10 });
    expect(vm.state.nonRoot).toBe(true);
    const snap = vm.snapshot();
    const exitsBefore = vm.exits.length;
    const a = vm.run({ maxSteps: 40 });
    vm.restore(snap);
    expect(vm.state.nonRoot).toBe(true);
    expect(vm.exits.length).toBe(exitsBefore);
    const b = vm.run({ maxSteps: 40 });
    expect(b.regs).toEqual(a.regs);
    expect(b.exits.map((e) => [e.reason, e.guestRip])).toEqual(a.exits.map((e) => [e.reason, e.guestRip]));
    expect(vm.mem.read(0x20000, 8)).toBe(BigInt(a.regs.rax));
  });

  it("a snapshot in root operation restores over a guest that is running", () => {
    const vm = new Vm({ memory: 1 << 20, asm: "l: inc rax\ncpuid\njmp l" });
    const snap = vm.snapshot("before launch");
    const a = vm.run({ maxSteps: 25 });
    expect(vm.state.nonRoot).toBe(true);
    vm.restore(snap);
    expect(vm.state.nonRoot).toBe(false);
    expect(vm.cpu.s.icpt).toBeNull();
    expect(vm.run({ maxSteps: 25 }).regs).toEqual(a.regs);
  });

  it("pause() brings a running guest back to root operation with an EXTERNAL_INTERRUPT exit", () => {
    const vm = new Vm({ memory: 1 << 20, asm: "l: inc rax\njmp l" });
    vm.run({ maxSteps: 100 });
    vm.pause();
    expect(vm.state.nonRoot).toBe(false);
    expect(vm.exits.at(-1)!.reason).toBe("EXTERNAL_INTERRUPT");
    expect(vm.run({ maxSteps: 100 }).regs.rax).toBe("0x64");
  });
});
