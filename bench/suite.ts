/** The benchmark list; each issue that owns a hot path adds its entry here. */
import { cpuBenchmarks } from "./cpu";
import { eptBenchmarks } from "./ept";
import { vmexitBenchmarks } from "./vmexit";
import { vmRoundTripBenchmarks } from "./vm-roundtrip";
import { vmxInstructionBenchmarks } from "./vmx-instructions";

export interface BenchResult {
  value: number;
  note?: string;
}

export interface Benchmark {
  name: string;
  unit: string;
  target: number;
  higherIsBetter: boolean;
  run(): BenchResult;
}

export const BENCHMARKS: Benchmark[] = [...cpuBenchmarks, ...eptBenchmarks, ...vmexitBenchmarks, ...vmRoundTripBenchmarks, ...vmxInstructionBenchmarks];
