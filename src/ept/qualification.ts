/**
 * What nested paging reports when a guest-physical access fails: the EPT
 * violation exit qualification (SDM Vol. 3C 28.2.1 Table 28-7) and the AMD
 * nested-page-fault error code in EXITINFO1 (APM Vol. 2 15.25.6). The bit
 * tables are the one place these layouts live; src/exits decodes with them.
 */
import { P_R, P_U, P_W, P_XS, P_XU } from "./format";

export interface QualBit {
  readonly bit: number;
  readonly name: string;
  readonly meaning: string;
}

/** SDM Vol. 3C 28.2.1 Table 28-7 (bits 16 and up are not produced by this model). */
export const EPT_VIOLATION_BITS = {
  READ: { bit: 0, name: "read", meaning: "the access was a data read" },
  WRITE: { bit: 1, name: "write", meaning: "the access was a data write" },
  FETCH: { bit: 2, name: "fetch", meaning: "the access was an instruction fetch" },
  READABLE: { bit: 3, name: "readable", meaning: "AND of bit 0 (read) of the EPT entries used: the guest-physical address was readable" },
  WRITABLE: { bit: 4, name: "writable", meaning: "AND of bit 1 (write) of the EPT entries used: the guest-physical address was writable" },
  EXECUTABLE: {
    bit: 5, name: "executable",
    meaning: "AND of bit 2 (execute) of the EPT entries used: executable (for supervisor-mode linear addresses when mode-based execute control is 1)",
  },
  USER_EXECUTABLE: {
    bit: 6, name: "user-executable",
    meaning: "with mode-based execute control, AND of bit 10 of the EPT entries used: executable for user-mode linear addresses (else undefined, reported 0)",
  },
  GLA_VALID: {
    bit: 7, name: "gla-valid",
    meaning: "the guest linear-address field is valid (clear only for loads of the PAE PDPTEs by MOV to CR and similar accesses without a linear address)",
  },
  TRANSLATED: {
    bit: 8, name: "linear-translation",
    meaning: "with bit 7: 1 = the access was to the translation of a linear address, 0 = to a guest paging-structure entry (page walk or accessed/dirty update)",
  },
  USER_LINEAR: { bit: 9, name: "user-linear", meaning: "advanced information (bits 7 and 8 set): the linear address is a user-mode address" },
  WRITABLE_LINEAR: { bit: 10, name: "writable-linear", meaning: "advanced information: guest paging maps the linear address read/write" },
  EXECUTE_DISABLE_LINEAR: { bit: 11, name: "execute-disable-linear", meaning: "advanced information: guest paging maps the linear address execute-disable (0: executable)" },
  NMI_UNBLOCKING: { bit: 12, name: "nmi-unblocking", meaning: "NMI unblocking due to IRET: the access was by an IRET that unblocked NMIs (virtual NMIs), set by the VMX layer" },
  SHADOW_STACK: { bit: 13, name: "shadow-stack", meaning: "the access was a shadow-stack access (not modelled: always 0)" },
} as const satisfies Record<string, QualBit>;

type QualName = keyof typeof EPT_VIOLATION_BITS;

/** Bit masks of Table 28-7, derived from the table. */
export const EPT_QUAL = Object.fromEntries(
  Object.entries(EPT_VIOLATION_BITS).map(([k, v]) => [k, 2 ** v.bit]),
) as Record<QualName, number>;

/** The access that failed, as Table 28-7 bits 2:0 describe it. */
export interface EptViolationInfo {
  /** EPT_QUAL.READ / WRITE / FETCH bits of the access. */
  access: number;
  /** P_* AND of the EPT entries used (0 when one was not present). */
  eptPerms: number;
  mbec: boolean;
  /** False only for accesses without a linear address (PAE PDPTE loads). */
  glaValid: boolean;
  /** True for the final access (translation of a linear address), false for a guest paging-structure access. */
  translated: boolean;
  /** P_* allow-bits of the guest's own translation when advanced VM-exit information is supported, else null. */
  advanced: number | null;
}

export function eptViolationQualification(v: EptViolationInfo): number {
  const Q = EPT_QUAL;
  let q = v.access & (Q.READ | Q.WRITE | Q.FETCH);
  if (v.eptPerms & P_R) q |= Q.READABLE;
  if (v.eptPerms & P_W) q |= Q.WRITABLE;
  if (v.eptPerms & P_XS) q |= Q.EXECUTABLE;
  if (v.mbec && v.eptPerms & P_XU) q |= Q.USER_EXECUTABLE;
  if (v.glaValid) {
    q |= Q.GLA_VALID;
    if (v.translated) {
      q |= Q.TRANSLATED;
      if (v.advanced !== null) {
        if (v.advanced & P_U) q |= Q.USER_LINEAR;
        if (v.advanced & P_W) q |= Q.WRITABLE_LINEAR;
        if (!(v.advanced & P_XS)) q |= Q.EXECUTE_DISABLE_LINEAR;
      }
    }
  }
  return q;
}

/** Names of the bits set in an EPT-violation qualification (for reports and `explain`). */
export function describeEptQualification(q: number): string[] {
  return Object.values(EPT_VIOLATION_BITS).filter((b) => Math.floor(q / 2 ** b.bit) % 2 === 1).map((b) => b.name);
}

/**
 * Nested-page-fault EXITINFO1 (APM Vol. 2 15.25.6): a #PF-style error code in
 * bits 31:0 plus where the fault happened. Nested-table accesses are all user
 * accesses (APM Vol. 2 15.25.5), so U is always set.
 */
export const NPF_BITS = {
  P: { bit: 0, name: "present", meaning: "the nested entry was present (protection or reserved-bit fault)" },
  W: { bit: 1, name: "write", meaning: "the access was a write" },
  U: { bit: 2, name: "user", meaning: "user access (every nested-table access is one)" },
  RSVD: { bit: 3, name: "reserved", meaning: "a reserved bit was set in a nested entry" },
  ID: { bit: 4, name: "fetch", meaning: "the access was an instruction fetch (nested NX in use)" },
  FINAL: { bit: 32, name: "final-translation", meaning: "the fault occurred while translating the guest's final physical address" },
  TABLE: { bit: 33, name: "guest-page-table", meaning: "the fault occurred while translating a guest page-table access" },
} as const satisfies Record<string, QualBit>;

export const NPF_EC = Object.fromEntries(Object.entries(NPF_BITS).map(([k, v]) => [k, 2 ** v.bit])) as Record<
  keyof typeof NPF_BITS,
  number
>;

export function describeNpfExitInfo1(v: number): string[] {
  return Object.values(NPF_BITS).filter((b) => Math.floor(v / 2 ** b.bit) % 2 === 1).map((b) => b.name);
}
