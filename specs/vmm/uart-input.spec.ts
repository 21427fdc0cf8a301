/** Interrupt-driven serial input: the UART's RDA interrupt through the PIC (IRQ 4 → vector 0x24), injected on entry. */
import { Vm } from "../../src/vmm/vm";

const ECHO = `
  lea rax, [rel handler]
  mov rdi, 0x8000 + 0x24 * 16
  mov word [rdi], ax
  mov word [rdi+2], 0x08
  mov word [rdi+4], 0x8e00
  shr rax, 16
  mov word [rdi+6], ax
  mov dword [rdi+8], 0
  mov dword [rdi+12], 0
  lidt [rel idtr]
  mov al, 0x11
  out 0x20, al
  mov al, 0x20
  out 0x21, al
  mov al, 4
  out 0x21, al
  mov al, 1
  out 0x21, al
  mov al, 0xef          ; unmask IRQ 4 only
  out 0x21, al
  mov dx, 0x3f9
  mov al, 1             ; IER: received data available
  out dx, al
  mov dx, 0x3fc
  mov al, 8             ; MCR: OUT2 gates the IRQ to the PIC
  out dx, al
  xor r12, r12
  sti
wait:
  hlt
  cmp r12, 2
  jb wait
  cli
  hlt
handler:
  push rax
  push rdx
  mov dx, 0x3f8
  in al, dx             ; RBR: the received byte (clears the RDA interrupt)
  inc al
  out dx, al            ; echo it, shifted by one
  inc r12
  mov al, 0x20
  out 0x20, al
  pop rdx
  pop rax
  iretq
idtr: dw 0x2ff
      dq 0x8000
`;

describe("serial input by interrupt", () => {
  it("each received byte raises IRQ 4; the guest's handler reads RBR and echoes", () => {
    const vm = new Vm({ memory: 1 << 20, asm: ECHO });
    vm.devices.uart!.input("H");
    vm.run({ maxSteps: 5000 });
    expect(vm.console).toBe("I");
    vm.devices.uart!.input("A");
    const r = vm.run({ maxSteps: 5000 });
    expect(r.console).toBe("IB");
    expect(r.stopReason).toBe("hlt");
    expect(vm.devices.pic!.acked).toEqual([0x24, 0x24]);
  });
});
