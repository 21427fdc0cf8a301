/**
 * One VMCS: the contents a processor keeps for a VMCS region while the VMCS
 * is active (SDM Vol. 3C 25.1, 25.11). VMPTRLD loads a region from memory into
 * such an object; while it is active the processor's copy is authoritative
 * and the region in memory may be stale; VMCLEAR writes it back
 * (`flushTo`). That is why software must VMCLEAR a VMCS before it moves or
 * inspects the region (SDM 25.11.1, 25.11.3).
 *
 * Storage is one slot per field of FIELD_TABLE as lo/hi int32 halves, so the
 * engine reads hot fields without BigInt: `vmcs.u32(SLOT.CPU_BASED_VM_EXEC_CONTROL)`,
 * `vmcs.num(SLOT.GUEST_RIP)`.
 *
 * Region layout (implementation-specific, SDM 25.2; vmxlab's choice):
 *   +0  bits 30:0 VMCS revision identifier, bit 31 shadow-VMCS indicator
 *   +4  VMX-abort indicator
 *   +8  launch state (0 clear, 1 launched)
 *   +16 field slots in FIELD_TABLE order, 8 bytes each (little endian)
 */
import type { HostMemory } from "../memory/host-memory";
import { accessByEncodingValue, accessByFieldName, FIELD_COUNT, FIELDS, type FieldAccess, type FieldName, SLOT } from "./fields";

export { SLOT } from "./fields";

export const REGION = { REVISION: 0, ABORT: 4, LAUNCH_STATE: 8, FIELDS: 16 } as const;
export const SHADOW_INDICATOR = 0x8000_0000;

/** Mask of the bits a slot stores in its low half (16-bit fields keep 16). */
const LO_MASK = new Int32Array(FIELDS.map((f) => (f.bits === 16 ? 0xffff : -1)));
/** Does the slot have a high half (64-bit and natural-width fields)? */
const HAS_HI = new Uint8Array(FIELDS.map((f) => (f.bits === 64 ? 1 : 0)));

const TWO32 = 4294967296;

export class Vmcs {
  /** Host-physical address of the VMCS region (4 KiB aligned). */
  readonly address: number;
  revisionId: number;
  /** Shadow-VMCS indicator (bit 31 of the region's first dword, SDM 25.2). */
  shadow: boolean;
  /** Launch state: false = "clear", true = "launched" (SDM 25.11.3). */
  launched = false;
  /** VMX-abort indicator (SDM 25.2). */
  abortIndicator = 0;
  /** Low and high halves of every field, by slot. */
  readonly lo = new Int32Array(FIELD_COUNT);
  readonly hi = new Int32Array(FIELD_COUNT);
  /** Slots written since the last successful VM entry (1 = changed); `changedList` holds them in write order. */
  readonly changed = new Uint8Array(FIELD_COUNT);
  readonly changedList: number[] = [];

  constructor(address: number, revisionId: number, shadow = false) {
    this.address = address;
    this.revisionId = revisionId;
    this.shadow = shadow;
    for (let i = 0; i < FIELD_COUNT; i++) this.mark(i);
  }

  // ---- fast numeric path (slots from SLOT)

  /** Low 32 bits as an unsigned number (16- and 32-bit fields, control words). */
  u32(slot: number): number {
    return this.lo[slot]! >>> 0;
  }

  /** Writes a 16/32-bit value (truncated to the field's width); for 64-bit fields the high half becomes 0. */
  setU32(slot: number, v: number): void {
    this.lo[slot] = v & LO_MASK[slot]!;
    this.hi[slot] = 0;
    this.mark(slot);
  }

  /** A 64-bit or natural-width field as a signed double (exact for canonical addresses and values below 2^53). */
  num(slot: number): number {
    return this.hi[slot]! * TWO32 + (this.lo[slot]! >>> 0);
  }

  /** Writes a number (integers up to ±2^53; negative values sign-extend to 64 bits). */
  setNum(slot: number, v: number): void {
    const lo = v % TWO32;
    this.lo[slot] = lo & LO_MASK[slot]!;
    this.hi[slot] = HAS_HI[slot] ? Math.floor(v / TWO32) | 0 : 0;
    this.mark(slot);
  }

  /** Writes a slot from 32-bit halves, truncating to the field's width (VMWRITE's register fast path). */
  setHalves(slot: number, lo: number, hi: number): void {
    this.lo[slot] = lo & LO_MASK[slot]!;
    this.hi[slot] = HAS_HI[slot] ? hi : 0;
    this.mark(slot);
  }

  /** Writes bits 63:32 of a 64-bit field (the _HIGH access). */
  writeHigh(slot: number, hi: number): void {
    this.hi[slot] = hi;
    this.mark(slot);
  }

  /** The full value of a slot as an unsigned bigint. */
  get(slot: number): bigint {
    return (BigInt(this.hi[slot]! >>> 0) << 32n) | BigInt(this.lo[slot]! >>> 0);
  }

  /** Writes a slot, truncating to the field's width. */
  set(slot: number, v: bigint): void {
    this.lo[slot] = Number(BigInt.asIntN(32, v)) & LO_MASK[slot]!;
    this.hi[slot] = HAS_HI[slot] ? Number(BigInt.asIntN(32, v >> 32n)) : 0;
    this.mark(slot);
  }

  // ---- by name or encoding (BigInt; API boundary, VMREAD/VMWRITE)

  /** Reads a field by Linux name (`GUEST_RIP`, `EPT_POINTER_HIGH`). Unknown name → RangeError (a programming error). */
  read(name: FieldName | string): bigint {
    return this.readAccess(resolve(name));
  }

  /** Writes a field by name, truncating to its width; `<NAME>_HIGH` writes bits 63:32 only. */
  write(name: FieldName | string, v: bigint): void {
    this.writeAccess(resolve(name), v);
  }

  /** The value of a resolved access: the high half reads bits 63:32 of its field (SDM 25.11.2). */
  readAccess(a: FieldAccess): bigint {
    const s = a.field.slot;
    return a.high ? BigInt(this.hi[s]! >>> 0) : this.get(s);
  }

  /** Writes a resolved access: full access truncates to the width; high access writes bits 63:32 and keeps 31:0. */
  writeAccess(a: FieldAccess, v: bigint): void {
    const s = a.field.slot;
    if (a.high) {
      this.hi[s] = Number(BigInt.asIntN(32, v));
      this.mark(s);
    } else {
      this.set(s, v);
    }
  }

  readEncoding(encoding: number): bigint | undefined {
    const a = accessByEncodingValue(encoding);
    return a ? this.readAccess(a) : undefined;
  }

  // ---- change tracking for VMRESUME (DESIGN.md "Performance design")

  private mark(slot: number): void {
    if (this.changed[slot] === 0) {
      this.changed[slot] = 1;
      this.changedList.push(slot);
    }
  }

  /** Names of the fields written since the last `clearChanged()`. */
  changedFields(): FieldName[] {
    return this.changedList.map((s) => FIELDS[s]!.name);
  }

  /** The engine calls this after a successful VM entry (and may after its own exit-time writes). */
  clearChanged(): void {
    for (const s of this.changedList) this.changed[s] = 0;
    this.changedList.length = 0;
  }

  /** Marks every field changed (after VMPTRLD of a region: nothing is known to be checked). */
  markAllChanged(): void {
    for (let i = 0; i < FIELD_COUNT; i++) this.mark(i);
  }

  // ---- the region in memory

  /** VMCLEAR's write-back: revision, launch state and every field into the region (SDM 25.11.3). */
  flushTo(mem: HostMemory): void {
    const a = this.address;
    mem.write32(a + REGION.REVISION, (this.revisionId & 0x7fff_ffff) | (this.shadow ? SHADOW_INDICATOR : 0));
    mem.write32(a + REGION.ABORT, this.abortIndicator);
    mem.write32(a + REGION.LAUNCH_STATE, this.launched ? 1 : 0);
    mem.write32(a + REGION.LAUNCH_STATE + 4, 0);
    for (let i = 0; i < FIELD_COUNT; i++) {
      mem.write32(a + REGION.FIELDS + i * 8, this.lo[i]! >>> 0);
      mem.write32(a + REGION.FIELDS + i * 8 + 4, this.hi[i]! >>> 0);
    }
  }

  /** VMPTRLD's load of a region that is not in the processor's cache. */
  static loadFrom(mem: HostMemory, address: number): Vmcs {
    const d0 = mem.read32(address + REGION.REVISION) >>> 0;
    const v = new Vmcs(address, d0 & 0x7fff_ffff, (d0 & SHADOW_INDICATOR) !== 0);
    v.abortIndicator = mem.read32(address + REGION.ABORT) >>> 0;
    v.launched = (mem.read32(address + REGION.LAUNCH_STATE) & 1) === 1;
    for (let i = 0; i < FIELD_COUNT; i++) {
      v.lo[i] = mem.read32(address + REGION.FIELDS + i * 8) & LO_MASK[i]!;
      v.hi[i] = HAS_HI[i] ? mem.read32(address + REGION.FIELDS + i * 8 + 4) | 0 : 0;
    }
    return v;
  }

  /** Name → value of every field that is not 0 (for dumps and diffs). */
  nonZero(): Map<FieldName, bigint> {
    const m = new Map<FieldName, bigint>();
    for (const f of FIELDS) if (this.lo[f.slot] !== 0 || this.hi[f.slot] !== 0) m.set(f.name, this.get(f.slot));
    return m;
  }
}

function resolve(name: string): FieldAccess {
  const a = accessByFieldName(name);
  if (!a) throw new RangeError(`unknown VMCS field '${name}'`);
  return a;
}

/** Slot of a field name at runtime (specs, tools); code uses the SLOT constants. */
export function slotOf(name: FieldName): number {
  return SLOT[name];
}
