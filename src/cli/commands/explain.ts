/** `vmxlab explain`: reference text from the tables (exit reasons, VM-instruction errors, entry checks). */
import type { CommandModule } from "yargs";
import { inputError } from "../../common/errors";
import { explainExitReason } from "../../exits/explain";
import { explainCapabilityMsr, explainControl } from "../../vmcs/explain-caps";
import { explainVmInstructionError, seeAlsoVmError } from "../../vmx/explain-vm-error";
import { explainEntryCheck } from "../../vmx/entry/explain";

/** Lookups in order; the first that knows the query answers. */
const EXPLAINERS: ((q: string) => string | undefined)[] = [explainExitReason, explainVmInstructionError, explainEntryCheck, explainControl, explainCapabilityMsr];

export const explainCommand: CommandModule<object, { query: string[] }> = {
  command: "explain <query..>",
  describe: "Explain an exit reason (CPUID, 10), a VM-instruction error (vm-error 7) or a VM-entry check id, citing the SDM",
  builder: (y) =>
    y
      .positional("query", { type: "string", array: true, demandOption: true, describe: "exit reason name or number, vm-error N, or check id" })
      .example("$0 explain CR_ACCESS", "the CR-access exit and its qualification")
      .example("$0 explain vm-error 7", "VM entry with invalid control fields")
      .example("$0 explain guest-cr0-pg-pe", "a VM-entry check; `explain entry-checks` lists them all")
      .strict(),
  handler: (a) => {
    const q = [a.query].flat().map(String).join(" ").trim();
    for (const explain of EXPLAINERS) {
      const text = explain(q);
      if (text !== undefined) {
        // A bare number is both an exit reason and a VM-instruction error: point at the other one.
        const also = explain === explainVmInstructionError ? "" : seeAlsoVmError(q);
        process.stdout.write((text.endsWith("\n") ? text : text + "\n") + also);
        return;
      }
    }
    throw inputError(`explain: nothing is known as '${q}' (try an exit reason such as CPUID, "vm-error 7", or a check id)`);
  },
};
