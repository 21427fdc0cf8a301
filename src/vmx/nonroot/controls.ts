/**
 * The VM-execution controls non-root operation consults, read once at VM
 * entry: the guest cannot change them, and the VMCS may be written only in
 * root operation, so they stay valid until the next VM exit.
 */
import { r32, rnat, type VmcsAccess } from "../access";
import { CPU } from "../ctl";

export class ExecControls {
  pin = 0;
  primary = 0;
  secondary = 0;
  exitCtl = 0;
  entryCtl = 0;
  exceptionBitmap = 0;
  pfecMask = 0;
  pfecMatch = 0;
  cr0Mask = 0;
  cr0Shadow = 0;
  cr4Mask = 0;
  cr4Shadow = 0;
  cr3Targets: number[] = [];
  ioBitmapA = 0;
  ioBitmapB = 0;
  msrBitmap = 0;
  tscOffset = 0n;
  tscMultiplier = 0n;

  load(v: VmcsAccess): void {
    this.pin = r32(v, "PIN_BASED_VM_EXEC_CONTROL");
    this.primary = r32(v, "CPU_BASED_VM_EXEC_CONTROL");
    this.secondary = this.primary & CPU.SECONDARY ? r32(v, "SECONDARY_VM_EXEC_CONTROL") : 0;
    this.exitCtl = r32(v, "VM_EXIT_CONTROLS");
    this.entryCtl = r32(v, "VM_ENTRY_CONTROLS");
    this.exceptionBitmap = r32(v, "EXCEPTION_BITMAP");
    this.pfecMask = r32(v, "PAGE_FAULT_ERROR_CODE_MASK");
    this.pfecMatch = r32(v, "PAGE_FAULT_ERROR_CODE_MATCH");
    // CR0/CR4 are 32-bit registers here; the upper halves of the masks cannot matter.
    this.cr0Mask = r32(v, "CR0_GUEST_HOST_MASK");
    this.cr0Shadow = r32(v, "CR0_READ_SHADOW");
    this.cr4Mask = r32(v, "CR4_GUEST_HOST_MASK");
    this.cr4Shadow = r32(v, "CR4_READ_SHADOW");
    const n = Math.min(r32(v, "CR3_TARGET_COUNT"), 4);
    this.cr3Targets = [];
    for (let i = 0; i < n; i++) this.cr3Targets.push(rnat(v, `CR3_TARGET_VALUE${i}`));
    this.ioBitmapA = rnat(v, "IO_BITMAP_A");
    this.ioBitmapB = rnat(v, "IO_BITMAP_B");
    this.msrBitmap = rnat(v, "MSR_BITMAP");
    this.tscOffset = BigInt.asIntN(64, v.read("TSC_OFFSET"));
    this.tscMultiplier = v.read("TSC_MULTIPLIER");
  }
}
