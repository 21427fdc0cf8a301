/**
 * The exit-handler test harness (published as `vmxlab/testing`): a fake vCPU
 * and jest matchers. Importing this module registers the matchers when jest's
 * global `expect` exists.
 */
import { installMatchers } from "./matchers";

export { fakeVcpu, FakeVcpu } from "./fake-vcpu";
export type { FakeEvent, FakeExit, FakeVcpuOptions, FakeVcpuRecord } from "./fake-vcpu";
export { installMatchers, vmxlabMatchers } from "./matchers";
export { Dispatcher, policyHandler, type Handler, type HandlerPolicy } from "../exits/dispatcher";
export { DEFAULT_HANDLERS, completeIoIn, completeMmioRead, HYPERCALLS } from "../exits/handlers";
export type { Vcpu, HandlerOutcome, UserspaceExit, VmServices, RegisterName, InjectEvent } from "../exits/vcpu";
export { EXIT_REASON_NUMBERS, lookupExitReason, type ExitReason } from "../exits/reasons";
export { Qualification, encodeQualification, type QualificationInput } from "../exits/qualification";

if (typeof (globalThis as { expect?: { extend?: unknown } }).expect?.extend === "function") installMatchers();
