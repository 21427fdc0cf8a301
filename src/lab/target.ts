/**
 * What a stepping session needs from a machine. The VMM's Vm implements it
 * for scenarios; specs use small fakes. Values cross this boundary as bigint
 * (DESIGN.md: BigInt only at API boundaries).
 */

/** Something that happened while stepping: a VM exit, a VM entry, a userspace exit, an exception delivered, the end of the run. */
export interface LabEvent {
  kind: "exit" | "handled" | "entry" | "userspace" | "fault" | "stop";
  /** Exit reason name (SDM spelling) for exits, stop reason for "stop". */
  reason?: string;
  /** One readable line (`#3 CR_ACCESS  mov cr3, rax  (CR3 write)  rip 0x10012`). */
  text: string;
}

export interface LabTarget {
  /** Executes one instruction (guest code in non-root operation, or root-mode code) and reports what happened. */
  step(): LabEvent[];
  /** Why the machine cannot go on (hlt with nothing to wake it, shutdown, limits), or null while it can. */
  finished(): string | null;
  /** General-purpose registers, rip, rflags and control registers by lower-case name. */
  regs(): Record<string, bigint>;
  /** The current VMCS by Linux field name, or null outside VMX operation. */
  vmcs(): Record<string, bigint> | null;
  /** VMCS field groups for `vmcs <group>` (e.g. guest, host, control, exit-info) → field names. */
  vmcsGroups(): Record<string, string[]>;
  /** Bytes of guest-physical memory. */
  readMemory(gpa: bigint, len: number): Uint8Array;
  /** Disassembly lines starting at a guest-linear address. */
  disasm(gla: bigint, count: number): string[];
  /** The 2-D walk of a guest-linear address, one line per table entry read. */
  walk(gla: bigint): string[];
  /** The TLB's cached translations with their tags. */
  tlb(): string[];
  /** The last VM exit explained: reason, decoded qualification, SDM section. */
  explainExit(): string[];
  /** Exact machine state (CPU, VMCS, memory, devices), cheap to take (copy-on-write). */
  save(): unknown;
  restore(snapshot: unknown): void;
}
