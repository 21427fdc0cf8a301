/**
 * The debug-exit port (QEMU's isa-debug-exit idea, at 0xf4 by default): a
 * guest write ends the run with the written value as its status, so test
 * guests can report pass/fail without a console. Reads return all ones.
 */
import { type DeviceState, num, type PortDevice } from "./device";

export const DEBUG_EXIT_PORT = 0xf4;

export class DebugExit implements PortDevice {
  readonly name: string;
  /** The status written by the guest, or null while it has not written. */
  status: number | null = null;

  constructor(name = "debug-exit") {
    this.name = name;
  }

  ioRead(_offset: number, size: 1 | 2 | 4): number {
    return size === 4 ? 0xffff_ffff : size === 2 ? 0xffff : 0xff;
  }

  ioWrite(_offset: number, _size: 1 | 2 | 4, value: number): void {
    this.status = value >>> 0;
  }

  /** The VMM calls this after handling an I/O exit: a pending status ends the run. */
  takeStatus(): number | null {
    const s = this.status;
    return s;
  }

  save(): DeviceState {
    return { status: this.status ?? -1 };
  }

  restore(st: DeviceState): void {
    const s = num(st, "status");
    this.status = s < 0 ? null : s;
  }
}
