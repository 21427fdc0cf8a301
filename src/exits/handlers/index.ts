/**
 * The default (KVM-like) handler for every basic exit reason. `satisfies
 * Record<ExitReason, Handler>`: a reason added to the table in reasons.ts
 * without a handler here is a compile error.
 */
import type { ExitReason } from "../reasons";
import { handleCpuid } from "./cpuid";
import { handleCrAccess } from "./cr-access";
import { handleGdtrIdtr, handleLdtrTr } from "./descriptor-table";
import { handleDrAccess } from "./dr-access";
import { handleApicAccess, handleEptMisconfig, handleEptViolation } from "./ept";
import {
  handleEntryFailure, handleExceptionNmi, handleExternalInterrupt, handleInterruptWindow, handleMonitorTrapFlag,
  handleNmiWindow, handlePreemptionTimer, handleTripleFault, handleVmxInstruction, injectInvalidOpcode, resumeGuest, unhandled,
} from "./events";
import {
  handleHlt, handleInvlpg, handleRdpmc, handleRdtsc, handleRdtscp, handleXsetbv, skipInstruction,
} from "./instructions";
import { handleInvpcid } from "./invpcid";
import { handleIo } from "./io";
import { handleMsrRead, handleMsrWrite } from "./msr";
import type { Handler } from "./types";
import { handleVmcall } from "./vmcall";

export type { Handler } from "./types";

export const DEFAULT_HANDLERS = {
  EXCEPTION_NMI: handleExceptionNmi,
  EXTERNAL_INTERRUPT: handleExternalInterrupt,
  TRIPLE_FAULT: handleTripleFault,
  INIT_SIGNAL: unhandled,
  SIPI_SIGNAL: unhandled,
  IO_SMI: unhandled,
  OTHER_SMI: unhandled,
  INTERRUPT_WINDOW: handleInterruptWindow,
  NMI_WINDOW: handleNmiWindow,
  TASK_SWITCH: unhandled,
  CPUID: handleCpuid,
  GETSEC: injectInvalidOpcode,
  HLT: handleHlt,
  INVD: skipInstruction,
  INVLPG: handleInvlpg,
  RDPMC: handleRdpmc,
  RDTSC: handleRdtsc,
  RSM: injectInvalidOpcode,
  VMCALL: handleVmcall,
  VMCLEAR: handleVmxInstruction,
  VMLAUNCH: handleVmxInstruction,
  VMPTRLD: handleVmxInstruction,
  VMPTRST: handleVmxInstruction,
  VMREAD: handleVmxInstruction,
  VMRESUME: handleVmxInstruction,
  VMWRITE: handleVmxInstruction,
  VMOFF: handleVmxInstruction,
  VMON: handleVmxInstruction,
  CR_ACCESS: handleCrAccess,
  DR_ACCESS: handleDrAccess,
  IO_INSTRUCTION: handleIo,
  MSR_READ: handleMsrRead,
  MSR_WRITE: handleMsrWrite,
  INVALID_GUEST_STATE: handleEntryFailure,
  MSR_LOAD_FAIL: handleEntryFailure,
  MWAIT_INSTRUCTION: skipInstruction,
  MONITOR_TRAP_FLAG: handleMonitorTrapFlag,
  MONITOR_INSTRUCTION: skipInstruction,
  PAUSE_INSTRUCTION: skipInstruction,
  MCE_DURING_VMENTRY: handleEntryFailure,
  TPR_BELOW_THRESHOLD: resumeGuest,
  APIC_ACCESS: handleApicAccess,
  EOI_INDUCED: resumeGuest,
  GDTR_IDTR: handleGdtrIdtr,
  LDTR_TR: handleLdtrTr,
  EPT_VIOLATION: handleEptViolation,
  EPT_MISCONFIG: handleEptMisconfig,
  INVEPT: handleVmxInstruction,
  RDTSCP: handleRdtscp,
  PREEMPTION_TIMER: handlePreemptionTimer,
  INVVPID: handleVmxInstruction,
  WBINVD: skipInstruction,
  XSETBV: handleXsetbv,
  APIC_WRITE: resumeGuest,
  RDRAND: injectInvalidOpcode,
  INVPCID: handleInvpcid,
  VMFUNC: injectInvalidOpcode,
  ENCLS: injectInvalidOpcode,
  RDSEED: injectInvalidOpcode,
  PML_FULL: resumeGuest,
  XSAVES: unhandled,
  XRSTORS: unhandled,
  PCONFIG: injectInvalidOpcode,
  SPP_EVENT: unhandled,
  UMWAIT: skipInstruction,
  TPAUSE: skipInstruction,
  LOADIWKEY: injectInvalidOpcode,
  ENCLV: injectInvalidOpcode,
  ENQCMD_PASID_FAIL: unhandled,
  ENQCMDS_PASID_FAIL: unhandled,
  BUS_LOCK: resumeGuest,
  NOTIFY: unhandled,
  SEAMCALL: injectInvalidOpcode,
  TDCALL: injectInvalidOpcode,
  RDMSRLIST: injectInvalidOpcode,
  WRMSRLIST: injectInvalidOpcode,
} satisfies Record<ExitReason, Handler>;

export { completeIoIn } from "./io";
export { completeMmioRead } from "./mmio";
export { memoryOperandAddress } from "./operand";
export { HYPERCALLS } from "./vmcall";
