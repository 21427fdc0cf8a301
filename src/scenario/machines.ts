/**
 * Plugs the machines into the runner. The VMM machine (machine-vm.ts) is
 * registered here once src/vmm/vm.ts exists; until then scenarios that need
 * it report that this build cannot run them.
 */
export {};
