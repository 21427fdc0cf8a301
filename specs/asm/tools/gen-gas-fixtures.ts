/**
 * Generates specs/asm/fixtures/gas-<bits>.txt: instruction lines in GAS Intel
 * syntax and the bytes GNU `as` assembles them to. The lines come from every
 * form in iced-x86's tables (Legacy and VEX encodings) × operand choices
 * (register sizes, memory forms, immediates, branch targets), written by iced's
 * Intel formatter, plus hand-written syntax variants; lines `as` rejects or
 * warns about are dropped. `npm test` reads the committed files and never runs
 * `as`.
 *
 * Needs binutils (`as`, `ld`, `nm`, `objcopy`). Run from the repository root:
 *   node specs/asm/tools/run-ts.js specs/asm/tools/gen-gas-fixtures.ts
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Decoder, DecoderOptions, Formatter, FormatterSyntax, MemorySizeOptions, OpKind } from "iced-x86";
import { samples } from "../support/samples";
import { EXTRA_LINES, fixturePath, loadAddress } from "../support/gas-fixtures";

function intelFormatter(): Formatter {
  const f = new Formatter(FormatterSyntax.Intel);
  f.hexPrefix = "0x";
  f.hexSuffix = "";
  f.uppercaseHex = false;
  f.spaceAfterOperandSeparator = true;
  f.showBranchSize = false;
  f.branchLeadingZeros = false;
  f.memorySizeOptions = MemorySizeOptions.Always;
  f.ripRelativeAddresses = true;
  f.smallHexNumbersInDecimal = false;
  return f;
}

const BRANCH_KINDS = new Set([OpKind.NearBranch16, OpKind.NearBranch32, OpKind.NearBranch64]);

/** The sample in GAS Intel syntax; a near branch target becomes `SELF+offset` (the line's own label) so both assemblers relax it alike. */
function gasText(f: Formatter, bytes: Uint8Array, ip: number, bits: number): string | undefined {
  const d = new Decoder(bits, bytes, DecoderOptions.None);
  d.ip = BigInt(ip);
  const ins = d.decode();
  try {
    let text = f.format(ins);
    // Branch hints, CET/MPX prefixes and XED's `ret far` are no syntax of GAS or NASM.
    if (/hint-|notrack|bnd |\bret far/.test(text)) return undefined;
    if (BRANCH_KINDS.has(ins.op0Kind)) {
      const target = Number(ins.nearBranchTarget);
      text = text.replace(/0x[0-9a-f]+$/, `SELF+0x${(target - ip).toString(16)}`);
    }
    // XED spells far pointers `jmp far 0x1234, 8`; GAS writes `jmp 8:0x1234`.
    text = text.replace(/^(jmp|call) far (0x[0-9a-f]+), (\w+)$/, "$1 $3:$2");
    return text;
  } finally {
    ins.free();
    d.free();
  }
}

/** `F<i>: line`, with SELF naming the line's label. */
function labelled(line: string, i: number): string {
  return `F${i}: ${line.replace(/\bSELF\b/g, `F${i}`)}`;
}

interface Built {
  kept: string[];
  dropped: number;
  addresses: Map<string, number>;
  bin: Uint8Array;
}

/** Assembles the lines with `as`, dropping the ones it rejects or warns about, then links at the load address. */
function assembleWithGas(lines: string[], bits: number, dir: string): Built {
  let kept = lines;
  let dropped = 0;
  for (let round = 0; round < 8; round++) {
    const src = [".intel_syntax noprefix", `.code${bits}`, ...kept.map((l, i) => labelled(l, i)), `F${kept.length}:`, ""].join("\n");
    writeFileSync(join(dir, "x.s"), src);
    const r = spawnSync("as", ["--64", "-o", join(dir, "x.o"), join(dir, "x.s")], { encoding: "utf8" });
    const bad = new Set<number>();
    for (const m of r.stderr.matchAll(/x\.s:(\d+): (Error|Warning)/g)) bad.add(Number(m[1]) - 3);
    if (r.status === 0 && bad.size === 0) break;
    if (bad.size === 0) throw new Error(`as failed: ${r.stderr.slice(0, 500)}`);
    dropped += bad.size;
    kept = kept.filter((_, i) => !bad.has(i));
  }
  const at = `0x${loadAddress(bits).toString(16)}`;
  execFileSync("ld", ["-m", "elf_x86_64", `-Ttext=${at}`, "-e", at, "-o", join(dir, "x.elf"), join(dir, "x.o")]);
  execFileSync("objcopy", ["-O", "binary", "-j", ".text", join(dir, "x.elf"), join(dir, "x.bin")]);
  const addresses = new Map<string, number>();
  for (const line of execFileSync("nm", [join(dir, "x.elf")], { encoding: "utf8" }).split("\n")) {
    const m = /^([0-9a-f]+) \w (F\d+)$/.exec(line);
    if (m) addresses.set(m[2]!, parseInt(m[1]!, 16));
  }
  return { kept, dropped, addresses, bin: new Uint8Array(readFileSync(join(dir, "x.bin"))) };
}

function generate(bits: 16 | 32 | 64): void {
  const f = intelFormatter();
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const s of samples(bits, 3)) {
    const text = gasText(f, s.bytes, s.ip, bits);
    if (!text || seen.has(text)) continue;
    seen.add(text);
    lines.push(text);
  }
  lines.push(...EXTRA_LINES[bits]);
  const dir = mkdtempSync(join(tmpdir(), "gas-fixtures-"));
  try {
    const built = assembleWithGas(lines, bits, dir);
    const base = loadAddress(bits);
    const out = [
      `# ${execFileSync("as", ["--version"], { encoding: "utf8" }).split("\n")[0]}: .intel_syntax noprefix, .code${bits}, linked at 0x${base.toString(16)}.`,
      "# Generated by specs/asm/tools/gen-gas-fixtures.ts. Columns: address, bytes, source line.",
    ];
    built.kept.forEach((l, i) => {
      const a = built.addresses.get(`F${i}`)!;
      const b = built.addresses.get(`F${i + 1}`)!;
      const hex = Array.from(built.bin.slice(a - base, b - base), (x) => x.toString(16).padStart(2, "0")).join("");
      out.push(`${a.toString(16)}\t${hex}\t${labelled(l, i)}`);
    });
    writeFileSync(fixturePath(bits), out.join("\n") + "\n");
    process.stdout.write(`${bits}-bit: ${built.kept.length} lines (${built.dropped} dropped by as)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const bits of [16, 32, 64] as const) generate(bits);
