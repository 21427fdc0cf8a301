/** The machines a scenario can run on are wired in run.ts (bare CPU, `host:` code, the VMM); nothing to register. */
export {};
