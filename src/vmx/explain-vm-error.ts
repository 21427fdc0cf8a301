/**
 * `vmxlab explain <vm-instruction-error number>`: the SDM's VM-instruction
 * error numbers (SDM Vol. 3C 31.4 Table 31-1), from the table in vm-errors.ts.
 * Accepts "4", "vm-error 4", "vm-error-4", "error 4" and the Linux name
 * ("VMLAUNCH_NONCLEAR_VMCS", with or without the VMXERR_ prefix). A bare
 * number is shared with exit reasons, which answer first.
 */
import { VM_ERROR, type VmErrorName, vmError } from "./vm-errors";
import { wrap } from "../common/wrap";

const REACH: Record<string, string> = {
  instruction: "a root-mode program reaches it with VMX instructions alone",
  "vm-entry": "reported by VM entry's checks (VMLAUNCH/VMRESUME fall through with ZF=1)",
  smm: "needs the dual-monitor treatment of SMIs and SMM, which vmxlab does not model",
};

export function explainVmInstructionError(query: string): string | undefined {
  const q = query.trim();
  const m = /^(?:vm[-_ ]?(?:instruction[-_ ]?)?error|error)?[-_ ]*(\d+)$/i.exec(q);
  let n: number | undefined;
  if (m) n = Number(m[1]);
  else {
    const name = q.toUpperCase().replace(/^VMXERR_/, "") as VmErrorName;
    n = VM_ERROR[name];
  }
  if (n === undefined) return undefined;
  const e = vmError(n);
  if (!e) {
    if (!m || !/error/i.test(q)) return undefined;
    return `VM-instruction error ${n}: not assigned by the SDM (valid numbers are 1-13, 15-20, 22-26, 28; SDM Vol. 3C 31.4 Table 31-1)\n`;
  }
  return [
    `VM-instruction error ${e.number}: ${e.description}`,
    `  name:         VMXERR_${e.name}`,
    `  instructions: ${e.instructions.join(", ")}`,
    `  reported as:  VMfailValid (RFLAGS.ZF=1, error number in VM_INSTRUCTION_ERROR, encoding 0x4400)`,
    `  in vmxlab:    ${REACH[e.reachable]}`,
    `  sdm:          ${e.sdm}`,
    "",
    wrap(e.explain, 78),
    "",
  ].join("\n");
}

/** For a bare number answered as an exit reason: a line naming the VM-instruction error with that number, or "". */
export function seeAlsoVmError(query: string): string {
  if (!/^\d+$/.test(query.trim())) return "";
  const e = vmError(Number(query));
  return e ? `\nsee also VM-instruction error ${e.number} (${e.description}): vmxlab explain vm-error ${e.number}\n` : "";
}
