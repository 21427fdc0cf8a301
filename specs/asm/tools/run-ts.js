#!/usr/bin/env node
/**
 * Runs a TypeScript tool script with the project's swc (as jest compiles specs):
 *   node specs/asm/tools/run-ts.js specs/asm/tools/gen-gas-fixtures.ts
 */
const { readFileSync } = require("node:fs");
const { resolve } = require("node:path");
const swc = require("@swc/core");

require.extensions[".ts"] = (module, filename) => {
  const { code } = swc.transformSync(readFileSync(filename, "utf8"), {
    filename,
    jsc: { target: "es2022", parser: { syntax: "typescript" } },
    module: { type: "commonjs" },
  });
  module._compile(code, filename);
};
require(resolve(process.argv[2]));
