/**
 * A hypervisor in machine code (stopOnExit = false): root-mode code executes
 * VMLAUNCH; each VM exit continues at HOST_RIP in root operation, where the
 * code reads the exit reason with VMREAD, advances GUEST_RIP by the exit's
 * instruction length with VMWRITE, and VMRESUMEs — the same VMX
 * instructions and the same entry checks as the TypeScript path.
 */
import { assemble } from "../../src/asm/assemble";
import { RBX, R12 } from "../../src/guest-cpu/registers";
import { HOST_CODE, rig } from "./rig";

const ROOT = `
start:  vmlaunch
        hlt
handler:
        mov eax, 0x4402          ; VM_EXIT_REASON
        vmread rbx, rax
        inc r12
        cmp r12, 3
        je done
        mov eax, 0x681e          ; GUEST_RIP
        vmread rcx, rax
        mov edx, 0x440c          ; VM_EXIT_INSTRUCTION_LEN
        vmread rdx, rdx
        add rcx, rdx
        vmwrite rax, rcx
        vmresume
        hlt
done:   hlt
`;

describe("a hypervisor written in machine code", () => {
  it("launches the guest, handles three CPUID exits at HOST_RIP and resumes with VMRESUME", () => {
    const r = rig({ code: "l: cpuid\njmp l", unit: true, stopOnExit: false });
    const root = assemble(ROOT, { org: HOST_CODE });
    r.cpu.mem.writeBytes(HOST_CODE, root.bytes);
    r.set("HOST_RIP", root.labels.get("handler")!);
    r.cpu.s.rip = HOST_CODE;
    const out = r.cpu.run(10_000);
    expect(out.stop).toBe("hlt");
    expect(r.cpu.s.rip).toBe(root.labels.get("done")! + 1);
    expect(r.cpu.s.lo[R12]).toBe(3);
    expect(r.cpu.s.lo[RBX]).toBe(10);
    expect(r.engine.exits.map((e) => [e.reason, e.guestRip])).toEqual([["CPUID", 0x10000n], ["CPUID", 0x10000n], ["CPUID", 0x10000n]]);
    expect(r.vmcs.launched).toBe(true);
  });

  it("VMLAUNCH with an invalid control field falls through with ZF = 1 and VM-instruction error 7", () => {
    const r = rig({ code: "cpuid", unit: true, stopOnExit: false });
    const root = assemble("vmlaunch\nhlt", { org: HOST_CODE });
    r.cpu.mem.writeBytes(HOST_CODE, root.bytes);
    r.set("CR3_TARGET_COUNT", 5);
    r.cpu.s.rip = HOST_CODE;
    expect(r.cpu.run(100).stop).toBe("hlt");
    expect(r.cpu.s.rip).toBe(HOST_CODE + 4);
    expect(r.cpu.s.rflags & 0x41).toBe(0x40);
    expect(r.get("VM_INSTRUCTION_ERROR")).toBe(7n);
    expect(r.engine.lastFailure!.id).toBe("ctl-cr3-target-count");
  });
});
