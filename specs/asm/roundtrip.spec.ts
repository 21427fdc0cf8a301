/**
 * assemble → disassemble → assemble gives the same bytes: over a generated
 * instruction set (every Legacy and VEX form in iced-x86's tables with several
 * operand choices, in 16-, 32- and 64-bit code) and over every example program.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Code } from "iced-x86";
import { assemble, AsmResult } from "../../src/asm/assemble";
import { disassemble } from "../../src/asm/disasm";
import { samples } from "./support/samples";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/**
 * Forms the assembler writes differently from the text iced prints for them:
 * MOV Sreg, r16 needs no operand-size prefix (the selector is 16 bits either
 * way), so `mov fs, dx` is 8E E2 as NASM and GNU as write it, not 66 8E E2.
 */
const OTHER_ENCODING = new Set<Code>([Code.Mov_Sreg_rm16]);

describe.each([64, 32, 16] as const)("round trip of generated instructions in %i-bit code", (bits) => {
  const all = samples(bits, 3);
  const results = all.map((s) => {
    try {
      const b1 = assemble(s.text, { bits, org: s.ip }).bytes;
      const text1 = disassemble(b1, s.ip, bits).map((d) => d.text);
      const b2 = assemble(text1.join("\n"), { bits, org: s.ip }).bytes;
      return { s, b1, b2, text1 };
    } catch (e) {
      return { s, error: String(e) };
    }
  });

  it(`covers every form iced can encode (${all.length} samples of ${new Set(all.map((s) => s.code)).size} forms)`, () => {
    expect(new Set(all.map((s) => s.code)).size).toBeGreaterThan(bits === 64 ? 2000 : 1700);
  });

  it("assembles everything the disassembler prints", () => {
    expect(results.filter((r) => r.error).map((r) => `${r.s.text}: ${r.error}`)).toEqual([]);
  });

  it("assemble → disassemble → assemble gives the same bytes", () => {
    expect(results.filter((r) => r.b1 && hex(r.b1) !== hex(r.b2!)).map((r) => `${r.s.text}: ${hex(r.b1!)} then ${hex(r.b2!)}`)).toEqual([]);
  });

  it("reads the instruction the text names (one instruction, same text back)", () => {
    const wrong = results.filter((r) => r.text1 && !OTHER_ENCODING.has(r.s.code) && (r.text1.length !== 1 || r.text1[0] !== r.s.text));
    expect(wrong.map((r) => `${r.s.name}: ${r.s.text} read as ${r.text1!.join(" | ")}`)).toEqual([]);
  });
});

/** Source that re-creates `r`: instructions as the disassembler prints them, data as bytes. */
function disassembledSource(r: AsmResult): string {
  const out = [`org 0x${r.org.toString(16)}`];
  let bits = 0;
  for (const l of r.lines) {
    if (l.bits !== bits) out.push(`bits ${(bits = l.bits)}`);
    const bytes = r.bytes.subarray(l.address - r.org, l.address - r.org + l.length);
    if (l.kind === "data") out.push(`db ${Array.from(bytes).join(", ")}`);
    else out.push(...disassemble(bytes, l.address, l.bits).map((d) => d.text));
  }
  return out.join("\n");
}

const EXAMPLES = join(__dirname, "..", "..", "examples");

describe("round trip of the examples", () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith(".s"));

  it("has example programs", () => expect(files.length).toBeGreaterThanOrEqual(3));

  it.each(files)("%s", (file) => {
    const r1 = assemble(readFileSync(join(EXAMPLES, file), "utf8"), { bits: 64, org: 0x10000, file });
    const r2 = assemble(disassembledSource(r1), { bits: 64, org: 0 });
    expect(r2.org).toBe(r1.org);
    expect(hex(r2.bytes)).toBe(hex(r1.bytes));
  });
});
