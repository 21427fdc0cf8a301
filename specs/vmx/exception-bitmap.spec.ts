/**
 * Exceptions in VMX non-root operation (SDM Vol. 3C 25.6.3, 26.2): an
 * exception exits when its bit in the exception bitmap is 1, except #PF,
 * where bit 14 selects whether a match of (PFEC & PAGE_FAULT_ERROR_CODE_MASK)
 * == PAGE_FAULT_ERROR_CODE_MATCH exits (bit 14 = 1) or a mismatch does
 * (bit 14 = 0). Otherwise the exception is delivered through the guest IDT;
 * the rig's guest has IDTR.limit = 0, so delivery escalates to a triple
 * fault, which exits with reason TRIPLE_FAULT.
 */
import { RAX, RBX, RCX } from "../../src/guest-cpu/registers";
import { GUEST_CODE, rig } from "./rig";

interface Source {
  name: string;
  vector: number;
  code: string;
  regs?: Record<number, number>;
  /** VM_EXIT_INTR_INFO (Table 28-17): vector, type (3 hardware, 6 software exception), error-code valid (11), valid (31). */
  info: number;
  error?: number;
  qual?: bigint;
  len: number;
}

const HW = 3 << 8, SW = 6 << 8, EC = 0x800, V = 0x8000_0000;

const SOURCES: Source[] = [
  { name: "#DE (DIV by zero)", vector: 0, code: "div rcx", regs: { [RCX]: 0 }, info: V | HW | 0, len: 0 },
  { name: "#BP (INT3)", vector: 3, code: "int3", info: V | SW | 3, len: 1 },
  { name: "#UD (UD2)", vector: 6, code: "ud2", info: V | HW | 6, len: 0 },
  { name: "#GP(0) (non-canonical load)", vector: 13, code: "mov rax, [rbx]", regs: { [RBX]: 0 }, info: V | HW | EC | 13, error: 0, len: 0 },
  // Write to a linear address with no translation: #PF with PFEC = W (2); the qualification is the address (CR2 is not loaded).
  { name: "#PF (write, not present)", vector: 14, code: "mov [rax], rbx", regs: { [RAX]: 0 }, info: V | HW | EC | 14, error: 2, qual: 0x1_0000_0000n, len: 0 },
];

function run(src: Source, bitmap: number, mask = 0, match = 0) {
  const r = rig({ code: src.code + "\nhlt" });
  r.set("EXCEPTION_BITMAP", bitmap >>> 0);
  r.set("PAGE_FAULT_ERROR_CODE_MASK", mask >>> 0);
  r.set("PAGE_FAULT_ERROR_CODE_MATCH", match >>> 0);
  for (const [k, v] of Object.entries(src.regs ?? {})) r.cpu.s.lo[Number(k)] = v;
  if (src.vector === 13) r.cpu.s.hi[RBX] = 0x8000; // 0x0000_8000_0000_0000: not canonical
  if (src.vector === 14) r.cpu.s.hi[RAX] = 1; // 0x1_0000_0000: beyond the identity map
  const cr2 = r.cpu.s.cr2;
  const out = r.launch(100);
  expect(out.stop).toBe("exit");
  return { r, e: r.engine.exits[0]!, cr2 };
}

describe("exception bitmap (SDM Vol. 3C 25.6.3)", () => {
  const rows = SOURCES.flatMap((s) => [true, false].map((bit) => [s.name, bit, s] as const));
  it.each(rows)("%s with its bitmap bit %s", (_n, bit, src) => {
    const { r, e, cr2 } = run(src, bit ? 1 << src.vector : 0);
    if (!bit) {
      expect(e.reason).toBe("TRIPLE_FAULT");
      return;
    }
    expect(e.reason).toBe("EXCEPTION_NMI");
    expect(r.get("VM_EXIT_INTR_INFO")).toBe(BigInt(src.info >>> 0));
    if (src.error !== undefined) expect(r.get("VM_EXIT_INTR_ERROR_CODE")).toBe(BigInt(src.error));
    expect(e.qualification).toBe(src.qual ?? 0n);
    expect(e.instructionLength).toBe(src.len);
    expect(e.guestRip).toBe(BigInt(GUEST_CODE));
    expect(r.cpu.s.cr2).toBe(cr2);
  });
});

describe("#PF error-code mask and match (SDM Vol. 3C 25.6.3)", () => {
  const pf = SOURCES.find((s) => s.vector === 14)!;
  const PFEC = 2;
  // Generated matrix: bit 14 × (mask, match) pairs; the expected outcome is computed from the rule, the
  // pairs chosen so that both a match and a mismatch occur for each bitmap setting.
  const pairs: [number, number][] = [[0, 0], [2, 2], [2, 0], [4, 4], [0xffff_ffff, 2], [1, 1], [0, 1], [6, 2]];
  const rows = [true, false].flatMap((bit) => pairs.map(([mask, match]) => {
    const matches = (PFEC & mask) === match;
    return [bit ? 1 : 0, mask, match, matches, bit === matches] as const;
  }));
  it.each(rows)("bit 14 = %d, mask %d, match %d (PFEC & mask == match: %s) → exits: %s", (bit, mask, match, _m, exits) => {
    const { e } = run(pf, bit << 14, mask, match);
    expect(e.reason).toBe(exits ? "EXCEPTION_NMI" : "TRIPLE_FAULT");
  });
});

describe("exceptions during event delivery", () => {
  it("a #DF intercepted while delivering exits with vector 8 and the interrupted event in IDT-vectoring information", () => {
    const ud = SOURCES.find((s) => s.vector === 6)!;
    const { r, e } = run(ud, 1 << 8);
    expect(e.reason).toBe("EXCEPTION_NMI");
    expect(r.get("VM_EXIT_INTR_INFO")).toBe(BigInt((V | HW | EC | 8) >>> 0));
    expect(r.get("VM_EXIT_INTR_ERROR_CODE")).toBe(0n);
    // The event being delivered when #DF arose: a #GP (hardware exception with error code).
    expect((Number(r.get("IDT_VECTORING_INFO_FIELD")) & 0x80000fff) >>> 0).toBe((V | HW | EC | 13) >>> 0);
  });

  it("without any intercept, a fault the guest IDT cannot deliver is a triple fault exit (26.2)", () => {
    const { e, r } = run(SOURCES.find((s) => s.vector === 6)!, 0);
    expect(e).toMatchObject({ reason: "TRIPLE_FAULT", basicReason: 2, qualification: 0n, instructionLength: 0 });
    expect(r.cpu.s.activity).toBe(0);
  });
});
