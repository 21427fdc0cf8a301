/** Opens a scenario file as a lab session (the machine is built, nothing has run). */
import { loadScenarioFile } from "../scenario/loader";
import { vmOptions } from "../scenario/machine-vm";
import { buildBare } from "../scenario/machine-bare";
import { pickMachine } from "../scenario/run";
import { CpuLabTarget } from "./cpu-target";
import { Vm } from "../vmm/vm";
import { LabSession } from "./session";
import { VmLabTarget } from "./vm-target";

export function openLab(file: string): LabSession {
  const ls = loadScenarioFile(file);
  const kind = pickMachine(ls);
  // Bare and host: scenarios step the CPU itself (the hypervisor, if any, is the scenario's code).
  if (kind !== "vm") return new LabSession(new CpuLabTarget(buildBare(ls)));
  return new LabSession(new VmLabTarget(new Vm(vmOptions(ls))));
}
