/**
 * Per-logical-processor VMX state that software cannot read directly:
 * whether the processor is in VMX operation, the VMXON pointer, the
 * current-VMCS pointer, and the VMCSs the processor holds in its cache
 * (every active VMCS, SDM Vol. 3C 25.11.1 Figure 25-1), plus
 * IA32_FEATURE_CONTROL.
 */
import type { VmxCapabilities } from "../vmcs/capabilities";
import { getProfile } from "../vmcs/profiles";
import type { Vmcs } from "../vmcs/vmcs";

/** The current-VMCS pointer value meaning "no current VMCS" (SDM 25.11.1). */
export const INVALID_VMCS_POINTER = 0xffff_ffff_ffff_ffffn;

/**
 * What VM entry returns to VMLAUNCH/VMRESUME (SDM Vol. 3C 27):
 * - nothing, `{ kind: "ok" }` or `{ kind: "entry-failure-exit" }`: the
 *   processor is in non-root operation, or guest-state/MSR loading failed and
 *   a VM exit with bit 31 of the exit reason set was taken (SDM 27.8); RIP is
 *   the engine's either way. The engine sets the launch state to "launched"
 *   when a VMLAUNCH entry succeeds.
 * - `{ kind: "failValid", error }`: the control or host-state checks failed
 *   (errors 7, 8) before anything was loaded; the instruction falls through.
 */
export type EntryOutcome = void | { kind: "ok" } | { kind: "entry-failure-exit" } | { kind: "failValid"; error: number };

export type EnterHook = (vmcs: Vmcs, launch: boolean) => EntryOutcome;

export class VmxState {
  caps: VmxCapabilities;
  /** In VMX operation (after VMXON, until VMXOFF). */
  inVmxOperation = false;
  /** In VMX non-root operation: set and cleared by the engine on VM entry / VM exit. */
  nonRoot = false;
  /** Physical address of the VMXON region, or -1 outside VMX operation. */
  vmxonPointer = -1;
  /** The current VMCS (VMPTRLD), or null: the current-VMCS pointer is FFFFFFFF_FFFFFFFFH. */
  current: Vmcs | null = null;
  /** Active VMCSs held by the processor, keyed by region address (VMPTRLD adds, VMCLEAR removes). */
  readonly cache = new Map<number, Vmcs>();
  /**
   * Regions that were active and launched when VMXOFF ran without VMCLEAR:
   * their data never reached memory. VMRESUME of such a VMCS after a new
   * VMXON and VMPTRLD fails with error 6 (SDM 31.4 Table 31-1).
   */
  readonly lostAtVmxoff = new Set<number>();
  /** IA32_FEATURE_CONTROL (MSR 3AH): lock (bit 0), VMX inside SMX (1), VMX outside SMX (2). */
  featureControl: bigint;
  /** Dual-monitor treatment of SMIs and SMM is never active in vmxlab (no SMM). */
  readonly dualMonitor = false;
  /** Set by the engine: performs VM entry after the instruction-level checks of VMLAUNCH/VMRESUME. */
  onEnter: EnterHook | null = null;

  constructor(caps: VmxCapabilities = getProfile("default")) {
    this.caps = caps;
    this.featureControl = caps.spec.featureControl;
  }

  /** The current-VMCS pointer as VMPTRST stores it. */
  get currentPointer(): bigint {
    return this.current ? BigInt(this.current.address) : INVALID_VMCS_POINTER;
  }

  /** Leaves VMX operation state (VMXOFF, or a reset). */
  reset(): void {
    this.inVmxOperation = false;
    this.nonRoot = false;
    this.vmxonPointer = -1;
    this.current = null;
    this.cache.clear();
  }
}
