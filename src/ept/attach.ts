/**
 * The one-call integration of nested paging with a CPU, for the VMX layer:
 * on VM entry with "enable EPT" (or on VMRUN with nested paging) install the
 * NestedPaging object and switch the TLB to the guest's tagged context; on VM
 * exit remove it and switch back to the host's. Nothing else in the CPU
 * changes: guest paging keeps walking the guest's tables, and every
 * guest-physical address it produces passes through `nested.physical`.
 */
import type { Cpu } from "../guest-cpu/cpu";
import { identityPhysical } from "../guest-cpu/paging";
import type { NestedPaging } from "./nested";

export interface TlbTags {
  /** The VPID VM-execution control field (ignored when VPIDs are disabled: the guest runs as VPID 0). */
  vpid: number;
  /** The "enable VPID" secondary control. */
  vpidEnabled: boolean;
}

/** VM entry: guest-physical accesses go through `nested` (null: EPT disabled), TLB context = (VPID, PCID, EP4TA). */
export function enterNestedPaging(cpu: Cpu, nested: NestedPaging | null, tags: TlbTags): void {
  cpu.paging.physical = nested ? nested.physical : identityPhysical;
  cpu.mmu.nested = nested;
  cpu.mmu.vmTransition(tags.vpidEnabled ? tags.vpid : 0, nested ? nested.ep4ta : -1, tags.vpidEnabled);
}

/** VM exit: back to host-physical = guest-physical and the host's context (VPID 0, no EP4TA). */
export function leaveNestedPaging(cpu: Cpu, tags: Pick<TlbTags, "vpidEnabled">): void {
  cpu.paging.physical = identityPhysical;
  cpu.mmu.nested = null;
  cpu.mmu.vmTransition(0, -1, tags.vpidEnabled);
}
