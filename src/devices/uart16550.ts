/**
 * A 16550A UART (PC COM1 at 0x3f8, IRQ 4), as its datasheet describes the
 * registers (National Semiconductor PC16550D, "Register Summary"):
 *   +0 RBR (read) / THR (write) / DLL when LCR.DLAB=1
 *   +1 IER / DLM when DLAB=1      +2 IIR (read) / FCR (write)
 *   +3 LCR   +4 MCR   +5 LSR   +6 MSR   +7 SCR
 * Transmission is instantaneous: a THR write appends the character to the
 * console text, so LSR always reports THRE and TEMT. Received characters come
 * from `input()`. The interrupt output reaches the PIC only while MCR.OUT2 is
 * set (the PC's IRQ gate), as on real PC serial ports.
 */
import { bool, type DeviceState, type IrqLine, NO_IRQ, num, nums, type PortDevice, str } from "./device";

export const UART_COM1 = 0x3f8;

const IER_RDA = 0x01, IER_THRE = 0x02, IER_RLS = 0x04, IER_MS = 0x08;
const LCR_DLAB = 0x80;
const MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10;
const LSR_DR = 0x01, LSR_OE = 0x02, LSR_THRE = 0x20, LSR_TEMT = 0x40;
/** IIR interrupt identification (bits 3:1, bit 0 = 0 means pending), datasheet Table IV. */
const IIR_NONE = 0x01, IIR_RLS = 0x06, IIR_RDA = 0x04, IIR_THRE = 0x02, IIR_MS = 0x00;
const IIR_FIFO = 0xc0;
const FIFO_DEPTH = 16;

export class Uart16550 implements PortDevice {
  readonly name: string;
  /** Everything the guest transmitted, as text (bytes taken as Latin-1). */
  console = "";
  private rx: number[] = [];
  private dll = 0x0c; // 9600 baud after reset in many BIOSes; the datasheet leaves it undefined
  private dlm = 0;
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private fcr = 0;
  private lsrErrors = 0;
  private msrDelta = 0;
  /** THRE interrupt armed: set when THR empties (always at once here), cleared by an IIR read reporting it or a THR write. */
  private thrIpending = false;
  private irqLevel = false;
  /** Called with every transmitted byte (a live console). */
  onTransmit: ((byte: number) => void) | null = null;

  constructor(name = "uart", private readonly irq: IrqLine = NO_IRQ) {
    this.name = name;
  }

  /** Queues received characters (keyboard input for the guest). */
  input(text: string | Uint8Array): void {
    const bytes = typeof text === "string" ? Array.from(text, (c) => c.charCodeAt(0) & 0xff) : Array.from(text);
    for (const b of bytes) this.receive(b);
    this.updateIrq();
  }

  private receive(b: number): void {
    const depth = this.fcr & 1 ? FIFO_DEPTH : 1;
    if (this.rx.length >= depth) this.lsrErrors |= LSR_OE;
    else this.rx.push(b);
  }

  private get lsr(): number {
    return (this.rx.length > 0 ? LSR_DR : 0) | this.lsrErrors | LSR_THRE | LSR_TEMT;
  }

  /** Highest-priority pending interrupt source, datasheet Table IV order: RLS, RDA, THRE, MS. */
  private iirId(): number {
    if (this.ier & IER_RLS && this.lsrErrors) return IIR_RLS;
    if (this.ier & IER_RDA && this.rx.length > 0) return IIR_RDA;
    if (this.ier & IER_THRE && this.thrIpending) return IIR_THRE;
    if (this.ier & IER_MS && this.msrDelta) return IIR_MS;
    return IIR_NONE;
  }

  private updateIrq(): void {
    const level = this.iirId() !== IIR_NONE && (this.mcr & MCR_OUT2) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }

  ioRead(offset: number, size: 1 | 2 | 4): number {
    let v = this.readReg(offset & 7);
    // Wider accesses read the following registers, as the ISA bus splits them into byte cycles.
    for (let i = 1; i < size; i++) v |= this.readReg((offset + i) & 7) << (8 * i);
    return v >>> 0;
  }

  ioWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    for (let i = 0; i < size; i++) this.writeReg((offset + i) & 7, (value >>> (8 * i)) & 0xff);
  }

  private readReg(r: number): number {
    switch (r) {
      case 0: {
        if (this.lcr & LCR_DLAB) return this.dll;
        const b = this.rx.shift() ?? 0;
        this.updateIrq();
        return b;
      }
      case 1:
        return this.lcr & LCR_DLAB ? this.dlm : this.ier;
      case 2: {
        const id = this.iirId();
        // Reading IIR while it reports THRE clears that interrupt (datasheet Table IV, "Reset Control").
        if (id === IIR_THRE) {
          this.thrIpending = false;
          this.updateIrq();
        }
        return id | (this.fcr & 1 ? IIR_FIFO : 0);
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        const v = this.lsr;
        this.lsrErrors = 0; // OE/PE/FE/BI clear on LSR read
        this.updateIrq();
        return v;
      }
      case 6: {
        // Loopback: CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2; otherwise CTS, DSR and DCD asserted (a connected terminal).
        const m = this.mcr;
        const lines = m & MCR_LOOP
          ? (m & MCR_RTS ? 0x10 : 0) | (m & MCR_DTR ? 0x20 : 0) | (m & MCR_OUT1 ? 0x40 : 0) | (m & MCR_OUT2 ? 0x80 : 0)
          : 0xb0;
        const v = lines | this.msrDelta;
        this.msrDelta = 0;
        this.updateIrq();
        return v;
      }
      default:
        return this.scr;
    }
  }

  private writeReg(r: number, b: number): void {
    switch (r) {
      case 0:
        if (this.lcr & LCR_DLAB) {
          this.dll = b;
          return;
        }
        if (this.mcr & MCR_LOOP) {
          this.receive(b); // loopback: the transmitter feeds the receiver, nothing leaves the chip
        } else {
          this.console += String.fromCharCode(b);
          this.onTransmit?.(b);
        }
        // The character leaves at once: THR is empty again, which re-arms THRE.
        this.thrIpending = true;
        this.updateIrq();
        return;
      case 1:
        if (this.lcr & LCR_DLAB) {
          this.dlm = b;
          return;
        }
        // Enabling ETBI while THR is empty raises THRE at once (datasheet; Linux's UART_BUG_THRE probe relies on it).
        if (b & IER_THRE && !(this.ier & IER_THRE)) this.thrIpending = true;
        this.ier = b & 0x0f;
        this.updateIrq();
        return;
      case 2:
        if (b & 0x02) this.rx = []; // RCVR FIFO reset
        this.fcr = b & 0xc9;
        this.updateIrq();
        return;
      case 3:
        this.lcr = b;
        return;
      case 4:
        this.mcr = b & 0x1f;
        this.updateIrq();
        return;
      case 5:
      case 6:
        return; // LSR/MSR are read-only (factory test writes ignored)
      default:
        this.scr = b;
    }
  }

  /** The interrupt output as the PIC sees it (after the OUT2 gate). */
  get irqAsserted(): boolean {
    return this.irqLevel;
  }

  save(): DeviceState {
    return {
      console: this.console, rx: [...this.rx], dll: this.dll, dlm: this.dlm, ier: this.ier, lcr: this.lcr,
      mcr: this.mcr, scr: this.scr, fcr: this.fcr, lsrErrors: this.lsrErrors, msrDelta: this.msrDelta,
      thrIpending: this.thrIpending, irqLevel: this.irqLevel,
    };
  }

  restore(st: DeviceState): void {
    this.console = str(st, "console");
    this.rx = [...nums(st, "rx")];
    this.dll = num(st, "dll"); this.dlm = num(st, "dlm"); this.ier = num(st, "ier"); this.lcr = num(st, "lcr");
    this.mcr = num(st, "mcr"); this.scr = num(st, "scr"); this.fcr = num(st, "fcr");
    this.lsrErrors = num(st, "lsrErrors"); this.msrDelta = num(st, "msrDelta");
    this.thrIpending = bool(st, "thrIpending");
    this.irqLevel = bool(st, "irqLevel");
  }
}
