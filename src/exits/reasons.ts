/**
 * The basic VM-exit reasons (SDM Vol. 3C Appendix C, Table C-1): the one table
 * every other part of vmxlab takes exit-reason names and numbers from. Names
 * follow Linux `arch/x86/include/uapi/asm/vmx.h` `EXIT_REASON_*` without the
 * prefix; where DESIGN.md's contract spells a reason differently
 * (INVALID_GUEST_STATE for Linux's INVALID_STATE) the contract's name is the
 * primary one and Linux's is an alias.
 *
 * This is a leaf data module: src/vmx may import it, so it imports nothing
 * from vmx/vmm.
 */

/** Basic exit reason numbers (exit-reason field bits 15:0, SDM Vol. 3C 25.9.1, Appendix C). */
export const EXIT_REASON_NUMBERS = {
  EXCEPTION_NMI: 0,
  EXTERNAL_INTERRUPT: 1,
  TRIPLE_FAULT: 2,
  INIT_SIGNAL: 3,
  SIPI_SIGNAL: 4,
  IO_SMI: 5,
  OTHER_SMI: 6,
  INTERRUPT_WINDOW: 7,
  NMI_WINDOW: 8,
  TASK_SWITCH: 9,
  CPUID: 10,
  GETSEC: 11,
  HLT: 12,
  INVD: 13,
  INVLPG: 14,
  RDPMC: 15,
  RDTSC: 16,
  RSM: 17,
  VMCALL: 18,
  VMCLEAR: 19,
  VMLAUNCH: 20,
  VMPTRLD: 21,
  VMPTRST: 22,
  VMREAD: 23,
  VMRESUME: 24,
  VMWRITE: 25,
  VMOFF: 26,
  VMON: 27,
  CR_ACCESS: 28,
  DR_ACCESS: 29,
  IO_INSTRUCTION: 30,
  MSR_READ: 31,
  MSR_WRITE: 32,
  INVALID_GUEST_STATE: 33,
  MSR_LOAD_FAIL: 34,
  MWAIT_INSTRUCTION: 36,
  MONITOR_TRAP_FLAG: 37,
  MONITOR_INSTRUCTION: 39,
  PAUSE_INSTRUCTION: 40,
  MCE_DURING_VMENTRY: 41,
  TPR_BELOW_THRESHOLD: 43,
  APIC_ACCESS: 44,
  EOI_INDUCED: 45,
  GDTR_IDTR: 46,
  LDTR_TR: 47,
  EPT_VIOLATION: 48,
  EPT_MISCONFIG: 49,
  INVEPT: 50,
  RDTSCP: 51,
  PREEMPTION_TIMER: 52,
  INVVPID: 53,
  WBINVD: 54,
  XSETBV: 55,
  APIC_WRITE: 56,
  RDRAND: 57,
  INVPCID: 58,
  VMFUNC: 59,
  ENCLS: 60,
  RDSEED: 61,
  PML_FULL: 62,
  XSAVES: 63,
  XRSTORS: 64,
  PCONFIG: 65,
  SPP_EVENT: 66,
  UMWAIT: 67,
  TPAUSE: 68,
  LOADIWKEY: 69,
  ENCLV: 70,
  ENQCMD_PASID_FAIL: 72,
  ENQCMDS_PASID_FAIL: 73,
  BUS_LOCK: 74,
  NOTIFY: 75,
  SEAMCALL: 76,
  TDCALL: 77,
  RDMSRLIST: 78,
  WRMSRLIST: 79,
} as const;

export type ExitReason = keyof typeof EXIT_REASON_NUMBERS;

/**
 * What the exit qualification (and for some reasons the guest-linear or
 * guest-physical address field) holds, SDM Vol. 3C 28.2.1 Table 28-1 ff.
 * Decoders live in src/exits/qualification/, one file per kind.
 */
export type QualificationKind =
  | "none" // qualification is 0 / undefined for this reason
  | "exception" // #DB: debug-exception bits (Table 28-1); #PF: the faulting linear address; else 0
  | "sipi-vector" // bits 7:0: the SIPI vector
  | "io-smi" // I/O SMI: the I/O instruction of Table 28-5 that caused the SMI
  | "task-switch" // Table 28-2
  | "linear-address" // INVLPG: the linear-address operand
  | "displacement" // instructions with a memory operand: the displacement (Tables 28-9..28-14 for the rest)
  | "cr-access" // Table 28-3
  | "dr-access" // Table 28-4
  | "io" // Table 28-5
  | "entry-failure" // 27.8: 0, 2 (PDPTE load), 3 (NMI injection blocked), 4 (VMCS link pointer)
  | "msr-load-index" // 27.4: 1-based index of the VM-entry MSR-load entry that failed
  | "apic-access" // Table 28-6
  | "eoi-vector" // bits 7:0: the vector of the virtualized EOI
  | "apic-write-offset" // bits 11:0: offset of the APIC-page write
  | "ept-violation" // Table 28-7
  | "nmi-unblocking" // PML full / SPP / bus lock: bit 12 = NMI unblocking due to IRET
  | "notify"; // bit 0 = VM context invalid, bit 12 = NMI unblocking due to IRET

/** How an exit comes about: decides whether the handler's default moves RIP past an instruction. */
export type ExitCategory = "exception" | "interrupt" | "signal" | "instruction" | "event" | "entry-failure";

export interface ExitReasonInfo {
  /** Where the SDM defines the exit and its qualification. */
  readonly sdm: string;
  /** One line, as `vmxlab explain` prints it first. */
  readonly description: string;
  readonly category: ExitCategory;
  readonly qualification: QualificationKind;
  /** The VM-execution control (kebab case) that makes the operation exit, or "unconditional" / an explanation. */
  readonly cause: string;
  /** A paragraph for `vmxlab explain`: what to look at and what a KVM-like hypervisor does. */
  readonly explain?: string;
  /** Other names accepted on input (Linux spelling or the SDM's instruction name). */
  readonly aliases?: readonly string[];
  /** false: Linux uapi/asm/vmx.h has no EXIT_REASON_* for it; the name is vmxlab's, in the same style. */
  readonly linux?: false;
}

const QUAL_SDM = "28.2.1";

export const EXIT_REASON_INFO = {
  EXCEPTION_NMI: {
    sdm: `SDM Vol. 3C 26.2, ${QUAL_SDM} Table 28-1`,
    description: "Exception or non-maskable interrupt (NMI)",
    category: "exception",
    qualification: "exception",
    cause: "an exception whose bit is set in EXCEPTION_BITMAP (for #PF also PAGE_FAULT_ERROR_CODE_MASK/MATCH), or an NMI with nmi-exiting",
    explain:
      "VM_EXIT_INTR_INFO holds the vector, the event type and, if valid, VM_EXIT_INTR_ERROR_CODE. For #DB the qualification holds the DR6-like bits of Table 28-1 (DR6 itself is not updated); for #PF it holds the faulting linear address (CR2 is not loaded). A hypervisor usually reflects the exception into the guest (VM-entry event injection) or emulates what the exception trapped.",
    aliases: ["EXCEPTION", "NMI"],
  },
  EXTERNAL_INTERRUPT: {
    sdm: "SDM Vol. 3C 26.2, 28.2.2",
    description: "An external interrupt arrived",
    category: "interrupt",
    qualification: "none",
    cause: "external-interrupt-exiting (pin-based)",
    explain:
      "With ack-interrupt-on-exit the processor acknowledges the controller and stores the vector in VM_EXIT_INTR_INFO; without it the interrupt stays pending and the host takes it once it enables interrupts. KVM lets the host handle the interrupt and resumes the guest.",
  },
  TRIPLE_FAULT: {
    sdm: "SDM Vol. 3C 26.2, 6.15 (#DF)",
    description: "The guest encountered a triple fault (an exception while delivering a double fault)",
    category: "event",
    qualification: "none",
    cause: "unconditional",
    explain:
      "In non-root operation a triple fault is a VM exit instead of a shutdown. KVM reports KVM_EXIT_SHUTDOWN to userspace, which usually resets or stops the VM.",
  },
  INIT_SIGNAL: {
    sdm: "SDM Vol. 3C 26.2",
    description: "An INIT signal arrived",
    category: "signal",
    qualification: "none",
    cause: "unconditional (INIT is blocked only in VMX root operation)",
  },
  SIPI_SIGNAL: {
    sdm: `SDM Vol. 3C 26.2, ${QUAL_SDM}`,
    description: "A start-up IPI (SIPI) arrived while the logical processor was in the wait-for-SIPI state",
    category: "signal",
    qualification: "sipi-vector",
    cause: "SIPI in the wait-for-SIPI activity state",
    aliases: ["STARTUP_IPI"],
  },
  IO_SMI: {
    linux: false,
    sdm: `SDM Vol. 3C 32.15.2, ${QUAL_SDM}`,
    description: "An SMI arrived immediately after an I/O instruction and caused an SMM VM exit",
    category: "signal",
    qualification: "io-smi",
    cause: "dual-monitor treatment of SMIs",
  },
  OTHER_SMI: {
    linux: false,
    sdm: "SDM Vol. 3C 32.15.2",
    description: "An SMI arrived and caused an SMM VM exit (not after an I/O instruction)",
    category: "signal",
    qualification: "none",
    cause: "dual-monitor treatment of SMIs",
  },
  INTERRUPT_WINDOW: {
    sdm: "SDM Vol. 3C 26.7.5",
    description: "Interrupt window: the guest can accept an external interrupt (RFLAGS.IF=1, no STI/MOV SS blocking)",
    category: "event",
    qualification: "none",
    cause: "interrupt-window-exiting (primary)",
    explain:
      "A hypervisor that has an interrupt to inject while the guest has interrupts disabled sets interrupt-window-exiting, and on this exit clears it and injects the interrupt through VM_ENTRY_INTR_INFO_FIELD.",
    aliases: ["PENDING_INTERRUPT"],
  },
  NMI_WINDOW: {
    sdm: "SDM Vol. 3C 26.7.6",
    description: "NMI window: virtual-NMI blocking has ended, an NMI can be injected",
    category: "event",
    qualification: "none",
    cause: "nmi-window-exiting (primary; requires virtual-nmis)",
  },
  TASK_SWITCH: {
    sdm: `SDM Vol. 3C 26.4.2, ${QUAL_SDM} Table 28-2`,
    description: "The guest attempted a task switch (CALL/JMP to a TSS or task gate, IRET with NT, or a task gate in the IDT)",
    category: "event",
    qualification: "task-switch",
    cause: "unconditional",
    explain: "The qualification gives the target TSS selector and the source of the switch; the hypervisor emulates the task switch.",
  },
  CPUID: {
    sdm: "SDM Vol. 3C 26.1.2",
    description: "The guest executed CPUID",
    category: "instruction",
    qualification: "none",
    cause: "unconditional",
    explain:
      "CPUID always exits in VMX non-root operation. The handler reads the leaf from EAX and the subleaf from ECX, writes EAX/EBX/ECX/EDX with the values it wants the guest to see (e.g. CPUID.1:ECX.VMX[bit 5] only when nested virtualization is offered, CPUID.1:ECX[bit 31] 'hypervisor present') and advances RIP by VM_EXIT_INSTRUCTION_LEN (2).",
  },
  GETSEC: {
    linux: false,
    sdm: "SDM Vol. 3C 26.1.2",
    description: "The guest executed GETSEC",
    category: "instruction",
    qualification: "none",
    cause: "unconditional",
  },
  HLT: {
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed HLT",
    category: "instruction",
    qualification: "none",
    cause: "hlt-exiting (primary)",
    explain:
      "KVM advances RIP and blocks the vCPU until an interrupt is pending; with no interrupt source it reports KVM_EXIT_HLT to userspace.",
  },
  INVD: {
    sdm: "SDM Vol. 3C 26.1.2",
    description: "The guest executed INVD",
    category: "instruction",
    qualification: "none",
    cause: "unconditional",
  },
  INVLPG: {
    sdm: `SDM Vol. 3C 26.1.3, ${QUAL_SDM}`,
    description: "The guest executed INVLPG",
    category: "instruction",
    qualification: "linear-address",
    cause: "invlpg-exiting (primary)",
    explain:
      "The qualification holds the linear-address operand (in 32-bit mode bits 63:32 are 0). A shadow-paging hypervisor drops its shadow entry for that address; with EPT it rarely needs this exit.",
  },
  RDPMC: {
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed RDPMC",
    category: "instruction",
    qualification: "none",
    cause: "rdpmc-exiting (primary)",
  },
  RDTSC: {
    sdm: "SDM Vol. 3C 26.1.3, 26.6.5",
    description: "The guest executed RDTSC",
    category: "instruction",
    qualification: "none",
    cause: "rdtsc-exiting (primary)",
    explain: "Without rdtsc-exiting the guest reads TSC + TSC_OFFSET (if use-tsc-offsetting). The handler loads EDX:EAX and advances RIP.",
  },
  RSM: {
    linux: false,
    sdm: "SDM Vol. 3C 26.1.2",
    description: "The guest executed RSM in SMM",
    category: "instruction",
    qualification: "none",
    cause: "unconditional (in SMM, dual-monitor treatment)",
  },
  VMCALL: {
    sdm: "SDM Vol. 3C 26.1.2, 31.3 (VMCALL)",
    description: "The guest executed VMCALL",
    category: "instruction",
    qualification: "none",
    cause: "unconditional",
    explain:
      "VMCALL is the paravirtual call from a guest to its hypervisor. The default handler implements vmxlab's hypercall ABI (below): RAX = number, RBX, RCX, RDX, RSI = arguments, result in RAX, RIP advanced by 3.",
  },
  VMCLEAR: vmxInstruction("VMCLEAR"),
  VMLAUNCH: vmxInstruction("VMLAUNCH", "none"),
  VMPTRLD: vmxInstruction("VMPTRLD"),
  VMPTRST: vmxInstruction("VMPTRST"),
  VMREAD: vmxInstruction("VMREAD"),
  VMRESUME: vmxInstruction("VMRESUME", "none"),
  VMWRITE: vmxInstruction("VMWRITE"),
  VMOFF: { ...vmxInstruction("VMXOFF", "none"), aliases: ["VMXOFF"] },
  VMON: { ...vmxInstruction("VMXON"), aliases: ["VMXON"] },
  CR_ACCESS: {
    sdm: `SDM Vol. 3C 26.1.3, ${QUAL_SDM} Table 28-3`,
    description: "Control-register access: MOV to/from CR0, CR3, CR4 or CR8, CLTS or LMSW",
    category: "instruction",
    qualification: "cr-access",
    cause:
      "MOV to CR0/CR4 changing a bit set in CR0/CR4_GUEST_HOST_MASK away from its read shadow; CLTS/LMSW likewise; MOV to CR3 with cr3-load-exiting (unless the value is a CR3-target); MOV from CR3 with cr3-store-exiting; CR8 with cr8-load/store-exiting",
    explain:
      "The qualification names the control register (bits 3:0), the access type (bits 5:4: 0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW), the general-purpose register (bits 11:8) and for LMSW the source data (bits 31:16). A handler updates GUEST_CR0/CR4 and the read shadows (CR0_READ_SHADOW, CR4_READ_SHADOW) and advances RIP.",
  },
  DR_ACCESS: {
    sdm: `SDM Vol. 3C 26.1.3, ${QUAL_SDM} Table 28-4`,
    description: "MOV to or from a debug register",
    category: "instruction",
    qualification: "dr-access",
    cause: "mov-dr-exiting (primary)",
    aliases: ["MOV_DR"],
  },
  IO_INSTRUCTION: {
    sdm: `SDM Vol. 3C 26.1.3, ${QUAL_SDM} Table 28-5`,
    description: "I/O instruction: IN, INS, OUT or OUTS",
    category: "instruction",
    qualification: "io",
    cause: "unconditional-io-exiting, or use-io-bitmaps with the port's bit set in I/O bitmap A (0x0000-0x7fff) or B (0x8000-0xffff)",
    explain:
      "The qualification gives the access size (bits 2:0 = size-1), direction (bit 3: 1 = IN), string and REP prefixes (bits 4, 5), whether the port came from DX or an immediate (bit 6) and the port (bits 31:16). KVM hands port I/O to userspace (KVM_EXIT_IO) where QEMU's devices emulate it.",
  },
  MSR_READ: {
    sdm: "SDM Vol. 3C 26.1.3, 25.6.9",
    description: "The guest executed RDMSR",
    category: "instruction",
    qualification: "none",
    cause: "use-msr-bitmaps clear, or the MSR's read bit set in the MSR bitmap, or ECX outside the bitmap ranges",
    explain: "ECX holds the MSR index; the handler loads EDX:EAX (or injects #GP(0) for an MSR it does not implement) and advances RIP.",
    aliases: ["RDMSR"],
  },
  MSR_WRITE: {
    sdm: "SDM Vol. 3C 26.1.3, 25.6.9",
    description: "The guest executed WRMSR",
    category: "instruction",
    qualification: "none",
    cause: "use-msr-bitmaps clear, or the MSR's write bit set in the MSR bitmap, or ECX outside the bitmap ranges",
    explain: "ECX holds the MSR index and EDX:EAX the value; the handler stores it (or injects #GP(0)) and advances RIP.",
    aliases: ["WRMSR"],
  },
  INVALID_GUEST_STATE: {
    sdm: "SDM Vol. 3C 27.3, 27.8",
    description: "VM-entry failure due to invalid guest state (exit reason bit 31 set)",
    category: "entry-failure",
    qualification: "entry-failure",
    cause: "a guest-state check of SDM 27.3.1 failed during VMLAUNCH/VMRESUME",
    explain:
      "The entry is abandoned after the control and host-state checks passed: the processor loads host state as on a VM exit with bit 31 of the exit reason set. The qualification is 0 except 2 (PDPTE loading failed), 3 (NMI injection blocked by STI/MOV SS) and 4 (VMCS link pointer invalid). KVM reports KVM_EXIT_FAIL_ENTRY.",
    aliases: ["INVALID_STATE"],
  },
  MSR_LOAD_FAIL: {
    sdm: "SDM Vol. 3C 27.4, 27.8",
    description: "VM-entry failure due to MSR loading (exit reason bit 31 set)",
    category: "entry-failure",
    qualification: "msr-load-index",
    cause: "an entry of the VM-entry MSR-load area was invalid",
    explain: "The qualification is the 1-based index of the failing entry in the VM-entry MSR-load area.",
  },
  MWAIT_INSTRUCTION: {
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed MWAIT",
    category: "instruction",
    qualification: "none",
    cause: "mwait-exiting (primary)",
    aliases: ["MWAIT"],
  },
  MONITOR_TRAP_FLAG: {
    sdm: "SDM Vol. 3C 26.5.2",
    description: "Monitor trap flag: the guest completed one instruction (or delivered an event) with MTF set",
    category: "event",
    qualification: "none",
    cause: "monitor-trap-flag (primary)",
    explain: "A trap-like exit: RIP already points past the instruction. Debuggers single-step guests with it.",
    aliases: ["MTF"],
  },
  MONITOR_INSTRUCTION: {
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed MONITOR",
    category: "instruction",
    qualification: "none",
    cause: "monitor-exiting (primary)",
    aliases: ["MONITOR"],
  },
  PAUSE_INSTRUCTION: {
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed PAUSE",
    category: "instruction",
    qualification: "none",
    cause: "pause-exiting (primary), or pause-loop-exiting (secondary) at CPL 0 with a PAUSE loop longer than PLE_WINDOW",
    aliases: ["PAUSE"],
  },
  MCE_DURING_VMENTRY: {
    sdm: "SDM Vol. 3C 27.9",
    description: "VM-entry failure due to a machine-check event (exit reason bit 31 set)",
    category: "entry-failure",
    qualification: "none",
    cause: "a machine check during VM entry",
  },
  TPR_BELOW_THRESHOLD: {
    sdm: "SDM Vol. 3C 30.1.2",
    description: "The virtual TPR dropped below TPR_THRESHOLD",
    category: "event",
    qualification: "none",
    cause: "use-tpr-shadow (primary), without virtual-interrupt-delivery",
  },
  APIC_ACCESS: {
    sdm: `SDM Vol. 3C 30.4, ${QUAL_SDM} Table 28-6`,
    description: "The guest accessed the APIC-access page",
    category: "event",
    qualification: "apic-access",
    cause: "virtualize-apic-accesses (secondary) and an access not virtualized",
  },
  EOI_INDUCED: {
    sdm: `SDM Vol. 3C 30.1.4, ${QUAL_SDM}`,
    description: "EOI virtualization for a vector whose bit is set in the EOI-exit bitmap",
    category: "event",
    qualification: "eoi-vector",
    cause: "virtual-interrupt-delivery (secondary) with the vector's EOI_EXIT_BITMAP bit set",
    aliases: ["VIRTUALIZED_EOI"],
  },
  GDTR_IDTR: {
    sdm: `SDM Vol. 3C 26.1.3, ${QUAL_SDM} Table 28-10`,
    description: "The guest executed LGDT, LIDT, SGDT or SIDT",
    category: "instruction",
    qualification: "displacement",
    cause: "descriptor-table-exiting (secondary)",
  },
  LDTR_TR: {
    sdm: `SDM Vol. 3C 26.1.3, ${QUAL_SDM} Table 28-11`,
    description: "The guest executed LLDT, LTR, SLDT or STR",
    category: "instruction",
    qualification: "displacement",
    cause: "descriptor-table-exiting (secondary)",
  },
  EPT_VIOLATION: {
    sdm: `SDM Vol. 3C 29.3.3.2, ${QUAL_SDM} Table 28-7`,
    description: "EPT violation: an access to a guest-physical address that the EPT paging structures do not permit",
    category: "event",
    qualification: "ept-violation",
    cause: "enable-ept (secondary): a not-present EPT entry or an access the entry's R/W/X bits forbid",
    explain:
      "GUEST_PHYSICAL_ADDRESS holds the address, GUEST_LINEAR_ADDRESS the linear address when qualification bit 7 is set. Bits 2:0 say read/write/fetch, bits 5:3 what the EPT entries allowed. KVM maps RAM lazily here (the guest retries the instruction: RIP is not advanced) and sends accesses to unmapped MMIO to userspace (KVM_EXIT_MMIO).",
  },
  EPT_MISCONFIG: {
    sdm: "SDM Vol. 3C 29.3.3.1",
    description: "EPT misconfiguration: an EPT paging-structure entry is invalid (reserved bits, write without read, bad memory type)",
    category: "event",
    qualification: "none",
    cause: "enable-ept (secondary) and a misconfigured entry on the walk",
    explain:
      "The qualification is undefined; GUEST_PHYSICAL_ADDRESS holds the address. KVM deliberately misconfigures MMIO SPTEs so that this exit identifies MMIO quickly; otherwise it is a hypervisor bug and KVM reports an internal error.",
  },
  INVEPT: { ...vmxInstruction("INVEPT"), sdm: `SDM Vol. 3C 26.1.2, ${QUAL_SDM} Table 28-9` },
  RDTSCP: {
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed RDTSCP",
    category: "instruction",
    qualification: "none",
    cause: "rdtsc-exiting (primary) with enable-rdtscp (secondary)",
  },
  PREEMPTION_TIMER: {
    sdm: "SDM Vol. 3C 26.5.1",
    description: "The VMX-preemption timer counted down to zero",
    category: "event",
    qualification: "none",
    cause: "activate-vmx-preemption-timer (pin-based)",
    explain:
      "The timer counts down VMX_PREEMPTION_TIMER_VALUE at the TSC rate shifted right by IA32_VMX_MISC[4:0]. With save-vmx-preemption-timer (exit control) the remaining value is saved; the handler reloads it and resumes.",
    aliases: ["VMX_PREEMPTION_TIMER"],
  },
  INVVPID: { ...vmxInstruction("INVVPID"), sdm: `SDM Vol. 3C 26.1.2, ${QUAL_SDM} Table 28-9` },
  WBINVD: {
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed WBINVD or WBNOINVD",
    category: "instruction",
    qualification: "none",
    cause: "wbinvd-exiting (secondary)",
  },
  XSETBV: {
    sdm: "SDM Vol. 3C 26.1.2",
    description: "The guest executed XSETBV",
    category: "instruction",
    qualification: "none",
    cause: "unconditional",
    explain: "ECX selects the XCR (only XCR0 exists), EDX:EAX is the value. The handler validates it (XCR0.x87 must be 1, AVX requires SSE) and injects #GP(0) for an invalid value.",
  },
  APIC_WRITE: {
    sdm: `SDM Vol. 3C 30.4.3.3, ${QUAL_SDM}`,
    description: "APIC write: a write to the virtual-APIC page that needs emulation (trap-like)",
    category: "event",
    qualification: "apic-write-offset",
    cause: "apic-register-virtualization or virtual-interrupt-delivery (secondary)",
  },
  RDRAND: {
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed RDRAND",
    category: "instruction",
    qualification: "none",
    cause: "rdrand-exiting (secondary)",
  },
  INVPCID: {
    sdm: `SDM Vol. 3C 26.1.3, ${QUAL_SDM} Table 28-9`,
    description: "The guest executed INVPCID",
    category: "instruction",
    qualification: "displacement",
    cause: "invlpg-exiting (primary) with enable-invpcid (secondary)",
  },
  VMFUNC: {
    sdm: "SDM Vol. 3C 26.5.6",
    description: "VMFUNC failed: the VM function is not enabled or its operation caused the exit",
    category: "instruction",
    qualification: "none",
    cause: "enable-vm-functions (secondary) and a function not enabled in VM_FUNCTION_CONTROL, or an invalid EPTP index",
  },
  ENCLS: {
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed ENCLS",
    category: "instruction",
    qualification: "none",
    cause: "enable-encls-exiting (secondary) and the leaf's ENCLS-exiting bitmap bit",
  },
  RDSEED: {
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed RDSEED",
    category: "instruction",
    qualification: "none",
    cause: "rdseed-exiting (secondary)",
  },
  PML_FULL: {
    sdm: `SDM Vol. 3C 29.3.6, ${QUAL_SDM}`,
    description: "Page-modification log full",
    category: "event",
    qualification: "nmi-unblocking",
    cause: "enable-pml (secondary) and PML_INDEX out of range when a dirty flag is set",
  },
  XSAVES: {
    sdm: `SDM Vol. 3C 26.1.3, ${QUAL_SDM} Table 28-13`,
    description: "The guest executed XSAVES",
    category: "instruction",
    qualification: "displacement",
    cause: "enable-xsaves-xrstors (secondary) and a bit set in both XSS_EXIT_BITMAP and the requested feature mask",
  },
  XRSTORS: {
    sdm: `SDM Vol. 3C 26.1.3, ${QUAL_SDM} Table 28-13`,
    description: "The guest executed XRSTORS",
    category: "instruction",
    qualification: "displacement",
    cause: "enable-xsaves-xrstors (secondary) and a bit set in both XSS_EXIT_BITMAP and the requested feature mask",
  },
  PCONFIG: {
    linux: false,
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed PCONFIG",
    category: "instruction",
    qualification: "none",
    cause: "enable-pconfig (secondary)",
  },
  SPP_EVENT: {
    linux: false,
    sdm: `SDM Vol. 3C 29.3.4, ${QUAL_SDM}`,
    description: "SPP-related event: a sub-page write-permission check failed or its table was misconfigured",
    category: "event",
    qualification: "nmi-unblocking",
    cause: "sub-page-write-permissions (secondary)",
    aliases: ["SPP"],
  },
  UMWAIT: {
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed UMWAIT",
    category: "instruction",
    qualification: "none",
    cause: "rdtsc-exiting (primary) with enable-user-wait-and-pause (secondary)",
  },
  TPAUSE: {
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed TPAUSE",
    category: "instruction",
    qualification: "none",
    cause: "rdtsc-exiting (primary) with enable-user-wait-and-pause (secondary)",
  },
  LOADIWKEY: {
    linux: false,
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed LOADIWKEY",
    category: "instruction",
    qualification: "none",
    cause: "loadiwkey-exiting (tertiary)",
  },
  ENCLV: {
    linux: false,
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed ENCLV",
    category: "instruction",
    qualification: "none",
    cause: "enable-enclv-exiting (secondary) and the leaf's ENCLV-exiting bitmap bit",
  },
  ENQCMD_PASID_FAIL: {
    linux: false,
    sdm: "SDM Vol. 3C 26.5.8",
    description: "ENQCMD PASID translation failure",
    category: "instruction",
    qualification: "none",
    cause: "PASID translation (tertiary) and an invalid PASID-directory or PASID-table entry",
  },
  ENQCMDS_PASID_FAIL: {
    linux: false,
    sdm: "SDM Vol. 3C 26.5.8",
    description: "ENQCMDS PASID translation failure",
    category: "instruction",
    qualification: "none",
    cause: "PASID translation (tertiary) and an invalid PASID-directory or PASID-table entry",
  },
  BUS_LOCK: {
    sdm: "SDM Vol. 3C 26.2",
    description: "The guest acquired a bus lock (trap-like, after the instruction)",
    category: "event",
    qualification: "nmi-unblocking",
    cause: "bus-lock-detection (secondary)",
  },
  NOTIFY: {
    sdm: `SDM Vol. 3C 26.2, ${QUAL_SDM}`,
    description: "Instruction timeout: no instruction boundary / interrupt window occurred within NOTIFY_WINDOW",
    category: "event",
    qualification: "notify",
    cause: "notify-vm-exiting (secondary)",
    aliases: ["INSTRUCTION_TIMEOUT"],
  },
  SEAMCALL: {
    sdm: "SDM Vol. 3C 26.1.2",
    description: "The guest executed SEAMCALL",
    category: "instruction",
    qualification: "none",
    cause: "unconditional",
  },
  TDCALL: {
    sdm: "SDM Vol. 3C 26.1.2",
    description: "The guest executed TDCALL",
    category: "instruction",
    qualification: "none",
    cause: "unconditional",
  },
  RDMSRLIST: {
    linux: false,
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed RDMSRLIST",
    category: "instruction",
    qualification: "none",
    cause: "use-msr-bitmaps clear or an MSR's bitmap bit set",
  },
  WRMSRLIST: {
    linux: false,
    sdm: "SDM Vol. 3C 26.1.3",
    description: "The guest executed WRMSRLIST",
    category: "instruction",
    qualification: "none",
    cause: "use-msr-bitmaps clear or an MSR's bitmap bit set",
  },
} as const satisfies Record<ExitReason, ExitReasonInfo>;

function vmxInstruction(insn: string, qualification: QualificationKind = "displacement"): ExitReasonInfo {
  return {
    sdm: `SDM Vol. 3C 26.1.2, ${QUAL_SDM}${qualification === "displacement" ? ", 28.2.5" : ""}`,
    description: `The guest executed ${insn}`,
    category: "instruction",
    qualification,
    cause: "unconditional",
    explain:
      `Every VMX instruction exits in non-root operation. A hypervisor without nested virtualization injects #UD; a nested one emulates ${insn} against the L1 guest's VMCS` +
      (qualification === "displacement" ? ", using the qualification (displacement) and VMX_INSTRUCTION_INFO to find the operand." : "."),
  };
}

/** Every reason with its number and name, sorted by number. */
export interface ExitReasonDef extends ExitReasonInfo {
  readonly name: ExitReason;
  readonly number: number;
}

export const EXIT_REASONS: readonly ExitReasonDef[] = (Object.keys(EXIT_REASON_NUMBERS) as ExitReason[])
  .map((name): ExitReasonDef => ({ name, number: EXIT_REASON_NUMBERS[name], ...(EXIT_REASON_INFO[name] as ExitReasonInfo) }))
  .sort((a, b) => a.number - b.number);

const BY_NUMBER = new Map<number, ExitReasonDef>(EXIT_REASONS.map((r) => [r.number, r]));
const BY_NAME = new Map<string, ExitReasonDef>();
for (const r of EXIT_REASONS) {
  BY_NAME.set(r.name, r);
  for (const a of r.aliases ?? []) BY_NAME.set(a, r);
}

export function isExitReason(name: string): name is ExitReason {
  return Object.prototype.hasOwnProperty.call(EXIT_REASON_NUMBERS, name);
}

/** The table entry for a basic exit reason number (bits 15:0 are taken), or undefined for unused numbers. */
export function exitReasonByNumber(basic: number): ExitReasonDef | undefined {
  return BY_NUMBER.get(basic & 0xffff);
}

/** Name of a basic exit reason number; unused numbers read `UNKNOWN_<n>`. */
export function exitReasonName(basic: number): ExitReason | `UNKNOWN_${number}` {
  return BY_NUMBER.get(basic & 0xffff)?.name ?? `UNKNOWN_${basic & 0xffff}`;
}

/**
 * Looks a reason up by name (case-insensitive; with or without `EXIT_REASON_`;
 * aliases such as INVALID_STATE, MWAIT, VMXON) or by number (decimal or 0x…).
 */
export function lookupExitReason(query: string): ExitReasonDef | undefined {
  const q = query.trim();
  if (/^(0x[0-9a-f]+|\d+)$/i.test(q)) return BY_NUMBER.get(Number(q));
  const name = q.toUpperCase().replace(/[-\s]/g, "_").replace(/^EXIT_REASON_/, "");
  return BY_NAME.get(name);
}

/** Basic reasons that are VM-entry failures (exit reason bit 31 set, SDM 27.8). */
export function isEntryFailure(reason: ExitReason): boolean {
  return EXIT_REASON_INFO[reason].category === "entry-failure";
}
