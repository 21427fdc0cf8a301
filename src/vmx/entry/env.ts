/**
 * What a VM-entry check sees: VMCS fields by name (read once and cached for
 * the duration of one VM entry), the capability profile, and values derived
 * from the controls that many checks share. Checks never touch the CPU
 * except through `hostLma` (27.2.4 depends on the processor's mode at
 * VMLAUNCH/VMRESUME) and `readPhys` (PDPTEs in memory, 27.3.1.6).
 */
import { SLOT, type Vmcs } from "../../vmcs/vmcs";
import type { FieldName } from "../../vmcs/fields";
import type { VmxCaps } from "../caps";
import { CPU, CPU2, ENTRY, EXIT, INTR, PIN } from "../ctl";

export class CheckEnv {
  readonly pin: number;
  readonly primary: number;
  /** The secondary controls as they take effect: 0 unless "activate secondary controls" is 1 (25.6.2). */
  readonly secondary: number;
  /** The field's raw value, for the reserved-bit check even when inactive. */
  readonly secondaryRaw: number;
  readonly exit: number;
  readonly entry: number;
  readonly intrInfo: number;
  readonly ia32e: boolean;
  readonly host64: boolean;
  readonly unrestricted: boolean;

  constructor(
    readonly vmcs: Vmcs,
    readonly caps: VmxCaps,
    /** IA32_EFER.LMA of the logical processor executing VMLAUNCH/VMRESUME. */
    readonly hostLma: boolean,
    readonly readPhys: (addr: number) => bigint = () => 0n,
  ) {
    this.pin = vmcs.u32(SLOT.PIN_BASED_VM_EXEC_CONTROL);
    this.primary = vmcs.u32(SLOT.CPU_BASED_VM_EXEC_CONTROL);
    this.secondaryRaw = vmcs.u32(SLOT.SECONDARY_VM_EXEC_CONTROL);
    this.secondary = this.primary & CPU.SECONDARY ? this.secondaryRaw : 0;
    this.exit = vmcs.u32(SLOT.VM_EXIT_CONTROLS);
    this.entry = vmcs.u32(SLOT.VM_ENTRY_CONTROLS);
    this.intrInfo = vmcs.u32(SLOT.VM_ENTRY_INTR_INFO_FIELD);
    this.ia32e = (this.entry & ENTRY.IA32E) !== 0;
    this.host64 = (this.exit & EXIT.HOST_64) !== 0;
    this.unrestricted = (this.secondary & CPU2.UNRESTRICTED) !== 0;
  }

  /** A field's value (64 bits, unsigned). */
  v(name: string): bigint {
    return this.vmcs.get(SLOT[name as FieldName]);
  }

  /** A 64-bit or natural-width field as a signed double (exact for canonical addresses; range tests only beyond 2^53). */
  num(name: string): number {
    return this.vmcs.num(SLOT[name as FieldName]);
  }

  /** A field's low 32 bits as an unsigned number. */
  n(name: string): number {
    return this.vmcs.u32(SLOT[name as FieldName]);
  }

  has(word: "pin" | "primary" | "secondary" | "exit" | "entry", mask: number): boolean {
    return (this[word] & mask) !== 0;
  }

  /** The VM-entry interruption-information field has its valid bit set. */
  get injecting(): boolean {
    return (this.intrInfo & INTR.VALID) !== 0;
  }

  get injectType(): number {
    return (this.intrInfo >> 8) & 7;
  }

  get injectVector(): number {
    return this.intrInfo & 0xff;
  }

  /** RFLAGS.VM of the guest-state area: virtual-8086 guest. */
  get v86(): boolean {
    return ((this.v("GUEST_RFLAGS") >> 17n) & 1n) === 1n;
  }

  /** Values the report lists for a failed check. */
  values(fields: readonly string[]): { name: string; value: bigint }[] {
    return fields.map((name) => ({ name, value: this.v(name) }));
  }
}

export { PIN };
