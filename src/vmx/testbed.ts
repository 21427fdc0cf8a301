/**
 * A flat 64-bit test bed: the VMCS of a guest that runs in the same flat
 * long-mode environment as the root-mode code of the bare `exec` machine
 * (identity paging, CS 08H, data 10H), host state = the current root state,
 * and the minimal valid controls of the profile. Every field it writes
 * passes every VM-entry check. Specs and benchmarks start from it.
 */
import type { Cpu } from "../guest-cpu/cpu";
import { CS, DS, ES, FS, GS, SS } from "../guest-cpu/registers";
import type { VmxCapabilities } from "../vmcs/capabilities";
import { controlMask, CONTROL_WORDS, type ControlWord } from "../vmcs/controls";
import type { Vmcs } from "../vmcs/vmcs";

export interface TestBedLayout {
  guestRip: number;
  guestRsp: number;
  hostRip: number;
  hostRsp: number;
  ioBitmapA: number;
  ioBitmapB: number;
  msrBitmap: number;
}

export const TESTBED: TestBedLayout = {
  guestRip: 0x10000, guestRsp: 0x80000, hostRip: 0x20000, hostRsp: 0x90000,
  ioBitmapA: 0x40000, ioBitmapB: 0x41000, msrBitmap: 0x42000,
};

/**
 * Root-mode assembly that enables VMX as an OS does: CR0 = PG|NE|ET|PE and
 * CR4 = VMXE|PAE (the exec machine's values plus NE for IA32_VMX_CR0_FIXED0
 * and VMXE), then RDMSR IA32_VMX_BASIC, leaving the VMCS revision identifier
 * in EAX for the program to store into its VMXON and VMCS regions.
 */
export const ENABLE_VMX_ASM = `
  mov eax, 0x80000031
  mov cr0, rax
  mov eax, 0x2020
  mov cr4, rax
  mov ecx, 0x480
  rdmsr
`;

/** Root operation needs CR0.NE and CR4.VMXE (IA32_VMX_CR0/CR4_FIXED0); the bare machine sets neither. */
export function prepareRoot(cpu: Cpu): void {
  cpu.s.cr0 |= 0x20;
  cpu.s.cr4 |= 0x2000;
}

export function writeFlatVmcs(cpu: Cpu, vmcs: Vmcs, caps: VmxCapabilities, L: TestBedLayout = TESTBED): void {
  const s = cpu.s;
  const set = (name: string, v: bigint | number) => vmcs.write(name, BigInt.asUintN(64, BigInt(v)));
  const word = (w: ControlWord, names: string[]) => set(CONTROL_WORDS[w].field, caps.withRequired(w, controlMask(w, names)));
  word("pin", []);
  word("primary", ["activate-secondary-controls"]);
  word("secondary", []);
  word("exit", ["host-address-space-size"]);
  word("entry", ["ia32e-mode-guest"]);
  set("VMCS_LINK_POINTER", -1);
  set("CR3_TARGET_COUNT", 0);
  set("GUEST_CR0", s.cr0 >>> 0);
  set("GUEST_CR3", s.cr3);
  set("GUEST_CR4", s.cr4);
  set("GUEST_DR7", 0x400);
  set("GUEST_RFLAGS", 2);
  set("GUEST_RIP", L.guestRip);
  set("GUEST_RSP", L.guestRsp);
  const segs: [string, number][] = [["ES", ES], ["CS", CS], ["SS", SS], ["DS", DS], ["FS", FS], ["GS", GS]];
  for (const [n, i] of segs) {
    set(`GUEST_${n}_SELECTOR`, s.segSel[i]!);
    set(`GUEST_${n}_BASE`, 0);
    set(`GUEST_${n}_LIMIT`, 0xffff_ffff);
    set(`GUEST_${n}_AR_BYTES`, s.segAr[i]! | 1);
  }
  set("GUEST_LDTR_AR_BYTES", 0x1_0000);
  set("GUEST_TR_SELECTOR", 0);
  set("GUEST_TR_LIMIT", 0x67);
  set("GUEST_TR_AR_BYTES", 0x8b);
  set("GUEST_GDTR_BASE", s.gdtrBase);
  set("GUEST_GDTR_LIMIT", s.gdtrLimit);
  set("GUEST_IDTR_BASE", 0);
  set("GUEST_IDTR_LIMIT", 0);
  set("GUEST_IA32_PAT", 0x0007_0406_0007_0406n);
  set("GUEST_IA32_EFER", s.efer);
  set("HOST_CR0", s.cr0 >>> 0);
  set("HOST_CR3", s.cr3);
  set("HOST_CR4", s.cr4);
  set("HOST_CS_SELECTOR", 0x08);
  for (const n of ["SS", "DS", "ES", "FS", "GS"]) set(`HOST_${n}_SELECTOR`, 0x10);
  set("HOST_TR_SELECTOR", 0x20);
  set("HOST_GDTR_BASE", s.gdtrBase);
  set("HOST_RIP", L.hostRip);
  set("HOST_RSP", L.hostRsp);
  set("HOST_IA32_PAT", 0x0007_0406_0007_0406n);
  set("HOST_IA32_EFER", s.efer);
  set("IO_BITMAP_A", L.ioBitmapA);
  set("IO_BITMAP_B", L.ioBitmapB);
  set("MSR_BITMAP", L.msrBitmap);
}
