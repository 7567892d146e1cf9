// "Did you mean": the closest known word to a misspelt one, for error messages that name a
// key, a device or a parameter. The one edit distance of the codebase (Levenshtein).
//
// Contract:
// - editDistance(a, b, ignoreCase = true): insertions, deletions, substitutions and swaps of two
//   neighbouring letters (the optimal string alignment distance): "dealy" is one edit from
//   "delay", as a typist sees it, not two.
// - suggest(word, candidates): the closest candidate, case ignored; short words need a closer
//   match, so "h7" is never offered as a typo of "h0". Ties go to the earlier candidate.
// - firstNear(word, candidates, maxEdits): the first candidate equal but for case or within
//   maxEdits edits with case counting (the `atm` section's looser rule, kept as it was).

export function editDistance(a: string, b: string, ignoreCase = true): number {
  const al = ignoreCase ? a.toLowerCase() : a;
  const bl = ignoreCase ? b.toLowerCase() : b;
  let before: number[] = [];
  let prev = Array.from({ length: bl.length + 1 }, (_, j) => j);
  for (let i = 1; i <= al.length; i++) {
    const cur = [i];
    for (let j = 1; j <= bl.length; j++) {
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (al[i - 1] === bl[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && al[i - 1] === bl[j - 2] && al[i - 2] === bl[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      cur[j] = d;
    }
    before = prev;
    prev = cur;
  }
  return prev[bl.length]!;
}

export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  // Short words are one edit from many others: "h7" is not a typo of "h0".
  const limit = Math.max(1, Math.min(2, Math.floor(word.length / 3)));
  return bestD <= limit && bestD * 2 < word.length ? best : undefined;
}

export function firstNear(word: string, candidates: readonly string[], maxEdits: number): string | undefined {
  const lower = word.toLowerCase();
  return candidates.find((c) => c.toLowerCase() === lower || editDistance(c, word, false) <= maxEdits);
}
