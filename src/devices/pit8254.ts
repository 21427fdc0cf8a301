/**
 * The 8254 programmable interval timer (ports 0x40–0x43; channel 0's OUT is
 * IRQ 0), per the Intel 8254 datasheet: control word (SC, RW, M, BCD),
 * LSB/MSB/LSB-then-MSB access, counter latch and read-back commands, and the
 * counting of modes 0 (interrupt on terminal count), 2 (rate generator) and
 * 3 (square wave); modes 1, 4 and 5 count like 0 (no gate inputs are wired,
 * channel gates are high).
 *
 * Time is virtual: the VMM supplies a clock in PIT input ticks (by default
 * one tick per retired guest instruction), so runs are deterministic. The
 * counter values are computed from the ticks elapsed since the count was
 * loaded instead of being decremented tick by tick.
 */
import { bool, type DeviceState, type IrqLine, NO_IRQ, num, type PortDevice } from "./device";

export const PIT_BASE = 0x40;
/** The PC's PIT input frequency (Hz). */
export const PIT_HZ = 1_193_182;

const RW_LATCH = 0, RW_LSB = 1, RW_MSB = 2, RW_WORD = 3;

export class PitChannel {
  mode = 0;
  rw = RW_WORD;
  bcd = false;
  /** The programmed count N (0 means 65536, or 10000 in BCD). */
  count = 0;
  /** Tick at which counting started; -1: no count written yet (OUT follows the mode's initial level). */
  start = -1;
  /** Latched counter value (counter latch command) or -1. */
  latch = -1;
  /** Latched status byte (read-back) or -1. */
  status = -1;
  /** For LSB-then-MSB: the next read/write is the MSB. */
  readMsb = false;
  writeMsb = false;
  /** Low byte written so far in RW_WORD mode. */
  lowByte = 0;
  /** The count register was written but not yet loaded into the counting element (status bit 6). */
  nullCount = true;
  /** Rising edges of OUT already reported to the IRQ line. */
  edgesSeen = 0;

  /** N as a number of input clocks. */
  period(): number {
    if (this.count === 0) return this.bcd ? 10000 : 65536;
    return this.bcd ? fromBcd(this.count) : this.count;
  }

  /** Counting element value after `elapsed` ticks. */
  value(elapsed: number): number {
    const n = this.period();
    let v: number;
    switch (this.mode) {
      case 2:
        v = n - (elapsed % n); // N, N-1, …, 1, then reload
        break;
      case 3: {
        // Decrements by two; for odd N the first half-period is (N+1)/2 ticks (datasheet, mode 3).
        const t = elapsed % n;
        const high = Math.ceil(n / 2);
        v = t < high ? (n & ~1) - 2 * t : (n & ~1) - 2 * (t - high);
        if (v <= 0) v += n & ~1;
        break;
      }
      default:
        v = (((n - elapsed) % 65536) + 65536) % 65536; // wraps after terminal count and keeps counting
    }
    const r = v === 65536 ? 0 : v;
    return this.bcd ? toBcd(r % 10000) : r;
  }

  /** OUT level after `elapsed` ticks. */
  out(elapsed: number): boolean {
    if (this.start < 0) return this.mode !== 0; // mode 0 OUT starts low; the others high
    const n = this.period();
    switch (this.mode) {
      case 2:
        return elapsed % n !== n - 1; // low for the one clock when the count is 1
      case 3:
        return elapsed % n < Math.ceil(n / 2);
      default:
        return elapsed >= n;
    }
  }

  /** Rising edges of OUT in the first `elapsed` ticks after loading. */
  edges(elapsed: number): number {
    if (this.start < 0) return 0;
    const n = this.period();
    switch (this.mode) {
      case 2:
      case 3:
        return Math.floor(elapsed / n); // one rising edge per period, at each reload
      default:
        return elapsed >= n ? 1 : 0;
    }
  }

  /** Ticks after loading at which the next rising edge after `elapsed` comes, or Infinity. */
  nextEdge(elapsed: number): number {
    if (this.start < 0) return Infinity;
    const n = this.period();
    if (this.mode === 2 || this.mode === 3) return (Math.floor(elapsed / n) + 1) * n;
    return elapsed < n ? n : Infinity;
  }
}

function fromBcd(v: number): number {
  return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

function toBcd(v: number): number {
  return ((Math.floor(v / 1000) % 10) << 12) | ((Math.floor(v / 100) % 10) << 8) | ((Math.floor(v / 10) % 10) << 4) | (v % 10);
}

const CHANNEL_FIELDS = ["mode", "rw", "bcd", "count", "start", "latch", "status", "readMsb", "writeMsb", "lowByte", "nullCount", "edgesSeen"] as const;

export class Pit8254 implements PortDevice {
  readonly name: string;
  readonly channels = [new PitChannel(), new PitChannel(), new PitChannel()];

  /**
   * @param now the virtual clock in PIT input ticks
   * @param irq0 channel 0's OUT, wired to IRQ 0 (edge)
   */
  constructor(private now: () => number, private readonly irq0: IrqLine = NO_IRQ, name = "pit") {
    this.name = name;
  }

  /** Re-wires the clock (the VMM owns time). */
  setClock(now: () => number): void {
    this.now = now;
  }

  private elapsed(c: PitChannel): number {
    return c.start < 0 ? 0 : Math.max(0, this.now() - c.start);
  }

  /** Reports channel 0's rising edges up to now to IRQ 0 (several edges between calls coalesce into one request, as in the PIC's IRR). */
  update(): void {
    const c = this.channels[0]!;
    const e = c.edges(this.elapsed(c));
    if (e > c.edgesSeen) {
      c.edgesSeen = e;
      this.irq0(true);
      this.irq0(false);
    }
  }

  /** Virtual time of channel 0's next rising edge (Infinity: none scheduled). */
  nextEvent(): number {
    const c = this.channels[0]!;
    if (c.start < 0) return Infinity;
    return c.start + c.nextEdge(this.elapsed(c));
  }

  ioRead(offset: number, _size: 1 | 2 | 4 = 1): number {
    if (offset === 3) return 0xff; // the control word register is write-only
    const c = this.channels[offset]!;
    if (c.status >= 0) {
      const s = c.status;
      c.status = -1;
      return s;
    }
    const v = c.latch >= 0 ? c.latch : c.value(this.elapsed(c));
    let b: number;
    switch (c.rw) {
      case RW_LSB: b = v & 0xff; c.latch = -1; break;
      case RW_MSB: b = (v >> 8) & 0xff; c.latch = -1; break;
      default:
        b = c.readMsb ? (v >> 8) & 0xff : v & 0xff;
        if (c.readMsb) c.latch = -1; // a latch holds until both bytes were read
        c.readMsb = !c.readMsb;
    }
    return b;
  }

  ioWrite(offset: number, _size: number, value: number): void {
    const b = value & 0xff;
    if (offset === 3) return this.control(b);
    const c = this.channels[offset]!;
    switch (c.rw) {
      case RW_LSB: this.load(c, b); break;
      case RW_MSB: this.load(c, b << 8); break;
      default:
        if (!c.writeMsb) {
          c.lowByte = b;
          c.writeMsb = true;
        } else {
          c.writeMsb = false;
          this.load(c, c.lowByte | (b << 8));
        }
    }
  }

  /** Writing the count (re)starts counting in modes 0, 2 (on the next period in hardware; at once here) and 3. */
  private load(c: PitChannel, count: number): void {
    c.count = count;
    c.start = this.now();
    c.edgesSeen = 0;
    c.nullCount = false;
  }

  private control(b: number): void {
    const sc = b >> 6;
    const rw = (b >> 4) & 3;
    if (sc === 3) {
      // Read-back (datasheet "Read-Back Command"): bit 5 = 0 latches counts, bit 4 = 0 latches status.
      for (let i = 0; i < 3; i++) {
        if (!(b & (2 << i))) continue;
        const c = this.channels[i]!;
        if (!(b & 0x10) && c.status < 0) c.status = this.statusByte(c);
        if (!(b & 0x20) && c.latch < 0) c.latch = c.value(this.elapsed(c));
      }
      return;
    }
    const c = this.channels[sc]!;
    if (rw === RW_LATCH) {
      if (c.latch < 0) c.latch = c.value(this.elapsed(c)); // a second latch before reading is ignored
      return;
    }
    let mode = (b >> 1) & 7;
    if (mode > 5) mode -= 4; // 6 and 7 are aliases of 2 and 3
    c.mode = mode;
    c.rw = rw;
    c.bcd = (b & 1) !== 0;
    // A control word resets the channel: OUT goes to its initial level and counting waits for a new count.
    c.start = -1;
    c.latch = -1;
    c.status = -1;
    c.readMsb = false;
    c.writeMsb = false;
    c.nullCount = true;
    c.edgesSeen = 0;
  }

  private statusByte(c: PitChannel): number {
    const out = c.out(this.elapsed(c)) ? 0x80 : 0;
    return out | (c.nullCount ? 0x40 : 0) | (c.rw << 4) | (c.mode << 1) | (c.bcd ? 1 : 0);
  }

  save(): DeviceState {
    return {
      channels: this.channels.map((c) => {
        const o: DeviceState = {};
        for (const k of CHANNEL_FIELDS) o[k] = c[k];
        return o;
      }),
    };
  }

  restore(st: DeviceState): void {
    const chs = st.channels as DeviceState[];
    this.channels.forEach((c, i) => {
      const s = chs[i]!;
      for (const k of CHANNEL_FIELDS) {
        (c as unknown as Record<string, unknown>)[k] = typeof c[k] === "boolean" ? bool(s, k) : num(s, k);
      }
    });
  }
}
