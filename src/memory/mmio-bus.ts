/**
 * Guest-physical MMIO regions of a VM: the userspace VMM's view (KVM's
 * KVM_EXIT_MMIO is answered here). A region is not guest RAM: EPT leaves it
 * unmapped, so a guest access is an EPT violation that the dispatcher turns
 * into a userspace exit carrying the address, size and (for writes) value.
 * Accesses outside every region read as all ones and ignore writes.
 */
import type { MmioHandler } from "./host-memory";

export interface MmioBusRegion {
  base: number;
  size: number;
  handler: MmioHandler;
}

export interface MmioAccess {
  gpa: number;
  size: number;
  direction: "read" | "write";
  value: bigint;
  region: string | null;
}

export class MmioBus {
  readonly regions: MmioBusRegion[] = [];
  readonly log: MmioAccess[] = [];

  add(base: number, size: number, handler: MmioHandler): this {
    if (size <= 0 || base < 0) throw new RangeError(`MMIO region ${handler.name}: bad base/size`);
    for (const r of this.regions) {
      if (base < r.base + r.size && r.base < base + size) {
        throw new RangeError(`MMIO region ${handler.name} [0x${base.toString(16)}, 0x${(base + size).toString(16)}) overlaps ${r.handler.name}`);
      }
    }
    this.regions.push({ base, size, handler });
    return this;
  }

  find(gpa: number): MmioBusRegion | undefined {
    for (const r of this.regions) if (gpa >= r.base && gpa < r.base + r.size) return r;
    return undefined;
  }

  read(gpa: number, size: number): bigint {
    const r = this.find(gpa);
    const v = r ? BigInt.asUintN(size * 8, r.handler.read(gpa - r.base, size)) : (1n << BigInt(size * 8)) - 1n;
    this.log.push({ gpa, size, direction: "read", value: v, region: r?.handler.name ?? null });
    return v;
  }

  write(gpa: number, size: number, value: bigint): void {
    const r = this.find(gpa);
    const v = BigInt.asUintN(size * 8, value);
    this.log.push({ gpa, size, direction: "write", value: v, region: r?.handler.name ?? null });
    r?.handler.write(gpa - r.base, size, v);
  }
}
