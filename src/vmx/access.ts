/**
 * What the engine needs from a VMCS: reads and writes by Linux field name
 * (src/vmcs/fields.ts is the one table of fields). Kept as a structural type
 * so the engine works with the VMCS class of src/vmcs and with plain maps in
 * specs.
 */
export interface VmcsAccess {
  read(name: string): bigint;
  write(name: string, value: bigint): void;
}

/** Low 32 bits of a field as an unsigned number (control words, selectors, AR bytes). */
export function r32(v: VmcsAccess, name: string): number {
  return Number(v.read(name) & 0xffff_ffffn);
}

/** A natural-width or 64-bit field as a signed double (canonical addresses are exact). */
export function rnat(v: VmcsAccess, name: string): number {
  return Number(BigInt.asIntN(64, v.read(name)));
}

export function wnum(v: VmcsAccess, name: string, n: number): void {
  v.write(name, BigInt.asUintN(64, BigInt(n)));
}

/** A VMCS held in a Map: for specs and tools that need no memory-backed region. */
export class MapVmcs implements VmcsAccess {
  readonly values = new Map<string, bigint>();
  read(name: string): bigint {
    return this.values.get(name) ?? 0n;
  }
  write(name: string, value: bigint): void {
    this.values.set(name, BigInt.asUintN(64, value));
  }
}
