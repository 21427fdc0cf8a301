/** A misbehaving guest gets an architectural result and a clear stop, never a JS crash. */
import { Vm } from "../../src/vmm/vm";

const MB = 1 << 20;

describe("misbehaving guests", () => {
  it("an exception with no IDT escalates to a triple fault: TRIPLE_FAULT exit, shutdown", () => {
    const r = new Vm({ memory: MB, asm: "ud2" }).run();
    expect(r.exits.map((e) => e.reason)).toEqual(["TRIPLE_FAULT"]);
    expect(r.stopReason).toBe("shutdown");
    expect(r.userspaceExits).toEqual([{ kind: "shutdown", reason: "triple fault" }]);
  });

  it("an intercepted exception (exception bitmap) exits as EXCEPTION_NMI with its vector", () => {
    const r = new Vm({ memory: MB, asm: "ud2", exceptionBitmap: ["UD"], limits: { exits: 3 } }).run();
    expect(r.exits[0]!.reason).toBe("EXCEPTION_NMI");
    expect((r.exits[0]!.intrInfo ?? 0) & 0xff).toBe(6);
  });

  it("reading a guest-physical address nothing backs reads all ones (open bus through the MMIO path)", () => {
    const r = new Vm({ memory: MB, asm: "mov rbx, 0x40000000\nmov eax, [rbx]\nhlt" }).run();
    expect(r.regs.rax).toBe("0xffffffff");
    expect(r.stopReason).toBe("hlt");
  });

  it("executing from an MMIO page is an internal error with a message, not a crash", () => {
    const r = new Vm({ memory: MB, asm: "mov rax, 0xfeb00000\njmp rax" }).run();
    expect(r.stopReason).toBe("internal-error");
    expect(r.detail).toMatch(/fetch/);
  });

  it("REP OUTSB to the UART moves the string through guest memory", () => {
    const r = new Vm({ memory: MB, asm: "mov dx, 0x3f8\nlea rsi, [rel s]\nmov ecx, 4\nrep outsb\nhlt\ns: db \"abcd\"" }).run();
    expect(r.console).toBe("abcd");
    expect(r.regs.rcx).toBe("0x0");
  });

  it("HLT with interrupts disabled and nothing pending ends the run", () => {
    const r = new Vm({ memory: MB, asm: "cli\nhlt" }).run();
    expect(r.stopReason).toBe("hlt");
  });
});
