/**
 * Runs the natively generated reference cases (specs/reference/data, made by
 * specs/reference/tools/gen-integer.ts) through the interpreter: one bare
 * long-mode machine per data file, each instruction form assembled with
 * src/asm at its own address (so no stale decoded code), the registers and
 * RFLAGS loaded, run to HLT, outputs compared under the case's mask of
 * SDM-defined flags.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assemble } from "../../../src/asm/assemble";
import type { Cpu } from "../../../src/guest-cpu/cpu";
import { RAX, RBX, RCX, RDI, RDX, RSI } from "../../../src/guest-cpu/registers";
import { ACTIVE } from "../../../src/guest-cpu/state";
import { machine } from "../../support/machine";

export interface RefCase {
  in: [string, string, string, string, string];
  /** rax rbx rcx rdx flags, and for memory forms the RDI and RSI deltas and the 128-byte buffer (hex). */
  out: string[] | "#DE";
  defined: string;
  undef?: string[];
}
export interface RefForm {
  insn: string;
  width: number;
  cases: RefCase[];
}

export function loadReference(family: string): RefForm[] {
  const file = join(__dirname, "..", "..", "reference", "data", `integer-${family}.json`);
  return (JSON.parse(readFileSync(file, "utf8")) as { forms: RefForm[] }).forms;
}

const ORDER = [RAX, RBX, RCX, RDX];
const NAMES = ["rax", "rbx", "rcx", "rdx"];
const STATUS = 0x8d5;
const BASE = 0x20000;
/** The memory forms' 128-byte buffer: RDI at its middle, RSI 32 bytes below (as the native stub sets them). */
const BUF = 0x30000;
const PATTERN = Uint8Array.from({ length: 128 }, (_, i) => (i * 37 + 11) & 0xff);
const SLOT = 32;

/** A machine for running many one-instruction forms: each call runs one case. */
export class ReferenceRunner {
  readonly cpu: Cpu = machine(new Uint8Array([0xf4]), { memory: 4 << 20 });
  private next = 0;
  private readonly at = new Map<string, number>();

  private place(insn: string): number {
    let a = this.at.get(insn);
    if (a === undefined) {
      a = BASE + this.next++ * SLOT;
      const { bytes } = assemble(`${insn}\nhlt\n`, { bits: 64, org: a });
      if (bytes.length > SLOT) throw new Error(`${insn}: ${bytes.length} bytes`);
      this.cpu.mem.writeBytes(a, bytes);
      this.at.set(insn, a);
    }
    return a;
  }

  /** Runs one case; returns a description of each mismatch (empty when the interpreter agrees). */
  check(form: RefForm, c: RefCase): string[] {
    const s = this.cpu.s;
    s.rip = this.place(form.insn);
    s.activity = ACTIVE;
    for (let i = 0; i < 4; i++) {
      const v = BigInt(c.in[i]!);
      s.lo[ORDER[i]!] = Number(v & 0xffffffffn) | 0;
      s.hi[ORDER[i]!] = Number(v >> 32n) | 0;
    }
    s.rflags = Number(c.in[4]);
    const mem = c.out !== "#DE" && c.out.length > 5;
    if (mem) {
      this.cpu.mem.writeBytes(BUF, PATTERN);
      s.lo[RDI] = BUF + 64; s.hi[RDI] = 0;
      s.lo[RSI] = BUF + 32; s.hi[RSI] = 0;
    }
    this.cpu.faults.length = 0;
    const r = this.cpu.run(10);
    const where = `${form.insn} in=${c.in.join(",")}`;
    // With no IDT the #DE escalates to a triple fault; the first fault raised is the one to check.
    const fault = this.cpu.faults[0];
    if (c.out === "#DE") {
      if (r.stop !== "shutdown" || fault?.vector !== "#DE") return [`${where}: expected #DE, got stop ${r.stop}`];
      for (let i = 0; i < 4; i++) if (this.reg(i) !== BigInt(c.in[i]!)) return [`${where}: #DE changed ${NAMES[i]}`];
      return [];
    }
    if (r.stop !== "hlt") return [`${where}: stop ${r.stop} (fault ${fault?.vector})`];
    const bad: string[] = [];
    for (let i = 0; i < 4; i++) {
      if (c.undef?.includes(NAMES[i]!)) continue;
      const got = this.reg(i);
      if (got !== BigInt(c.out[i]!)) bad.push(`${where}: ${NAMES[i]} = 0x${got.toString(16)}, expected ${c.out[i]}`);
    }
    const defined = Number(c.defined);
    const got = s.rflags & STATUS & defined;
    const want = Number(c.out[4]) & defined;
    if (got !== want) bad.push(`${where}: flags 0x${got.toString(16)}, expected 0x${want.toString(16)} (defined 0x${defined.toString(16)})`);
    if (mem) {
      const delta = (r: number, base: number) => BigInt.asUintN(64, ((BigInt(s.hi[r]! >>> 0) << 32n) | BigInt(s.lo[r]! >>> 0)) - BigInt(base));
      if (delta(RDI, BUF + 64) !== BigInt(c.out[5]!)) bad.push(`${where}: rdi moved by 0x${delta(RDI, BUF + 64).toString(16)}, expected ${c.out[5]}`);
      if (delta(RSI, BUF + 32) !== BigInt(c.out[6]!)) bad.push(`${where}: rsi moved by 0x${delta(RSI, BUF + 32).toString(16)}, expected ${c.out[6]}`);
      const buf = Buffer.from(this.cpu.mem.readBytes(BUF, 128)).toString("hex");
      if (buf !== c.out[7]!.slice(2)) bad.push(`${where}: buffer ${buf}, expected ${c.out[7]!.slice(2)}`);
    }
    return bad;
  }

  private reg(i: number): bigint {
    const s = this.cpu.s;
    return (BigInt(s.hi[ORDER[i]!]! >>> 0) << 32n) | BigInt(s.lo[ORDER[i]!]! >>> 0);
  }
}

/** Table-driven spec body: one `it` per instruction form, all its cases compared. */
export function describeReference(family: string): void {
  const forms = loadReference(family);
  const runner = new ReferenceRunner();
  it.each(forms.map((f) => [f.insn, f] as const))("%s agrees with the host CPU", (_name, form) => {
    const bad = form.cases.flatMap((c) => runner.check(form, c));
    expect(bad.slice(0, 5)).toEqual([]);
  });
}
