import { fakeVcpu } from "../../../src/testing";

describe("exception exits are reflected into the guest (SDM Vol. 3C 26.2, 27.1)", () => {
  it("#GP with its error code is re-injected; RIP stays at the faulting instruction", () => {
    const v = fakeVcpu({ exit: { reason: "EXCEPTION_NMI", interruption: { vector: "GP", errorCode: 0x10 } } });
    v.handle();
    expect(v).toHaveInjected({ vector: "GP", type: "hardware-exception", errorCode: 0x10 });
    expect(v).not.toHaveAdvancedRip();
  });

  it("#PF loads CR2 from the qualification (the exit itself does not)", () => {
    const v = fakeVcpu({ exit: { reason: "EXCEPTION_NMI", interruption: { vector: 14, errorCode: 2 }, qualification: { linearAddress: 0xdead_b000n } } });
    v.handle();
    expect(v.regs.cr2).toBe(0xdead_b000n);
    expect(v).toHaveInjected({ vector: "PF", errorCode: 2 });
  });

  it("#DB sets DR6 from the qualification (Table 28-1)", () => {
    const v = fakeVcpu({ exit: { reason: "EXCEPTION_NMI", interruption: { vector: "DB" }, qualification: { debug: { bs: true } } } });
    v.handle();
    expect(v.regs.dr6).toBe(0xffff_4ff0n);
    expect(v).toHaveInjected({ vector: "DB", type: "hardware-exception" });
  });

  it("INT3 (#BP, a software exception) is re-injected with the instruction length", () => {
    const v = fakeVcpu({ exit: { reason: "EXCEPTION_NMI", instructionLength: 1, interruption: { vector: "BP" } } });
    v.handle();
    expect(v.injected).toEqual({ vector: 3, type: "software-exception", errorCode: undefined, instructionLength: 1 });
  });

  it("#GP while delivering #NP becomes #DF(0) (Table 6-5)", () => {
    const v = fakeVcpu({ exit: { reason: "EXCEPTION_NMI", interruption: { vector: "GP", errorCode: 0 }, idtVectoring: { vector: "NP", errorCode: 8 } } });
    v.handle();
    expect(v).toHaveInjected({ vector: "DF", errorCode: 0 });
  });

  it("#PF while delivering #DF is a triple fault: shutdown", () => {
    const v = fakeVcpu({ exit: { reason: "EXCEPTION_NMI", interruption: { vector: "PF", errorCode: 0 }, idtVectoring: { vector: "DF", errorCode: 0 } } });
    v.handle();
    expect(v).toHaveExitedToUserspace("shutdown");
  });

  it("an NMI exit resumes (the host took the NMI)", () => {
    const v = fakeVcpu({ exit: { reason: "EXCEPTION_NMI", interruption: { vector: 2, type: "nmi" } } });
    v.handle();
    expect(v).toHaveResumed();
    expect(v.injected).toBeUndefined();
  });

  it("a real-mode guest gets no error code (entry check 27.2.1.3)", () => {
    const v = fakeVcpu({ mode: "real16", exit: { reason: "EXCEPTION_NMI", interruption: { vector: "GP", errorCode: 0 } } });
    v.handle();
    expect(v.injected).toMatchObject({ vector: 13, errorCode: undefined });
  });
});

describe("interrupt-related exits", () => {
  it("EXTERNAL_INTERRUPT hands the acknowledged vector to the host and resumes", () => {
    const seen: number[] = [];
    const v = fakeVcpu({ exit: { reason: "EXTERNAL_INTERRUPT", interruption: { vector: 0x20 } }, vm: { hostInterrupt: (n) => void seen.push(n) } });
    v.handle();
    expect(seen).toEqual([0x20]);
    expect(v).toHaveResumed();
  });

  it("INTERRUPT_WINDOW clears interrupt-window exiting", () => {
    const v = fakeVcpu({ exit: "INTERRUPT_WINDOW", vmcs: { CPU_BASED_VM_EXEC_CONTROL: 0x8000_0084n } });
    v.handle();
    expect(v).toHaveWrittenVmcs("CPU_BASED_VM_EXEC_CONTROL", 0x8000_0080n);
    expect(v).toHaveResumed();
  });

  it("NMI_WINDOW clears NMI-window exiting", () => {
    const v = fakeVcpu({ exit: "NMI_WINDOW", vmcs: { CPU_BASED_VM_EXEC_CONTROL: 1n << 22n } });
    v.handle();
    expect(v).toHaveWrittenVmcs("CPU_BASED_VM_EXEC_CONTROL", 0n);
  });

  it("PREEMPTION_TIMER parks a timer saved as 0 instead of exiting forever", () => {
    const v = fakeVcpu({ exit: "PREEMPTION_TIMER", vmcs: { VMX_PREEMPTION_TIMER_VALUE: 0n } });
    v.handle();
    expect(v).toHaveWrittenVmcs("VMX_PREEMPTION_TIMER_VALUE", 0xffff_ffffn);
    expect(v).toHaveResumed();
  });

  it("PREEMPTION_TIMER lets the VM re-arm the timer", () => {
    let rearmed = 0;
    const v = fakeVcpu({ exit: "PREEMPTION_TIMER", vm: { preemptionTimer: () => void rearmed++ } });
    v.handle();
    expect(rearmed).toBe(1);
    expect(v).not.toHaveWrittenVmcs("VMX_PREEMPTION_TIMER_VALUE");
  });

  it.each(["MONITOR_TRAP_FLAG", "TPR_BELOW_THRESHOLD", "EOI_INDUCED", "APIC_WRITE", "PML_FULL", "BUS_LOCK"])("%s resumes", (reason) => {
    const v = fakeVcpu({ exit: reason });
    v.handle();
    expect(v).toHaveResumed();
    expect(v).not.toHaveAdvancedRip();
  });
});

describe("fatal exits", () => {
  it("TRIPLE_FAULT shuts the VM down", () => {
    const v = fakeVcpu({ exit: "TRIPLE_FAULT" });
    v.handle();
    expect(v).toHaveExitedToUserspace("shutdown", { reason: "triple fault" });
  });

  it("INVALID_GUEST_STATE (alias INVALID_STATE) is a fail-entry exit with the SDM 27.8 meaning", () => {
    const v = fakeVcpu({ exit: { reason: "INVALID_STATE", qualification: 4 } });
    expect(v.exit.entryFailure).toBe(true);
    expect(v.vmread("VM_EXIT_REASON")).toBe(0x8000_0021n);
    v.handle();
    expect(v).toHaveExitedToUserspace("fail-entry", { reason: "INVALID_GUEST_STATE", qualification: 4n, detail: "failure was due to an invalid VMCS link pointer" });
  });

  it("MSR_LOAD_FAIL names the failing MSR-load entry", () => {
    const v = fakeVcpu({ exit: { reason: "MSR_LOAD_FAIL", qualification: 2 } });
    v.handle();
    expect(v).toHaveExitedToUserspace("fail-entry", { detail: "VM-entry MSR-load entry 2 is invalid" });
  });

  it.each(["TASK_SWITCH", "INIT_SIGNAL", "SIPI_SIGNAL", "IO_SMI", "OTHER_SMI", "SPP_EVENT", "XSAVES", "XRSTORS", "ENQCMD_PASID_FAIL", "NOTIFY"])("%s has no KVM-like default: internal error", (reason) => {
    const v = fakeVcpu({ exit: reason });
    v.handle();
    expect(v).toHaveExitedToUserspace("internal-error", { reason });
  });
});

describe("guest VMX instructions (SDM Vol. 3C 26.1.2)", () => {
  it.each(["VMXON", "VMCLEAR", "VMLAUNCH", "VMRESUME", "VMPTRLD", "VMPTRST", "VMREAD", "VMWRITE", "VMXOFF", "INVEPT", "INVVPID"])(
    "%s injects #UD without nested virtualization",
    (reason) => {
      const v = fakeVcpu({ exit: reason });
      v.handle();
      expect(v).toHaveInjected({ vector: "UD" });
      expect(v).not.toHaveAdvancedRip();
    },
  );

  it("goes to the VM's nested emulation when nested virtualization is on", () => {
    const calls: string[] = [];
    const v = fakeVcpu({ exit: "VMREAD", vm: { nested: true, nestedVmx: (c) => { calls.push(c.exit.reason); c.advanceRip(); } } });
    v.handle();
    expect(calls).toEqual(["VMREAD"]);
    expect(v).toHaveAdvancedRip(3);
    expect(v.injected).toBeUndefined();
  });
});

describe("MOV DR exits (mov-dr-exiting, Table 28-4)", () => {
  it("MOV DR7, RAX loads GUEST_DR7 with bit 10 set", () => {
    const v = fakeVcpu({ exit: { reason: "DR_ACCESS", qualification: { dr: { dr: 7, direction: "to-dr", gpr: "rax" } } }, regs: { rax: 0x1 } });
    v.handle();
    expect(v).toHaveWrittenVmcs("GUEST_DR7", 0x401n);
    expect(v).toHaveAdvancedRip(3);
  });

  it("MOV RBX, DR5 reads DR7 when CR4.DE is clear", () => {
    const v = fakeVcpu({ exit: { reason: "DR_ACCESS", qualification: { dr: { dr: 5, direction: "from-dr", gpr: "rbx" } } }, vmcs: { GUEST_DR7: 0x455n } });
    v.handle();
    expect(v.regs.rbx).toBe(0x455n);
  });

  it("DR4 with CR4.DE is #UD; any MOV DR at CPL 3 is #GP(0)", () => {
    const ud = fakeVcpu({ exit: { reason: "DR_ACCESS", qualification: { dr: { dr: 4 } } }, vmcs: { GUEST_CR4: 0x2028n, CR4_READ_SHADOW: 0x28n } });
    ud.handle();
    expect(ud).toHaveInjected({ vector: "UD" });
    const gp = fakeVcpu({ exit: { reason: "DR_ACCESS", qualification: { dr: { dr: 0 } } }, vmcs: { GUEST_SS_AR_BYTES: 0xc0f3n } });
    gp.handle();
    expect(gp).toHaveInjected({ vector: "GP", errorCode: 0 });
  });

  it("MOV DR0, R8 stores the breakpoint address", () => {
    const v = fakeVcpu({ exit: { reason: "DR_ACCESS", qualification: { dr: { dr: 0, gpr: "r8" } } }, regs: { r8: 0xffff_8000_0000_1000n } });
    v.handle();
    expect(v.regs.dr0).toBe(0xffff_8000_0000_1000n);
  });
});
