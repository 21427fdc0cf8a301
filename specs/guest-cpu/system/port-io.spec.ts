/**
 * IN, OUT, INS, OUTS against an I/O bus (hooks.ts IoBus) and the intercept's
 * view of them (size, direction, string, REP) — SDM Vol. 2A IN/INS, Vol. 2B
 * OUT/OUTS; the VM-exit qualification is built from these arguments.
 */
import type { IoBus } from "../../../src/guest-cpu/hooks";
import { L, runSys } from "../support/system-machine";

function bus() {
  const log: string[] = [];
  const io: IoBus = {
    read: (port, size) => {
      log.push(`in ${port.toString(16)}/${size}`);
      return size === 1 ? 0x5a : size === 2 ? 0x1234 : 0xdeadbeef;
    },
    write: (port, size, v) => void log.push(`out ${port.toString(16)}/${size}=${v.toString(16)}`),
  };
  return { io, log };
}

describe("port I/O", () => {
  it("IN/OUT with an immediate port and with DX, at 1/2/4 bytes; IN EAX zero-extends RAX", () => {
    const b = bus();
    const r = runSys("mov rax, -1\nin al, 0x60\nmov ebx, eax\nmov dx, 0x3f8\nmov eax, 0x41\nout dx, al\nout dx, ax\nout dx, eax\nmov rax, -1\nin eax, dx", {
      setup: (cpu) => (cpu.s.io = b.io),
    });
    expect(b.log).toEqual(["in 60/1", "out 3f8/1=41", "out 3f8/2=41", "out 3f8/4=41", "in 3f8/4"]);
    expect(r.reg("rbx")).toBe(0xffff_ff5an);
    expect(r.reg("rax")).toBe(0xdeadbeefn);
  });

  it("REP OUTSB writes RCX bytes from [RSI]; REP INSW stores words at [RDI]", () => {
    const b = bus();
    const r = runSys(`mov rsi, ${L.data}\nmov dx, 0xe9\nmov ecx, 3\nrep outsb\nmov rdi, ${L.data + 0x100}\nmov ecx, 2\nrep insw`, {
      setup: (cpu) => {
        cpu.s.io = b.io;
        cpu.mem.writeBytes(L.data, new TextEncoder().encode("abc"));
      },
    });
    expect(b.log).toEqual(["out e9/1=61", "out e9/1=62", "out e9/1=63", "in e9/2", "in e9/2"]);
    expect(r.cpu.mem.read(L.data + 0x100, 4)).toBe(0x1234_1234n);
  });

  it("the intercept is asked once per instruction with port, size, direction, string and REP", () => {
    const seen: string[] = [];
    runSys(`mov dx, 0x70\nout dx, al\nmov rsi, ${L.data}\nmov ecx, 2\nrep outsw\nin al, 0x71`, {
      setup: (cpu) => {
        cpu.s.icpt = {
          instruction: () => {}, readCr: (_s, _i, _c, _g, v) => v, writeCr: (_s, _i, _c, _k, _g, v) => v, movDr: () => {}, msr: () => {},
          exception: () => {}, tripleFault: () => {}, tsc: (_s, v) => v,
          io: (_s, _i, port, size, isIn, isString, isRep) => void seen.push(`${port.toString(16)} ${size} ${isIn ? "in" : "out"}${isString ? " string" : ""}${isRep ? " rep" : ""}`),
        };
      },
    });
    expect(seen).toEqual(["70 1 out", "70 2 out string rep", "71 1 in"]);
  });
});
