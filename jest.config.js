/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/specs", "<rootDir>/examples"],
  testMatch: ["**/*.spec.ts"],
  transform: {
    // swc strips types only; `npm run typecheck` (tsc --noEmit) checks them.
    "^.+\\.(t|j|mj)s$": ["@swc/jest", { jsc: { target: "es2022" }, module: { type: "commonjs" } }],
  },
  // chalk 5 is ESM-only; jest's CommonJS runtime cannot require() it, so it is transformed too.
  transformIgnorePatterns: ["/node_modules/(?!chalk/)"],
  moduleFileExtensions: ["ts", "js", "mjs", "json"],
};
