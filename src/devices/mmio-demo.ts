/**
 * A small register device in an MMIO region, to show MMIO exits: its
 * guest-physical page is not RAM (EPT leaves it unmapped), so every access
 * leaves the guest and is emulated here. Registers (32-bit, little endian):
 *   0x00 ID        RO  0x4d4d494f ("OIMM" in memory: 'O','I','M','M')
 *   0x04 VERSION   RO  0x00010000
 *   0x08 SCRATCH   RW  plain storage
 *   0x0c COUNTER   RO  increments on every read (reads have side effects: they must not be cached)
 *   0x10 DOORBELL  WO  each write is recorded in `doorbells`
 *   0x14 CONSOLE   WO  low byte appended to `console`
 * Other offsets read as zero and ignore writes. Accesses narrower than 32
 * bits see the corresponding bytes of the register.
 */
import { type DeviceState, type MmioDevice, num, nums, str } from "./device";
import type { MmioHandler } from "../memory/host-memory";

export const MMIO_DEMO_BASE = 0xfeb0_0000;
export const MMIO_DEMO_SIZE = 0x1000;
export const MMIO_DEMO_ID = 0x4d4d_494f;
export const MMIO_DEMO_VERSION = 0x0001_0000;
export const MMIO_REG = { ID: 0x00, VERSION: 0x04, SCRATCH: 0x08, COUNTER: 0x0c, DOORBELL: 0x10, CONSOLE: 0x14 } as const;

export class MmioDemo implements MmioDevice, MmioHandler {
  readonly name: string;
  scratch = 0;
  counter = 0;
  doorbells: number[] = [];
  console = "";

  constructor(name = "mmio-demo") {
    this.name = name;
  }

  private reg(r: number): number {
    switch (r) {
      case MMIO_REG.ID: return MMIO_DEMO_ID;
      case MMIO_REG.VERSION: return MMIO_DEMO_VERSION;
      case MMIO_REG.SCRATCH: return this.scratch;
      case MMIO_REG.COUNTER: return this.counter++ >>> 0;
      default: return 0;
    }
  }

  mmioRead(offset: number, size: number): bigint {
    let v = 0n;
    // Byte-wise over the registers the access touches; each register is read once.
    let r = -1, word = 0;
    for (let i = 0; i < size; i++) {
      const o = offset + i;
      const ri = o & ~3;
      if (ri !== r) {
        r = ri;
        word = this.reg(ri);
      }
      v |= BigInt((word >>> (8 * (o & 3))) & 0xff) << BigInt(8 * i);
    }
    return v;
  }

  mmioWrite(offset: number, size: number, value: bigint): void {
    const r = offset & ~3;
    const shift = 8 * (offset & 3);
    const width = Math.min(size, 4 - (offset & 3));
    const mask = width >= 4 ? 0xffff_ffff : ((1 << (8 * width)) - 1) << shift;
    const v = Number(BigInt.asUintN(32, value << BigInt(shift)));
    switch (r) {
      case MMIO_REG.SCRATCH: this.scratch = ((this.scratch & ~mask) | (v & mask)) >>> 0; break;
      case MMIO_REG.DOORBELL: this.doorbells.push((v & mask) >>> 0); break;
      case MMIO_REG.CONSOLE: if (shift === 0) this.console += String.fromCharCode(v & 0xff); break;
      default: break;
    }
    if (size > 4 - (offset & 3)) this.mmioWrite(offset + width, size - width, value >> BigInt(8 * width));
  }

  // MmioHandler (HostMemory / MmioBus): the same registers.
  read(offset: number, size: number): bigint {
    return this.mmioRead(offset, size);
  }

  write(offset: number, size: number, value: bigint): void {
    this.mmioWrite(offset, size, value);
  }

  save(): DeviceState {
    return { scratch: this.scratch, counter: this.counter, doorbells: [...this.doorbells], console: this.console };
  }

  restore(st: DeviceState): void {
    this.scratch = num(st, "scratch");
    this.counter = num(st, "counter");
    this.doorbells = [...nums(st, "doorbells")];
    this.console = str(st, "console");
  }
}
