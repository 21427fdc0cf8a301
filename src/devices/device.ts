/**
 * What every emulated device offers the VMM: port I/O and/or MMIO register
 * access, and save/restore of its state as plain JSON data (the snapshot
 * file stores it verbatim, so a state holds numbers, strings, booleans and
 * arrays/objects of them only).
 */

export type DeviceState = { [key: string]: JsonValue };
export type JsonValue = number | string | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Device {
  /** Unique within a VM; snapshots key device state by it. */
  readonly name: string;
  save(): DeviceState;
  restore(state: DeviceState): void;
}

/** A device decoding a range of I/O ports; `offset` is relative to the range base. */
export interface PortDevice extends Device {
  ioRead(offset: number, size: 1 | 2 | 4): number;
  ioWrite(offset: number, size: 1 | 2 | 4, value: number): void;
}

/** A device decoding a guest-physical MMIO range; `offset` is relative to the region base. */
export interface MmioDevice extends Device {
  mmioRead(offset: number, size: number): bigint;
  mmioWrite(offset: number, size: number, value: bigint): void;
}

/** An interrupt request line into an interrupt controller (edge: a 0→1 transition requests). */
export type IrqLine = (level: boolean) => void;

export const NO_IRQ: IrqLine = () => {};

/** Reads a number field of a saved state, with a clear error for damaged snapshots. */
export function num(state: DeviceState, key: string): number {
  const v = state[key];
  if (typeof v !== "number") throw new RangeError(`device state: '${key}' should be a number, got ${JSON.stringify(v)}`);
  return v;
}

export function bool(state: DeviceState, key: string): boolean {
  const v = state[key];
  if (typeof v !== "boolean") throw new RangeError(`device state: '${key}' should be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

export function str(state: DeviceState, key: string): string {
  const v = state[key];
  if (typeof v !== "string") throw new RangeError(`device state: '${key}' should be a string, got ${JSON.stringify(v)}`);
  return v;
}

export function nums(state: DeviceState, key: string): number[] {
  const v = state[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number")) throw new RangeError(`device state: '${key}' should be a list of numbers`);
  return v as number[];
}
