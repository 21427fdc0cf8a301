import { Pic8259 } from "../../src/devices/pic8259";

/** The BIOS/Linux initialization: ICW1 0x11 (edge, cascade, ICW4), ICW2 base, ICW3 cascade wiring, ICW4 0x01 (8086). */
function initPc(pic: Pic8259, masterBase = 0x20, slaveBase = 0x28) {
  const m = pic.ports("master"), s = pic.ports("slave");
  m.ioWrite(0, 1, 0x11); m.ioWrite(1, 1, masterBase); m.ioWrite(1, 1, 0x04); m.ioWrite(1, 1, 0x01);
  s.ioWrite(0, 1, 0x11); s.ioWrite(1, 1, slaveBase); s.ioWrite(1, 1, 0x02); s.ioWrite(1, 1, 0x01);
  return { m, s };
}

describe("8259A PIC pair", () => {
  it("ICW1–ICW4 set the vector base; after ICW1 IMR is clear", () => {
    const pic = new Pic8259();
    const { m } = initPc(pic);
    expect(m.ioRead(1, 1)).toBe(0);
    pic.pulse(0);
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x20);
  });

  it("OCW1 masks a line; the request stays in IRR until unmasked", () => {
    const pic = new Pic8259();
    const { m } = initPc(pic);
    m.ioWrite(1, 1, 0x01);
    pic.pulse(0);
    expect(pic.pending()).toBe(false);
    expect(m.ioRead(0, 1)).toBe(0x01); // IRR read (default after ICW1)
    m.ioWrite(1, 1, 0x00);
    expect(pic.pending()).toBe(true);
  });

  it("fully nested: an in-service level blocks equal and lower priorities until EOI", () => {
    const pic = new Pic8259();
    const { m } = initPc(pic);
    pic.pulse(1);
    expect(pic.acknowledge()).toBe(0x21);
    pic.pulse(3);
    expect(pic.pending()).toBe(false); // IRQ3 < IRQ1 in priority
    pic.pulse(0);
    expect(pic.pending()).toBe(true); // IRQ0 preempts
    expect(pic.acknowledge()).toBe(0x20);
    m.ioWrite(0, 1, 0x0b); // OCW3: read ISR (0x0a would read IRR: IRQ3 still requested)
    expect(m.ioRead(0, 1)).toBe(0x03);
    m.ioWrite(0, 1, 0x20); // non-specific EOI: clears IRQ0 (highest in service)
    m.ioWrite(0, 1, 0x20); // then IRQ1
    expect(m.ioRead(0, 1)).toBe(0x00);
    expect(pic.acknowledge()).toBe(0x23);
  });

  it("edge triggering: a held line requests once", () => {
    const pic = new Pic8259();
    const { m } = initPc(pic);
    pic.setIrq(4, true);
    expect(pic.acknowledge()).toBe(0x24);
    m.ioWrite(0, 1, 0x64); // specific EOI, level 4
    pic.setIrq(4, true);
    expect(pic.pending()).toBe(false);
  });

  it("level triggering (ICW1.LTIM): the request follows the line", () => {
    const pic = new Pic8259();
    const m = pic.ports("master");
    m.ioWrite(0, 1, 0x1b); m.ioWrite(1, 1, 0x40); // single, LTIM, ICW4
    m.ioWrite(1, 1, 0x01);
    pic.setIrq(5, true);
    expect(pic.pending()).toBe(true);
    pic.setIrq(5, false);
    expect(pic.pending()).toBe(false);
  });

  it("slave interrupts arrive through the master's IR2 with the slave's vector", () => {
    const pic = new Pic8259();
    const { m, s } = initPc(pic);
    pic.pulse(12);
    expect(pic.pending()).toBe(true);
    expect(pic.acknowledge()).toBe(0x2c);
    s.ioWrite(0, 1, 0x0b);
    m.ioWrite(0, 1, 0x0b);
    expect(s.ioRead(0, 1)).toBe(0x10);
    expect(m.ioRead(0, 1)).toBe(0x04);
  });

  it("automatic EOI leaves ISR clear after INTA", () => {
    const pic = new Pic8259();
    const m = pic.ports("master");
    m.ioWrite(0, 1, 0x13); m.ioWrite(1, 1, 0x08); m.ioWrite(1, 1, 0x03); // single, ICW4 AEOI
    pic.pulse(0);
    expect(pic.acknowledge()).toBe(0x08);
    pic.pulse(0);
    expect(pic.pending()).toBe(true);
  });

  it("a request withdrawn before INTA yields the spurious IR7 vector", () => {
    const pic = new Pic8259();
    const m = pic.ports("master");
    m.ioWrite(0, 1, 0x1b); m.ioWrite(1, 1, 0x40); m.ioWrite(1, 1, 0x01);
    expect(pic.acknowledge()).toBe(0x47);
  });

  it("rotate on non-specific EOI makes the serviced level the lowest", () => {
    const pic = new Pic8259();
    const { m } = initPc(pic);
    pic.pulse(0);
    expect(pic.acknowledge()).toBe(0x20);
    m.ioWrite(0, 1, 0xa0);
    pic.pulse(0); pic.pulse(1);
    expect(pic.acknowledge()).toBe(0x21); // IRQ1 now outranks IRQ0
  });

  it("poll command returns 0x80 | level and acknowledges", () => {
    const pic = new Pic8259();
    const { m } = initPc(pic);
    pic.pulse(6);
    m.ioWrite(0, 1, 0x0c);
    expect(m.ioRead(0, 1)).toBe(0x86);
    m.ioWrite(0, 1, 0x0b);
    expect(m.ioRead(0, 1)).toBe(0x40);
  });

  it("save/restore round-trips both chips", () => {
    const pic = new Pic8259();
    initPc(pic);
    pic.pulse(3);
    const st = JSON.parse(JSON.stringify(pic.save()));
    const q = new Pic8259();
    q.restore(st);
    expect(q.save()).toEqual(pic.save());
    expect(q.acknowledge()).toBe(0x23);
  });
});
