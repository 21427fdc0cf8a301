/**
 * VMX instructions reach the VMX unit (hooks.ts VmxUnit) with RIP at the next
 * instruction and their operands readable through operands.ts; without a unit
 * they are #UD (a CPU without VMX); in non-root operation the intercept sees
 * them first and may exit before any effect.
 */
import type { CpuState } from "../../../src/guest-cpu/state";
import type { Insn } from "../../../src/guest-cpu/insn";
import { OP } from "../../../src/guest-cpu/intercept";
import { readOperand, writeOperand } from "../../../src/guest-cpu/operands";
import { L, runSys } from "../support/system-machine";

describe("VMX instruction dispatch", () => {
  it("without a VMX unit VMXON is #UD", () => {
    const r = runSys(`vmxon [${L.data}]`);
    expect(r.faults).toEqual(["#UD"]);
  });

  it("the unit gets the operation, RIP after the instruction, and reads/writes operands", () => {
    const calls: { op: number; rip: number }[] = [];
    const unit = {
      execute(s: CpuState, insn: Insn, op: number) {
        calls.push({ op, rip: s.rip });
        if (op === OP.VMREAD) writeOperand(s, insn.ops[0]!, readOperand(s, insn.ops[1]!) + 1n);
        if (op === OP.VMPTRLD) writeOperand(s, { kind: "reg", reg: 3, size: 8, high8: false }, readOperand(s, insn.ops[0]!));
      },
    };
    const r = runSys(`mov qword ptr [${L.data}], 0x1234000\nvmptrld [${L.data}]\nmov rcx, 41\nvmread rax, rcx`, {
      setup: (cpu) => (cpu.s.vmx = unit),
    });
    expect(r.stop).toBe("hlt");
    expect(calls.map((c) => c.op)).toEqual([OP.VMPTRLD, OP.VMREAD]);
    expect(calls[0]!.rip).toBe(L.code + 12 + 8); // mov (12 bytes), vmptrld (8 bytes)
    expect(r.reg("rbx")).toBe(0x1234000n);
    expect(r.reg("rax")).toBe(42n);
  });

  it("an intercept that exits on VMCALL stops the run with RIP still at VMCALL", () => {
    const seen: unknown[] = [];
    const r = runSys("mov eax, 1\nvmcall\nmov eax, 2", {
      setup: (cpu) => {
        cpu.s.icpt = {
          instruction: (_s, op) => { if (op === OP.VMCALL) throw { exit: "VMCALL" }; },
          readCr: (_s, _i, _c, _g, v) => v, writeCr: (_s, _i, _c, _k, _g, v) => v, movDr: () => {}, io: () => {}, msr: () => {},
          exception: () => {}, tripleFault: () => {}, tsc: (_s, v) => v,
        };
        cpu.onSignal = (sig) => { seen.push(sig); return true; };
      },
    });
    expect(r.stop).toBe("exit");
    expect(seen).toEqual([{ exit: "VMCALL" }]);
    expect(r.cpu.s.rip).toBe(L.code + 5);
    expect(r.reg("rax")).toBe(1n);
  });
});
