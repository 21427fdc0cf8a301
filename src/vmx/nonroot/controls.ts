/**
 * The VM-execution controls non-root operation consults, read once at VM
 * entry: the guest cannot change them, and the VMCS may be written only in
 * root operation, so they stay valid until the next VM exit.
 */
import { SLOT as F, type Vmcs } from "../../vmcs/vmcs";
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
  virtualApicPage = 0;
  tprThreshold = 0;
  tscOffset = 0n;
  tscMultiplier = 0n;

  load(v: Vmcs): void {
    this.pin = v.u32(F.PIN_BASED_VM_EXEC_CONTROL);
    this.primary = v.u32(F.CPU_BASED_VM_EXEC_CONTROL);
    this.secondary = this.primary & CPU.SECONDARY ? v.u32(F.SECONDARY_VM_EXEC_CONTROL) : 0;
    this.exitCtl = v.u32(F.VM_EXIT_CONTROLS);
    this.entryCtl = v.u32(F.VM_ENTRY_CONTROLS);
    this.exceptionBitmap = v.u32(F.EXCEPTION_BITMAP);
    this.pfecMask = v.u32(F.PAGE_FAULT_ERROR_CODE_MASK);
    this.pfecMatch = v.u32(F.PAGE_FAULT_ERROR_CODE_MATCH);
    // CR0/CR4 are 32-bit registers here; the upper halves of the masks cannot matter.
    this.cr0Mask = v.u32(F.CR0_GUEST_HOST_MASK);
    this.cr0Shadow = v.u32(F.CR0_READ_SHADOW);
    this.cr4Mask = v.u32(F.CR4_GUEST_HOST_MASK);
    this.cr4Shadow = v.u32(F.CR4_READ_SHADOW);
    const n = Math.min(v.u32(F.CR3_TARGET_COUNT), 4);
    this.cr3Targets.length = 0;
    for (let i = 0; i < n; i++) this.cr3Targets.push(v.num(TARGETS[i]!));
    this.ioBitmapA = v.num(F.IO_BITMAP_A);
    this.ioBitmapB = v.num(F.IO_BITMAP_B);
    this.msrBitmap = v.num(F.MSR_BITMAP);
    this.virtualApicPage = v.num(F.VIRTUAL_APIC_PAGE_ADDR);
    this.tprThreshold = v.u32(F.TPR_THRESHOLD);
    if (this.primary & CPU.TSC_OFFSETTING) {
      this.tscOffset = BigInt.asIntN(64, v.get(F.TSC_OFFSET));
      this.tscMultiplier = v.get(F.TSC_MULTIPLIER);
    }
  }
}

/** Slots `load` reads: a VMRESUME that wrote none of them can keep the loaded controls. */
export const CONTROL_SLOTS: readonly number[] = [
  F.PIN_BASED_VM_EXEC_CONTROL, F.CPU_BASED_VM_EXEC_CONTROL, F.SECONDARY_VM_EXEC_CONTROL, F.VM_EXIT_CONTROLS,
  F.VM_ENTRY_CONTROLS, F.EXCEPTION_BITMAP, F.PAGE_FAULT_ERROR_CODE_MASK, F.PAGE_FAULT_ERROR_CODE_MATCH,
  F.CR0_GUEST_HOST_MASK, F.CR0_READ_SHADOW, F.CR4_GUEST_HOST_MASK, F.CR4_READ_SHADOW, F.CR3_TARGET_COUNT,
  F.CR3_TARGET_VALUE0, F.CR3_TARGET_VALUE1, F.CR3_TARGET_VALUE2, F.CR3_TARGET_VALUE3, F.IO_BITMAP_A, F.IO_BITMAP_B,
  F.MSR_BITMAP, F.TSC_OFFSET, F.TSC_MULTIPLIER, F.VIRTUAL_APIC_PAGE_ADDR, F.TPR_THRESHOLD,
];

const TARGETS = [F.CR3_TARGET_VALUE0, F.CR3_TARGET_VALUE1, F.CR3_TARGET_VALUE2, F.CR3_TARGET_VALUE3];
