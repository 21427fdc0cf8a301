/**
 * `npm run bench` / `vmxlab bench`: performance figures beside their targets
 * (DESIGN.md "Performance design"). Timed here, never in unit tests. Each
 * benchmark runs a few rounds after a warm-up and reports the best round.
 */
import { BENCHMARKS } from "./suite";

/** Runs the benchmarks whose name contains `only` (all without it); returns how many are below target. */
export function runBenchmarks(only: string | undefined, write: (line: string) => void): number {
  let failed = 0;
  write(`vmxlab benchmarks (node ${process.version})\n`);
  for (const b of BENCHMARKS) {
    if (only && !b.name.includes(only)) continue;
    const r = b.run();
    const ok = b.higherIsBetter ? r.value >= b.target : r.value <= b.target;
    if (!ok) failed++;
    const cmp = b.higherIsBetter ? "≥" : "≤";
    write(`${ok ? "ok  " : "LOW "} ${b.name.padEnd(46)} ${fmt(r.value).padStart(12)} ${b.unit.padEnd(12)} target ${cmp} ${fmt(b.target)}${r.note ? `  (${r.note})` : ""}`);
  }
  write(failed ? `\n${failed} benchmark(s) below target` : "\nall benchmarks meet their targets");
  return failed;
}

function fmt(v: number): string {
  return v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(2);
}

if (require.main === module) runBenchmarks(process.argv[2], (l) => console.log(l));
