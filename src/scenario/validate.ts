/**
 * Checks the schema cannot express: one code form per section, ranges and
 * alignment, files that must exist, and names that belong to other tables
 * Each problem is
 * reported at its key path and position; all of them are collected so
 * `vmxlab check` lists everything at once.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseHexBytes } from "../common/hex-input";
import { issue, ScenarioIssue } from "./issues";
import type { KeyPath, Positions } from "./positions";
import { Scenario } from "./schema";
import { MAX_MEMORY } from "./limits";

const PAGE: Record<string, bigint> = { "4K": 0x1000n, "2M": 0x200000n, "1G": 0x40000000n };
const U64 = 1n << 64n;

export function parsePortRange(v: bigint | string): [number, number] {
  if (typeof v === "bigint") return [Number(v), Number(v)];
  const [a, b] = v.split("-").map((x) => Number(BigInt(x.trim())));
  return [a!, b!];
}

export function semanticIssues(s: Scenario, pos: Positions, dir: string): ScenarioIssue[] {
  const out: ScenarioIssue[] = [];
  const add = (path: KeyPath, msg: string, where: "value" | "key" = "value") => out.push(issue(pos, path, msg, where));

  const oneCode = (at: string, c: { code?: string; hex?: string; file?: string }) => {
    const given = (["code", "hex", "file"] as const).filter((k) => c[k] !== undefined);
    if (given.length === 0) add([at], "needs code: give one of code (assembly), hex or file", "key");
    if (given.length > 1) add([at, given[1]!], `give only one of code, hex and file (found ${given.join(" and ")})`, "key");
  };
  oneCode("guest", s.guest);
  if (s.host) oneCode("host", s.host);

  if (s.guest.memory < 0x10000n) add(["guest", "memory"], "at least 64K of memory is needed");
  if (s.guest.memory > MAX_MEMORY) add(["guest", "memory"], `at most ${MAX_MEMORY >> 20n}M of memory is supported`);
  if (s.guest.memory % 0x1000n !== 0n) add(["guest", "memory"], "memory must be a whole number of 4K pages");

  for (const [section, regs] of [["guest", s.guest.regs], ["host", s.host?.regs]] as const)
    for (const [r, v] of Object.entries(regs ?? {})) if (v >= U64) add([section, "regs", r], "value does not fit in 64 bits");

  const v = s.vmcs;
  if (v) {
    (v["io-intercept"] === "all" ? [] : v["io-intercept"] ?? []).forEach((r, i) => {
      const [a, b] = parsePortRange(r);
      if (b > 0xffff) add(["vmcs", "io-intercept", i], "ports are 0..0xffff");
      else if (a > b) add(["vmcs", "io-intercept", i], "range start is above its end");
    });
  }

  (s.ept ?? []).forEach((m, i) => {
    const page = PAGE[m.page]!;
    if (m.gpa % page !== 0n) add(["ept", i, "gpa"], `not aligned to the ${m.page} page size`);
    if ((m.hpa ?? m.gpa) % page !== 0n) add(["ept", i, "hpa"], `not aligned to the ${m.page} page size`);
    if (m.size === 0n || m.size % page !== 0n) add(["ept", i, "size"], `must be a non-zero multiple of the ${m.page} page size`);
    if ((m.hpa ?? m.gpa) + m.size > s.guest.memory && m.hpa !== undefined) add(["ept", i, "hpa"], "maps beyond host memory (guest.memory)");
  });

  for (const [r, h] of Object.entries(s.handlers ?? {})) {
    if (typeof h === "object" && "module" in h && !existsSync(resolve(dir, h.module))) add(["handlers", r, "module"], `cannot find '${h.module}'`);
  }

  const e = s.expect;
  if (e) {
    (e.memory ?? []).forEach((m, i) => {
      if ((m.bytes === undefined) === (m.text === undefined)) add(["expect", "memory", i], "give one of bytes or text", "value");
      if ((m.gpa === undefined) === (m.label === undefined)) add(["expect", "memory", i], "give one of gpa or label", "value");
      if (m.bytes !== undefined) {
        try {
          parseHexBytes(m.bytes, "bytes");
        } catch (err) {
          add(["expect", "memory", i, "bytes"], (err as Error).message.replace(/^bytes: /, ""));
        }
      }
    });
  }
  return out;
}
