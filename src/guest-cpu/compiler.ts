/**
 * Block compiler and code cache. A block is the run of instructions from one
 * address up to the first control transfer, state-changing system
 * instruction, page boundary or MAX_BLOCK instructions; its templates are
 * concatenated into one JavaScript function (DESIGN.md "Performance design").
 * Blocks are cached by host-physical address and code size; a write to a
 * page holding decoded code drops that page's blocks (self-modifying code).
 */
import { Mnemonic } from "iced-x86";
import { PAGE_SIZE, PF_CODE } from "../memory/host-memory";
import { decodeInsn } from "./decode";
import { Emitter } from "./emitter";
import type { FlagSource } from "./flag-fusion";
import { CpuFault, GP } from "./exceptions";
import { H } from "./helpers";
import type { Insn } from "./insn";
import { INSTRUCTIONS } from "./insn/index";
import { CS } from "./registers";
import type { CpuState } from "./state";

export const MAX_BLOCK = 32;

/** A compiled block: returns how many instructions it retired; s.rip is the next RIP. */
export type BlockFn = (s: CpuState, budget: number) => number;

export interface Block {
  readonly fn: BlockFn;
  readonly n: number;
  /** Offset of each instruction from the block start. */
  readonly offs: readonly number[];
  readonly insns: readonly Insn[];
  readonly source: string;
  /** The block branches back to its start and loops inside its function. */
  readonly loops: boolean;
}

const LOCKABLE_NOTE = "LOCK on an instruction that cannot be locked is #UD (SDM Vol. 2B LOCK)";

/** Emits one instruction; unknown or invalid instructions raise #UD when executed. */
function emitInsn(insn: Insn, off: number, k: number, single: boolean, flagsIn: FlagSource | null): Emitter {
  const g = new Emitter(insn, off, k);
  g.loopAllowed = !single;
  g.flagsIn = flagsIn;
  const fn = insn.invalid ? undefined : INSTRUCTIONS.get(insn.mnemonic);
  if (!fn) {
    // x87 and SIMD instructions are not modelled, but their CR0.EM/TS checks are (#NM for lazy FPU switching).
    g.line(insn.fpu ? `${g.call("fpuUnavailable", insn.fpu)};` : `${g.call("ud")};`);
    g.jumped = true;
    return g;
  }
  if (insn.lock && !lockable(insn)) {
    g.line(`/* ${LOCKABLE_NOTE} */ ${g.call("ud")};`);
    g.jumped = true;
    return g;
  }
  fn(g, insn);
  return g;
}

/** Instructions LOCK may prefix, with a memory destination (SDM Vol. 2A LOCK); one interpreter thread makes them atomic. */
const LOCKABLE = new Set<string>([
  Mnemonic.Adc, Mnemonic.Add, Mnemonic.And, Mnemonic.Btc, Mnemonic.Btr, Mnemonic.Bts, Mnemonic.Cmpxchg,
  Mnemonic.Cmpxchg8b, Mnemonic.Cmpxchg16b, Mnemonic.Dec, Mnemonic.Inc, Mnemonic.Neg, Mnemonic.Not, Mnemonic.Or,
  Mnemonic.Sbb, Mnemonic.Sub, Mnemonic.Xor, Mnemonic.Xadd, Mnemonic.Xchg,
].map(String));
export function registerLockable(mnemonics: number[]): void {
  for (const m of mnemonics) LOCKABLE.add(String(m));
}

function lockable(insn: Insn): boolean {
  return LOCKABLE.has(String(insn.mnemonic)) && insn.ops[0]?.kind === "mem";
}

export function compile(insns: Insn[], emitted: Emitter[]): Block {
  const offs: number[] = [];
  const body: string[] = [];
  let off = 0;
  for (let k = 0; k < emitted.length; k++) {
    const g = emitted[k]!;
    offs.push(off);
    if (k > 0) body.push(`k = ${k};`);
    // No braces: temporaries have block-unique names, and later instructions may read them (flag fusion).
    body.push(g.code);
    if (!g.jumped && g.wroteMemory) body.push(`if (s.smc !== 0) { s.rip = ${g.nextRip}; return c + ${k + 1}; }`);
    off += insns[k]!.len;
  }
  const last = emitted[emitted.length - 1]!;
  if (!last.jumped) body.push(`s.rip = ${last.nextRip}; return c + ${emitted.length};`);
  // A block that branches to its own start runs as a loop; `c` counts the instructions of finished iterations.
  const loops = last.loops;
  const source = `return function block(s, budget) {
const lo = s.lo, hi = s.hi, T = s.t;
let c = 0, k = 0;
try {
${loops ? "for (;;) { k = 0;" : ""}
${body.join("\n")}
${loops ? "}" : ""}
} catch (e) { s.bk = c + k; throw e; }
};`;
  const fn = new Function("H", "I", source)(H, insns) as BlockFn;
  return { fn, n: emitted.length, offs, insns, source, loops };
}

const BITS_INDEX = { 16: 0, 32: 1, 64: 2 } as const;

export class CodeCache {
  private readonly pages = new Map<number, Map<number, Block>>();
  /** Called when a page first holds decoded code, so TLBs drop write permission to it. */
  onNewCodePage: ((hpage: number) => void) | null = null;

  constructor(private readonly s: CpuState) {
    s.mem.onCodeWrite = (ppn) => this.invalidatePage(ppn);
  }

  invalidatePage(ppn: number): void {
    this.pages.delete(ppn);
  }

  invalidateAll(): void {
    for (const ppn of this.pages.keys()) this.s.mem.clearFlag(ppn, PF_CODE);
    this.pages.clear();
  }

  /** Linear address of CS:RIP, with the CS limit check outside 64-bit mode. */
  fetchLinear(): number {
    const s = this.s;
    if (s.bits === 64) return s.rip;
    if (s.rip > s.segLimit[CS]!) throw new CpuFault(GP, 0);
    return (s.segBase[CS]! + s.rip) >>> 0;
  }

  /** The block at CS:RIP (compiling it on a miss). `single` asks for a one-instruction block. */
  lookup(single: boolean): Block {
    const s = this.s;
    const lin = this.fetchLinear();
    const hpa = s.mmu.fetch(lin);
    const ppn = Math.floor(hpa / PAGE_SIZE);
    const key = (hpa - ppn * PAGE_SIZE) * 8 + BITS_INDEX[s.bits] * 2 + (single ? 1 : 0);
    let page = this.pages.get(ppn);
    const hit = page?.get(key);
    if (hit) return hit;
    const { block, cacheable } = this.build(lin, hpa, single);
    if (cacheable) {
      if (!page) {
        page = new Map();
        this.pages.set(ppn, page);
        if (ppn < s.mem.pageFlags.length) {
          s.mem.setFlag(ppn, PF_CODE);
          this.onNewCodePage?.(ppn * PAGE_SIZE);
        }
      }
      page.set(key, block);
    }
    return block;
  }

  /** Reads up to 15 instruction bytes; crossing into the next page translates it (which may fault). */
  private fetchBytes(lin: number, hpa: number, needMore: boolean): Uint8Array {
    const s = this.s;
    const inPage = PAGE_SIZE - (hpa % PAGE_SIZE);
    const n = Math.min(15, inPage);
    const out = new Uint8Array(needMore ? 15 : n);
    out.set(s.mem.readBytes(hpa, n));
    if (needMore) {
      const hpa2 = s.mmu.fetch(lin + n);
      out.set(s.mem.readBytes(hpa2, 15 - n), n);
    }
    return out;
  }

  private build(lin: number, hpa: number, single: boolean): { block: Block; cacheable: boolean } {
    const s = this.s;
    const insns: Insn[] = [];
    const emitted: Emitter[] = [];
    let off = 0;
    let cacheable = true;
    const pageEnd = (Math.floor(hpa / PAGE_SIZE) + 1) * PAGE_SIZE;
    for (;;) {
      const cur = hpa + off;
      let insn = decodeInsn(this.fetchBytes(lin + off, cur, false), s.bits);
      if (!insn) {
        // The instruction continues on the next page.
        if (insns.length > 0) break;
        insn = decodeInsn(this.fetchBytes(lin + off, cur, true), s.bits);
        cacheable = false; // its bytes live in two pages
        if (!insn) throw new Error("decoder needs more than 15 bytes");
      }
      const g = emitInsn(insn, off, insns.length, single, emitted[emitted.length - 1]?.flagsOut ?? null);
      insns.push(insn);
      emitted.push(g);
      off += insn.len;
      if (g.jumped || single || !cacheable || insns.length >= MAX_BLOCK || hpa + off >= pageEnd) break;
    }
    return { block: compile(insns, emitted), cacheable };
  }
}
