/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The candidate closest to `input`, if it is close enough to be what the user meant (a typo, not a different word). */
export function closestMatch(input: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = candidate.startsWith(input) && input.length >= 2 ? 0.5 : editDistance(input, candidate);
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  const tolerance = Math.max(1, Math.ceil((best?.candidate.length ?? 0) / 3));
  return best && best.distance <= tolerance ? best.candidate : undefined;
}
