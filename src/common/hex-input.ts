import { inputError } from "./errors";

/** Parses "48 01 d8 f4" or "4801d8f4" (also with 0x prefixes or commas) into bytes. */
export function parseHexBytes(text: string, what = "--hex"): Uint8Array {
  const cleaned = text.replace(/0x/gi, "").replace(/[,\s]+/g, " ").trim();
  if (cleaned === "") throw inputError(`${what}: no bytes given`);
  const tokens = cleaned.includes(" ") ? cleaned.split(" ") : cleaned.match(/.{1,2}/g) ?? [];
  const out: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!/^[0-9a-f]{1,2}$/i.test(t)) throw inputError(`${what}: '${t}' (byte ${i + 1}) is not a hex byte`);
    out.push(parseInt(t, 16));
  }
  return Uint8Array.from(out);
}
