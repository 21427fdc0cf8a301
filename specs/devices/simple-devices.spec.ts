import { DebugExit } from "../../src/devices/debug-exit";
import { MMIO_DEMO_ID, MMIO_REG, MmioDemo } from "../../src/devices/mmio-demo";
import { PassthroughDevice } from "../../src/devices/passthrough";
import { Uart16550 } from "../../src/devices/uart16550";
import { HostMemory } from "../../src/memory/host-memory";
import { MmioBus } from "../../src/memory/mmio-bus";
import { PortIoBus } from "../../src/vmm/io-bus";

describe("port I/O bus", () => {
  it("routes a port to the device decoding it, with the offset from its base, and logs the access", () => {
    const bus = new PortIoBus();
    const u = new Uart16550();
    bus.map(0x3f8, 8, u);
    bus.write(0x3f8, 1, 0x48);
    expect(u.console).toBe("H");
    expect(bus.read(0x3fd, 1) & 0x60).toBe(0x60);
    expect(bus.log[0]).toEqual({ port: 0x3f8, size: 1, direction: "out", value: 0x48, device: "uart" });
  });

  it("unclaimed ports float high", () => {
    const bus = new PortIoBus();
    expect(bus.read(0x80, 1)).toBe(0xff);
    expect(bus.read(0x80, 2)).toBe(0xffff);
    expect(bus.read(0x80, 4)).toBe(0xffff_ffff);
  });

  it("refuses overlapping ranges", () => {
    const bus = new PortIoBus();
    bus.map(0x3f8, 8, new Uart16550("a"));
    expect(() => bus.map(0x3ff, 1, new DebugExit())).toThrow(/already decoded by a/);
  });
});

describe("debug-exit port", () => {
  it("a write records the status", () => {
    const d = new DebugExit();
    expect(d.status).toBeNull();
    d.ioWrite(0, 1, 0x31);
    expect(d.status).toBe(0x31);
    const e = new DebugExit();
    e.restore(d.save());
    expect(e.status).toBe(0x31);
  });
});

describe("MMIO demo device", () => {
  it("ID/VERSION read-only, SCRATCH read-write, COUNTER counts reads, DOORBELL records writes", () => {
    const d = new MmioDemo();
    expect(d.mmioRead(MMIO_REG.ID, 4)).toBe(BigInt(MMIO_DEMO_ID));
    d.mmioWrite(MMIO_REG.ID, 4, 0n);
    expect(d.mmioRead(MMIO_REG.ID, 4)).toBe(BigInt(MMIO_DEMO_ID));
    d.mmioWrite(MMIO_REG.SCRATCH, 4, 0xdeadbeefn);
    expect(d.mmioRead(MMIO_REG.SCRATCH, 4)).toBe(0xdeadbeefn);
    d.mmioWrite(MMIO_REG.SCRATCH + 1, 1, 0x11n);
    expect(d.mmioRead(MMIO_REG.SCRATCH, 4)).toBe(0xdead11efn);
    expect(d.mmioRead(MMIO_REG.SCRATCH + 2, 2)).toBe(0xdeadn);
    expect([d.mmioRead(MMIO_REG.COUNTER, 4), d.mmioRead(MMIO_REG.COUNTER, 4)]).toEqual([0n, 1n]);
    d.mmioWrite(MMIO_REG.DOORBELL, 4, 7n);
    expect(d.doorbells).toEqual([7]);
    d.mmioWrite(MMIO_REG.CONSOLE, 1, 0x4fn);
    expect(d.console).toBe("O");
  });

  it("an 8-byte access spans two registers", () => {
    const d = new MmioDemo();
    expect(d.mmioRead(0, 8)).toBe((0x0001_0000n << 32n) | BigInt(MMIO_DEMO_ID));
  });

  it("on an MMIO bus: region offsets and open bus elsewhere", () => {
    const bus = new MmioBus();
    const d = new MmioDemo();
    bus.add(0xfeb00000, 0x1000, d);
    expect(bus.read(0xfeb00000, 4)).toBe(BigInt(MMIO_DEMO_ID));
    expect(bus.read(0xfec00000, 4)).toBe(0xffffffffn);
    expect(() => bus.add(0xfeb00800, 0x1000, new MmioDemo("x"))).toThrow(/overlaps/);
  });
});

describe("passthrough device", () => {
  it("is host RAM the device and an EPT mapping share", () => {
    const mem = new HostMemory(0x20000);
    const p = new PassthroughDevice(mem, 0x10000, 0xfec00000, 0x1000);
    mem.write32(0x10004, 0x1234);
    expect(p.read32(4)).toBe(0x1234);
    expect(p.mapping()).toEqual({ from: 0xfec00000, to: 0x10000, size: 0x1000, perms: "rw" });
    expect(() => new PassthroughDevice(mem, 0x10001, 0, 0x1000)).toThrow(/aligned/);
  });
});
