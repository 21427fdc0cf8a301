/**
 * VMX state for snapshots: the per-CPU VmxState (VMX operation, VMXON
 * pointer, current-VMCS pointer, the processor's VMCS cache) and every cached
 * Vmcs with all its fields. Active VMCSs live in the processor, not in their
 * regions (SDM Vol. 3C 25.11.1), so saving memory alone would lose them.
 */
import { FIELD_COUNT } from "../../vmcs/fields";
import { Vmcs } from "../../vmcs/vmcs";
import type { VmxState } from "../../vmx/state";

export interface VmcsJson {
  address: number;
  revisionId: number;
  shadow: boolean;
  launched: boolean;
  abortIndicator: number;
  lo: number[];
  hi: number[];
}

export interface VmxStateJson {
  inVmxOperation: boolean;
  nonRoot: boolean;
  vmxonPointer: number;
  /** Address of the current VMCS, or null. */
  current: number | null;
  cache: VmcsJson[];
  lostAtVmxoff: number[];
  featureControl: string;
}

export function saveVmcs(v: Vmcs): VmcsJson {
  return {
    address: v.address, revisionId: v.revisionId, shadow: v.shadow, launched: v.launched,
    abortIndicator: v.abortIndicator, lo: Array.from(v.lo), hi: Array.from(v.hi),
  };
}

export function loadVmcs(j: VmcsJson): Vmcs {
  if (j.lo.length !== FIELD_COUNT || j.hi.length !== FIELD_COUNT) {
    throw new RangeError(`VMCS at 0x${j.address.toString(16)}: snapshot has ${j.lo.length} fields, this vmxlab has ${FIELD_COUNT}`);
  }
  const v = new Vmcs(j.address, j.revisionId, j.shadow);
  v.launched = j.launched;
  v.abortIndicator = j.abortIndicator;
  v.lo.set(j.lo);
  v.hi.set(j.hi);
  v.markAllChanged(); // nothing restored is known to be checked: the next entry checks everything
  return v;
}

export function saveVmxState(st: VmxState): VmxStateJson {
  return {
    inVmxOperation: st.inVmxOperation, nonRoot: st.nonRoot, vmxonPointer: st.vmxonPointer,
    current: st.current ? st.current.address : null,
    cache: [...st.cache.values()].map(saveVmcs),
    lostAtVmxoff: [...st.lostAtVmxoff],
    featureControl: "0x" + st.featureControl.toString(16),
  };
}

/** Restores into an existing VmxState (its capabilities and onEnter hook stay). */
export function restoreVmxState(st: VmxState, j: VmxStateJson): void {
  st.inVmxOperation = j.inVmxOperation;
  st.nonRoot = j.nonRoot;
  st.vmxonPointer = j.vmxonPointer;
  st.cache.clear();
  for (const v of j.cache) st.cache.set(v.address, loadVmcs(v));
  st.current = j.current === null ? null : (st.cache.get(j.current) ?? null);
  if (j.current !== null && !st.current) throw new RangeError(`VMX state: current VMCS 0x${j.current.toString(16)} is not in the VMCS cache`);
  st.lostAtVmxoff.clear();
  for (const a of j.lostAtVmxoff) st.lostAtVmxoff.add(a);
  st.featureControl = BigInt(j.featureControl);
}
