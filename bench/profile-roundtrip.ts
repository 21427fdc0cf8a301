/**
 * Profiling driver (not part of `npm run bench`): runs the full-VMM and the
 * engine-only CPUID round trips once each and prints their rates, for
 * `node --cpu-prof dist/bench/profile-roundtrip.js [vm|engine] [n]`.
 */
import { vmexitRoundTrips } from "./vmexit";
import { vmRoundTrips } from "./vm-roundtrip";

const which = process.argv[2] ?? "both";
const n = Number(process.argv[3] ?? 20_000);
const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
if (which !== "engine") {
  vmRoundTrips(Math.min(n, 2000));
  const r = vmRoundTrips(n);
  console.log(`full VMM: ${fmt(r.perSecond)} exits/s wall, ${fmt(r.perCpuSecond)} exits/s CPU (${r.exits} exits)`);
}
if (which !== "vm") {
  vmexitRoundTrips(Math.min(n, 2000));
  const r = vmexitRoundTrips(n);
  console.log(`engine:   ${fmt(r.perSecond)} exits/s wall, ${fmt(r.perCpuSecond)} exits/s CPU (${r.exits} exits)`);
}
