/**
 * vmxlab's programmatic API (`require("vmxlab")`): the VMM, scenarios, lab
 * sessions and the tables. The exit-handler harness is `vmxlab/testing`.
 */
export { Vm, type VmOptions, type VmRunResult, type VmEvent } from "./vmm/vm";
export { loadScenarioFile, loadScenarioText, type LoadedScenario } from "./scenario/loader";
export { runScenario } from "./scenario/run";
export type { ScenarioResultJson } from "./scenario/outcome";
export { LabSession } from "./lab/session";
export { openLab } from "./lab/open";
export { FIELDS, fieldByName, fieldByEncoding } from "./vmcs/fields";
export { EXIT_REASON_NUMBERS, lookupExitReason, type ExitReason } from "./exits/reasons";
export { assemble } from "./asm/assemble";
export { VmxlabError } from "./common/errors";
