/**
 * What `vmxlab run` does per file: load, run, check, format. Each file gives
 * its stdout text, stderr text and exit code, so files can run in worker
 * threads (`--jobs N`) and still print in command-line order.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { VmxlabError } from "../common/errors";
import { loadScenarioFile } from "./loader";
import type { ScenarioResultJson } from "./outcome";
import { colorLevel, formatReport } from "./report";
import { runScenario, UnsupportedScenario } from "./run";
import "./machines";

export interface RunFlags {
  json: boolean;
  trace: boolean;
  quiet: boolean;
  jobs: number;
  color?: number;
}

export interface FileRun {
  stdout: string;
  stderr: string;
  code: number;
}

function errorResult(file: string, message: string): ScenarioResultJson {
  return { scenario: file, file, status: "error", stopReason: "error", steps: 0, exits: [], userspaceExits: [], console: "", final: { regs: {} }, faults: [], expectations: [], error: message };
}

export function runOneFile(file: string, f: RunFlags): FileRun {
  const color = f.color ?? 0;
  try {
    const ls = loadScenarioFile(file);
    let r: ScenarioResultJson;
    try {
      r = runScenario(ls);
    } catch (e) {
      if (e instanceof UnsupportedScenario) return { stdout: f.json ? JSON.stringify(errorResult(file, e.message)) + "\n" : "", stderr: `vmxlab: ${file}: ${e.message}\n`, code: 2 };
      if (e instanceof VmxlabError && e.code === "invalid-input") throw e;
      const msg = e instanceof Error ? e.message : String(e);
      const detail = process.env.VMXLAB_DEBUG && e instanceof Error ? `${e.stack}\n` : "";
      const res = errorResult(ls.name, `internal error: ${msg}`);
      res.file = file;
      return { stdout: f.json ? JSON.stringify(res) + "\n" : formatReport(res, { color, quiet: f.quiet }), stderr: `vmxlab: ${file}: internal error: ${msg}\n${detail}`, code: 3 };
    }
    const stdout = f.json ? JSON.stringify(r) + "\n" : formatReport(r, { color, quiet: f.quiet, maxExits: f.trace ? Infinity : 200 });
    return { stdout, stderr: "", code: r.status === "pass" ? 0 : 1 };
  } catch (e) {
    if (e instanceof VmxlabError) {
      const code = e.code === "invalid-input" ? 2 : 3;
      return { stdout: f.json ? JSON.stringify(errorResult(file, e.toString())) + "\n" : "", stderr: `vmxlab: ${e.toString()}\n`, code };
    }
    const msg = e instanceof Error ? e.message : String(e);
    return { stdout: f.json ? JSON.stringify(errorResult(file, `internal error: ${msg}`)) + "\n" : "", stderr: `vmxlab: ${file}: internal error: ${msg}\n`, code: 3 };
  }
}

/** Worst exit code wins: internal (3) over input (2) over failed (1). */
export function combine(codes: number[]): number {
  return codes.reduce((a, b) => Math.max(a, b), 0);
}

async function runInWorkers(files: string[], f: RunFlags): Promise<FileRun[]> {
  const results: FileRun[] = new Array(files.length);
  let next = 0;
  const one = (): Promise<void> =>
    new Promise((resolveAll) => {
      const spawn = () => {
        if (next >= files.length) return resolveAll();
        const i = next++;
        const w = new Worker(__filename, { workerData: { file: files[i], flags: f } });
        w.once("message", (m: FileRun) => (results[i] = m));
        w.once("error", (e) => (results[i] = { stdout: "", stderr: `vmxlab: ${files[i]}: internal error: ${e.message}\n`, code: 3 }));
        w.once("exit", () => {
          results[i] ??= { stdout: "", stderr: `vmxlab: ${files[i]}: worker stopped without a result\n`, code: 3 };
          spawn();
        });
      };
      spawn();
    });
  await Promise.all(Array.from({ length: Math.min(f.jobs, files.length) }, one));
  return results;
}

export async function runFiles(files: string[], f: RunFlags): Promise<number> {
  const flags = { ...f, color: f.color ?? (f.json ? 0 : colorLevel()) };
  // Workers load this module as compiled JavaScript; under ts sources (jest) files run in-process.
  const parallel = flags.jobs > 1 && files.length > 1 && __filename.endsWith(".js");
  const codes: number[] = [];
  const emit = (r: FileRun) => {
    if (r.stdout) process.stdout.write(r.stdout);
    if (r.stderr) process.stderr.write(r.stderr);
    codes.push(r.code);
  };
  if (parallel) for (const r of await runInWorkers(files, flags)) emit(r);
  else for (const file of files) emit(runOneFile(file, flags));
  if (!flags.json && !flags.quiet && files.length > 1) {
    const passed = codes.filter((c) => c === 0).length;
    process.stdout.write(`\n${passed}/${files.length} scenarios passed\n`);
  }
  return combine(codes);
}

if (!isMainThread && parentPort && workerData && (workerData as { file?: string }).file) {
  const { file, flags } = workerData as { file: string; flags: RunFlags };
  parentPort.postMessage(runOneFile(file, flags));
}
