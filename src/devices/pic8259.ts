/**
 * The PC's pair of 8259A programmable interrupt controllers: master at
 * 0x20/0x21 (IRQ 0–7), slave at 0xa0/0xa1 (IRQ 8–15) cascaded on the master's
 * IR2. Behaviour per the Intel 8259A datasheet: the ICW1–ICW4 initialization
 * sequence, OCW1 (mask), OCW2 (EOI, specific EOI, rotation, set priority),
 * OCW3 (read IRR/ISR, poll, special mask mode), edge or level triggering
 * (ICW1.LTIM), automatic EOI, fully nested priority with rotation.
 *
 * The pair presents the CPU-side `InterruptLine` (pending/acknowledge = the
 * INTA cycle). The VMM uses it as KVM's userspace irqchip: it asks
 * `pending()` before a VM entry and injects `acknowledge()`'s vector.
 */
import type { InterruptLine } from "../guest-cpu/hooks";
import { bool, type DeviceState, num, type PortDevice } from "./device";

export const PIC_MASTER = 0x20, PIC_SLAVE = 0xa0, CASCADE_IRQ = 2;

/** One 8259A. */
export class Pic8259Chip {
  irr = 0;
  isr = 0;
  imr = 0;
  /** Raw input levels (edge detection). */
  lines = 0;
  vectorBase = 0;
  /** Which IR has the highest priority (0 after ICW1; moves with rotation). */
  priorityBase = 0;
  /** 0: operational; 2, 3, 4: expecting ICW2, ICW3, ICW4. */
  initStep = 0;
  icw1 = 0;
  icw3 = 0;
  autoEoi = false;
  rotateOnAutoEoi = false;
  levelTriggered = false;
  specialMask = false;
  readIsr = false;
  poll = false;
  specialFullyNested = false;

  constructor(readonly isMaster: boolean) {}

  reset(): void {
    this.irr = 0; this.isr = 0; this.imr = 0; this.lines = 0; this.vectorBase = 0; this.priorityBase = 0;
    this.initStep = 0; this.icw1 = 0; this.icw3 = 0; this.autoEoi = false; this.rotateOnAutoEoi = false;
    this.levelTriggered = false; this.specialMask = false; this.readIsr = false; this.poll = false; this.specialFullyNested = false;
  }

  setLine(irq: number, level: boolean): void {
    const bit = 1 << irq;
    if (this.levelTriggered) {
      if (level) this.irr |= bit;
      else this.irr &= ~bit;
    } else if (level && !(this.lines & bit)) {
      this.irr |= bit; // rising edge
    }
    if (level) this.lines |= bit;
    else this.lines &= ~bit;
  }

  /** Highest-priority IR set in `mask`, scanning from priorityBase; -1 when none. */
  private highest(mask: number): number {
    for (let i = 0; i < 8; i++) {
      const irq = (this.priorityBase + i) & 7;
      if (mask & (1 << irq)) return irq;
    }
    return -1;
  }

  /** Priority rank of an IR (0 = highest). */
  private rank(irq: number): number {
    return (irq - this.priorityBase) & 7;
  }

  /** The IR that INT would be raised for, or -1 (fully nested mode: only above the highest in service). */
  pendingIrq(): number {
    const req = this.irr & ~this.imr;
    const irq = this.highest(req);
    if (irq < 0) return -1;
    // Special mask mode: masked in-service levels do not inhibit lower ones (datasheet "Special Mask Mode").
    let inService = this.specialMask ? this.isr & ~this.imr : this.isr;
    // Special fully nested mode (master): an in-service cascade input does not block further slave requests.
    if (this.specialFullyNested && this.isMaster) inService &= ~(1 << CASCADE_IRQ);
    const cur = this.highest(inService);
    if (cur >= 0 && this.rank(cur) <= this.rank(irq)) return -1;
    return irq;
  }

  /** INTA on this chip for `irq`: ISR set, IRR cleared (edge), automatic EOI if programmed. */
  ack(irq: number): void {
    const bit = 1 << irq;
    this.isr |= bit;
    if (!this.levelTriggered) this.irr &= ~bit;
    if (this.autoEoi) {
      this.isr &= ~bit;
      if (this.rotateOnAutoEoi) this.priorityBase = (irq + 1) & 7;
    }
  }

  writeCommand(b: number): void {
    if (b & 0x10) {
      // ICW1: starts initialization; IMR cleared, IR7 lowest priority, read IRR selected (datasheet "Initialization Command Words").
      this.icw1 = b;
      this.initStep = 2;
      this.imr = 0; this.isr = 0; this.irr = 0; this.priorityBase = 0;
      this.specialMask = false; this.readIsr = false; this.poll = false;
      this.autoEoi = false; this.rotateOnAutoEoi = false; this.specialFullyNested = false;
      this.levelTriggered = (b & 0x08) !== 0;
      return;
    }
    if (b & 0x08) {
      // OCW3
      if (b & 0x04) this.poll = true;
      if (b & 0x02) this.readIsr = (b & 0x01) !== 0;
      if (b & 0x40) this.specialMask = (b & 0x20) !== 0;
      return;
    }
    // OCW2: R SL EOI in bits 7:5, level in 2:0
    const level = b & 7;
    switch (b >> 5) {
      case 0b001: { // non-specific EOI: the highest-priority in-service level
        const irq = this.highest(this.isr);
        if (irq >= 0) this.isr &= ~(1 << irq);
        return;
      }
      case 0b011: // specific EOI
        this.isr &= ~(1 << level);
        return;
      case 0b101: { // rotate on non-specific EOI: the serviced level becomes lowest
        const irq = this.highest(this.isr);
        if (irq >= 0) {
          this.isr &= ~(1 << irq);
          this.priorityBase = (irq + 1) & 7;
        }
        return;
      }
      case 0b100: this.rotateOnAutoEoi = true; return;
      case 0b000: this.rotateOnAutoEoi = false; return;
      case 0b111: // rotate on specific EOI
        this.isr &= ~(1 << level);
        this.priorityBase = (level + 1) & 7;
        return;
      case 0b110: // set priority: `level` becomes the lowest
        this.priorityBase = (level + 1) & 7;
        return;
      default: // 0b010: no operation
        return;
    }
  }

  writeData(b: number): void {
    switch (this.initStep) {
      case 2:
        // ICW2: T7–T3 of the vector (8086 mode); the IR number fills bits 2:0.
        this.vectorBase = b & 0xf8;
        this.initStep = this.icw1 & 0x02 ? (this.icw1 & 0x01 ? 4 : 0) : 3;
        return;
      case 3:
        this.icw3 = b;
        this.initStep = this.icw1 & 0x01 ? 4 : 0;
        return;
      case 4:
        this.autoEoi = (b & 0x02) !== 0;
        this.specialFullyNested = (b & 0x10) !== 0;
        this.initStep = 0;
        return;
      default:
        this.imr = b; // OCW1
    }
  }

  readCommand(): number {
    return this.readIsr ? this.isr : this.irr;
  }

  save(): DeviceState {
    const o: DeviceState = {};
    for (const k of CHIP_FIELDS) o[k] = this[k];
    return o;
  }

  restore(st: DeviceState): void {
    for (const k of CHIP_FIELDS) {
      const v = st[k];
      if (typeof this[k] === "boolean") (this as Record<string, unknown>)[k] = bool(st, k);
      else (this as Record<string, unknown>)[k] = num(st, k);
      void v;
    }
  }
}

const CHIP_FIELDS = [
  "irr", "isr", "imr", "lines", "vectorBase", "priorityBase", "initStep", "icw1", "icw3", "autoEoi",
  "rotateOnAutoEoi", "levelTriggered", "specialMask", "readIsr", "poll", "specialFullyNested",
] as const;

/** The master/slave pair; map it at 0x20 (2 ports) and 0xa0 (2 ports) via `masterPorts`/`slavePorts`. */
export class Pic8259 implements InterruptLine {
  readonly name: string;
  readonly master = new Pic8259Chip(true);
  readonly slave = new Pic8259Chip(false);
  /** Vectors handed out by acknowledge(), for reports and specs. */
  readonly acked: number[] = [];

  constructor(name = "pic") {
    this.name = name;
  }

  /** Drives IRQ line 0–15. */
  setIrq(irq: number, level: boolean): void {
    if (irq < 8) this.master.setLine(irq, level);
    else this.slave.setLine(irq - 8, level);
    this.cascade();
  }

  /** An edge on a line: raise then lower (a timer tick). */
  pulse(irq: number): void {
    this.setIrq(irq, true);
    this.setIrq(irq, false);
  }

  /** The slave's INT output drives the master's IR2 input. */
  private cascade(): void {
    this.master.setLine(CASCADE_IRQ, this.slave.pendingIrq() >= 0);
  }

  pending(): boolean {
    return this.master.pendingIrq() >= 0;
  }

  /** The INTA sequence: vector of the highest-priority request; IR7 of the chip (spurious) when the request went away. */
  acknowledge(): number {
    const m = this.master;
    const irq = m.pendingIrq();
    if (irq < 0) return this.note(m.vectorBase | 7);
    m.ack(irq);
    if (irq === CASCADE_IRQ) {
      const sirq = this.slave.pendingIrq();
      if (sirq < 0) {
        this.cascade();
        return this.note(this.slave.vectorBase | 7);
      }
      this.slave.ack(sirq);
      this.cascade();
      return this.note(this.slave.vectorBase | sirq);
    }
    this.cascade();
    return this.note(m.vectorBase | irq);
  }

  private note(v: number): number {
    this.acked.push(v);
    return v;
  }

  /** Port device for one chip's two ports (command at +0, data at +1). */
  ports(which: "master" | "slave"): PortDevice {
    const chip = which === "master" ? this.master : this.slave;
    const pair = this;
    return {
      name: `${this.name}-${which}`,
      ioRead(offset) {
        if (chip.poll) {
          // Poll command: the next read returns 1xxx_xIRQ and acknowledges (datasheet "The Poll Command").
          chip.poll = false;
          const irq = chip.pendingIrq();
          if (irq < 0) return 0;
          chip.ack(irq);
          pair.cascade();
          return 0x80 | irq;
        }
        return offset === 0 ? chip.readCommand() : chip.imr;
      },
      ioWrite(offset, _size, value) {
        if (offset === 0) chip.writeCommand(value & 0xff);
        else chip.writeData(value & 0xff);
        pair.cascade();
      },
      save: () => ({}),
      restore: () => {},
    };
  }

  save(): DeviceState {
    return { master: this.master.save(), slave: this.slave.save() };
  }

  restore(st: DeviceState): void {
    this.master.restore(st.master as DeviceState);
    this.slave.restore(st.slave as DeviceState);
  }
}
