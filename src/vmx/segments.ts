/** Segment registers in CpuState order (ES CS SS DS FS GS LDTR TR) with their VMCS field names and slots. */
import { SLOT } from "../vmcs/vmcs";

const NAMES = ["ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR"] as const;

export const SEG_FIELDS = NAMES.map((s) => ({
  sel: `GUEST_${s}_SELECTOR`, base: `GUEST_${s}_BASE`, limit: `GUEST_${s}_LIMIT`, ar: `GUEST_${s}_AR_BYTES`,
}));

/** Slots of the guest segment fields, in CpuState order. */
export const SEG_SLOTS = {
  sel: Int32Array.from(NAMES.map((s) => SLOT[`GUEST_${s}_SELECTOR`])),
  base: Int32Array.from(NAMES.map((s) => SLOT[`GUEST_${s}_BASE`])),
  limit: Int32Array.from(NAMES.map((s) => SLOT[`GUEST_${s}_LIMIT`])),
  ar: Int32Array.from(NAMES.map((s) => SLOT[`GUEST_${s}_AR_BYTES`])),
};

/** Slots of the host selector fields ES..GS, in CpuState order. */
export const HOST_SEL_SLOTS = Int32Array.from(["ES", "CS", "SS", "DS", "FS", "GS"].map((s) => SLOT[`HOST_${s}_SELECTOR` as "HOST_ES_SELECTOR"]));
