import { Uart16550 } from "../../src/devices/uart16550";

/** Registers by offset from the base (PC16550D register summary). */
const RBR = 0, THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

function uart() {
  const levels: boolean[] = [];
  const u = new Uart16550("com1", (l) => levels.push(l));
  const out = (r: number, v: number) => u.ioWrite(r, 1, v);
  const inb = (r: number) => u.ioRead(r, 1);
  return { u, levels, out, inb };
}

describe("16550 UART", () => {
  it("captures THR writes as console text", () => {
    const { u, out } = uart();
    for (const c of "Hello\n") out(THR, c.charCodeAt(0));
    expect(u.console).toBe("Hello\n");
  });

  it("LSR always reports THRE and TEMT (transmission is instantaneous)", () => {
    const { inb, out } = uart();
    expect(inb(LSR) & 0x60).toBe(0x60);
    out(THR, 0x41);
    expect(inb(LSR) & 0x60).toBe(0x60);
  });

  it("LCR.DLAB switches offsets 0/1 to the divisor latch", () => {
    const { u, out, inb } = uart();
    out(LCR, 0x80);
    out(0, 0x01);
    out(1, 0x00);
    expect(inb(0)).toBe(0x01);
    out(LCR, 0x03);
    out(THR, 0x42);
    expect(u.console).toBe("B"); // the divisor write did not transmit
    expect(inb(LCR)).toBe(0x03);
  });

  it("IIR reads 0x01 (no interrupt) after reset; with FIFOs enabled bits 7:6 are set", () => {
    const { inb, out } = uart();
    expect(inb(IIR)).toBe(0x01);
    out(FCR, 0x01);
    expect(inb(IIR)).toBe(0xc1);
  });

  it("THRE interrupt: raised when ETBEI is enabled, cleared by reading IIR, re-armed by a THR write", () => {
    const { inb, out } = uart();
    out(IER, 0x02);
    expect(inb(IIR)).toBe(0x02);
    expect(inb(IIR)).toBe(0x01); // the read cleared it
    out(THR, 0x41);
    expect(inb(IIR)).toBe(0x02);
  });

  it("drives the IRQ line only while MCR.OUT2 is set", () => {
    const { u, levels, out } = uart();
    out(IER, 0x02);
    expect(levels).toEqual([]);
    out(MCR, 0x08);
    expect(levels).toEqual([true]);
    expect(u.irqAsserted).toBe(true);
    out(MCR, 0x00);
    expect(levels).toEqual([true, false]);
  });

  it("received data: LSR.DR, RBR, and the RDA interrupt above THRE in priority", () => {
    const { u, inb, out } = uart();
    out(FCR, 0x01); // FIFOs: room for both bytes
    out(IER, 0x03);
    u.input("ab");
    expect(inb(LSR) & 1).toBe(1);
    expect(inb(IIR)).toBe(0xc4);
    expect(inb(RBR)).toBe(0x61);
    expect(inb(RBR)).toBe(0x62);
    expect(inb(LSR) & 1).toBe(0);
    expect(inb(IIR)).toBe(0xc2);
  });

  it("an overrun sets LSR.OE, which clears on the LSR read", () => {
    const { u, inb } = uart();
    u.input("xy"); // no FIFO: one-byte holding register
    expect(inb(LSR) & 0x02).toBe(0x02);
    expect(inb(LSR) & 0x02).toBe(0);
  });

  it("loopback mode returns transmitted bytes to the receiver and reflects MCR in MSR", () => {
    const { u, inb, out } = uart();
    out(MCR, 0x10 | 0x0b); // LOOP, OUT2, RTS, DTR
    out(THR, 0x5a);
    expect(u.console).toBe("");
    expect(inb(RBR)).toBe(0x5a);
    expect(inb(MSR) & 0xf0).toBe(0x80 | 0x20 | 0x10);
  });

  it("scratch register keeps its value", () => {
    const { inb, out } = uart();
    out(SCR, 0xa5);
    expect(inb(SCR)).toBe(0xa5);
  });

  it("save/restore round-trips the registers and console", () => {
    const { u, out } = uart();
    out(IER, 0x02); out(MCR, 0x08); out(THR, 0x41);
    const st = JSON.parse(JSON.stringify(u.save()));
    const v = new Uart16550("com1");
    v.restore(st);
    expect(v.save()).toEqual(u.save());
    expect(v.console).toBe("A");
  });
});
