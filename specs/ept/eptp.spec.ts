/**
 * The EPTP VM-entry checks (SDM Vol. 3C 27.2.1.1): a failure is VMfailValid
 * with VM-instruction error 7. Capabilities come from IA32_VMX_EPT_VPID_CAP
 * (SDM Vol. 3D A.10).
 */
import { DEFAULT_EPT_CAPS, decodeEptp, type EptCaps, eptCapsFromMsr, eptCapsToMsr, makeEptp, validateEptp } from "../../src/ept/eptp";

describe("IA32_VMX_EPT_VPID_CAP", () => {
  // A value reported by a Skylake server core: execute-only, 4-level walks, UC and WB, 2 MiB and 1 GiB pages,
  // INVEPT (single, all), A/D flags, advanced exit information, INVVPID with all four types.
  const msr = 0x0000_0f01_0673_4141n;

  it("decodes each capability bit", () => {
    const caps = eptCapsFromMsr(msr, 46);
    expect(caps).toEqual({ ...DEFAULT_EPT_CAPS, pageWalk5: false });
  });

  it("encodes back to the same value", () => {
    expect(eptCapsToMsr(eptCapsFromMsr(msr, 46))).toBe(msr);
  });
});

describe("EPTP fields (SDM Vol. 3C 25.6.11)", () => {
  it("splits memory type, walk length, A/D enable and the table address", () => {
    expect(decodeEptp(0x1234_5000n | 0x40n | 0x18n | 6n, 46)).toEqual({
      memType: 6, walkLength: 4, ad: true, root: 0x1234_5000, reservedLow: 0, reservedHigh: 0n,
    });
  });

  it("builds what a VMM writes", () => {
    expect(makeEptp(0x7000, { ad: true })).toBe(0x7000n | 0x5en);
    expect(makeEptp(0x7000, { walkLength: 5, memType: 0 })).toBe(0x7020n);
  });
});

describe("EPTP check at VM entry", () => {
  const base = 0x0010_0000n;
  const caps5: EptCaps = { ...DEFAULT_EPT_CAPS, pageWalk5: true };
  it.each([
    { name: "WB, 4-level", eptp: base | 0x1en, caps: DEFAULT_EPT_CAPS, fails: null },
    { name: "UC, 4-level, A/D", eptp: base | 0x58n, caps: DEFAULT_EPT_CAPS, fails: null },
    { name: "memory type WC (1)", eptp: base | 0x19n, caps: DEFAULT_EPT_CAPS, fails: "eptp-memory-type" },
    { name: "memory type 7", eptp: base | 0x1fn, caps: DEFAULT_EPT_CAPS, fails: "eptp-memory-type" },
    { name: "UC without IA32_VMX_EPT_VPID_CAP bit 8", eptp: base | 0x18n, caps: { ...DEFAULT_EPT_CAPS, memTypeUC: false }, fails: "eptp-memory-type" },
    { name: "5-level walk without bit 7", eptp: base | 0x26n, caps: DEFAULT_EPT_CAPS, fails: "eptp-walk-length" },
    { name: "5-level walk with bit 7", eptp: base | 0x26n, caps: caps5, fails: null },
    { name: "3-level walk", eptp: base | 0x16n, caps: caps5, fails: "eptp-walk-length" },
    { name: "A/D enable without bit 21", eptp: base | 0x5en, caps: { ...DEFAULT_EPT_CAPS, accessedDirty: false }, fails: "eptp-accessed-dirty" },
    { name: "bit 7 (reserved)", eptp: base | 0x9en, caps: DEFAULT_EPT_CAPS, fails: "eptp-reserved" },
    { name: "bit 11 (reserved)", eptp: base | 0x81en, caps: DEFAULT_EPT_CAPS, fails: "eptp-reserved" },
    { name: "address bit 46 with MAXPHYADDR 46", eptp: (1n << 46n) | 0x1en, caps: DEFAULT_EPT_CAPS, fails: "eptp-reserved" },
    { name: "bit 63", eptp: (1n << 63n) | base | 0x1en, caps: DEFAULT_EPT_CAPS, fails: "eptp-reserved" },
    { name: "address bit 45 with MAXPHYADDR 46", eptp: (1n << 45n) | 0x1en, caps: DEFAULT_EPT_CAPS, fails: null },
  ])("$name", ({ eptp, caps, fails }) => {
    const r = validateEptp(eptp, caps);
    expect(r?.id ?? null).toBe(fails);
    if (r) expect(r.sdm).toMatch(/27\.2\.1\.1/);
  });
});
