/** Opens a scenario file as a lab session (the machine is built, nothing has run). */
import { inputError } from "../common/errors";
import { loadScenarioFile } from "../scenario/loader";
import { vmOptions } from "../scenario/machine-vm";
import { pickMachine } from "../scenario/run";
import { Vm } from "../vmm/vm";
import { LabSession } from "./session";
import { VmLabTarget } from "./vm-target";

export function openLab(file: string): LabSession {
  const ls = loadScenarioFile(file);
  const kind = pickMachine(ls);
  if (kind !== "vm") {
    throw inputError(`${file}: 'vmxlab step' steps scenarios that run under the VMM; this one runs ${kind === "host" ? "a hypervisor in host: code" : "on the bare CPU"} (use 'vmxlab run --trace')`);
  }
  return new LabSession(new VmLabTarget(new Vm(vmOptions(ls))));
}
