import { MMIO_DEMO_ID } from "../../src/devices/mmio-demo";
import { Vm } from "../../src/vmm/vm";

const MB = 1 << 20;

describe("a guest making hypercalls (VMCALL)", () => {
  it("PRINT_STRING and EXIT go through the dispatcher's hypercall ABI", () => {
    const vm = new Vm({
      memory: MB,
      asm: `
        mov eax, 4          ; VERSION
        vmcall
        mov r12, rax
        mov eax, 1          ; PRINT_STRING rbx=address rcx=length
        lea rbx, [rel msg]
        mov ecx, 3
        vmcall
        mov eax, 2          ; EXIT rbx=code
        mov ebx, 42
        vmcall
        hlt
      msg: db "hi!"
      `,
    });
    const r = vm.run();
    expect(r.exits.map((e) => e.reason)).toEqual(["VMCALL", "VMCALL", "VMCALL"]);
    expect(r.stopReason).toBe("guest-exit");
    expect(r.status).toBe(42);
    expect(r.console).toBe("hi!");
    expect(r.regs.r12).toBe("0x1");
  });
});

describe("a guest doing MMIO", () => {
  it("loads and stores to the demo device's page are EPT violations emulated in userspace", () => {
    const vm = new Vm({
      memory: MB,
      asm: `
        mov rbx, 0xfeb00000
        mov eax, [rbx]            ; ID
        mov dword [rbx+8], 0x1234 ; SCRATCH
        mov ecx, [rbx+8]
        movzx edx, byte [rbx+9]
        mov dword [rbx+0x10], 7   ; DOORBELL
        hlt
      `,
    });
    const r = vm.run();
    expect(r.stopReason).toBe("hlt");
    expect(r.exits.map((e) => e.reason)).toEqual([...Array(5).fill("EPT_VIOLATION"), "HLT"]);
    expect(r.exits[0]!.guestPhysicalAddress).toBe(0xfeb00000n);
    expect(BigInt(r.regs.rax)).toBe(BigInt(MMIO_DEMO_ID));
    expect(r.regs.rcx).toBe("0x1234");
    expect(r.regs.rdx).toBe("0x12");
    expect(vm.devices.mmioDemo!.doorbells).toEqual([7]);
    expect(r.userspaceExits.slice(0, 2)).toEqual([
      { kind: "mmio", address: 0xfeb00000n, direction: "read", size: 4, value: BigInt(MMIO_DEMO_ID) },
      { kind: "mmio", address: 0xfeb00008n, direction: "write", size: 4, value: 0x1234n },
    ]);
  });

  it("the passthrough region is plain RAM in EPT: no exits, the device sees the bytes", () => {
    const vm = new Vm({
      memory: MB,
      asm: `
        mov rbx, 0xfec00000
        mov dword [rbx+4], 0xabcd
        mov eax, [rbx]
        hlt
      `,
    });
    vm.devices.passthrough!.write32(0, 0x55);
    const r = vm.run();
    expect(r.exits.map((e) => e.reason)).toEqual(["HLT"]);
    expect(r.regs.rax).toBe("0x55");
    expect(vm.devices.passthrough!.read32(4)).toBe(0xabcd);
  });
});

describe("I/O input and the debug-exit port", () => {
  it("IN from the UART's LSR completes in the guest's AL; a debug-exit write ends the run with its status", () => {
    const vm = new Vm({
      memory: MB,
      asm: `
        mov dx, 0x3fd
        in al, dx
        mov bl, al
        mov al, 3
        out 0xf4, al
        hlt
      `,
    });
    const r = vm.run();
    expect(r.stopReason).toBe("debug-exit");
    expect(r.status).toBe(3);
    expect(r.regs.rbx).toBe("0x60");
    expect(r.userspaceExits[0]).toEqual({ kind: "io", port: 0x3fd, direction: "in", size: 1, values: [0x60] });
  });
});

describe("VM entry failures", () => {
  it("a guest-state check failure is a fail-entry userspace exit naming the check", () => {
    const vm = new Vm({ memory: MB, asm: "hlt", fields: { GUEST_RFLAGS: 0 } });
    const r = vm.run();
    expect(r.stopReason).toBe("fail-entry");
    expect(r.userspaceExits[0]).toMatchObject({ kind: "fail-entry", reason: "INVALID_GUEST_STATE" });
  });

  it("a control check failure is VMfailValid with VM-instruction error 7", () => {
    const vm = new Vm({ memory: MB, asm: "hlt", fields: { CR3_TARGET_COUNT: 9 } });
    const r = vm.run();
    expect(r.userspaceExits[0]).toMatchObject({ kind: "fail-entry", vmInstructionError: 7 });
  });
});

describe("the console", () => {
  it("interleaves UART output and hypercall prints in the order the guest produced them", () => {
    const vm = new Vm({
      memory: MB,
      asm: `
        mov dx, 0x3f8
        mov al, 'a'
        out dx, al
        xor eax, eax      ; PRINT_CHAR
        mov ebx, 'b'
        vmcall
        mov al, 'c'
        out dx, al
        hlt
      `,
    });
    expect(vm.run().console).toBe("abc");
  });
});
