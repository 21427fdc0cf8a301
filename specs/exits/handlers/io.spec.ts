import { completeIoIn, fakeVcpu } from "../../../src/testing";

describe("I/O-instruction exits (SDM Vol. 3C Table 28-5) → userspace, like KVM_EXIT_IO", () => {
  it("OUT DX, AL completes before the exit and carries the value", () => {
    const v = fakeVcpu({ exit: { reason: "IO_INSTRUCTION", qualification: { io: { port: 0x3f8, direction: "out", size: 1 } } }, regs: { rax: 0x1234_5648 } });
    v.handle();
    expect(v).toHaveAdvancedRip(1);
    expect(v).toHaveExitedToUserspace("io", { port: 0x3f8, direction: "out", size: 1, value: 0x48 });
  });

  it("IN AL, 0x60 exits first; completion merges AL and advances RIP", () => {
    const v = fakeVcpu({
      exit: { reason: "IO_INSTRUCTION", instructionLength: 2, qualification: { io: { port: 0x60, direction: "in", size: 1, operand: "immediate" } } },
      regs: { rax: 0xffff_ffff_ffff_ff00n },
    });
    v.handle();
    expect(v).toHaveExitedToUserspace("io", { port: 0x60, direction: "in", size: 1 });
    expect(v).not.toHaveAdvancedRip();
    completeIoIn(v, 0xab);
    expect(v.regs.rax).toBe(0xffff_ffff_ffff_ffabn);
    expect(v).toHaveAdvancedRip(2);
  });

  it("IN EAX, DX zero-extends into RAX", () => {
    const v = fakeVcpu({ exit: { reason: "IO_INSTRUCTION", qualification: { io: { port: 0xcfc, direction: "in", size: 4 } } }, regs: { rax: -1n } });
    v.handle();
    completeIoIn(v, 0x8086_1237);
    expect(v.regs.rax).toBe(0x8086_1237n);
  });

  it("REP OUTSB sends RCX bytes from the guest buffer and finishes the instruction", () => {
    const v = fakeVcpu({
      exit: { reason: "IO_INSTRUCTION", instructionLength: 2, guestLinearAddress: 0x3000, qualification: { io: { port: 0x3f8, direction: "out", size: 1, string: true, rep: true } } },
      regs: { rcx: 3, rsi: 0x3000 },
      memory: { 0x3000: "Hi!" },
    });
    v.handle();
    expect(v).toHaveExitedToUserspace("io", { port: 0x3f8, direction: "out", count: 3, values: [0x48, 0x69, 0x21] });
    expect(v.regs.rsi).toBe(0x3003n);
    expect(v.regs.rcx).toBe(0n);
    expect(v).toHaveAdvancedRip(2);
  });

  it("INSW writes the device's word to ES:RDI on completion", () => {
    const v = fakeVcpu({
      exit: { reason: "IO_INSTRUCTION", guestLinearAddress: 0x4000, qualification: { io: { port: 0x1f0, direction: "in", size: 2, string: true } } },
      regs: { rdi: 0x4000 },
      memory: { 0x4000: [0, 0] },
    });
    v.handle();
    expect(v).toHaveExitedToUserspace("io", { direction: "in", count: 1 });
    completeIoIn(v, [0xbeef]);
    expect(Array.from(v.physical(0x4000, 2))).toEqual([0xef, 0xbe]);
    expect(v.regs.rdi).toBe(0x4002n);
    expect(v).toHaveAdvancedRip(1);
  });
});
