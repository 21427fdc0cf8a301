/**
 * `vmxlab explain <exit reason>`: the basic exit reasons (SDM Vol. 3C
 * Appendix C). Owned by the exit-reason table's issue.
 */
export function explainExitReason(_query: string): string | undefined {
  return undefined;
}
