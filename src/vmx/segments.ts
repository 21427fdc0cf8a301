/** Segment registers in CpuState order (ES CS SS DS FS GS LDTR TR) with their VMCS field names. */
export const SEG_FIELDS = ["ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR"].map((s) => ({
  sel: `GUEST_${s}_SELECTOR`, base: `GUEST_${s}_BASE`, limit: `GUEST_${s}_LIMIT`, ar: `GUEST_${s}_AR_BYTES`,
}));
