/**
 * `vmxlab explain <control name>` and `vmxlab explain <IA32_VMX_* MSR>`:
 * where a control bit lives and which profiles allow it; what a capability
 * MSR reports on each profile (SDM Vol. 3C 25.6-25.8, Vol. 3D Appendix A).
 */
import { MSR, type VmxCapabilities } from "./capabilities";
import { CONTROL_WORD_NAMES, CONTROL_WORDS, type ControlWord, controlName, wordsOfControl } from "./controls";
import { fieldByName } from "./fields";
import { getProfile, PROFILE_NAMES } from "./profiles";

const WORD_TITLE: Record<ControlWord, string> = {
  pin: "pin-based VM-execution control",
  primary: "primary processor-based VM-execution control",
  secondary: "secondary processor-based VM-execution control",
  tertiary: "tertiary processor-based VM-execution control",
  exit: "primary VM-exit control",
  "secondary-exit": "secondary VM-exit control",
  entry: "VM-entry control",
};

const hex = (n: number | bigint) => "0x" + n.toString(16);
const msrName = (index: number) => (Object.keys(MSR) as (keyof typeof MSR)[]).find((k) => MSR[k] === index) ?? hex(index);

function profiles(): VmxCapabilities[] {
  return PROFILE_NAMES.map((p) => getProfile(p)).filter((c) => c.vmx);
}

/** Setting of one control bit on a profile: "may be 0 or 1", "must be 1", "must be 0". */
function setting(c: VmxCapabilities, word: ControlWord, bit: number): string {
  const cap = c.control(word);
  const m = 1n << BigInt(bit);
  if (cap.must1 & m) return "must be 1";
  return cap.may1 & m ? "0 or 1" : "must be 0";
}

export function explainControl(query: string): string | undefined {
  const name = query.trim().toLowerCase();
  const words = wordsOfControl(name);
  if (words.length === 0) return undefined;
  const out: string[] = [];
  for (const w of words) {
    const info = CONTROL_WORDS[w];
    const bit = info.bitsByName[name]!;
    const f = fieldByName(info.field)!;
    const msrs = [info.msr, ...(info.trueMsr !== undefined ? [info.trueMsr] : [])].map((m) => `${msrName(m)} (${hex(m)})`).join(", ");
    out.push(
      `${name}: ${WORD_TITLE[w]}, bit ${bit}`,
      `  field:      ${f.name} (${hex(f.encoding)})`,
      `  capability: ${msrs}: allowed-1 in bit ${info.bits === 64 ? bit : bit + 32}`,
      `  settings:   ${profiles().map((c) => `${c.name}: ${setting(c, w, bit)}`).join("; ")}`,
      `  sdm:        ${info.sdm}`,
    );
  }
  return out.join("\n") + "\n";
}

/** `IA32_VMX_PROCBASED_CTLS`, `0x482`, `482h`: the MSR on every profile, control MSRs decoded bit by bit. */
export function explainCapabilityMsr(query: string): string | undefined {
  const q = query.trim();
  let index: number | undefined = (MSR as Record<string, number>)[q.toUpperCase()];
  const m = /^0x([0-9a-f]+)$/i.exec(q) ?? /^([0-9a-f]+)h$/i.exec(q);
  if (index === undefined && m) index = parseInt(m[1]!, 16);
  if (index === undefined || !Object.values(MSR).includes(index as never)) return undefined;
  const out = [`${msrName(index)} (MSR ${hex(index)}, SDM Vol. 3D Appendix A; Vol. 4 Table 2-2)`];
  for (const c of PROFILE_NAMES.map((p) => getProfile(p))) {
    const v = index === MSR.IA32_FEATURE_CONTROL ? c.spec.featureControl : c.msr(index);
    out.push(`  ${c.name.padEnd(22)} ${v === undefined ? "absent (RDMSR #GP)" : hex(v)}`);
  }
  const word = CONTROL_WORD_NAMES.find((w) => CONTROL_WORDS[w].msr === index || CONTROL_WORDS[w].trueMsr === index);
  if (word) {
    const info = CONTROL_WORDS[word];
    const def = getProfile("default");
    const v = def.msr(index);
    if (v !== undefined) {
      out.push(`  default profile, bit by bit (${WORD_TITLE[word]}s):`);
      const lo = info.bits === 64 ? 0n : v & 0xffff_ffffn, hi = info.bits === 64 ? v : v >> 32n;
      for (let b = 0; b < info.bits; b++) {
        const may1 = (hi >> BigInt(b)) & 1n, must1 = (lo >> BigInt(b)) & 1n;
        const n = controlName(word, b);
        if (!may1 && !n) continue;
        out.push(`    bit ${String(b).padStart(2)}  ${(n ?? "(reserved)").padEnd(34)} ${must1 ? "must be 1" : may1 ? "0 or 1" : "must be 0"}`);
      }
    }
  }
  return out.join("\n") + "\n";
}
