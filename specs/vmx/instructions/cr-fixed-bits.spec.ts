/**
 * In VMX operation, CR0 and CR4 bits fixed by IA32_VMX_CR0/CR4_FIXED0/1 cannot
 * change: MOV to CR0/CR4 that would clear a FIXED0 bit (CR0.PE/NE/PG,
 * CR4.VMXE) or set a bit FIXED1 forbids raises #GP(0) (SDM Vol. 3C 24.8).
 * Outside VMX operation (before VMXON, after VMXOFF) the same writes succeed.
 */
import { assemble } from "../../../src/asm/assemble";
import { createBareMachine } from "../../../src/vmm/bare";
import { attachVmx } from "../../../src/vmx/vmx-unit";
import { ENABLE_VMX_ASM } from "../../../src/vmx/testbed";

function run(body: string) {
  const src = `
${ENABLE_VMX_ASM}
  mov [0x200000], eax
  vmxon [rel vmxon_ptr]
${body}
  hlt
align 8
vmxon_ptr: dq 0x200000
`;
  const cpu = createBareMachine(assemble(src, { org: 0x10000 }).bytes, { memory: 4 << 20, mode: "long64", load: 0x10000 });
  attachVmx(cpu, "default");
  const r = cpu.run(1000);
  return { stop: r.stop, faults: cpu.faults.map((f) => `${f.vector}(${f.errorCode})`), cr0: cpu.s.cr0 >>> 0, cr4: cpu.s.cr4 >>> 0 };
}

describe("CR0/CR4 fixed bits in VMX operation", () => {
  it.each([
    ["clearing CR4.VMXE", "mov eax, 0x20\n  mov cr4, rax"],
    ["clearing CR0.NE", "mov eax, 0x80000011\n  mov cr0, rax"],
  ])("%s after VMXON raises #GP(0) (no IDT here: the #GP ends in a shutdown)", (_n, body) => {
    const r = run(body);
    expect(r.faults[0]).toBe("#GP(0)");
    expect(r.stop).toBe("shutdown");
  });

  it("the same write after VMXOFF succeeds", () => {
    const r = run("vmxoff\n  mov eax, 0x20\n  mov cr4, rax");
    expect(r).toMatchObject({ stop: "hlt", faults: [], cr4: 0x20 });
  });

  it("writes that keep the fixed bits succeed in VMX operation", () => {
    const r = run("mov eax, 0x20a0\n  mov cr4, rax"); // set CR4.PGE, keep VMXE and PAE
    expect(r).toMatchObject({ stop: "hlt", faults: [], cr4: 0x20a0 });
  });
});
