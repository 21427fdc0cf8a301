/**
 * `vmxlab fields [name|encoding]`: lookups in the field table, as text or
 * JSON-ready records. A query is a field name (`GUEST_RIP`, `EPT_POINTER_HIGH`,
 * any case), an encoding (`0x681e`, `681eh`, `26654`), or a part of a name
 * (`CR0` lists every field whose name contains it).
 */
import { inputError } from "../common/errors";
import { didYouMean } from "../common/suggest";
import { FIELD_REQUIRES } from "./capabilities";
import { getProfile, PROFILE_NAMES } from "./profiles";
import {
  accessByEncodingValue, accessByFieldName, ENCODING_RESERVED, type FieldAccess, FIELDS, type FieldGroup,
  GROUP_LABEL, type VmcsField,
} from "./fields";

export interface FieldRow {
  name: string;
  encoding: string;
  width: string;
  group: FieldGroup;
  access: "full" | "high";
  title: string;
  sdm: string;
  readOnly: boolean;
  linuxName: boolean;
}

const hex4 = (n: number) => "0x" + n.toString(16).padStart(4, "0");
const widthText = (f: VmcsField) => (f.width === "natural" ? "natural" : `${f.width}-bit`);

export function fieldRow(a: FieldAccess): FieldRow {
  const f = a.field;
  return {
    name: a.name, encoding: hex4(a.encoding), width: a.high ? "32-bit (bits 63:32)" : widthText(f), group: f.group,
    access: a.high ? "high" : "full", title: a.high ? `${f.title}, high 32 bits` : f.title, sdm: f.sdm,
    readOnly: f.readOnly, linuxName: f.linux,
  };
}

/** Parses `0x681e`, `681eh`, `681EH` or decimal `26654`; undefined if the text is not a number. */
export function parseEncoding(q: string): number | undefined {
  const t = q.trim();
  let m = /^0x([0-9a-f]+)$/i.exec(t) ?? /^([0-9a-f]+)h$/i.exec(t);
  if (m) return parseInt(m[1]!, 16);
  m = /^(\d+)$/.exec(t);
  return m ? Number(m[1]) : undefined;
}

/**
 * The accesses a query selects: exact name or encoding → one; otherwise the
 * fields whose name contains the query. Nothing → an input error (exit 2)
 * that explains an encoding's bits or suggests a name.
 */
export function lookupFields(query: string | undefined, opts: { group?: FieldGroup; high?: boolean } = {}): FieldAccess[] {
  let out: FieldAccess[];
  if (query === undefined || query === "") {
    out = FIELDS.flatMap((f) => {
      const full = accessByFieldName(f.name)!;
      return opts.high && f.width === 64 ? [full, accessByFieldName(`${f.name}_HIGH`)!] : [full];
    });
  } else {
    const enc = parseEncoding(query);
    if (enc !== undefined) {
      const a = accessByEncodingValue(enc);
      if (!a) throw inputError(`fields: ${query} is not a VMCS field encoding: ${whyNotEncoding(enc)}`);
      out = [a];
    } else {
      const exact = accessByFieldName(query);
      if (exact) out = [exact];
      else {
        const q = query.toUpperCase();
        out = FIELDS.filter((f) => f.name.includes(q)).map((f) => accessByFieldName(f.name)!);
        if (out.length === 0) {
          throw inputError(`fields: no VMCS field is named '${query}'${didYouMean(q, FIELDS.map((f) => f.name))}`);
        }
      }
    }
  }
  if (opts.group) out = out.filter((a) => a.field.group === opts.group);
  return out;
}

/** Why a number names no field: the encoding's bits as SDM Vol. 3C 25.11.2 Table 25-21 defines them. */
export function whyNotEncoding(enc: number): string {
  if (enc < 0 || enc > 0xffff_ffff) return "encodings are 32-bit values";
  if (enc & ENCODING_RESERVED) return "bits 31:15 and 12 are reserved and must be 0 (SDM Vol. 3C 25.11.2 Table 25-21)";
  const width = ["16-bit", "64-bit", "32-bit", "natural-width"][(enc >>> 13) & 3]!;
  const type = ["control", "VM-exit information", "guest-state", "host-state"][(enc >>> 10) & 3]!;
  const index = (enc >>> 1) & 0x1ff;
  if (enc & 1 && ((enc >>> 13) & 3) !== 1) return `the high access type (bit 0) exists only for 64-bit fields, and this is a ${width} encoding`;
  return `no ${width} ${type} field has index ${index} (VMREAD/VMWRITE fail with VM-instruction error 12)`;
}

/** One line per field: encoding, name, width, group, Appendix B section, the SDM's name. */
export function fieldsTable(rows: FieldRow[]): string {
  const nameW = Math.max(4, ...rows.map((r) => r.name.length));
  const lines = [`${"ENCODING".padEnd(8)}  ${"NAME".padEnd(nameW)}  ${"WIDTH".padEnd(7)}  ${"GROUP".padEnd(9)}  ${"SDM".padEnd(5)}  TITLE`];
  for (const r of rows) {
    const w = r.access === "high" ? "32-bit" : r.width;
    const sec = /App\. (B\.\d\.\d)/.exec(r.sdm)?.[1] ?? "";
    lines.push(`${r.encoding.padEnd(8)}  ${r.name.padEnd(nameW)}  ${w.padEnd(7)}  ${r.group.padEnd(9)}  ${sec.padEnd(5)}  ${r.title}`);
  }
  return lines.join("\n") + "\n";
}

/** The full description of one field access. */
export function fieldDetail(a: FieldAccess): string {
  const f = a.field;
  const r = fieldRow(a);
  const enc = a.encoding;
  const lines = [
    `${a.name}: ${r.title}`,
    `  encoding:  ${r.encoding}  (access ${enc & 1 ? "high" : "full"}, index ${(enc >>> 1) & 0x1ff}, type ${(enc >>> 10) & 3}, width ${(enc >>> 13) & 3})`,
    `  width:     ${a.high ? `32-bit: bits 63:32 of ${f.name} (${hex4(f.encoding)})` : f.width === "natural" ? "natural-width (64 bits on Intel 64 processors)" : `${f.width}-bit`}`,
    `  group:     ${GROUP_LABEL[f.group]}${f.readOnly ? " — VMWRITE needs IA32_VMX_MISC bit 29, else error 13" : ""}`,
    `  sdm:       ${f.sdm}`,
  ];
  const req = FIELD_REQUIRES[f.name];
  if (req) {
    const text = req.length === 0 ? "a feature no vmxlab profile has" : req.map(([w, n]) => `${w} control ${n}`).join(" or ");
    lines.push(`  requires:  ${text} (otherwise VMREAD/VMWRITE fail with error 12)`);
  }
  const profiles = PROFILE_NAMES.filter((p) => getProfile(p).vmx && getProfile(p).supportsField(a));
  lines.push(`  profiles:  ${profiles.length ? profiles.join(", ") : "none"}`);
  if (!f.linux) lines.push("  name:      not in Linux asm/vmx.h; vmxlab's name in the same style");
  if (f.width === 64 && !a.high) lines.push(`  high half: ${f.name}_HIGH (${hex4(f.encoding | 1)})`);
  return lines.join("\n") + "\n";
}
