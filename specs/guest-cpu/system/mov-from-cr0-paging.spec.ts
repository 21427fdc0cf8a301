/** MOV from CR0 with CR0.PG = 1 (bit 31) zero-extends into the 64-bit register (SDM Vol. 2B MOV—Move to/from Control Registers). */
import { assemble } from "../../../src/asm/assemble";
import { run } from "../../support/machine";

describe("MOV from CR0 with paging on", () => {
  it("reads CR0 zero-extended and writes it back without #GP", () => {
    // The exec machine runs long64 with paging: CR0 bit 31 (PG) is set.
    const code = assemble("mov rax, cr0\nmov cr0, rax\nmov rbx, cr0\nhlt", { bits: 64, org: 0x10000 }).bytes;
    const r = run(code);
    expect(r.result.stop).toBe("hlt");
    expect(r.reg("rax") >> 31n).toBe(1n); // bit 31 set, bits 63:32 clear
    expect(r.reg("rbx")).toBe(r.reg("rax"));
  });
});
