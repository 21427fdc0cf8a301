/**
 * An "assigned" (passthrough) device: its registers are host RAM that the
 * VMM maps straight into the guest with EPT, the way VFIO maps a device BAR.
 * Guest loads and stores reach it without any VM exit — the contrast with
 * the emulated MMIO demo. The host side (the "device") sees the same bytes.
 */
import type { HostMemory } from "../memory/host-memory";
import { type DeviceState, num } from "./device";

export const PASSTHROUGH_GPA = 0xfec0_0000;

export class PassthroughDevice {
  readonly name: string;

  /**
   * @param hpa host-physical base of the backing RAM (outside guest RAM; the VMM allocates it)
   * @param gpa guest-physical address the EPT maps it at
   */
  constructor(
    private readonly mem: HostMemory,
    readonly hpa: number,
    readonly gpa: number,
    readonly size: number,
    name = "passthrough",
  ) {
    if (hpa % 4096 !== 0 || gpa % 4096 !== 0 || size % 4096 !== 0 || size <= 0) {
      throw new RangeError(`passthrough region must be 4-KByte aligned (hpa 0x${hpa.toString(16)}, gpa 0x${gpa.toString(16)}, size 0x${size.toString(16)})`);
    }
    if (!mem.inRam(hpa, size)) throw new RangeError(`passthrough backing [0x${hpa.toString(16)}, +0x${size.toString(16)}) is outside host memory`);
    this.name = name;
  }

  /** The device's view of its register at `offset` (what the guest wrote). */
  read32(offset: number): number {
    return this.mem.read32(this.hpa + offset);
  }

  /** The device updates a register (the guest reads it without an exit). */
  write32(offset: number, value: number): void {
    this.mem.write32(this.hpa + offset, value);
  }

  /** EPT mapping for the VM's builder. */
  mapping(): { from: number; to: number; size: number; perms: string } {
    return { from: this.gpa, to: this.hpa, size: this.size, perms: "rw" };
  }

  /** The contents live in host memory and are saved with it; only the placement is device state. */
  save(): DeviceState {
    return { hpa: this.hpa, gpa: this.gpa, size: this.size };
  }

  restore(st: DeviceState): void {
    if (num(st, "hpa") !== this.hpa || num(st, "gpa") !== this.gpa || num(st, "size") !== this.size) {
      throw new RangeError(`passthrough ${this.name}: snapshot placement differs from this VM's`);
    }
  }
}
