/**
 * A 2-D walk trace as text lines, for the lab's `walk` command and the
 * golden-file spec: one line per entry read, numbered in the order the
 * processor reads them (SDM Vol. 3C 29.3.2; Bhargava et al., ASPLOS'08).
 */
import type { WalkTrace } from "./walker";

function hex(v: number | bigint, width: number): string {
  return "0x" + v.toString(16).padStart(width, "0");
}

export function formatTrace(trace: WalkTrace): string[] {
  const lines = [" #  stage   entry         table             index  read at (host)    value"];
  trace.forEach((t, i) => {
    lines.push(
      `${String(i + 1).padStart(2)}  ${t.stage.padEnd(6)}  ${t.levelName.padEnd(12)}  ${hex(t.tableAddr, 12)}  ${String(t.index).padStart(5)}  ` +
        `${hex(t.entryAddr, 12)}  ${hex(t.entry, 16)}`,
    );
  });
  const guest = trace.filter((t) => t.stage === "guest").length;
  lines.push(`${trace.length} references: ${guest} guest, ${trace.length - guest} nested`);
  return lines;
}
