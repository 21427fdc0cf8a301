/**
 * The VMM's port I/O bus: devices claim port ranges; an access goes to the
 * device decoding its first port (a 16-bit access at 0x3f8 is the UART's,
 * as on an ISA bus where the device decodes the address). Unclaimed ports
 * float high on reads and ignore writes, like EMPTY_IO_BUS.
 */
import type { IoBus } from "../guest-cpu/hooks";
import type { PortDevice } from "../devices/device";

export interface IoAccess {
  port: number;
  size: 1 | 2 | 4;
  direction: "in" | "out";
  value: number;
  /** The device that decoded the port, or null (open bus). */
  device: string | null;
}

interface PortRange {
  base: number;
  count: number;
  device: PortDevice;
}

/** Accesses kept in the log; older ones are dropped (a guest may loop on a port). */
export const IO_LOG_LIMIT = 10_000;

export class PortIoBus implements IoBus {
  private readonly ranges: PortRange[] = [];
  /** Port → range, for the 64 Ki ports (filled on map). */
  private readonly byPort = new Map<number, PortRange>();
  readonly log: IoAccess[] = [];
  logEnabled = true;

  map(base: number, count: number, device: PortDevice): this {
    if (!Number.isInteger(base) || base < 0 || count < 1 || base + count > 0x10000) {
      throw new RangeError(`I/O ports 0x${base.toString(16)}+${count} are outside the 64-KByte port space`);
    }
    for (let p = base; p < base + count; p++) {
      const other = this.byPort.get(p);
      if (other) throw new RangeError(`I/O port 0x${p.toString(16)} of ${device.name} is already decoded by ${other.device.name}`);
    }
    const r = { base, count, device };
    this.ranges.push(r);
    for (let p = base; p < base + count; p++) this.byPort.set(p, r);
    return this;
  }

  /** The device at `port` (null: nothing decodes it). */
  deviceAt(port: number): PortDevice | null {
    return this.byPort.get(port & 0xffff)?.device ?? null;
  }

  devices(): PortDevice[] {
    return this.ranges.map((r) => r.device);
  }

  read(port: number, size: 1 | 2 | 4): number {
    const r = this.byPort.get(port & 0xffff);
    const mask = size === 4 ? 0xffff_ffff : size === 2 ? 0xffff : 0xff;
    const value = r ? (r.device.ioRead(port - r.base, size) & mask) >>> 0 : mask;
    this.record(port, size, "in", value, r);
    return value;
  }

  write(port: number, size: 1 | 2 | 4, value: number): void {
    const r = this.byPort.get(port & 0xffff);
    const mask = size === 4 ? 0xffff_ffff : size === 2 ? 0xffff : 0xff;
    const v = (value & mask) >>> 0;
    this.record(port, size, "out", v, r);
    r?.device.ioWrite(port - r.base, size, v);
  }

  private record(port: number, size: 1 | 2 | 4, direction: "in" | "out", value: number, r: PortRange | undefined): void {
    if (!this.logEnabled) return;
    if (this.log.length >= IO_LOG_LIMIT) this.log.shift();
    this.log.push({ port, size, direction, value, device: r?.device.name ?? null });
  }
}
