/**
 * `handlers: { CPUID: { module: ./cpuid.ts } }`: a root-mode exit handler
 * written against the handler API (src/exits: `(vcpu, next) => void`). The
 * module exports it as `default`, under the exit reason's name, or as
 * `handler`. `.js`/`.cjs` files are required as they are; `.ts` files are
 * compiled with the TypeScript compiler when it is installed (types are
 * stripped; type-only imports of vmxlab vanish).
 */
import { readFileSync } from "node:fs";
import Module from "node:module";
import { dirname } from "node:path";
import { inputError } from "../common/errors";
import type { Handler } from "../exits/dispatcher";

type Exports = Record<string, unknown>;

function loadTs(path: string): Exports {
  let ts: { transpileModule(src: string, o: object): { outputText: string } };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ts = require("typescript");
  } catch {
    throw inputError(`${path}: TypeScript handler modules need the 'typescript' package; install it or compile the handler to .js`);
  }
  const out = ts.transpileModule(readFileSync(path, "utf8"), {
    compilerOptions: { module: 1 /* CommonJS */, target: 9 /* ES2022 */, esModuleInterop: true },
    fileName: path,
  });
  const m = new Module(path) as Module & { _compile(code: string, file: string): void; paths: string[] };
  m.filename = path;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(path));
  m._compile(out.outputText, path);
  return m.exports as Exports;
}

export function loadHandlerModule(path: string, reason: string): Handler {
  let exp: Exports;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exp = path.endsWith(".ts") ? loadTs(path) : (require(path) as Exports);
  } catch (e) {
    if (e instanceof Error && "code" in e && e.code === "invalid-input") throw e;
    throw inputError(`${path}: the handler module failed to load: ${(e as Error).message}`);
  }
  const pick = [exp[reason], exp.default, exp.handler, typeof exp === "function" ? exp : undefined].find((f) => typeof f === "function");
  if (!pick) throw inputError(`${path}: export a handler function (default, '${reason}' or 'handler'); found ${Object.keys(exp).join(", ") || "nothing"}`);
  return pick as Handler;
}
