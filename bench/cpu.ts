/** Guest MIPS of the interpreter/compiler on loops with paging on (issue: foundation). */
import { parseHexBytes } from "../src/common/hex-input";
import { createBareMachine } from "../src/vmm/bare";
import { setRegs } from "../src/vmm/exec";
import type { Benchmark } from "./suite";

/** Best-of-rounds MIPS for `code` started with `regs`, ending in HLT. */
export function mips(code: string, regs: Record<string, bigint>, rounds = 5): number {
  let best = 0;
  for (let r = 0; r < rounds + 1; r++) {
    const cpu = createBareMachine(parseHexBytes(code), { memory: 16 << 20, mode: "long64", load: 0x10000 });
    setRegs(cpu, regs);
    const t0 = process.hrtime.bigint();
    const res = cpu.run(1e12);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (res.stop !== "hlt") throw new Error(`benchmark loop stopped with ${res.stop}`);
    if (r > 0) best = Math.max(best, res.steps / dt / 1e6); // round 0 warms up the compiler
  }
  return best;
}

export const cpuBenchmarks: Benchmark[] = [
  {
    name: "register ALU loop (add/xor/dec/jnz, 64-bit)",
    unit: "MIPS",
    target: 150,
    higherIsBetter: true,
    // loop: add rax, rbx; xor rcx, rax; dec rdx; jnz loop; hlt
    run: () => ({ value: mips("48 01 d8 48 31 c1 48 ff ca 75 f5 f4", { rdx: 25_000_000n, rbx: 7n }), note: "Bochs 3.0 ≈ 200, QEMU TCG ≈ 1,500" }),
  },
  {
    name: "memory load/store loop (mov/add/add/dec/jnz)",
    unit: "MIPS",
    target: 100,
    higherIsBetter: true,
    // loop: mov [rsi+rdi], rax; add rax, [rsi+rdi+8]; add edi, 8; and edi, 0xfff8; dec rdx; jnz loop; hlt
    // (walks a 64 KiB window at 0x200000)
    run: () => ({
      value: mips("48 89 04 3e 48 03 44 3e 08 83 c7 08 81 e7 f8 ff 00 00 48 ff ca 75 e9 f4", { rdx: 10_000_000n, rsi: 0x200000n }),
    }),
  },
];
