/**
 * Encodings checked against GNU `as` (binutils 2.40 on x86-64): every line of
 * specs/asm/fixtures/gas-<bits>.txt is assembled by vmxlab at the address `as`
 * placed it and must give the same bytes. Where the two legitimately choose
 * different encodings, the table below says why and what is checked instead.
 */
import { assemble } from "../../src/asm/assemble";
import { disassemble } from "../../src/asm/disasm";
import { GasLine, readFixture } from "./support/gas-fixtures";

interface Difference {
  /** Matches the source line (without its `F<n>:` label). */
  line: RegExp;
  /** And, if given, the two encodings. */
  bytes?: (mine: string, theirs: string) => boolean;
  why: string;
  /**
   * "same-instruction": both byte strings decode to the same instruction.
   * "as-written": vmxlab's bytes decode to exactly the written instruction, `as` chose another.
   */
  check: "same-instruction" | "as-written";
}

const DIFFERENCES: Difference[] = [
  {
    line: /^v(pdpbusds?|pdpwssds?|pmadd52[lh]uq|cvtneps2bf16) /,
    why: "AVX-VNNI/AVX-IFMA/AVX-NE-CONVERT exist as VEX and EVEX; as picks EVEX unless told {vex}, vmxlab the shorter VEX",
    check: "same-instruction",
  },
  {
    line: /^vf(n?)m(add|sub|addsub|subadd)(ps|pd|ss|sd) [xy]mm\d+, [xy]mm\d+, [xy]mm\d+, [xy]mm\d+$/,
    why: "FMA4 with four registers can put the third or fourth in ModRM (VEX.W); as and iced pick different ones",
    check: "same-instruction",
  },
  { line: /ptr/, bytes: (a, b) => samePrefixesInOtherOrder(a, b), why: "operand- and address-size prefixes (66, 67) in either order", check: "same-instruction" },
  { line: /^encodekey(128|256) /, why: "as adds an operand-size prefix in 16-bit code that the instruction ignores", check: "same-instruction" },
  {
    line: /^int 0?x?3$/,
    why: "as turns `int 3` into INT3 (CC); vmxlab, like NASM, encodes INT imm8 (CD 03) — in VMX they differ (software exception vs software interrupt, SDM Vol. 3C 25.8.3)",
    check: "as-written",
  },
  {
    line: /^(mov r\w+, [c-gs]s|sldt r\w+|str r\w+)$/,
    why: "as drops REX.W from MOV r64, Sreg / SLDT r64 / STR r64 (the selector is zero-extended either way); vmxlab, like NASM, keeps it",
    check: "as-written",
  },
  { line: /^xchg rax, rax$/, why: "as emits NOP (90); vmxlab REX.W 90 (also a no-op)", check: "as-written" },
  {
    line: /^(call|jmp) dword ptr (\w+:)?\[/,
    why: "in 16-bit code `dword ptr` is a near m32 operand to vmxlab (NASM's `call dword [x]`) and a far m16:16 pointer to as; vmxlab writes far pointers as `far [x]`",
    check: "as-written",
  },
];

/** Same bytes once the leading 66/67 prefixes are sorted. */
function samePrefixesInOtherOrder(a: string, b: string): boolean {
  const split = (h: string): [string, string] => {
    const m = /^((?:66|67)+)(.*)$/.exec(h);
    return m ? [m[1]!.match(/../g)!.sort().join(""), m[2]!] : ["", h];
  };
  const [pa, ra] = split(a);
  const [pb, rb] = split(b);
  return a !== b && pa === pb && ra === rb;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const textOf = (h: string | Uint8Array, at: number, bits: 16 | 32 | 64): string =>
  disassemble(typeof h === "string" ? Buffer.from(h, "hex") : h, at, bits)
    .map((d) => d.text)
    .join(" | ");
/** GAS and NASM spellings of the same instruction compare equal: no `ptr`, `es:[x]` as `[es:x]`, `st(1)` as `st1`, `0x3` as `3`. */
const normalize = (t: string): string =>
  t
    .replace(/^F\d+: /, "")
    .replace(/ ptr\b/g, "")
    .replace(/\b([c-gs]s):\[/g, "[$1:")
    .replace(/st\((\d)\)/g, "st$1")
    .replace(/\b0x([0-9])\b/g, "$1")
    .trim();

describe.each([64, 32, 16] as const)("encodings in %i-bit code agree with GNU as", (bits) => {
  const lines = readFixture(bits);
  const results = lines.map((l) => {
    try {
      return { l, bytes: assemble(l.source, { bits, org: l.address }).bytes };
    } catch (e) {
      return { l, error: String(e) };
    }
  });
  const applies = (d: Difference, l: GasLine, mine: Uint8Array): boolean => d.line.test(l.source.replace(/^F\d+: /, "")) && (!d.bytes || d.bytes(hex(mine), l.hex));
  const differenceOf = (l: GasLine, mine: Uint8Array): Difference | undefined => DIFFERENCES.find((d) => applies(d, l, mine));

  it(`has a large reference set (${lines.length} lines)`, () => {
    expect(lines.length).toBeGreaterThan(4000);
  });

  it("assembles every line", () => {
    expect(results.filter((r) => r.error).map((r) => `${r.l.source}: ${r.error}`)).toEqual([]);
  });

  it("gives the bytes as gives, except for the listed differences", () => {
    const mismatches = results.filter((r) => r.bytes && hex(r.bytes) !== r.l.hex && !differenceOf(r.l, r.bytes));
    expect(mismatches.map((r) => `${r.l.source}: vmxlab ${hex(r.bytes!)} as ${r.l.hex}`)).toEqual([]);
  });

  it.each(DIFFERENCES.map((d) => [d.why, d] as const))("listed difference: %s", (_why, d) => {
    const hits = results.filter((r) => r.bytes && hex(r.bytes) !== r.l.hex && differenceOf(r.l, r.bytes) === d);
    for (const r of hits) {
      const mine = textOf(r.bytes!, r.l.address, bits);
      const theirs = textOf(r.l.hex, r.l.address, bits);
      if (d.check === "same-instruction") expect(mine).toBe(theirs);
      else {
        expect(normalize(mine)).toBe(normalize(r.l.source));
        expect(normalize(theirs)).not.toBe(normalize(r.l.source));
      }
    }
  });
});
