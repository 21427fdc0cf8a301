/**
 * "did you mean" for scenario names: the shared edit-distance hint, then a
 * unique prefix (`hlt-exit` → `hlt-exiting`), then a unique anagram (`HTL` →
 * `HLT`, a transposition the small-word distance limit rejects).
 */
import { didYouMean } from "../common/suggest";

export function suggest(word: string, candidates: readonly string[]): string {
  const d = didYouMean(word, candidates);
  if (d) return d;
  const prefixed = candidates.filter((c) => word.length >= 3 && (c.startsWith(word) || word.startsWith(c)));
  if (prefixed.length === 1) return `; did you mean '${prefixed[0]}'?`;
  const sorted = (s: string) => [...s.toLowerCase()].sort().join("");
  const anagrams = candidates.filter((c) => sorted(c) === sorted(word));
  if (anagrams.length === 1) return `; did you mean '${anagrams[0]}'?`;
  return "";
}
