/**
 * `vmxlab explain <vm-instruction-error number>`: the SDM's VM-instruction
 * error numbers (SDM Vol. 3C 31.4 Table 31-1). Owned by the VMCS/VMX issue.
 */
export function explainVmInstructionError(_query: string): string | undefined {
  return undefined;
}
