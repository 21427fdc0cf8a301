import { VmxlabError } from "../common/errors";

/** Prints an error the way users should see it and returns the exit code. */
export function reportError(e: unknown): number {
  if (e instanceof VmxlabError) {
    process.stderr.write(`vmxlab: ${e.toString()}\n`);
    return e.code === "invalid-input" ? 2 : 3;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`vmxlab: internal error: ${msg}\n`);
  if (process.env.VMXLAB_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return 3;
}
