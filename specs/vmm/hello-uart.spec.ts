import { Vm } from "../../src/vmm/vm";

const HELLO = `
  mov dx, 0x3f8
  lea rsi, [rel msg]
next:
  mov al, [rsi]
  test al, al
  jz done
  out dx, al
  inc rsi
  jmp next
done:
  hlt
msg: db "Hello", 10, 0
`;

describe("a guest printing through the UART", () => {
  it("every OUT is an I/O exit to userspace; the UART captures the text; HLT ends the run", () => {
    const vm = new Vm({ memory: 1 << 20, asm: HELLO });
    const r = vm.run();
    expect(r.detail).toBeUndefined();
    expect(r.console).toBe("Hello\n");
    expect(r.stopReason).toBe("hlt");
    const reasons = r.exits.map((e) => e.reason);
    expect(reasons).toEqual([...Array(6).fill("IO_INSTRUCTION"), "HLT"]);
    expect(r.userspaceExits[0]).toEqual({ kind: "io", port: 0x3f8, direction: "out", size: 1, value: 0x48 });
    expect(r.userspaceExits.at(-1)).toEqual({ kind: "hlt" });
  });
});
