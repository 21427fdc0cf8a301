/**
 * Builds the JavaScript for one instruction inside a compiled block. Family
 * templates (insn/*.ts) describe semantics in terms of operand reads and
 * writes and helper calls; the emitter turns operands into code: register
 * halves, effective addresses with segment and canonical checks, memory
 * helpers. Rules for templates: read every operand before the first write;
 * call helpers that may fault before changing any state.
 */
import { FlagSource, fusedCondition } from "./flag-fusion";
import type { Helpers } from "./helpers";
import { Insn, MemOperand, Operand, RIP_BASE } from "./insn";
import { FS, GS, SS } from "./registers";

/** Size index used by the ALU helpers: 0 → 8-bit, 1 → 16, 2 → 32, 3 → 64. */
export function szIdx(bytes: number): number {
  return bytes === 1 ? 0 : bytes === 2 ? 1 : bytes === 4 ? 2 : 3;
}

export class Emitter {
  private readonly out: string[] = [];
  private n = 0;
  private readonly eaVars = new Map<Operand, string>();
  /** The instruction wrote memory (the compiler adds a self-modifying-code check after it). */
  wroteMemory = false;
  /** The template transferred control (set s.rip and returned); ends the block. */
  jumped = false;
  /** The template jumps back to the block start; the compiler wraps the block in a loop. */
  loops = false;
  /** Whether a back-edge may loop inside the block (not for single-instruction blocks). */
  loopAllowed = true;
  /** What the compiler knows about the flags before this instruction (flag-fusion.ts). */
  flagsIn: FlagSource | null = null;
  /**
   * What it knows after: null (unknown) unless the template sets a source or
   * calls keepFlags(). The safe default is that an instruction clobbers flags.
   */
  flagsOut: FlagSource | null = null;

  constructor(
    readonly insn: Insn,
    /** Offset of this instruction from the block start. */
    readonly off: number,
    /** Index of this instruction in the block (returned as the count when the block exits here). */
    readonly k: number,
  ) {}

  get code(): string {
    return this.out.join("\n");
  }

  line(code: string): void {
    this.out.push(code);
  }

  tmp(): string {
    return `v${this.k}_${this.n++}`;
  }

  /** The template does not touch the status flags: what was known stays known. */
  keepFlags(): void {
    this.flagsOut = this.flagsIn;
  }

  /** A condition (x86 tttn) as a JS boolean expression, fused with a known flag source when possible. */
  condition(tttn: number): string {
    const fused = this.flagsIn ? fusedCondition(this.flagsIn, tttn) : undefined;
    return fused ?? this.call("cond", tttn);
  }

  /** Emits `const tmp = expr;` and returns the name. */
  let(expr: string): string {
    const v = this.tmp();
    this.line(`const ${v} = ${expr};`);
    return v;
  }

  /** A call to a helper; the name is checked against the helper table at compile time of vmxlab. */
  call(name: keyof Helpers, ...args: (string | number)[]): string {
    return `H.${name}(s${args.map((a) => ", " + a).join("")})`;
  }

  /** Masks an instruction-pointer expression to the operand size of the transfer (SDM Vol. 1 3.5). */
  maskIp(expr: string, size = this.insn.bits === 64 ? 8 : this.insn.bits === 32 ? 4 : 2): string {
    return size === 8 ? `(${expr})` : size === 4 ? `((${expr}) >>> 0)` : `((${expr}) & 0xffff)`;
  }

  /** RIP of this instruction. */
  get rip(): string {
    return this.maskIp(`s.rip + ${this.off}`);
  }

  /** RIP of the next instruction. */
  get nextRip(): string {
    return this.maskIp(`s.rip + ${this.off + this.insn.len}`);
  }

  /** Transfers control: sets RIP and leaves the block having retired this instruction. */
  jump(target: string): void {
    this.line(`s.rip = ${target}; return c + ${this.k + 1};`);
    this.jumped = true;
  }

  /** Whether a relative branch of this instruction lands on the block start. */
  isBackEdge(rel: number): boolean {
    return this.loopAllowed && this.off + rel === 0;
  }

  /**
   * Jumps to the block start by looping inside the compiled function: RIP is
   * already the block start; the step budget bounds the loop (timers and
   * step limits are expressed as budgets by the run loop).
   */
  loopBack(): void {
    const n = this.k + 1;
    this.line(`c += ${n}; if (c + ${n} > budget) return c; continue;`);
    this.loops = true;
    this.jumped = true;
  }

  /** Leaves the block after this instruction, continuing at the next one (state changed that later code depends on). */
  endBlock(): void {
    this.jump(this.nextRip);
  }

  // ---- effective addresses

  /** Low and high parts of a 64-bit sum: `t` an exact non-negative double (carry above bit 31), `h` the high int32. */
  eaPair64(m: MemOperand): [string, string] {
    const dLo = m.disp >>> 0 === m.disp ? m.disp : (m.disp % 4294967296 + 4294967296) % 4294967296;
    const dHi = Math.floor(m.disp / 4294967296) | 0;
    const lp: string[] = [];
    const hp: string[] = [];
    if (m.base === RIP_BASE) {
      // RIP is a signed double: split it once.
      const r = this.let(`s.rip + ${this.off + this.insn.len}`);
      lp.push(`(${r} >>> 0)`);
      hp.push(`Math.floor(${r} / 4294967296)`);
    } else if (m.base >= 0) {
      lp.push(`(lo[${m.base}] >>> 0)`);
      hp.push(`hi[${m.base}]`);
    }
    if (m.index >= 0) {
      lp.push(m.scale === 1 ? `(lo[${m.index}] >>> 0)` : `(lo[${m.index}] >>> 0) * ${m.scale}`);
      hp.push(m.scale === 1 ? `hi[${m.index}]` : `hi[${m.index}] * ${m.scale}`);
    }
    if (dLo !== 0 || lp.length === 0) lp.push(String(dLo));
    if (dHi !== 0) hp.push(String(dHi));
    const t = this.let(lp.join(" + "));
    hp.push(`Math.floor(${t} / 4294967296)`);
    const h = this.let(`(${hp.join(" + ")}) | 0`);
    return [t, h];
  }

  /** The offset part for 16/32-bit address sizes, wrapped at the address size. */
  private offset32(m: MemOperand): string {
    const parts: string[] = [];
    if (m.base === RIP_BASE) parts.push(`s.rip + ${this.off + this.insn.len}`);
    else if (m.base >= 0) parts.push(`lo[${m.base}]`);
    if (m.index >= 0) parts.push(m.scale === 1 ? `lo[${m.index}]` : `lo[${m.index}] * ${m.scale}`);
    if (m.disp !== 0 || parts.length === 0) parts.push(String(m.disp));
    return m.addrSize === 2 ? `((${parts.join(" + ")}) & 0xffff)` : `((${parts.join(" + ")}) >>> 0)`;
  }

  /**
   * Emits the linear address of a memory operand and returns the variable
   * holding it. 64-bit mode: exact 64-bit arithmetic, the FS/GS base, then
   * the canonical check (#GP(0), or #SS(0) for stack references, SDM Vol. 3A
   * 3.3.7.1). Other modes: segment limit and type checks in H.segAddr.
   */
  ea(op: Operand & { kind: "mem" }, write: boolean): string {
    const memo = this.eaVars.get(op);
    if (memo) return memo;
    const m = op.m;
    const v = this.tmp();
    const fsgs = m.seg === FS || m.seg === GS;
    if (this.insn.bits === 64) {
      let expr: string;
      if (m.addrSize === 8) {
        const [t, h] = this.eaPair64(m);
        expr = `${h} * 4294967296 + (${t} >>> 0)`;
      } else {
        expr = this.offset32(m); // 32-bit address size: zero-extended offset
      }
      if (fsgs) expr = `${expr} + s.segBase[${m.seg}]`;
      this.line(`const ${v} = ${expr};`);
      if (m.addrSize === 8 || fsgs) {
        this.line(`if (${v} < -140737488355328 || ${v} >= 140737488355328) ${this.call("nonCanonical", m.seg === SS ? 1 : 0)};`);
      }
    } else {
      this.line(`const ${v} = ${this.call("segAddr", m.seg, this.offset32(m), op.size, write ? 1 : 0)};`);
    }
    this.eaVars.set(op, v);
    return v;
  }

  // ---- operand access (sizes 1, 2, 4: int values; 8: lo/hi halves)

  /** Reads a ≤32-bit operand into a temporary; `forWrite` for read-modify-write destinations. */
  read(op: Operand, forWrite = false): string {
    switch (op.kind) {
      case "reg":
        if (op.size === 1) return this.let(op.high8 ? `(lo[${op.reg}] >> 8) & 255` : `lo[${op.reg}] & 255`);
        if (op.size === 2) return this.let(`lo[${op.reg}] & 65535`);
        return this.let(`lo[${op.reg}]`);
      case "imm":
        return String(op.size === 1 ? op.lo & 0xff : op.size === 2 ? op.lo & 0xffff : op.lo);
      case "mem": {
        const a = this.ea(op, forWrite);
        const fn = (forWrite ? "rdw" : "rd") + op.size * 8;
        return this.let(`H.${fn}(s, ${a})`);
      }
      case "sreg":
        return this.let(`s.segSel[${op.seg}]`);
      default:
        throw new Error(`read: unsupported operand kind ${op.kind}`);
    }
  }

  /** Reads a 64-bit operand; returns [lo, hi] temporaries or constants. */
  read64(op: Operand, forWrite = false): [string, string] {
    switch (op.kind) {
      case "reg":
        if (op.size !== 8) {
          const v = this.read(op, forWrite);
          return [v, "0"];
        }
        return [this.let(`lo[${op.reg}]`), this.let(`hi[${op.reg}]`)];
      case "imm":
        return [String(op.lo), String(op.hi)];
      case "mem": {
        if (op.size !== 8) return [this.read(op, forWrite), "0"];
        const a = this.ea(op, forWrite);
        const l = this.let(`H.${forWrite ? "rdw64" : "rd64"}(s, ${a})`);
        return [l, this.let("T[0]")];
      }
      default:
        return [this.read(op, forWrite), "0"];
    }
  }

  /** Writes a ≤32-bit value (an int expression; only the operand's low bits are used). */
  write(op: Operand, value: string): void {
    switch (op.kind) {
      case "reg": {
        const r = op.reg;
        if (op.size === 1) {
          if (op.high8) this.line(`lo[${r}] = (lo[${r}] & -65281) | ((${value} & 255) << 8);`);
          else this.line(`lo[${r}] = (lo[${r}] & -256) | (${value} & 255);`);
        } else if (op.size === 2) {
          this.line(`lo[${r}] = (lo[${r}] & -65536) | (${value} & 65535);`);
        } else {
          // A 32-bit destination is zero-extended to 64 bits (SDM Vol. 1 3.4.1.1).
          this.line(`lo[${r}] = ${value}; hi[${r}] = 0;`);
        }
        return;
      }
      case "mem": {
        const a = this.ea(op, true);
        this.line(`H.wr${op.size * 8}(s, ${a}, ${value});`);
        this.wroteMemory = true;
        return;
      }
      default:
        throw new Error(`write: unsupported operand kind ${op.kind}`);
    }
  }

  write64(op: Operand, lo: string, hi: string): void {
    if (op.kind === "reg" && op.size === 8) {
      this.line(`lo[${op.reg}] = ${lo}; hi[${op.reg}] = ${hi};`);
    } else if (op.kind === "mem" && op.size === 8) {
      const a = this.ea(op, true);
      this.line(`H.wr64(s, ${a}, ${lo}, ${hi});`);
      this.wroteMemory = true;
    } else {
      this.write(op, lo);
    }
  }

  /** A memory operand's linear address without accessing it (INVLPG, descriptor-table operands). */
  address(op: Operand & { kind: "mem" }): string {
    return this.ea(op, false);
  }

  /** The current instruction's record, for helpers that report it (VM-exit information). */
  get insnRef(): string {
    return `I[${this.k}]`;
  }
}

