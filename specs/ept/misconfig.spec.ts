/**
 * EPT misconfigurations (SDM Vol. 3C 29.3.3.1) against EPT violations
 * (29.3.3.2): a misconfiguration is an entry holding a reserved setting and
 * takes precedence; a violation needs a translation without one.
 */
import { makeRig, OFFSET, TARGET_GPA } from "./rig";

type Outcome = "ok" | "misconfig" | "violation";

/** Entry levels on the target's path with 4-KByte pages (0 = EPT PML4E). */
const PML4E = 0, PDPTE = 1, PDE = 2, PTE = 3;

interface Case {
  name: string;
  level: number;
  /** Bits to clear, then bits to set, in the entry at `level`. */
  clear: bigint;
  set: bigint;
  access?: "read" | "write" | "fetch";
  caps?: { executeOnly?: boolean; page1G?: boolean };
  expect: Outcome;
}

const RWX = 7n;

const cases: Case[] = [
  { name: "write-only leaf (bits 2:0 = 010b)", level: PTE, clear: RWX, set: 2n, expect: "misconfig" },
  { name: "write/execute leaf (110b)", level: PTE, clear: RWX, set: 6n, expect: "misconfig" },
  { name: "write-only table entry (010b)", level: PDE, clear: RWX, set: 2n, expect: "misconfig" },
  { name: "write-only entry even for an access it would deny anyway", level: PTE, clear: RWX, set: 2n, access: "fetch", expect: "misconfig" },
  { name: "execute-only leaf when supported: a read violates", level: PTE, clear: RWX, set: 4n, expect: "violation" },
  { name: "execute-only leaf when supported: a fetch passes", level: PTE, clear: RWX, set: 4n, access: "fetch", expect: "ok" },
  { name: "execute-only leaf without IA32_VMX_EPT_VPID_CAP bit 0", level: PTE, clear: RWX, set: 4n, access: "fetch", caps: { executeOnly: false }, expect: "misconfig" },
  ...[0n, 1n, 4n, 5n, 6n].map((mt) => ({ name: `leaf memory type ${mt}`, level: PTE, clear: 0x38n, set: mt << 3n, expect: "ok" as Outcome })),
  ...[2n, 3n, 7n].map((mt) => ({ name: `leaf memory type ${mt} (reserved)`, level: PTE, clear: 0x38n, set: mt << 3n, expect: "misconfig" as Outcome })),
  { name: "reserved memory type with a read-only leaf and a write (misconfiguration first)", level: PTE, clear: 0x3fn, set: 1n | (7n << 3n), access: "write", expect: "misconfig" },
  { name: "bits 6:3 of a table entry (PDE)", level: PDE, clear: 0n, set: 0x30n, expect: "misconfig" },
  { name: "bit 3 of a PML4E", level: PML4E, clear: 0n, set: 0x8n, expect: "misconfig" },
  { name: "bit 7 of a PML4E (no 512-GByte pages)", level: PML4E, clear: 0n, set: 0x80n, expect: "misconfig" },
  { name: "bit 7 of a PDPTE without 1-GByte page support", level: PDPTE, clear: 0n, set: 0x80n, caps: { page1G: false }, expect: "misconfig" },
  { name: "address bit 46 with MAXPHYADDR 46", level: PDE, clear: 0n, set: 1n << 46n, expect: "misconfig" },
  { name: "address bit 51 of a leaf", level: PTE, clear: 0n, set: 1n << 51n, expect: "misconfig" },
  { name: "ignored bits 11 and 62:52 of a leaf", level: PTE, clear: 0n, set: (1n << 11n) | (0x7ffn << 52n), expect: "ok" },
  { name: "ignore-PAT and bit 7 of a PTE (ignored)", level: PTE, clear: 0n, set: 0xc0n, expect: "ok" },
  { name: "a not-present PDE hides a write-only PTE below it", level: PDE, clear: RWX | 0x400n, set: 0n, expect: "violation" },
];

describe("EPT misconfiguration vs violation (SDM Vol. 3C 29.3.3)", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_n, c) => {
    const rig = makeRig();
    if (c.name.startsWith("a not-present PDE")) {
      rig.ept.setEntry(TARGET_GPA, PTE, (rig.mem.read(rig.ept.entryAddr(TARGET_GPA, PTE), 8) & ~RWX) | 2n);
    }
    const addr = rig.ept.entryAddr(TARGET_GPA, c.level);
    rig.mem.write(addr, 8, (rig.mem.read(addr, 8) & ~c.clear) | c.set);
    const res = rig.translate(c.access ?? "read", { caps: c.caps });
    const kind = res.fault === null ? "ok" : res.fault.kind === "ept-misconfig" ? "misconfig" : res.fault.kind === "ept-violation" ? "violation" : res.fault.kind;
    expect(kind).toBe(c.expect);
    // Both exits report the guest-physical address of the access (SDM Vol. 3C 28.2.2 / 28.2.3).
    if (res.fault?.kind === "ept-misconfig") expect(res.fault).toEqual({ kind: "ept-misconfig", gpa: TARGET_GPA + OFFSET, level: c.level });
  });
});
