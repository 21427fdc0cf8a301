/**
 * Generates specs/reference/data/<family>.json: results of integer instructions
 * run natively on this machine's CPU, the independent reference that
 * specs/guest-cpu/insn/*.spec.ts compare the interpreter against.
 *
 * How: every instruction form becomes a stub in a GNU `as` file (Intel syntax)
 * that loads RAX, RBX, RCX, RDX and RFLAGS from a record, executes the one
 * instruction, and stores them back; a small C driver (gcc) reads cases from
 * stdin, calls the stub and prints the outputs. A #DE (SIGFPE) is caught with
 * sigsetjmp/siglongjmp and recorded as "#DE".
 *
 * Each case also carries the mask of the status flags the SDM defines for
 * that instruction and operands (Vol. 2 "Flags Affected"); undefined flags are
 * masked out, since hardware (and vendors) differ there. Results the SDM
 * calls undefined (BSF/BSR of 0, SHLD/SHRD count > operand size) are listed
 * per case in "undef".
 *
 * Needs gcc and binutils. Run from the repository root:
 *   node specs/asm/tools/run-ts.js specs/reference/tools/gen-integer.ts
 * `npm test` reads the committed JSON and never runs the CPU natively.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";

const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const STATUS = CF | PF | AF | ZF | SF | OF;
type Width = 8 | 16 | 32 | 64;
const WIDTHS: Width[] = [8, 16, 32, 64];

/** Registers in the record order. */
const REGS = ["rax", "rbx", "rcx", "rdx"] as const;
type Reg = (typeof REGS)[number];
const NAMES: Record<Reg, Record<Width, string>> = {
  rax: { 8: "al", 16: "ax", 32: "eax", 64: "rax" },
  rbx: { 8: "bl", 16: "bx", 32: "ebx", 64: "rbx" },
  rcx: { 8: "cl", 16: "cx", 32: "ecx", 64: "rcx" },
  rdx: { 8: "dl", 16: "dx", 32: "edx", 64: "rdx" },
};
const r = (reg: Reg, w: Width) => NAMES[reg][w];

interface In {
  rax: bigint; rbx: bigint; rcx: bigint; rdx: bigint; flags: number;
}
/** A case: inputs, defined-flag mask and registers whose result the SDM leaves undefined. */
interface Case { in: In; defined: number; undef?: Reg[] }
/** `mem`: the stub points RDI at the middle of a 128-byte buffer and RSI 32 bytes below; the buffer and the RDI/RSI deltas are results too. */
interface Form { insn: string; width: Width; family: string; cases: Case[]; mem?: boolean }

const mask = (w: Width) => (1n << BigInt(w)) - 1n;

/** Edge operands: 0, 1, 2, extremes of the signed/unsigned ranges, bit patterns, and a few fixed pseudo-random values. */
function values(w: Width): bigint[] {
  const m = mask(w);
  const top = 1n << BigInt(w - 1);
  const raw = [0n, 1n, top - 1n, top, m, 0x5a5a5a5a5a5a5a5an, 0x123456789abcdef0n, 2n, top + 1n, m - 1n, 0xfedcba9876543210n & m, 0x80n];
  return [...new Set(raw.map((v) => v & m))];
}

/** Shift counts, beyond every operand size (the CPU masks them to 5 or 6 bits). */
const COUNTS = [0n, 1n, 2n, 3n, 7n, 8n, 9n, 15n, 16n, 17n, 31n, 32n, 33n, 63n, 64n, 65n, 255n];

/** Filler in registers an instruction should not touch. */
const FILL = { rcx: 0x1111_2222_3333_4444n, rdx: 0x5555_6666_7777_8888n };
/** Flags-in variants: all status flags clear, all set. */
const FLAGS_IN = [0x2, 0x2 | STATUS];

const forms: Form[] = [];
function add(family: string, insn: string, width: Width, cases: Case[], mem = false): void {
  forms.push({ family, insn, width, cases, mem });
}
function inputs(p: Partial<In>): In {
  return { rax: 0n, rbx: 0n, rcx: FILL.rcx, rdx: FILL.rdx, flags: 0x2, ...p };
}

// ---- ADD ADC SUB SBB CMP AND OR XOR TEST: all six flags defined except AF for the logical ones
for (const op of ["add", "adc", "sub", "sbb", "cmp", "and", "or", "xor", "test"]) {
  const logical = ["and", "or", "xor", "test"].includes(op);
  for (const w of WIDTHS) {
    const cases: Case[] = [];
    // Carry-in matters to ADC/SBB only; the others get the two flag variants alternately.
    const carry = op === "adc" || op === "sbb";
    for (const a of values(w)) for (const b of values(w)) for (const fl of carry ? FLAGS_IN : [FLAGS_IN[cases.length & 1]!])
      cases.push({ in: inputs({ rax: a | (0xdead_0000_0000_0000n & ~mask(w)), rbx: b, flags: fl }), defined: logical ? STATUS & ~AF : STATUS });
    add("alu", `${op} ${r("rax", w)}, ${r("rbx", w)}`, w, cases);
  }
  // Immediate forms, incl. a sign-extended imm8 and imm32 in 64-bit code.
  for (const [w, imm] of [[8, "0x81"], [16, "-2"], [32, "0x7f"], [64, "-1"], [64, "0x7fffffff"], [64, "-0x80000000"]] as [Width, string][]) {
    const cases: Case[] = [];
    for (const a of values(w)) for (const fl of FLAGS_IN) cases.push({ in: inputs({ rax: a, flags: fl }), defined: logical ? STATUS & ~AF : STATUS });
    add("alu", `${op} ${r("rax", w)}, ${imm}`, w, cases);
  }
}
// High-byte registers.
for (const insn of ["add ah, bl", "sub bh, ah", "xor ah, ah"]) {
  const cases: Case[] = [];
  for (const a of values(16)) for (const b of values(16)) cases.push({ in: inputs({ rax: a, rbx: b }), defined: insn.startsWith("xor") ? STATUS & ~AF : STATUS });
  add("alu", insn, 8, cases);
}

// ---- NEG INC DEC NOT
for (const op of ["neg", "inc", "dec", "not"]) {
  for (const w of WIDTHS) {
    const cases: Case[] = [];
    for (const a of values(w)) for (const fl of FLAGS_IN)
      cases.push({ in: inputs({ rax: a | (0x7777_0000_0000_0000n & ~mask(w)), flags: fl }), defined: STATUS });
    add("unary", `${op} ${r("rax", w)}`, w, cases);
  }
}

// ---- MUL IMUL: CF and OF defined; SF ZF AF PF undefined (SDM Vol. 2A/2B MUL, IMUL)
for (const op of ["mul", "imul"]) {
  for (const w of WIDTHS) {
    const cases: Case[] = [];
    for (const a of values(w)) for (const b of values(w)) cases.push({ in: inputs({ rax: a, rbx: b }), defined: CF | OF });
    add("muldiv", `${op} ${r("rbx", w)}`, w, cases);
  }
}
for (const w of [16, 32, 64] as Width[]) {
  const two: Case[] = [], three: Case[] = [];
  for (const a of values(w)) for (const b of values(w)) two.push({ in: inputs({ rax: a, rbx: b }), defined: CF | OF });
  add("muldiv", `imul ${r("rax", w)}, ${r("rbx", w)}`, w, two);
  for (const imm of ["7", "-3", w === 16 ? "0x1234" : "0x12345"]) {
    const c3: Case[] = [];
    for (const b of values(w)) c3.push({ in: inputs({ rax: 0x4242n, rbx: b }), defined: CF | OF });
    add("muldiv", `imul ${r("rax", w)}, ${r("rbx", w)}, ${imm}`, w, c3);
  }
  void three;
}

// ---- DIV IDIV: all flags undefined; #DE on a zero divisor or a quotient too large (SDM Vol. 2A DIV, IDIV)
for (const op of ["div", "idiv"]) {
  for (const w of WIDTHS) {
    const cases: Case[] = [];
    const hiVals = w === 8 ? [0n] : [0n, 1n, mask(w), mask(w) >> 1n, 0x12n];
    for (const a of values(w)) for (const b of values(w)) for (const d of hiVals) {
      const inp = w === 8 ? inputs({ rax: (d << 8n) | a | 0x0a00n, rbx: b }) : inputs({ rax: a, rbx: b, rdx: d });
      cases.push({ in: inp, defined: 0 });
    }
    // 8-bit: AH is the high half of the dividend.
    if (w === 8) for (const ax of [0x7fffn, 0x8000n, 0xff80n, 0x0100n, 0xfffen]) for (const b of [1n, 2n, 0xffn, 0x7fn, 0x80n]) cases.push({ in: inputs({ rax: ax, rbx: b }), defined: 0 });
    add("muldiv", `${op} ${r("rbx", w)}`, w, cases);
  }
}

// ---- shifts and rotates
function shiftDefined(op: string, w: Width, count: bigint): { defined: number; undef?: Reg[] } {
  const c = Number(count & (w === 64 ? 0x3fn : 0x1fn));
  if (c === 0) return { defined: STATUS }; // no flags affected
  const one = c === 1 ? OF : 0;
  if (op === "rol" || op === "ror") return { defined: CF | one | (STATUS & ~(CF | OF)) }; // others unaffected
  if (op === "rcl" || op === "rcr") return { defined: CF | one | (STATUS & ~(CF | OF)) };
  if (op === "shld" || op === "shrd") {
    if (c > w) return { defined: 0, undef: ["rax"] }; // 16-bit with count > 16: result and flags undefined
    return { defined: (CF | SF | ZF | PF | one) };
  }
  // SHL SHR SAR: CF undefined when the count is ≥ the operand size (8/16-bit), AF undefined.
  const cf = c < w ? CF : 0;
  return { defined: cf | SF | ZF | PF | one };
}
for (const op of ["shl", "shr", "sar", "rol", "ror", "rcl", "rcr"]) {
  for (const w of WIDTHS) {
    const byCl: Case[] = [], byOne: Case[] = [];
    const vs = values(w).slice(0, 8);
    const carry = op === "rcl" || op === "rcr";
    for (const a of vs) for (const cnt of COUNTS) for (const fl of carry ? FLAGS_IN : [FLAGS_IN[byCl.length & 1]!])
      byCl.push({ in: inputs({ rax: a, rcx: cnt | 0x3300n, flags: fl }), ...shiftDefined(op, w, cnt) });
    add("shift", `${op} ${r("rax", w)}, cl`, w, byCl);
    for (const a of values(w)) for (const fl of FLAGS_IN) byOne.push({ in: inputs({ rax: a, flags: fl }), ...shiftDefined(op, w, 1n) });
    add("shift", `${op} ${r("rax", w)}, 1`, w, byOne);
    for (const imm of [3n, BigInt(w - 1)]) {
      const byImm: Case[] = [];
      for (const a of values(w)) for (const fl of FLAGS_IN) byImm.push({ in: inputs({ rax: a, flags: fl }), ...shiftDefined(op, w, imm) });
      add("shift", `${op} ${r("rax", w)}, ${imm}`, w, byImm);
    }
  }
}
for (const op of ["shld", "shrd"]) {
  for (const w of [16, 32, 64] as Width[]) {
    const cases: Case[] = [];
    const vs = values(w).slice(0, 8);
    for (const a of vs) for (const b of [0n, mask(w), 0x5a5a5a5a5a5a5a5an & mask(w), 1n]) for (const cnt of COUNTS)
      cases.push({ in: inputs({ rax: a, rbx: b, rcx: cnt | 0x4400n, flags: 0x2 | (a & 1n ? STATUS : 0) }), ...shiftDefined(op, w, cnt) });
    add("shift", `${op} ${r("rax", w)}, ${r("rbx", w)}, cl`, w, cases);
    const imm: Case[] = [];
    for (const a of values(w)) for (const b of values(w).slice(0, 6)) imm.push({ in: inputs({ rax: a, rbx: b }), ...shiftDefined(op, w, 5n) });
    add("shift", `${op} ${r("rax", w)}, ${r("rbx", w)}, 5`, w, imm);
  }
}

// ---- BT BTS BTR BTC: CF defined, ZF unaffected, OF SF AF PF undefined (SDM Vol. 2A BT)
for (const op of ["bt", "bts", "btr", "btc"]) {
  for (const w of [16, 32, 64] as Width[]) {
    const cases: Case[] = [];
    for (const a of values(w).slice(0, 8)) for (const b of [0n, 1n, 5n, BigInt(w - 1), BigInt(w), BigInt(w + 3), mask(w), 0x80n]) for (const fl of FLAGS_IN)
      cases.push({ in: inputs({ rax: a, rbx: b, flags: fl }), defined: CF | ZF });
    add("bits", `${op} ${r("rax", w)}, ${r("rbx", w)}`, w, cases);
    const imm: Case[] = [];
    for (const a of values(w)) for (const fl of FLAGS_IN) imm.push({ in: inputs({ rax: a, flags: fl }), defined: CF | ZF });
    add("bits", `${op} ${r("rax", w)}, ${w - 1}`, w, imm);
  }
}

// ---- BSF BSR: ZF defined; source 0 leaves the destination undefined (SDM) — vmxlab leaves it unchanged, as AMD documents
// ---- LZCNT TZCNT: CF and ZF defined; POPCNT: all defined (OF SF AF CF PF cleared)
for (const op of ["bsf", "bsr", "lzcnt", "tzcnt", "popcnt"]) {
  for (const w of [16, 32, 64] as Width[]) {
    const cases: Case[] = [];
    for (const b of [...values(w), 1n << BigInt(w - 2), 0x10n, 0x100n]) for (const fl of FLAGS_IN) {
      const bm = b & mask(w);
      const defined = op === "bsf" || op === "bsr" ? ZF : op === "popcnt" ? STATUS : CF | ZF;
      cases.push({ in: inputs({ rax: 0xcccc_cccc_cccc_ccccn, rbx: bm, flags: fl }), defined, undef: (op === "bsf" || op === "bsr") && bm === 0n ? ["rax"] : undefined });
    }
    add("bits", `${op} ${r("rax", w)}, ${r("rbx", w)}`, w, cases);
  }
}

// ---- CMPXCHG (flags as CMP of the accumulator with the destination), XADD (flags as ADD), BSWAP (no flags)
for (const w of WIDTHS) {
  const cx: Case[] = [], xa: Case[] = [];
  for (const a of values(w).slice(0, 8)) for (const d of [a, a ^ 1n, 0n]) for (const b of [0x77n, mask(w)])
    cx.push({ in: inputs({ rax: a | (0xaaaa_0000_0000_0000n & ~mask(w)), rcx: d | (0x1234_0000_0000_0000n & ~mask(w)), rbx: b }), defined: STATUS });
  add("exchange", `cmpxchg ${r("rcx", w)}, ${r("rbx", w)}`, w, cx);
  for (const a of values(w)) for (const b of values(w).slice(0, 6)) xa.push({ in: inputs({ rax: a, rbx: b }), defined: STATUS });
  add("exchange", `xadd ${r("rax", w)}, ${r("rbx", w)}`, w, xa);
}
for (const w of [32, 64] as Width[]) {
  const cases: Case[] = [];
  for (const a of values(64)) for (const fl of FLAGS_IN) cases.push({ in: inputs({ rax: a, flags: fl }), defined: STATUS });
  add("exchange", `bswap ${r("rax", w)}`, w, cases);
}

// ---- SETcc, CMOVcc over every combination of the six status flags; LAHF/SAHF, CLC/STC/CMC; CBW..CQO
const CCS = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
/** Every combination of CF PF AF ZF SF OF as an RFLAGS image. */
const ALL_FLAGS = Array.from({ length: 64 }, (_, i) => [CF, PF, AF, ZF, SF, OF].reduce((f, bit, j) => (i >> j) & 1 ? f | bit : f, 0x2));
for (const cc of CCS) {
  add("misc", `set${cc} al`, 8, ALL_FLAGS.map((fl) => ({ in: inputs({ rax: 0x1234_5678_9abc_def0n, flags: fl }), defined: STATUS })));
  add("misc", `cmov${cc} eax, ebx`, 32, ALL_FLAGS.map((fl) => ({ in: inputs({ rax: 0xffff_ffff_0000_0001n, rbx: 0x2222_3333_4444_5555n, flags: fl }), defined: STATUS })));
}
for (const [insn, w] of [["cmovz rax, rbx", 64], ["cmovnz ax, bx", 16]] as [string, Width][])
  add("misc", insn, w, ALL_FLAGS.map((fl) => ({ in: inputs({ rax: 0xffff_ffff_0000_0001n, rbx: 0x2222_3333_4444_5555n, flags: fl }), defined: STATUS })));
for (const insn of ["lahf", "clc", "stc", "cmc"])
  add("misc", insn, 8, ALL_FLAGS.map((fl) => ({ in: inputs({ rax: 0x1111_2222_3333_4444n, flags: fl }), defined: STATUS })));
add("misc", "sahf", 8, Array.from({ length: 256 }, (_, ah) => ({ in: inputs({ rax: BigInt(ah << 8) | 0x77n, flags: ah & 1 ? 0x2 | OF : 0x2 }), defined: STATUS })));
for (const insn of ["cbw", "cwde", "cdqe", "cwd", "cdq", "cqo"]) {
  const cases: Case[] = [];
  for (const a of [...values(64), 0x80n, 0x7fn, 0x8000n, 0x7fffn, 0x8000_0000n, 0x7fff_ffffn, 0xffff_ffff_ffff_ff80n]) cases.push({ in: inputs({ rax: a }), defined: STATUS });
  add("misc", insn, 64, cases);
}

// ---- memory operands: read-modify-write forms, bit strings (BT* with a register offset reaches outside the operand), string instructions
{
  const offsets = [0n, 1n, 7n, 8n, 31n, 32n, 63n, 64n, 100n, 255n, -1n, -8n, -9n, -33n, -64n, -200n];
  for (const op of ["bt", "bts", "btr", "btc"]) {
    for (const w of [16, 32, 64] as Width[]) {
      const cases: Case[] = offsets.map((o, i) => ({ in: inputs({ rbx: BigInt.asUintN(64, o) & mask(w), flags: i & 1 ? 0x2 | STATUS : 0x2 }), defined: CF | ZF }));
      const size = w === 16 ? "word" : w === 32 ? "dword" : "qword";
      add("memory", `${op} ${size} ptr [rdi], ${r("rbx", w)}`, w, cases, true);
      add("memory", `${op} ${size} ptr [rdi + 2], ${w + 3}`, w, [{ in: inputs({}), defined: CF | ZF }], true);
    }
  }
  for (const insn of ["add dword ptr [rdi], eax", "sub qword ptr [rdi - 8], rax", "xadd [rdi + 4], eax", "cmpxchg qword ptr [rdi], rbx", "neg word ptr [rdi + 1]",
    "shld dword ptr [rdi], ebx, cl", "shrd qword ptr [rdi], rbx, cl", "rol byte ptr [rdi], cl", "rcr word ptr [rdi], cl", "sar qword ptr [rdi], cl", "imul eax, dword ptr [rdi], 1000",
    "mul qword ptr [rdi]", "bsf eax, dword ptr [rdi - 16]", "popcnt rax, qword ptr [rdi]", "cmovz eax, dword ptr [rdi]", "movzx eax, word ptr [rdi + 3]", "movsx rax, byte ptr [rdi + 5]"]) {
    const cases: Case[] = [];
    for (const a of [0n, 1n, 0x7fn, 0x8000_0001n, 0xffff_ffff_ffff_ffffn, 0x5a5a_5a5a_5a5a_5a5an]) for (const c of [1n, 5n, 33n])
      cases.push({ in: inputs({ rax: a, rbx: 0x1234_5678_9abc_def0n ^ a, rcx: c, flags: c & 1n ? 0x2 : 0x2 | STATUS }), defined: insn.startsWith("mul") || insn.startsWith("imul") ? CF | OF : insn.startsWith("bsf") ? ZF : insn.startsWith("sh") || insn.startsWith("sar") ? (c === 1n ? CF | OF | SF | ZF | PF : CF | SF | ZF | PF) : insn.startsWith("r") ? (c === 1n ? CF | OF : CF) : STATUS });
    add("memory", insn, 64, cases, true);
  }
  for (const insn of ["rep movsb", "rep movsq", "rep stosd", "repe cmpsb", "repne scasb", "lodsw", "std\nrep movsw\ncld", "rep stosb"]) {
    const cases: Case[] = [];
    for (const cnt of [0n, 1n, 3n, 7n]) for (const a of [0n, 0x27n, 0xe6n]) cases.push({ in: inputs({ rax: a, rcx: cnt }), defined: STATUS });
    add("memory", insn, 64, cases, true);
  }
}

// ---- BMI1/BMI2 (the CPUID model reports both): flags per the SDM pages; MULX/PDEP/PEXT/RORX/SARX/SHLX/SHRX change none
{
  const D = SF | ZF | CF | OF;
  const forms3: [string, number][] = [["andn", D], ["bextr", ZF | CF | OF], ["bzhi", D], ["pdep", STATUS], ["pext", STATUS], ["sarx", STATUS], ["shlx", STATUS], ["shrx", STATUS]];
  const ctl = [0n, 1n, 4n, 0x0804n, 0x2010n, 0x4000n, 0x0820n, 0x1f3fn, 0xff00n, 0x3fn, 0x40n, 0x20n, 0x1fn, 0x5a5a5a5a5a5a5a5an];
  for (const w of [32, 64] as Width[]) {
    for (const [op, defined] of forms3) {
      const cases: Case[] = [];
      for (const b of values(w).slice(0, 8)) for (const c of ctl) cases.push({ in: inputs({ rax: 0x7777n, rbx: b, rcx: c & mask(w), flags: cases.length & 1 ? 0x2 | STATUS : 0x2 }), defined });
      add("bmi", `${op} ${r("rax", w)}, ${r("rbx", w)}, ${r("rcx", w)}`, w, cases);
    }
    for (const op of ["blsi", "blsmsk", "blsr"]) {
      add("bmi", `${op} ${r("rax", w)}, ${r("rbx", w)}`, w, values(w).map((b, i) => ({ in: inputs({ rbx: b, flags: i & 1 ? 0x2 | STATUS : 0x2 }), defined: SF | ZF | CF | OF })));
    }
    add("bmi", `rorx ${r("rax", w)}, ${r("rbx", w)}, 5`, w, values(w).map((b) => ({ in: inputs({ rbx: b, flags: 0x2 | STATUS }), defined: STATUS })));
    const mx: Case[] = [];
    for (const d of values(w).slice(0, 8)) for (const c of values(w).slice(0, 8)) mx.push({ in: inputs({ rdx: d, rcx: c, flags: 0x2 | CF }), defined: STATUS });
    add("bmi", `mulx ${r("rax", w)}, ${r("rbx", w)}, ${r("rcx", w)}`, w, mx);
    add("bmi", `mulx ${r("rax", w)}, ${r("rax", w)}, ${r("rcx", w)}`, w, mx);
  }
}

// ---------------------------------------------------------------------------------------------

const DRIVER = String.raw`
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
typedef struct { uint64_t in[4]; uint64_t fin; uint64_t out[4]; uint64_t fout; int64_t rdi, rsi; uint8_t buf[128]; } io_t;
extern void (*const stubs[])(io_t *);
static sigjmp_buf env;
static void on_fpe(int sig) { (void)sig; siglongjmp(env, 1); }
int main(void) {
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = on_fpe; sigaction(SIGFPE, &sa, 0);
  unsigned n, mem; io_t io;
  while (scanf("%u %lx %lx %lx %lx %lx %u", &n, &io.in[0], &io.in[1], &io.in[2], &io.in[3], &io.fin, &mem) == 7) {
    for (int i = 0; i < 128; i++) io.buf[i] = (uint8_t)(i * 37 + 11);
    if (sigsetjmp(env, 1)) { printf("#DE\n"); continue; }
    stubs[n](&io);
    printf("%lx %lx %lx %lx %lx", io.out[0], io.out[1], io.out[2], io.out[3], io.fout & 0x8d5);
    if (mem) {
      printf(" %lx %lx ", (uint64_t)io.rdi, (uint64_t)io.rsi);
      for (int i = 0; i < 128; i++) printf("%02x", io.buf[i]);
    }
    printf("\n");
  }
  return 0;
}
`;

function stub(i: number, insn: string, mem = false): string {
  return `t${i}:
  push rbx
  mov r11, rdi
  ${mem ? "lea rdi, [r11 + 160]\n  lea rsi, [r11 + 128]" : ""}
  mov rax, [r11]
  mov rbx, [r11 + 8]
  mov rcx, [r11 + 16]
  mov rdx, [r11 + 24]
  push qword ptr [r11 + 32]
  popfq
  ${insn}
  pushfq
  pop qword ptr [r11 + 72]
  mov [r11 + 40], rax
  mov [r11 + 48], rbx
  mov [r11 + 56], rcx
  mov [r11 + 64], rdx
  ${mem ? "sub rdi, r11\n  sub rdi, 160\n  mov [r11 + 80], rdi\n  sub rsi, r11\n  sub rsi, 128\n  mov [r11 + 88], rsi" : ""}
  pop rbx
  ret
`;
}

const hex = (v: bigint | number) => "0x" + v.toString(16);

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), "vmxlab-ref-"));
  try {
    const asm = [".intel_syntax noprefix", ".text", ...forms.map((f, i) => stub(i, f.insn.replace(/\\n/g, "\n  "), f.mem)), ".section .rodata", ".globl stubs", "stubs:", ...forms.map((_, i) => `  .quad t${i}`), ".section .note.GNU-stack,\"\",@progbits"].join("\n");
    writeFileSync(join(dir, "stubs.s"), asm + "\n");
    writeFileSync(join(dir, "driver.c"), DRIVER);
    execFileSync("gcc", ["-O1", "-no-pie", "-o", join(dir, "ref"), join(dir, "driver.c"), join(dir, "stubs.s")], { stdio: "inherit" });
    const lines: string[] = [];
    forms.forEach((f, i) => f.cases.forEach((c) => lines.push(`${i} ${c.in.rax.toString(16)} ${c.in.rbx.toString(16)} ${c.in.rcx.toString(16)} ${c.in.rdx.toString(16)} ${c.in.flags.toString(16)} ${f.mem ? 1 : 0}`)));
    const run = spawnSync(join(dir, "ref"), { input: lines.join("\n") + "\n", encoding: "utf8", maxBuffer: 1 << 28 });
    if (run.status !== 0) throw new Error(`reference driver failed: ${run.stderr}`);
    const outs = run.stdout.trim().split("\n");
    if (outs.length !== lines.length) throw new Error(`expected ${lines.length} results, got ${outs.length}`);
    const cpu = cpus()[0]?.model ?? "unknown";
    const families = new Map<string, unknown[]>();
    let k = 0;
    for (const f of forms) {
      const cases = f.cases.map((c) => {
        const o = outs[k++]!;
        const inp = [hex(c.in.rax), hex(c.in.rbx), hex(c.in.rcx), hex(c.in.rdx), hex(c.in.flags)];
        const out = o === "#DE" ? "#DE" : o.split(" ").map((x) => "0x" + x);
        const rec: Record<string, unknown> = { in: inp, out, defined: hex(c.defined) };
        if (c.undef) rec.undef = c.undef;
        return rec;
      });
      const list = families.get(f.family) ?? [];
      list.push({ insn: f.insn, width: f.width, cases });
      families.set(f.family, list);
    }
    for (const [family, list] of families) {
      const file = join("specs", "reference", "data", `integer-${family}.json`);
      const doc = {
        description: "Integer instructions run natively (see specs/reference/tools/gen-integer.ts). Registers in/out: rax rbx rcx rdx; flags: in = RFLAGS, out = the six status flags; defined = status flags the SDM defines for the case.",
        host: cpu,
        forms: list,
      };
      // One case per line keeps diffs readable.
      const formsText = list.map((f) => {
        const { insn, width, cases } = f as { insn: string; width: number; cases: unknown[] };
        return `  {"insn": ${JSON.stringify(insn)}, "width": ${width}, "cases": [\n${cases.map((c) => "    " + JSON.stringify(c)).join(",\n")}\n  ]}`;
      });
      const text = `{"description": ${JSON.stringify(doc.description)},\n "host": ${JSON.stringify(doc.host)},\n "forms": [\n${formsText.join(",\n")}\n]}`;
      writeFileSync(file, text + "\n");
      console.log(`${file}: ${list.length} forms, ${list.reduce((n: number, f) => n + (f as { cases: unknown[] }).cases.length, 0)} cases`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  void readFileSync;
}

main();
