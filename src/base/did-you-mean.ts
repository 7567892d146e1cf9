// "Did you mean": the closest known word to a misspelt one, for error messages that name a
// key, a device or a parameter. Case-insensitive Levenshtein distance; short words need a
// closer match, so "h7" is never offered as a typo of "h0".

/** Levenshtein distance between `a` and `b`, ignoring case. */
export function editDistance(a: string, b: string): number {
  const al = a.toLowerCase();
  const bl = b.toLowerCase();
  let prev = Array.from({ length: bl.length + 1 }, (_, j) => j);
  for (let i = 1; i <= al.length; i++) {
    const cur = [i];
    for (let j = 1; j <= bl.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (al[i - 1] === bl[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[bl.length]!;
}

/** The closest candidate within a typo's distance, for "did you mean". */
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
