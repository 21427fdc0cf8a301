/**
 * Named CPU capability profiles: which VMX features a simulated processor
 * reports in its IA32_VMX_* MSRs. `default` is a recent Intel core as far as
 * vmxlab models it; the others take features away for labs that show what
 * software must do without them.
 */
import { inputError } from "../common/errors";
import { DEFAULT_EPT_CAPS, eptCapsToMsr } from "../ept/eptp";
import { MISC, type ProfileSpec, VmxCapabilities } from "./capabilities";

/** CR0 bits VMX operation requires (PE, NE, PG) and CR4.VMXE (SDM Vol. 3D A.7, A.8). */
const CR0_FIXED0 = 0x8000_0021n;
const CR0_FIXED1 = 0xffff_ffffn;
const CR4_FIXED0 = 0x2000n;
/** CR4 bits the simulated core supports: VME..OSXMMEXCPT, VMXE, FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP. */
const CR4_FIXED1 = 0x0037_27ffn;

const DEFAULT: ProfileSpec = {
  name: "default",
  description: "recent Intel core: EPT (A/D, 4-level), VPID, unrestricted guest, preemption timer, TRUE controls",
  vmx: true,
  revisionId: 4,
  trueControls: true,
  trueClearable: {
    primary: ["cr3-load-exiting", "cr3-store-exiting"],
    exit: ["save-debug-controls"],
    entry: ["load-debug-controls"],
  },
  allowed1: {
    pin: ["external-interrupt-exiting", "nmi-exiting", "virtual-nmis", "activate-vmx-preemption-timer"],
    primary: [
      "interrupt-window-exiting", "use-tsc-offsetting", "hlt-exiting", "invlpg-exiting", "mwait-exiting",
      "rdpmc-exiting", "rdtsc-exiting", "cr3-load-exiting", "cr3-store-exiting", "cr8-load-exiting",
      "cr8-store-exiting", "use-tpr-shadow", "nmi-window-exiting", "mov-dr-exiting", "unconditional-io-exiting",
      "use-io-bitmaps", "monitor-trap-flag", "use-msr-bitmaps", "monitor-exiting", "pause-exiting",
      "activate-secondary-controls",
    ],
    secondary: [
      "enable-ept", "descriptor-table-exiting", "enable-rdtscp", "enable-vpid", "wbinvd-exiting",
      "unrestricted-guest", "pause-loop-exiting", "rdrand-exiting", "enable-invpcid", "enable-vm-functions",
      "rdseed-exiting", "enable-xsaves-xrstors", "mode-based-execute-control", "use-tsc-scaling",
    ],
    exit: [
      "save-debug-controls", "host-address-space-size", "load-ia32-perf-global-ctrl", "ack-interrupt-on-exit",
      "save-ia32-pat", "load-ia32-pat", "save-ia32-efer", "load-ia32-efer", "save-vmx-preemption-timer-value",
    ],
    entry: [
      "load-debug-controls", "ia32e-mode-guest", "entry-to-smm", "deactivate-dual-monitor-treatment",
      "load-ia32-perf-global-ctrl", "load-ia32-pat", "load-ia32-efer",
    ],
  },
  // Preemption timer: TSC >> 5; EFER.LMA stored on exit; HLT, shutdown, wait-for-SIPI; 4 CR3 targets;
  // MSR lists of up to 512 entries; VMWRITE to any field; zero-length software injection.
  misc: 5n | MISC.STORE_LMA | MISC.ACTIVITY_HLT | MISC.ACTIVITY_SHUTDOWN | MISC.ACTIVITY_WAIT_SIPI | (4n << 16n) | MISC.VMWRITE_ANY | MISC.ZERO_LEN_INJECT,
  cr0Fixed0: CR0_FIXED0,
  cr0Fixed1: CR0_FIXED1,
  cr4Fixed0: CR4_FIXED0,
  cr4Fixed1: CR4_FIXED1,
  maxFieldIndex: 0x29,
  eptVpidCap: eptCapsToMsr(DEFAULT_EPT_CAPS),
  vmfunc: 1n, // EPTP switching
  physAddrWidth: 46,
  featureControl: 0x5n, // locked, VMX outside SMX enabled (as firmware leaves it)
};

const NO_UNRESTRICTED: ProfileSpec = {
  ...DEFAULT,
  name: "no-unrestricted-guest",
  description: "the default core without unrestricted guest: guests must run with CR0.PE=PG=1",
  allowed1: {
    ...DEFAULT.allowed1,
    secondary: DEFAULT.allowed1.secondary!.filter((n) => n !== "unrestricted-guest"),
  },
};

const MINIMAL: ProfileSpec = {
  name: "minimal",
  description: "first-generation VT-x: no secondary controls (no EPT, VPID, unrestricted guest), no TRUE controls, read-only exit fields",
  vmx: true,
  revisionId: 0xd,
  trueControls: false,
  trueClearable: {},
  allowed1: {
    pin: ["external-interrupt-exiting", "nmi-exiting"],
    primary: [
      "use-tsc-offsetting", "hlt-exiting", "invlpg-exiting", "mwait-exiting", "rdpmc-exiting", "rdtsc-exiting",
      "cr3-load-exiting", "cr3-store-exiting", "cr8-load-exiting", "cr8-store-exiting", "use-tpr-shadow",
      "mov-dr-exiting", "unconditional-io-exiting", "use-io-bitmaps", "use-msr-bitmaps", "monitor-exiting",
      "pause-exiting", "interrupt-window-exiting",
    ],
    exit: ["host-address-space-size", "ack-interrupt-on-exit"],
    entry: ["ia32e-mode-guest"],
  },
  misc: MISC.ACTIVITY_HLT | (4n << 16n),
  cr0Fixed0: CR0_FIXED0,
  cr0Fixed1: CR0_FIXED1,
  cr4Fixed0: CR4_FIXED0,
  cr4Fixed1: 0x27ffn,
  maxFieldIndex: 0x16,
  eptVpidCap: 0n,
  vmfunc: 0n,
  physAddrWidth: 36,
  featureControl: 0x5n,
};

const NO_VMX: ProfileSpec = {
  ...MINIMAL,
  name: "no-vmx",
  description: "a processor without VMX: CPUID.1:ECX.VMX=0, VMXON is #UD",
  vmx: false,
  featureControl: 0x1n,
};

export const PROFILE_SPECS: Readonly<Record<string, ProfileSpec>> = {
  default: DEFAULT,
  "no-unrestricted-guest": NO_UNRESTRICTED,
  minimal: MINIMAL,
  "no-vmx": NO_VMX,
};

export const PROFILE_NAMES = Object.keys(PROFILE_SPECS);

const cache = new Map<string, VmxCapabilities>();

/** The capabilities of a named profile (shared, immutable). Unknown name → input error listing the known ones. */
export function getProfile(name = "default"): VmxCapabilities {
  let c = cache.get(name);
  if (c) return c;
  const spec = PROFILE_SPECS[name];
  if (!spec) throw inputError(`unknown CPU profile '${name}' (known: ${PROFILE_NAMES.join(", ")})`);
  c = new VmxCapabilities(spec);
  cache.set(name, c);
  return c;
}
