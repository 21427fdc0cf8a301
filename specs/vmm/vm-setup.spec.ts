/**
 * The VM's KVM-like set-up: guest modes, capability profiles, controls by
 * name, I/O and MSR intercepts, handler overrides and limits.
 */
import { MMIO_DEMO_ID } from "../../src/devices/mmio-demo";
import { Vm } from "../../src/vmm/vm";
import { controlMask } from "../../src/vmcs/controls";

const MB = 1 << 20;
const PRINT_OK = (bits: 16 | 32 | 64) => `
  mov dx, 0x3f8
  mov al, 'o'
  out dx, al
  mov al, 'k'
  out dx, al
  ${bits === 64 ? "mov rax, 0x1122334455667788" : "mov eax, 0x11223344"}
  hlt
`;

describe("guest modes", () => {
  it.each([
    ["long64", 64, "0x1122334455667788"],
    ["protected32", 32, "0x11223344"],
    ["real16", 16, "0x11223344"],
  ] as const)("%s guest runs from the load address and prints", (mode, bits, rax) => {
    const vm = new Vm({ memory: MB, mode, asm: PRINT_OK(bits) });
    const r = vm.run();
    expect(r.console).toBe("ok");
    expect(r.stopReason).toBe("hlt");
    expect(r.regs.rax).toBe(rax);
  });

  it("real16 turns on unrestricted guest and EPT", () => {
    const vm = new Vm({ memory: MB, mode: "real16", asm: "hlt" });
    expect(vm.plan.words.secondary & controlMask("secondary", ["unrestricted-guest", "enable-ept"])).toBe(controlMask("secondary", ["unrestricted-guest", "enable-ept"]));
    expect(vm.vmcs.read("GUEST_CR0") & 1n).toBe(0n);
  });
});

describe("capability profiles", () => {
  it("the minimal profile (no secondary controls) runs a long64 guest without EPT; MMIO reaches the device without exits", () => {
    const vm = new Vm({ memory: MB, profile: "minimal", asm: "mov rbx, 0xfeb00000\nmov r12d, [rbx]\n" + PRINT_OK(64).replace("mov rax, 0x1122334455667788", "") });
    expect(vm.ept).toBeNull();
    expect(vm.eptEnabled()).toBe(false);
    const r = vm.run();
    expect(r.console).toBe("ok");
    expect(r.regs.r12).toBe("0x" + MMIO_DEMO_ID.toString(16));
    expect(r.exits.some((e) => e.reason === "EPT_VIOLATION")).toBe(false);
    expect(vm.plan.words.primary & controlMask("primary", ["activate-secondary-controls"])).toBe(0n);
  });

  it("an unknown control name is an input error naming the word", () => {
    expect(() => new Vm({ memory: MB, controls: { primary: ["hlt-exitting"] } })).toThrow(/vmcs\.primary: 'hlt-exitting' is not a primary control/);
  });

  it("a profile without VMX cannot host a VM", () => {
    expect(() => new Vm({ memory: MB, profile: "no-vmx" })).toThrow(/has no VMX/);
  });
});

describe("I/O and MSR intercepts", () => {
  it("with io-intercepts only the listed ports exit; others reach the devices directly", () => {
    const vm = new Vm({ memory: MB, ioIntercepts: [0xf4], asm: PRINT_OK(64).replace("hlt", "mov al, 9\nout 0xf4, al\nhlt") });
    const r = vm.run();
    expect(r.console).toBe("ok");
    expect(r.exits.map((e) => e.reason)).toEqual(["IO_INSTRUCTION"]);
    expect(r.status).toBe(9);
  });

  it("RDMSR of an intercepted MSR exits; FS_BASE passes through by default", () => {
    const vm = new Vm({
      memory: MB,
      asm: `
        mov ecx, 0xc0000100
        mov eax, 0x1000
        xor edx, edx
        wrmsr
        mov ecx, 0x1b   ; IA32_APIC_BASE
        rdmsr
        hlt
      `,
    });
    const r = vm.run();
    expect(r.exits.map((e) => e.reason)).toEqual(["MSR_READ", "HLT"]);
    expect(vm.vmcs.read("GUEST_FS_BASE")).toBe(0x1000n);
  });
});

describe("handler overrides and limits", () => {
  it("an override can compose with the default handler", () => {
    const seen: bigint[] = [];
    const vm = new Vm({
      memory: MB,
      asm: "mov eax, 0\ncpuid\nhlt",
      handlers: {
        CPUID: (vcpu, next) => {
          seen.push(vcpu.getReg("rax"));
          next();
          vcpu.setReg("rbx", 0x1234n);
        },
      },
    });
    const r = vm.run();
    expect(seen).toEqual([0n]);
    expect(r.regs.rbx).toBe("0x1234");
    expect(r.exits.map((e) => e.reason)).toEqual(["CPUID", "HLT"]);
  });

  it("a 'stop' policy ends the run at that exit", () => {
    const vm = new Vm({ memory: MB, asm: "cpuid\nhlt", handlers: { CPUID: "stop" } });
    expect(vm.run().stopReason).toBe("stopped");
  });

  it("the step limit stops a guest that loops; run() continues it", () => {
    const vm = new Vm({ memory: MB, asm: "l: inc rax\njmp l", limits: { steps: 1000 } });
    const r = vm.run();
    expect(r.stopReason).toBe("step-limit");
    expect(r.steps).toBe(1000);
    expect(r.regs.rax).toBe("0x1f4");
  });

  it("run({maxSteps}) runs a slice; the next run continues where it stopped", () => {
    const vm = new Vm({ memory: MB, asm: "l: inc rax\njmp l" });
    expect(vm.run({ maxSteps: 100 }).regs.rax).toBe("0x32");
    const r = vm.run({ maxSteps: 100 });
    expect(r.steps).toBe(100);
    expect(r.regs.rax).toBe("0x64");
  });

  it("the exit limit stops a guest that exits forever", () => {
    const vm = new Vm({ memory: MB, asm: "l: cpuid\njmp l", limits: { exits: 5 } });
    const r = vm.run();
    expect(r.stopReason).toBe("exit-limit");
    expect(r.exits.length).toBe(5);
  });

  it("initial registers: GPRs in the CPU, RSP/RIP/RFLAGS in the VMCS", () => {
    const vm = new Vm({ memory: MB, asm: "add rax, rbx\nhlt", regs: { rax: 2, rbx: 3, rsp: 0x7000 } });
    expect(vm.vmcs.read("GUEST_RSP")).toBe(0x7000n);
    const r = vm.run();
    expect(r.regs.rax).toBe("0x5");
    expect(r.regs.rsp).toBe("0x7000");
  });
});

describe("invalid options are input errors", () => {
  it.each([
    [{ memory: 0x5000, load: 0x1000 }, /cannot hold the GDT/],
    [{ memory: 1000 }, /multiple of 4 KiB/],
    [{ memory: 1 << 20, asm: "hlt", load: 0xfff00 , code: new Uint8Array(0x200) }, /does not fit/],
    [{ memory: 1 << 20, devices: { passthrough: { gpa: 0xfec00010, size: 0x1000 } } }, /4-KByte aligned/],
    [{ memory: 1 << 20, devices: { mmioDemo: 0x1000 } }, /above guest RAM/],
    [{ memory: 1 << 20, profile: "nope" }, /unknown CPU profile/],
    [{ memory: 1 << 20, exceptionBitmap: ["XX"] }, /unknown exception 'XX'/],
    [{ memory: 1 << 20, fields: { NOT_A_FIELD: 1 } }, /unknown VMCS field 'NOT_A_FIELD'/],
    [{ memory: 1 << 20, asm: "mov eax, [" }, /./],
  ])("%o", (o, msg) => {
    let err: unknown;
    try {
      new Vm(o);
    } catch (e) {
      err = e;
    }
    expect(err).toBeDefined();
    expect((err as { code?: string }).code).toBe("invalid-input");
    expect(String((err as Error).message)).toMatch(msg);
  });
});

describe("small guests", () => {
  it("a guest with 256 KiB of RAM gets its stack at the top of RAM", () => {
    const vm = new Vm({ memory: 256 << 10, asm: "push 7\npop rax\nhlt" });
    expect(vm.vmcs.read("GUEST_RSP")).toBe(0x40000n);
    expect(vm.run().regs.rax).toBe("0x7");
  });

  it("a raw field the profile does not know is an input error", () => {
    expect(() => new Vm({ memory: 1 << 20, profile: "minimal", fields: { EPTP_LIST_ADDRESS: 0x1000 } })).toThrow(/vmcs\.fields: VMWRITE EPTP_LIST_ADDRESS failed on profile 'minimal'/);
  });
});
