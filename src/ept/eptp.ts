/**
 * The extended-page-table pointer (SDM Vol. 3C 25.6.11) and the
 * EPT/VPID capabilities that constrain it (IA32_VMX_EPT_VPID_CAP, MSR 48CH,
 * SDM Vol. 3D A.10). `validateEptp` is the VM-entry check of SDM Vol. 3C
 * 27.2.1.1 on the EPTP: a failure is VMfailValid with VM-instruction error 7
 * ("VM entry with invalid control field(s)"), which the VMX layer reports.
 */
import { FORMAT_EPT4, FORMAT_EPT5, MEMORY_TYPES } from "./format-ept";
import type { PagingFormat } from "./format";

/** Capability bit positions in IA32_VMX_EPT_VPID_CAP (SDM Vol. 3D A.10). */
export const EPT_VPID_CAP_BITS = {
  executeOnly: 0,
  pageWalk4: 6,
  pageWalk5: 7,
  memTypeUC: 8,
  memTypeWB: 14,
  page2M: 16,
  page1G: 17,
  invept: 20,
  accessedDirty: 21,
  advancedExitInfo: 22,
  inveptSingle: 25,
  inveptAll: 26,
  invvpid: 32,
  invvpidAddress: 40,
  invvpidSingle: 41,
  invvpidAll: 42,
  invvpidSingleGlobals: 43,
} as const satisfies Record<string, number>;

export type EptCapName = keyof typeof EPT_VPID_CAP_BITS;

/** Decoded EPT/VPID capabilities plus the physical-address width (CPUID 80000008H EAX[7:0]). */
export type EptCaps = Record<EptCapName, boolean> & { maxPhys: number };

export function eptCapsFromMsr(msr: bigint, maxPhys: number): EptCaps {
  const caps = { maxPhys } as EptCaps;
  for (const [name, bit] of Object.entries(EPT_VPID_CAP_BITS)) caps[name as EptCapName] = ((msr >> BigInt(bit)) & 1n) === 1n;
  return caps;
}

export function eptCapsToMsr(caps: EptCaps): bigint {
  let v = 0n;
  for (const [name, bit] of Object.entries(EPT_VPID_CAP_BITS)) if (caps[name as EptCapName]) v |= 1n << BigInt(bit);
  return v;
}

/** Everything a recent server core reports, with 4-level walks only and MAXPHYADDR 46. */
export const DEFAULT_EPT_CAPS: EptCaps = {
  executeOnly: true, pageWalk4: true, pageWalk5: false, memTypeUC: true, memTypeWB: true, page2M: true, page1G: true,
  invept: true, accessedDirty: true, advancedExitInfo: true, inveptSingle: true, inveptAll: true,
  invvpid: true, invvpidAddress: true, invvpidSingle: true, invvpidAll: true, invvpidSingleGlobals: true,
  maxPhys: 46,
};

/** EPTP fields (SDM Vol. 3C 25.6.11). */
export interface Eptp {
  /** Bits 2:0: memory type for accesses to the EPT paging structures. */
  memType: number;
  /** Bits 5:3 plus one: the page-walk length (4 or 5). */
  walkLength: number;
  /** Bit 6: accessed and dirty flags for EPT enabled. */
  ad: boolean;
  /** Bits N-1:12: physical address of the EPT PML4 (or PML5) table. */
  root: number;
  /** Bits 11:7 and 63:12 above the address: must be zero. */
  reservedLow: number;
  reservedHigh: bigint;
}

export function decodeEptp(eptp: bigint, maxPhys: number): Eptp {
  const v = BigInt.asUintN(64, eptp);
  const low = Number(v & 0xfffn);
  const addrMask = ((1n << BigInt(maxPhys)) - 1n) & ~0xfffn;
  return {
    memType: low & 7,
    walkLength: ((low >> 3) & 7) + 1,
    ad: (low & 0x40) !== 0,
    root: Number(v & addrMask),
    reservedLow: low & 0xf80,
    reservedHigh: v & ~addrMask & ~0xfffn,
  };
}

/** The EPT format an EPTP selects (after validation). */
export function eptFormat(e: Eptp): PagingFormat {
  return e.walkLength === 5 ? FORMAT_EPT5 : FORMAT_EPT4;
}

/** One EPTP condition of the VM-entry checks, as data (DESIGN.md "Named checks"). */
export interface EptpCheck {
  readonly id: string;
  readonly sdm: string;
  readonly explain: string;
  /** True when the EPTP passes. */
  test(e: Eptp, caps: EptCaps): boolean;
}

const SDM = "SDM Vol. 3C 27.2.1.1";

export const EPTP_CHECKS: readonly EptpCheck[] = [
  {
    id: "eptp-memory-type",
    sdm: SDM,
    explain: "EPTP bits 2:0 must be a memory type the processor allows for EPT paging structures (UC if IA32_VMX_EPT_VPID_CAP bit 8, WB if bit 14)",
    test: (e, c) =>
      (e.memType === MEMORY_TYPES.UC.value && c.memTypeUC) || (e.memType === MEMORY_TYPES.WB.value && c.memTypeWB),
  },
  {
    id: "eptp-walk-length",
    sdm: SDM,
    explain: "EPTP bits 5:3 must be a supported page-walk length minus one (3: 4-level if IA32_VMX_EPT_VPID_CAP bit 6, 4: 5-level if bit 7)",
    test: (e, c) => (e.walkLength === 4 && c.pageWalk4) || (e.walkLength === 5 && c.pageWalk5),
  },
  {
    id: "eptp-accessed-dirty",
    sdm: SDM,
    explain: "EPTP bit 6 (accessed and dirty flags for EPT) must be 0 unless IA32_VMX_EPT_VPID_CAP bit 21 is 1",
    test: (e, c) => !e.ad || c.accessedDirty,
  },
  {
    id: "eptp-reserved",
    sdm: SDM,
    explain: "EPTP bits 11:7 and bits 63:N (N = the physical-address width) are reserved and must be 0",
    test: (e) => e.reservedLow === 0 && e.reservedHigh === 0n,
  },
];

/** The first EPTP check that fails, or null when the EPTP is valid for VM entry. */
export function validateEptp(eptp: bigint, caps: EptCaps): EptpCheck | null {
  const e = decodeEptp(eptp, caps.maxPhys);
  return EPTP_CHECKS.find((c) => !c.test(e, caps)) ?? null;
}

/** Builds an EPTP value (what a VMM writes to the EPT_POINTER field). */
export function makeEptp(root: number, o: { memType?: number; walkLength?: 4 | 5; ad?: boolean } = {}): bigint {
  if (root % 4096 !== 0) throw new RangeError(`EPT root 0x${root.toString(16)} is not 4-KByte aligned`);
  const low = (o.memType ?? MEMORY_TYPES.WB.value) | (((o.walkLength ?? 4) - 1) << 3) | (o.ad ? 0x40 : 0);
  return BigInt(root) | BigInt(low);
}
