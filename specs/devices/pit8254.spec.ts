import { Pit8254 } from "../../src/devices/pit8254";

function pit() {
  let t = 0;
  const edges: number[] = [];
  const p = new Pit8254(() => t, (l) => { if (l) edges.push(t); });
  return { p, edges, at: (n: number) => { t = n; p.update(); } };
}

describe("8254 PIT", () => {
  it("mode 2 (rate generator): one IRQ0 edge per N ticks", () => {
    const { p, edges, at } = pit();
    p.ioWrite(3, 1, 0x34); // channel 0, LSB then MSB, mode 2
    p.ioWrite(0, 1, 100); p.ioWrite(0, 1, 0);
    expect(p.nextEvent()).toBe(100);
    at(99);
    expect(edges).toEqual([]);
    at(100);
    expect(edges).toEqual([100]);
    expect(p.nextEvent()).toBe(200);
    at(350); // two edges pass between updates: coalesced into one request, as the PIC's IRR would
    expect(edges).toEqual([100, 350]);
  });

  it("mode 2: the count decrements from N and OUT is low for the one clock at count 1", () => {
    const { p, at } = pit();
    p.ioWrite(3, 1, 0x34);
    p.ioWrite(0, 1, 10); p.ioWrite(0, 1, 0);
    at(3);
    p.ioWrite(3, 1, 0x00); // counter latch
    expect(p.ioRead(0, 1) | (p.ioRead(0, 1) << 8)).toBe(7);
    at(9);
    p.ioWrite(3, 1, 0xe2); // read-back status of channel 0
    expect(p.ioRead(0, 1) & 0x80).toBe(0); // OUT low
    at(10);
    p.ioWrite(3, 1, 0xe2);
    expect(p.ioRead(0, 1)).toBe(0x80 | 0x30 | 0x04);
  });

  it("mode 3 (square wave): OUT high for ceil(N/2), low for floor(N/2)", () => {
    const { p, edges, at } = pit();
    p.ioWrite(3, 1, 0x36);
    p.ioWrite(0, 1, 5); p.ioWrite(0, 1, 0);
    const status = () => { p.ioWrite(3, 1, 0xe2); return p.ioRead(0, 1) & 0x80; };
    at(2); expect(status()).toBe(0x80);
    at(3); expect(status()).toBe(0);
    at(4); expect(status()).toBe(0);
    at(5); expect(status()).toBe(0x80);
    expect(edges).toEqual([5]);
  });

  it("mode 0 (interrupt on terminal count): OUT low after the count, one edge at N", () => {
    const { p, edges, at } = pit();
    p.ioWrite(3, 1, 0x30);
    p.ioWrite(0, 1, 50); p.ioWrite(0, 1, 0);
    at(49);
    p.ioWrite(3, 1, 0xe2);
    expect(p.ioRead(0, 1) & 0x80).toBe(0);
    at(50); at(500);
    expect(edges).toEqual([50]);
    expect(p.nextEvent()).toBe(Infinity);
  });

  it("a count of 0 means 65536", () => {
    const { p } = pit();
    p.ioWrite(3, 1, 0x34);
    p.ioWrite(0, 1, 0); p.ioWrite(0, 1, 0);
    expect(p.nextEvent()).toBe(65536);
  });

  it("LSB-only access mode and BCD counting", () => {
    const { p, at } = pit();
    p.ioWrite(3, 1, 0x95); // channel 2, LSB only, mode 2, BCD
    p.ioWrite(2, 1, 0x25); // 25 (BCD)
    at(5);
    expect(p.ioRead(2, 1)).toBe(0x20);
  });

  it("a control word stops the channel until a new count is written (status null count)", () => {
    const { p } = pit();
    p.ioWrite(3, 1, 0x34);
    expect(p.nextEvent()).toBe(Infinity);
    p.ioWrite(3, 1, 0xe2);
    expect(p.ioRead(0, 1) & 0x40).toBe(0x40);
  });

  it("save/restore continues the same schedule", () => {
    const { p, at } = pit();
    p.ioWrite(3, 1, 0x34);
    p.ioWrite(0, 1, 100); p.ioWrite(0, 1, 0);
    at(150);
    const st = JSON.parse(JSON.stringify(p.save()));
    const q = new Pit8254(() => 150);
    q.restore(st);
    expect(q.nextEvent()).toBe(200);
  });
});
