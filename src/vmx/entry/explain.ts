/**
 * `vmxlab explain <check id>`: a VM-entry check from the table of
 * checks.ts: what it requires, where the SDM states it, the fields it reads
 * and what a failure does. `explain entry-checks` lists every id in the
 * order VM entry runs them; a prefix such as `guest-cs` lists the matches.
 */
import { CHECKS_BY_ID, ENTRY_CHECKS, type EntryCheck } from "./checks";
import { wrap } from "../../common/wrap";

const OUTCOME: Record<EntryCheck["phase"], string> = {
  controls: "VMLAUNCH/VMRESUME fail with VMfailValid, VM-instruction error 7 (invalid control fields); nothing is loaded",
  host: "VMLAUNCH/VMRESUME fail with VMfailValid, VM-instruction error 8 (invalid host-state fields); nothing is loaded",
  guest: "VM-entry failure: VM exit with exit reason 0x80000021 (INVALID_GUEST_STATE, bit 31 set), host state loaded",
};

export function explainEntryCheck(query: string): string | undefined {
  const q = query.trim().toLowerCase();
  if (q === "entry-checks" || q === "checks") return listChecks(ENTRY_CHECKS, "VM-entry checks in the order VM entry performs them (SDM Vol. 3C 27.2, 27.3.1)");
  const c = CHECKS_BY_ID.get(q);
  if (c) return describe(c);
  if (q.length >= 4 && /^(ctl|host|guest)-/.test(q)) {
    const matches = ENTRY_CHECKS.filter((k) => k.id.startsWith(q));
    if (matches.length > 0) return listChecks(matches, `VM-entry checks starting with '${q}'`);
  }
  return undefined;
}

function describe(c: EntryCheck): string {
  const q = c.phase === "guest" ? `, exit qualification ${c.qualification ?? 0}` : "";
  return [
    `VM-entry check ${c.id}`,
    `  phase:      ${c.phase === "controls" ? "VMX controls" : c.phase === "host" ? "host-state area" : "guest-state area"}`,
    `  sdm:        ${c.sdm}`,
    `  fields:     ${c.fields.join(", ")}`,
    `  on failure: ${OUTCOME[c.phase]}${q}`,
    "",
    wrap(`Condition: ${c.explain}.`, 78),
    "",
  ].join("\n");
}

function listChecks(checks: readonly EntryCheck[], title: string): string {
  const w = Math.max(...checks.map((c) => c.id.length));
  return [title, ...checks.map((c) => `  ${c.id.padEnd(w)}  ${c.sdm.replace("SDM Vol. 3C ", "")}`), ""].join("\n");
}
