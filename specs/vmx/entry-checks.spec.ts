/**
 * Every named VM-entry check (SDM Vol. 3C 27.2, 27.3.1) violated alone: from
 * a VMCS that passes all checks, one mutation per check makes exactly that
 * check fail. Checks of features the default profile lacks (APIC
 * virtualization, posted interrupts, PML, VMCS shadowing, #VE) are violated
 * under capabilities that allow those controls, so the reserved-bit check
 * does not fire first.
 */
import { controlMask, type ControlNames, type ControlWord } from "../../src/vmcs/controls";
import { DEFAULT_CAPS, type VmxCaps } from "../../src/vmx/caps";
import { ENTRY_CHECKS } from "../../src/vmx/entry/checks";
import { CheckEnv } from "../../src/vmx/entry/env";
import { rig, type Rig } from "./rig";

const CAPS: VmxCaps = {
  ...DEFAULT_CAPS,
  pin: { ...DEFAULT_CAPS.pin, may1: DEFAULT_CAPS.pin.may1 | 0x80 },
  secondary: { must1: 0, may1: 0xdfff_ffff },
  ept: { ...DEFAULT_CAPS.ept, accessedDirty: false },
};

interface Case {
  r: Rig;
  hostLma: boolean;
}

const EPTP = 0x10_0000n | 0x1en; // WB, 4-level
const VALID = 0x8000_0000;

/** Adds named control bits to a word (the rig keeps the must-be-1 and baseline bits). */
function on<W extends ControlWord>(c: Case, w: W, ...names: ControlNames[W][]): void {
  const f = { pin: "PIN_BASED_VM_EXEC_CONTROL", primary: "CPU_BASED_VM_EXEC_CONTROL", secondary: "SECONDARY_VM_EXEC_CONTROL",
    exit: "VM_EXIT_CONTROLS", entry: "VM_ENTRY_CONTROLS", tertiary: "", "secondary-exit": "" }[w];
  c.r.set(f, c.r.get(f) | controlMask(w, names as string[]));
}

function off<W extends ControlWord>(c: Case, w: W, ...names: ControlNames[W][]): void {
  const f = { exit: "VM_EXIT_CONTROLS", entry: "VM_ENTRY_CONTROLS", primary: "CPU_BASED_VM_EXEC_CONTROL" }[w as "exit"];
  c.r.set(f, c.r.get(f) & ~controlMask(w, names as string[]));
}

const set = (c: Case, name: string, v: bigint | number) => c.r.set(name, v);
const clearBits = (c: Case, name: string, bits: bigint) => c.r.set(name, c.r.get(name) & ~bits);
const orBits = (c: Case, name: string, bits: bigint) => c.r.set(name, c.r.get(name) | bits);

/** A 32-bit PAE guest (not IA-32e) whose PDPT page is all zeros. */
function legacyGuest(c: Case): void {
  off(c, "entry", "ia32e-mode-guest");
  set(c, "GUEST_CR3", 0x5_0000);
}

/** Virtual-8086 segments (27.3.1.2): base = selector × 16, limit FFFFH, AR F3H. */
function v86Segments(c: Case): void {
  for (const s of ["ES", "CS", "SS", "DS", "FS", "GS"]) {
    set(c, `GUEST_${s}_SELECTOR`, 0x100);
    set(c, `GUEST_${s}_BASE`, 0x1000);
    set(c, `GUEST_${s}_LIMIT`, 0xffff);
    set(c, `GUEST_${s}_AR_BYTES`, 0xf3);
  }
}

function v86Guest(c: Case): void {
  legacyGuest(c);
  v86Segments(c);
  set(c, "GUEST_RFLAGS", 0x2_0002);
}

function ldtrUsable(c: Case): void {
  set(c, "GUEST_LDTR_AR_BYTES", 0x82);
  set(c, "GUEST_LDTR_LIMIT", 0);
}

const seg = (s: string) => `GUEST_${s}_AR_BYTES`;
const DATA_SEGS = ["DS", "ES", "FS", "GS"] as const;

const MUTATIONS: Record<string, (c: Case) => void> = {
  // 27.2.1.1
  "ctl-pin-reserved": (c) => set(c, "PIN_BASED_VM_EXEC_CONTROL", 0),
  "ctl-primary-reserved": (c) => clearBits(c, "CPU_BASED_VM_EXEC_CONTROL", 2n),
  "ctl-secondary-reserved": (c) => set(c, "SECONDARY_VM_EXEC_CONTROL", 1 << 29),
  "ctl-cr3-target-count": (c) => set(c, "CR3_TARGET_COUNT", 5),
  "ctl-io-bitmap-a": (c) => { on(c, "primary", "use-io-bitmaps"); set(c, "IO_BITMAP_A", 0x4_0001); },
  "ctl-io-bitmap-b": (c) => { on(c, "primary", "use-io-bitmaps"); set(c, "IO_BITMAP_B", 1n << 50n); },
  "ctl-msr-bitmap": (c) => { on(c, "primary", "use-msr-bitmaps"); set(c, "MSR_BITMAP", 0x4_2800); },
  "ctl-virtual-apic-page": (c) => { on(c, "primary", "use-tpr-shadow"); set(c, "VIRTUAL_APIC_PAGE_ADDR", 0x123); },
  "ctl-tpr-threshold": (c) => { on(c, "primary", "use-tpr-shadow"); set(c, "VIRTUAL_APIC_PAGE_ADDR", 0x5_0000); set(c, "TPR_THRESHOLD", 0x10); },
  "ctl-tpr-threshold-vtpr": (c) => { on(c, "primary", "use-tpr-shadow"); set(c, "VIRTUAL_APIC_PAGE_ADDR", 0x5_0000); set(c, "TPR_THRESHOLD", 1); },
  "ctl-tpr-shadow-required": (c) => on(c, "secondary", "virtualize-x2apic-mode"),
  "ctl-virtual-nmis": (c) => on(c, "pin", "virtual-nmis"),
  "ctl-nmi-window": (c) => on(c, "primary", "nmi-window-exiting"),
  "ctl-apic-access": (c) => { on(c, "secondary", "virtualize-apic-accesses"); set(c, "APIC_ACCESS_ADDR", 0x1001); },
  "ctl-x2apic-apic-access": (c) => {
    on(c, "primary", "use-tpr-shadow"); set(c, "VIRTUAL_APIC_PAGE_ADDR", 0x5_0000);
    on(c, "secondary", "virtualize-x2apic-mode", "virtualize-apic-accesses"); set(c, "APIC_ACCESS_ADDR", 0x5_1000);
  },
  "ctl-virtual-interrupt-delivery": (c) => {
    on(c, "primary", "use-tpr-shadow"); set(c, "VIRTUAL_APIC_PAGE_ADDR", 0x5_0000);
    on(c, "secondary", "virtual-interrupt-delivery");
  },
  "ctl-posted-interrupts": (c) => {
    on(c, "primary", "use-tpr-shadow"); set(c, "VIRTUAL_APIC_PAGE_ADDR", 0x5_0000);
    on(c, "secondary", "virtual-interrupt-delivery");
    on(c, "pin", "external-interrupt-exiting", "process-posted-interrupts");
  },
  "ctl-vpid": (c) => on(c, "secondary", "enable-vpid"),
  "ctl-eptp-memory-type": (c) => { on(c, "secondary", "enable-ept"); set(c, "EPT_POINTER", 0x10_0000 | 0x18 | 2); },
  "ctl-eptp-walk-length": (c) => { on(c, "secondary", "enable-ept"); set(c, "EPT_POINTER", 0x10_0000 | 0x20 | 6); },
  "ctl-eptp-accessed-dirty": (c) => { on(c, "secondary", "enable-ept"); set(c, "EPT_POINTER", EPTP | 0x40n); },
  "ctl-eptp-reserved": (c) => { on(c, "secondary", "enable-ept"); set(c, "EPT_POINTER", EPTP | 0x80n); },
  "ctl-pml": (c) => on(c, "secondary", "enable-pml"),
  "ctl-unrestricted-guest": (c) => on(c, "secondary", "unrestricted-guest"),
  "ctl-mode-based-execute": (c) => on(c, "secondary", "mode-based-execute-control"),
  "ctl-vm-functions": (c) => { on(c, "secondary", "enable-vm-functions"); set(c, "VM_FUNCTION_CONTROL", 2); },
  "ctl-vmread-bitmap": (c) => { on(c, "secondary", "vmcs-shadowing"); set(c, "VMREAD_BITMAP", 0x10); },
  "ctl-vmwrite-bitmap": (c) => { on(c, "secondary", "vmcs-shadowing"); set(c, "VMWRITE_BITMAP", 0x10); },
  "ctl-ve-info": (c) => { on(c, "secondary", "ept-violation-ve"); set(c, "VE_INFORMATION_ADDRESS", 8); },
  // 27.2.1.2
  "ctl-exit-reserved": (c) => clearBits(c, "VM_EXIT_CONTROLS", 1n),
  "ctl-save-preemption-timer": (c) => on(c, "exit", "save-vmx-preemption-timer-value"),
  "ctl-exit-msr-store": (c) => { set(c, "VM_EXIT_MSR_STORE_COUNT", 1); set(c, "VM_EXIT_MSR_STORE_ADDR", 8); },
  "ctl-exit-msr-load": (c) => { set(c, "VM_EXIT_MSR_LOAD_COUNT", 1); set(c, "VM_EXIT_MSR_LOAD_ADDR", 8); },
  // 27.2.1.3
  "ctl-entry-reserved": (c) => clearBits(c, "VM_ENTRY_CONTROLS", 1n),
  "ctl-event-type": (c) => set(c, "VM_ENTRY_INTR_INFO_FIELD", VALID | (1 << 8)),
  "ctl-event-nmi-vector": (c) => set(c, "VM_ENTRY_INTR_INFO_FIELD", VALID | (2 << 8) | 3),
  "ctl-event-exception-vector": (c) => set(c, "VM_ENTRY_INTR_INFO_FIELD", VALID | (3 << 8) | 32),
  "ctl-event-other-vector": (c) => set(c, "VM_ENTRY_INTR_INFO_FIELD", VALID | (7 << 8) | 1),
  "ctl-event-deliver-error-code": (c) => { set(c, "VM_ENTRY_INTR_INFO_FIELD", VALID | (4 << 8) | 0x800 | 0x80); set(c, "VM_ENTRY_INSTRUCTION_LEN", 2); },
  "ctl-event-reserved": (c) => set(c, "VM_ENTRY_INTR_INFO_FIELD", VALID | (3 << 8) | 6 | (1 << 12)),
  "ctl-event-error-code": (c) => { set(c, "VM_ENTRY_INTR_INFO_FIELD", VALID | (3 << 8) | 0x800 | 13); set(c, "VM_ENTRY_EXCEPTION_ERROR_CODE", 0x1_0000); },
  "ctl-event-instruction-length": (c) => { set(c, "VM_ENTRY_INTR_INFO_FIELD", VALID | (4 << 8) | 0x80); set(c, "VM_ENTRY_INSTRUCTION_LEN", 16); },
  "ctl-entry-msr-load": (c) => { set(c, "VM_ENTRY_MSR_LOAD_COUNT", 1); set(c, "VM_ENTRY_MSR_LOAD_ADDR", 8); },
  "ctl-entry-smm": (c) => on(c, "entry", "entry-to-smm"),
  // 27.2.2 – 27.2.4
  "host-cr0-fixed": (c) => clearBits(c, "HOST_CR0", 0x20n),
  "host-cr4-fixed": (c) => clearBits(c, "HOST_CR4", 0x2000n),
  "host-cr3-width": (c) => set(c, "HOST_CR3", 1n << 47n),
  "host-sysenter-canonical": (c) => set(c, "HOST_IA32_SYSENTER_EIP", 1n << 47n),
  "host-pat": (c) => { on(c, "exit", "load-ia32-pat"); set(c, "HOST_IA32_PAT", 2); },
  "host-efer": (c) => { on(c, "exit", "load-ia32-efer"); set(c, "HOST_IA32_EFER", 0x508); },
  "host-selector-rpl-ti": (c) => set(c, "HOST_DS_SELECTOR", 0x13),
  "host-cs-tr-nonnull": (c) => set(c, "HOST_TR_SELECTOR", 0),
  "host-ss-nonnull": (c) => { c.hostLma = false; off(c, "exit", "host-address-space-size"); legacyGuest(c); set(c, "HOST_SS_SELECTOR", 0); },
  "host-base-canonical": (c) => set(c, "HOST_FS_BASE", 1n << 47n),
  "host-outside-ia32e": (c) => { c.hostLma = false; },
  "host-in-ia32e": (c) => { off(c, "exit", "host-address-space-size"); legacyGuest(c); },
  "host-32bit": (c) => { c.hostLma = false; off(c, "exit", "host-address-space-size"); legacyGuest(c); set(c, "HOST_RIP", 1n << 32n); },
  "host-64bit": (c) => set(c, "HOST_RIP", 1n << 47n),
  // 27.3.1.1
  "guest-cr0-fixed": (c) => clearBits(c, "GUEST_CR0", 0x20n),
  "guest-cr0-pg-pe": (c) => {
    on(c, "secondary", "enable-ept", "unrestricted-guest"); set(c, "EPT_POINTER", EPTP); clearBits(c, "GUEST_CR0", 1n);
  },
  "guest-cr4-fixed": (c) => clearBits(c, "GUEST_CR4", 0x2000n),
  "guest-debugctl": (c) => { on(c, "entry", "load-debug-controls"); set(c, "GUEST_IA32_DEBUGCTL", 4); },
  "guest-ia32e-paging": (c) => clearBits(c, "GUEST_CR4", 0x20n),
  "guest-pcide": (c) => { legacyGuest(c); orBits(c, "GUEST_CR4", 1n << 17n); },
  "guest-cr3-width": (c) => set(c, "GUEST_CR3", 1n << 46n),
  "guest-dr7": (c) => { on(c, "entry", "load-debug-controls"); set(c, "GUEST_DR7", 1n << 32n); },
  "guest-sysenter-canonical": (c) => set(c, "GUEST_SYSENTER_ESP", 1n << 47n),
  "guest-pat": (c) => { on(c, "entry", "load-ia32-pat"); set(c, "GUEST_IA32_PAT", 8); },
  "guest-efer": (c) => { on(c, "entry", "load-ia32-efer"); set(c, "GUEST_IA32_EFER", 0x100); },
  // 27.3.1.2
  "guest-tr-ti": (c) => set(c, "GUEST_TR_SELECTOR", 4),
  "guest-ldtr-ti": (c) => { ldtrUsable(c); set(c, "GUEST_LDTR_SELECTOR", 4); },
  "guest-ss-rpl": (c) => { set(c, "GUEST_SS_SELECTOR", 0x13); set(c, seg("SS"), 0xc0f3); set(c, seg("CS"), 0xa09f); },
  ...Object.fromEntries(["CS", "SS", "DS", "ES", "FS", "GS"].map((s) => [
    `guest-${s.toLowerCase()}-v86`, (c: Case) => { v86Guest(c); set(c, `GUEST_${s}_LIMIT`, 0xfffe); },
  ])),
  "guest-tr-base": (c) => set(c, "GUEST_TR_BASE", 1n << 47n),
  "guest-fs-base": (c) => set(c, "GUEST_FS_BASE", 1n << 47n),
  "guest-gs-base": (c) => set(c, "GUEST_GS_BASE", 1n << 47n),
  "guest-ldtr-base": (c) => { ldtrUsable(c); set(c, "GUEST_LDTR_BASE", 1n << 47n); },
  "guest-cs-base": (c) => set(c, "GUEST_CS_BASE", 1n << 32n),
  "guest-ss-base": (c) => set(c, "GUEST_SS_BASE", 1n << 32n),
  "guest-ds-base": (c) => set(c, "GUEST_DS_BASE", 1n << 32n),
  "guest-es-base": (c) => set(c, "GUEST_ES_BASE", 1n << 32n),
  "guest-cs-type": (c) => set(c, seg("CS"), 0xa093),
  "guest-ss-type": (c) => set(c, seg("SS"), 0xc09b),
  ...Object.fromEntries(DATA_SEGS.map((s) => [`guest-${s.toLowerCase()}-type`, (c: Case) => set(c, seg(s), 0xc092)])),
  "guest-cs-s": (c) => set(c, seg("CS"), 0xa08b),
  ...Object.fromEntries(["SS", ...DATA_SEGS].map((s) => [`guest-${s.toLowerCase()}-s`, (c: Case) => set(c, seg(s), 0xc083)])),
  "guest-cs-dpl": (c) => set(c, seg("CS"), 0xa0fb),
  "guest-ss-dpl": (c) => { set(c, seg("SS"), 0xc0f3); set(c, seg("CS"), 0xa09f); },
  ...Object.fromEntries(DATA_SEGS.map((s) => [`guest-${s.toLowerCase()}-dpl`, (c: Case) => set(c, `GUEST_${s}_SELECTOR`, 0x13)])),
  ...Object.fromEntries(["CS", "SS", ...DATA_SEGS].flatMap((s) => [
    [`guest-${s.toLowerCase()}-present`, (c: Case) => clearBits(c, seg(s), 0x80n)],
    [`guest-${s.toLowerCase()}-ar-reserved`, (c: Case) => orBits(c, seg(s), 0x100n)],
    [`guest-${s.toLowerCase()}-granularity`, (c: Case) => clearBits(c, seg(s), 0x8000n)],
  ])),
  "guest-cs-l-db": (c) => set(c, seg("CS"), 0xe09b),
  "guest-tr-type": (c) => set(c, seg("TR"), 0x89),
  "guest-tr-system": (c) => set(c, seg("TR"), 0x0b),
  "guest-ldtr-type": (c) => { ldtrUsable(c); set(c, seg("LDTR"), 0x83); },
  // 27.3.1.3 – 27.3.1.4
  "guest-gdtr-idtr-base": (c) => set(c, "GUEST_GDTR_BASE", 1n << 47n),
  "guest-gdtr-idtr-limit": (c) => set(c, "GUEST_IDTR_LIMIT", 0x1_0000),
  "guest-rip": (c) => set(c, "GUEST_RIP", 1n << 47n),
  "guest-rflags-reserved": (c) => set(c, "GUEST_RFLAGS", 0),
  "guest-rflags-vm": (c) => { v86Segments(c); set(c, "GUEST_RFLAGS", 0x2_0002); },
  "guest-rflags-if": (c) => set(c, "VM_ENTRY_INTR_INFO_FIELD", VALID | 0x20),
  // 27.3.1.5
  "guest-activity-state": (c) => set(c, "GUEST_ACTIVITY_STATE", 4),
  "guest-activity-hlt-dpl": (c) => {
    set(c, "GUEST_ACTIVITY_STATE", 1);
    set(c, "GUEST_SS_SELECTOR", 0x13); set(c, seg("SS"), 0xc0f3);
    set(c, "GUEST_CS_SELECTOR", 0x0b); set(c, seg("CS"), 0xa0fb);
  },
  "guest-activity-blocking": (c) => { set(c, "GUEST_ACTIVITY_STATE", 1); set(c, "GUEST_INTERRUPTIBILITY_INFO", 2); },
  "guest-activity-injection": (c) => { set(c, "GUEST_ACTIVITY_STATE", 3); set(c, "VM_ENTRY_INTR_INFO_FIELD", VALID | (3 << 8) | 6); },
  "guest-interruptibility-reserved": (c) => set(c, "GUEST_INTERRUPTIBILITY_INFO", 0x20),
  "guest-interruptibility-sti-movss": (c) => { set(c, "GUEST_INTERRUPTIBILITY_INFO", 3); set(c, "GUEST_RFLAGS", 0x202); },
  "guest-interruptibility-sti-if": (c) => set(c, "GUEST_INTERRUPTIBILITY_INFO", 1),
  "guest-interruptibility-injection": (c) => {
    set(c, "GUEST_INTERRUPTIBILITY_INFO", 1); set(c, "GUEST_RFLAGS", 0x202); set(c, "VM_ENTRY_INTR_INFO_FIELD", VALID | 0x20);
  },
  "guest-interruptibility-smi": (c) => set(c, "GUEST_INTERRUPTIBILITY_INFO", 4),
  "guest-interruptibility-virtual-nmi": (c) => {
    on(c, "pin", "nmi-exiting", "virtual-nmis"); set(c, "GUEST_INTERRUPTIBILITY_INFO", 8); set(c, "VM_ENTRY_INTR_INFO_FIELD", VALID | (2 << 8) | 2);
  },
  "guest-interruptibility-nmi-sti": (c) => {
    set(c, "GUEST_INTERRUPTIBILITY_INFO", 1); set(c, "GUEST_RFLAGS", 0x202); set(c, "VM_ENTRY_INTR_INFO_FIELD", VALID | (2 << 8) | 2);
  },
  "guest-pending-debug-reserved": (c) => set(c, "GUEST_PENDING_DBG_EXCEPTIONS", 0x10),
  "guest-pending-debug-bs": (c) => { set(c, "GUEST_ACTIVITY_STATE", 1); set(c, "GUEST_PENDING_DBG_EXCEPTIONS", 0x4000); },
  "guest-vmcs-link-pointer": (c) => set(c, "VMCS_LINK_POINTER", 0),
  // 27.3.1.6
  "guest-pdptes": (c) => { legacyGuest(c); c.r.cpu.mem.write(0x5_0000, 8, 3n); },
};

function failing(c: Case): string[] {
  const env = new CheckEnv(c.r.vmcs, CAPS, c.hostLma, (pa) => c.r.cpu.mem.read(pa, 8));
  return ENTRY_CHECKS.filter((k) => !k.test(env)).map((k) => k.id);
}

const shared = rig();
function fresh(): Case {
  shared.restore();
  shared.cpu.mem.write(0x5_0000, 8, 0n);
  return { r: shared, hostLma: true };
}

describe("VM-entry checks (SDM Vol. 3C 27.2, 27.3.1)", () => {
  it("the rig's VMCS passes every check", () => {
    expect(failing(fresh())).toEqual([]);
  });

  it("every check has a spec that violates it alone", () => {
    expect(ENTRY_CHECKS.map((c) => c.id).filter((id) => !MUTATIONS[id])).toEqual([]);
    expect(new Set(ENTRY_CHECKS.map((c) => c.id)).size).toBe(ENTRY_CHECKS.length);
  });

  it.each(ENTRY_CHECKS.map((c) => [c.id, c.phase, c.sdm] as const))("%s (%s, %s) fails alone", (id) => {
    const c = fresh();
    MUTATIONS[id]!(c);
    expect(failing(c)).toEqual([id]);
  });

  it("every check cites its SDM section and explains itself", () => {
    for (const c of ENTRY_CHECKS) {
      expect(c.sdm).toMatch(/^SDM Vol\. 3C 27\.[23]\.\d/);
      expect(c.explain.length).toBeGreaterThan(20);
      expect(c.fields.length).toBeGreaterThan(0);
    }
  });
});
