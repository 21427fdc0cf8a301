/** `vmxlab asm --list`: every source line with the address and bytes it produced. */
import type { AsmResult } from "./assemble";
import { hexBytes } from "./disasm";

const BYTES_PER_ROW = 10;
/** Long data (`times 512 db 0`) shows this many rows, then a count. */
const MAX_ROWS = 3;
const BYTES_WIDTH = BYTES_PER_ROW * 3;

export function formatListing(source: string, r: AsmResult): string {
  const byLine = new Map<number, AsmResult["lines"]>();
  for (const l of r.lines) {
    const list = byLine.get(l.line) ?? [];
    list.push(l);
    byLine.set(l.line, list);
  }
  const out: string[] = [];
  source.split("\n").forEach((text, i) => {
    const entries = byLine.get(i + 1);
    const src = text.replace(/\s+$/, "");
    if (!entries) {
      if (i < source.split("\n").length - 1 || src) out.push(`${"".padEnd(8)}  ${"".padEnd(BYTES_WIDTH)} ${src}`.trimEnd());
      return;
    }
    entries.forEach((e, n) => {
      const bytes = r.bytes.subarray(e.address - r.org, e.address - r.org + e.length);
      const rows = Math.ceil(bytes.length / BYTES_PER_ROW);
      for (let row = 0; row < Math.min(rows, MAX_ROWS); row++) {
        const chunk = bytes.subarray(row * BYTES_PER_ROW, (row + 1) * BYTES_PER_ROW);
        const addr = (e.address + row * BYTES_PER_ROW).toString(16).padStart(8, "0");
        out.push(`${addr}  ${hexBytes(chunk).padEnd(BYTES_WIDTH)} ${row === 0 && n === 0 ? src : ""}`.trimEnd());
      }
      if (rows > MAX_ROWS) out.push(`${"".padEnd(8)}  … ${bytes.length - MAX_ROWS * BYTES_PER_ROW} more bytes`);
    });
  });
  return out.join("\n") + "\n";
}
