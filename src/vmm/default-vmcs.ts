/**
 * The VMCS a VM starts with, as KVM sets one up (arch/x86/kvm/vmx/vmx.c
 * `init_vmcs`, `setup_*_controls`): controls the profile allows, host state
 * of the root-mode environment (layout.ts), guest state for the guest's
 * mode, bitmaps in host memory. Everything here is a list of VMWRITEs, so the
 * VMM performs it through the VMX instruction semantics like KVM does.
 * User options override: control lists per word, exception bitmap, raw fields.
 */
import { inputError } from "../common/errors";
import { VECTOR_NAMES } from "../guest-cpu/exceptions";
import { CR4 } from "../guest-cpu/registers";
import type { VmxCapabilities } from "../vmcs/capabilities";
import { CONTROL_WORDS, controlBit, controlMask, type ControlWord } from "../vmcs/controls";
import { fieldByName } from "../vmcs/fields";
import { HOST_SEL, type GuestInitialState, type GuestMode, type HostLayout } from "./layout";

/** Controls by word, by name. A word given replaces the default list for that word. */
export type ControlLists = Partial<Record<ControlWord, readonly string[]>>;

/** KVM-like defaults; only the bits the profile allows are kept. */
export const DEFAULT_CONTROLS: Required<Pick<ControlLists, "pin" | "primary" | "secondary" | "exit" | "entry">> = {
  pin: ["external-interrupt-exiting", "nmi-exiting", "virtual-nmis"],
  primary: [
    "hlt-exiting", "mwait-exiting", "monitor-exiting", "rdpmc-exiting", "mov-dr-exiting",
    "unconditional-io-exiting", "use-msr-bitmaps", "activate-secondary-controls",
  ],
  secondary: ["enable-ept", "enable-vpid", "unrestricted-guest", "enable-rdtscp", "enable-invpcid", "wbinvd-exiting", "enable-xsaves-xrstors"],
  exit: ["host-address-space-size", "ack-interrupt-on-exit", "save-ia32-pat", "load-ia32-pat", "save-ia32-efer", "load-ia32-efer"],
  entry: ["load-ia32-pat", "load-ia32-efer"],
};

export const PAT_DEFAULT = 0x0007_0406_0007_0406n;

export interface VmcsPlanInput {
  caps: VmxCapabilities;
  mode: GuestMode;
  layout: HostLayout;
  guest: GuestInitialState;
  controls?: ControlLists;
  /** Exception bitmap by vector name ("UD", "#PF") or number; default: #MC only (KVM with EPT). */
  exceptionBitmap?: readonly (string | number)[];
  /** I/O ports that exit (turns on use-io-bitmaps instead of unconditional I/O exiting). */
  ioIntercepts?: readonly (number | readonly [number, number])[];
  /** EPTP when EPT is on. */
  eptp?: bigint;
  vpid?: number;
  /** Raw VMCS writes applied last. */
  fields?: Readonly<Record<string, bigint | number>>;
  /** Where the options came from, for error messages. */
  where?: string;
}

export interface VmcsPlan {
  writes: [string, bigint][];
  /** The control words as written. */
  words: Record<"pin" | "primary" | "secondary" | "exit" | "entry", bigint>;
  /** Controls named by the user that the profile cannot set (reported, not written). */
  dropped: string[];
  ept: boolean;
}

export function vectorOf(v: string | number, where = "exception-bitmap"): number {
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 0 || v > 31) throw inputError(`${where}: vector ${v} is not an exception vector (0–31)`);
    return v;
  }
  const name = v.replace(/^#/, "").toUpperCase();
  for (const [n, nm] of Object.entries(VECTOR_NAMES)) if (nm === name) return Number(n);
  if (/^\d+$/.test(name)) return vectorOf(Number(name), where);
  throw inputError(`${where}: unknown exception '${v}' (expected DE, DB, NMI, BP, OF, BR, UD, NM, DF, TS, NP, SS, GP, PF, MF, AC, MC, XM, VE, CP or 0–31)`);
}

/** Checks control names against the tables; unknown names are input errors. */
function validate(word: ControlWord, names: readonly string[], where: string): void {
  for (const n of names) {
    if (controlBit(word, n) === undefined) {
      const known = Object.keys(CONTROL_WORDS[word].bitsByName).join(", ");
      throw inputError(`${where}: '${n}' is not a ${word} control (known: ${known})`);
    }
  }
}

export function planVmcs(p: VmcsPlanInput): VmcsPlan {
  const where = p.where ?? "vmcs";
  const caps = p.caps;
  const user = p.controls ?? {};
  const dropped: string[] = [];
  const word = (w: "pin" | "primary" | "secondary" | "exit" | "entry"): string[] => {
    const given = user[w];
    if (given) {
      validate(w, given, `${where}.${w}`);
      return [...given];
    }
    // Defaults: keep what the profile supports.
    return DEFAULT_CONTROLS[w].filter((n) => caps.allows(w, n));
  };
  const pin = word("pin");
  const primary = word("primary");
  let secondary = word("secondary");
  const exit = word("exit");
  const entry = word("entry");

  // Derived bits: the guest's mode decides ia32e-mode-guest (SDM 27.3.1.1: it must match EFER.LMA when loaded),
  // the host is 64-bit, I/O intercepts use the bitmaps.
  if (p.mode === "long64" && !entry.includes("ia32e-mode-guest")) entry.push("ia32e-mode-guest");
  if (p.mode !== "long64" && !user.entry) remove(entry, "ia32e-mode-guest");
  if (!exit.includes("host-address-space-size")) exit.push("host-address-space-size");
  if (p.ioIntercepts && !user.primary) {
    remove(primary, "unconditional-io-exiting");
    primary.push("use-io-bitmaps");
  }
  // Real-mode guests need unrestricted guest, which needs EPT (SDM 27.2.1.1).
  if (p.mode === "real16" && !user.secondary) {
    for (const n of ["unrestricted-guest", "enable-ept"]) if (!secondary.includes(n)) secondary.push(n);
  }
  if (!user.secondary && p.mode !== "real16" && !caps.allows("secondary", "unrestricted-guest")) remove(secondary, "unrestricted-guest");
  if (secondary.length > 0 && !primary.includes("activate-secondary-controls") && !user.primary) primary.push("activate-secondary-controls");
  if (!primary.includes("activate-secondary-controls")) secondary = [];

  // Only user-given names the profile cannot set are reported; the entry checks will refuse them if written.
  for (const [w, list] of [["pin", pin], ["primary", primary], ["secondary", secondary], ["exit", exit], ["entry", entry]] as const) {
    for (const n of list) if (!caps.allows(w, n)) dropped.push(`${w}.${n}`);
  }
  const words = {
    pin: caps.withRequired("pin", controlMask("pin", pin)),
    primary: caps.withRequired("primary", controlMask("primary", primary)),
    secondary: controlMask("secondary", secondary),
    exit: caps.withRequired("exit", controlMask("exit", exit)),
    entry: caps.withRequired("entry", controlMask("entry", entry)),
  };
  const has = (w: keyof typeof words, n: string) => (words[w] & controlMask(w as ControlWord, [n])) !== 0n;
  const ept = has("secondary", "enable-ept") && has("primary", "activate-secondary-controls");

  const L = p.layout;
  const g = p.guest;
  const w: [string, bigint][] = [];
  const put = (name: string, v: bigint | number) => w.push([name, BigInt.asUintN(64, BigInt(v))]);

  // ---- controls
  put("PIN_BASED_VM_EXEC_CONTROL", words.pin);
  put("CPU_BASED_VM_EXEC_CONTROL", words.primary);
  if (has("primary", "activate-secondary-controls")) put("SECONDARY_VM_EXEC_CONTROL", words.secondary);
  put("VM_EXIT_CONTROLS", words.exit);
  put("VM_ENTRY_CONTROLS", words.entry);
  const excBits = (p.exceptionBitmap ?? ["MC"]).reduce<number>((m, v) => m | (1 << vectorOf(v, `${where}.exception-bitmap`)), 0);
  put("EXCEPTION_BITMAP", excBits >>> 0);
  put("PAGE_FAULT_ERROR_CODE_MASK", 0);
  put("PAGE_FAULT_ERROR_CODE_MATCH", 0);
  put("CR3_TARGET_COUNT", 0);
  put("IO_BITMAP_A", L.ioBitmapA);
  put("IO_BITMAP_B", L.ioBitmapB);
  put("MSR_BITMAP", L.msrBitmap);
  put("VMCS_LINK_POINTER", 0xffff_ffff_ffff_ffffn);
  put("TSC_OFFSET", 0);
  put("VM_EXIT_MSR_STORE_COUNT", 0);
  put("VM_EXIT_MSR_LOAD_COUNT", 0);
  put("VM_ENTRY_MSR_LOAD_COUNT", 0);
  put("VM_ENTRY_INTR_INFO_FIELD", 0);
  // CR4.VMXE must be 1 in VMX operation (IA32_VMX_CR4_FIXED0) but is the host's business: owned by the host, shadowed as 0.
  put("CR0_GUEST_HOST_MASK", 0);
  put("CR0_READ_SHADOW", g.cr0);
  put("CR4_GUEST_HOST_MASK", CR4.VMXE);
  put("CR4_READ_SHADOW", g.cr4);
  if (ept && p.eptp !== undefined) put("EPT_POINTER", p.eptp);
  if (has("secondary", "enable-vpid")) put("VIRTUAL_PROCESSOR_ID", p.vpid ?? 1);

  // ---- host state (SDM 25.5): the root-mode environment of layout.ts
  const hostCr0 = 0x8000_0031n | caps.cr0Fixed0; // PG, NE, ET, PE
  put("HOST_CR0", hostCr0);
  put("HOST_CR3", L.pml4);
  put("HOST_CR4", BigInt(CR4.PAE | CR4.VMXE) | caps.cr4Fixed0);
  put("HOST_CS_SELECTOR", HOST_SEL.CS);
  for (const s of ["HOST_SS_SELECTOR", "HOST_DS_SELECTOR", "HOST_ES_SELECTOR", "HOST_FS_SELECTOR", "HOST_GS_SELECTOR"]) put(s, HOST_SEL.DS);
  put("HOST_TR_SELECTOR", HOST_SEL.TR);
  put("HOST_FS_BASE", 0);
  put("HOST_GS_BASE", 0);
  put("HOST_TR_BASE", L.tss);
  put("HOST_GDTR_BASE", L.gdt);
  put("HOST_IDTR_BASE", 0);
  put("HOST_IA32_SYSENTER_CS", 0);
  put("HOST_IA32_SYSENTER_ESP", 0);
  put("HOST_IA32_SYSENTER_EIP", 0);
  put("HOST_IA32_EFER", 0x500);
  put("HOST_IA32_PAT", PAT_DEFAULT);
  put("HOST_RSP", L.stackTop);
  put("HOST_RIP", L.hostRip);

  // ---- guest state (SDM 25.4)
  put("GUEST_CR0", g.cr0);
  put("GUEST_CR3", g.cr3);
  put("GUEST_CR4", BigInt(g.cr4 | CR4.VMXE) | caps.cr4Fixed0);
  put("GUEST_DR7", 0x400);
  put("GUEST_RSP", g.rsp);
  put("GUEST_RIP", g.rip);
  put("GUEST_RFLAGS", g.rflags);
  for (const [name, s] of Object.entries(g.segs)) {
    const N = name.toUpperCase();
    put(`GUEST_${N}_SELECTOR`, s.selector);
    put(`GUEST_${N}_BASE`, s.base);
    put(`GUEST_${N}_LIMIT`, s.limit);
    put(`GUEST_${N}_AR_BYTES`, s.ar);
  }
  put("GUEST_GDTR_BASE", g.gdtr.base);
  put("GUEST_GDTR_LIMIT", g.gdtr.limit);
  put("GUEST_IDTR_BASE", g.idtr.base);
  put("GUEST_IDTR_LIMIT", g.idtr.limit);
  put("GUEST_IA32_DEBUGCTL", 0);
  put("GUEST_IA32_PAT", PAT_DEFAULT);
  put("GUEST_IA32_EFER", g.efer);
  put("GUEST_SYSENTER_CS", 0);
  put("GUEST_SYSENTER_ESP", 0);
  put("GUEST_SYSENTER_EIP", 0);
  put("GUEST_ACTIVITY_STATE", 0);
  put("GUEST_INTERRUPTIBILITY_INFO", 0);
  put("GUEST_PENDING_DBG_EXCEPTIONS", 0);

  for (const [name, v] of Object.entries(p.fields ?? {})) {
    const base = name.endsWith("_HIGH") ? name.slice(0, -5) : name;
    if (!fieldByName(base)) throw inputError(`${where}.fields: unknown VMCS field '${name}' (names as Linux asm/vmx.h, e.g. CR0_GUEST_HOST_MASK)`);
    put(name, v);
  }
  return { writes: w, words, dropped, ept };
}

function remove(list: string[], name: string): void {
  const i = list.indexOf(name);
  if (i >= 0) list.splice(i, 1);
}
