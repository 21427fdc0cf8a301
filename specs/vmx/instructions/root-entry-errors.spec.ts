/**
 * VM-instruction errors that need a completed VM entry first, reached by a
 * hypervisor written in machine code: it sets up a VMCS with VMWRITEs,
 * VMLAUNCHes a guest that executes VMCALL (an unconditional exit), and
 * continues at HOST_RIP in root operation, where
 *   - a second VMLAUNCH of the now launched VMCS fails with error 4, and
 *   - VMXOFF without VMCLEAR, VMXON, VMPTRLD and VMRESUME fails with error 6.
 */
import { assemble } from "../../../src/asm/assemble";
import { GPR_NAMES } from "../../../src/guest-cpu/registers";
import { CONTROL_WORDS, controlMask } from "../../../src/vmcs/controls";
import { fieldByName } from "../../../src/vmcs/fields";
import { getProfile } from "../../../src/vmcs/profiles";
import { createBareMachine } from "../../../src/vmm/bare";
import { VmxEngine } from "../../../src/vmx/engine";
import { attachVmx } from "../../../src/vmx/vmx-unit";
import { ENABLE_VMX_ASM } from "../../../src/vmx/testbed";

const ORG = 0x10000;
const ZF = 0x40n, CF = 0x1n;
const CR0 = 0x8000_0031n, CR4 = 0x2020n, CR3 = 0x1000n, EFER = 0x500n, PAT = 0x0007_0406_0007_0406n;

function vmcsSetup(): [string, bigint | string][] {
  const caps = getProfile("default");
  const word = (w: "pin" | "primary" | "secondary" | "exit" | "entry", names: string[]): [string, bigint] =>
    [CONTROL_WORDS[w].field, caps.withRequired(w, controlMask(w, names))];
  const f: [string, bigint | string][] = [
    word("pin", []), word("primary", []), word("exit", ["host-address-space-size"]), word("entry", ["ia32e-mode-guest"]),
    ["VMCS_LINK_POINTER", 0xffff_ffff_ffff_ffffn],
    ["GUEST_CR0", CR0], ["GUEST_CR3", CR3], ["GUEST_CR4", CR4], ["GUEST_DR7", 0x400n], ["GUEST_RFLAGS", 2n],
    ["GUEST_RIP", "guest"], ["GUEST_RSP", 0x70000n], ["GUEST_IA32_EFER", EFER], ["GUEST_IA32_PAT", PAT],
    ["GUEST_CS_SELECTOR", 8n], ["GUEST_CS_LIMIT", 0xffff_ffffn], ["GUEST_CS_AR_BYTES", 0xa09bn],
    ["GUEST_LDTR_AR_BYTES", 0x1_0000n], ["GUEST_TR_LIMIT", 0x67n], ["GUEST_TR_AR_BYTES", 0x8bn],
    ["GUEST_GDTR_BASE", 0x7ce8n], ["GUEST_GDTR_LIMIT", 31n],
    ["HOST_CR0", CR0], ["HOST_CR3", CR3], ["HOST_CR4", CR4], ["HOST_CS_SELECTOR", 8n], ["HOST_TR_SELECTOR", 0x20n],
    ["HOST_GDTR_BASE", 0x7ce8n], ["HOST_RIP", "after_exit"], ["HOST_RSP", 0x80000n],
    ["HOST_IA32_EFER", EFER], ["HOST_IA32_PAT", PAT],
  ];
  for (const seg of ["SS", "DS", "ES", "FS", "GS"]) {
    f.push([`GUEST_${seg}_SELECTOR`, 0x10n], [`GUEST_${seg}_LIMIT`, 0xffff_ffffn], [`GUEST_${seg}_AR_BYTES`, 0xc093n], [`HOST_${seg}_SELECTOR`, 0x10n]);
  }
  return f;
}

function hypervisor(): string {
  const writes = vmcsSetup()
    .map(([name, v]) => `  mov rbx, 0x${fieldByName(name)!.encoding.toString(16)}\n  mov rax, ${typeof v === "string" ? v : "0x" + v.toString(16)}\n  vmwrite rbx, rax`)
    .join("\n");
  return `
${ENABLE_VMX_ASM}
  mov [0x200000], eax
  mov [0x201000], eax
  vmxon [rel vmxon_ptr]
  vmclear [rel vmcs_a]
  vmptrld [rel vmcs_a]
${writes}
  vmlaunch
  mov r15, 0xbad          ; entry failed: not expected
  hlt
after_exit:
  mov rdx, 0x4402         ; VM_EXIT_REASON
  vmread r12, rdx
  mov rdx, 0x4400         ; VM_INSTRUCTION_ERROR
  vmlaunch                ; the VMCS is launched now: error 4
  pushfq
  pop r8
  vmread r9, rdx
  vmxoff                  ; without VMCLEAR: the VMCS's data never reaches memory
  vmxon [rel vmxon_ptr]
  vmptrld [rel vmcs_a]
  vmresume                ; error 6
  pushfq
  pop r10
  vmread r11, rdx
  hlt
guest:
  vmcall
  hlt
align 8
vmxon_ptr: dq 0x200000
vmcs_a: dq 0x201000
`;
}

describe("VM-instruction errors after a VM entry (hypervisor in machine code)", () => {
  it("error 4 (VMLAUNCH with non-clear VMCS) and error 6 (VMRESUME after VMXOFF)", () => {
    const { bytes } = assemble(hypervisor(), { org: ORG });
    const cpu = createBareMachine(bytes, { memory: 4 << 20, mode: "long64", load: ORG });
    const vmx = attachVmx(cpu, "default");
    const engine = new VmxEngine(cpu, { state: vmx.state, stopOnExit: false });
    const r = cpu.run(20_000);
    const reg = (n: (typeof GPR_NAMES)[number]) => {
      const i = GPR_NAMES.indexOf(n);
      return (BigInt(cpu.s.hi[i]! >>> 0) << 32n) | BigInt(cpu.s.lo[i]! >>> 0);
    };
    expect(engine.lastFailure).toBeNull();
    expect(r.stop).toBe("hlt");
    expect(reg("r15")).toBe(0n);
    expect(reg("r12")).toBe(18n); // EXIT_REASON_VMCALL
    expect(reg("r8") & (CF | ZF)).toBe(ZF);
    expect(reg("r9")).toBe(4n);
    expect(reg("r10") & (CF | ZF)).toBe(ZF);
    expect(reg("r11")).toBe(6n);
  });
});
