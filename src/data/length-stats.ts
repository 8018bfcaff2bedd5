/** Token-length statistics of a split, with a histogram over power-of-two buckets. */
export interface LengthStats {
  records: number;
  tokens: number;
  trainedTokens: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
  /** [upper bound, count]: lengths ≤ bound and > the previous bound. */
  histogram: Array<[number, number]>;
}

export function lengthStats(lengths: readonly number[], trainedTokens: number): LengthStats {
  const sorted = [...lengths].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  const tokens = sorted.reduce((s, x) => s + x, 0);
  const histogram = new Map<number, number>();
  for (const n of sorted) {
    const bound = 2 ** Math.max(4, Math.ceil(Math.log2(Math.max(1, n))));
    histogram.set(bound, (histogram.get(bound) ?? 0) + 1);
  }
  return {
    records: sorted.length,
    tokens,
    trainedTokens,
    min: sorted[0] ?? 0,
    mean: sorted.length === 0 ? 0 : Math.round((tokens / sorted.length) * 10) / 10,
    p50: at(0.5),
    p95: at(0.95),
    max: sorted[sorted.length - 1] ?? 0,
    histogram: [...histogram],
  };
}

/** The histogram as text bars, for the terminal. */
export function histogramLines(stats: LengthStats, width = 40): string[] {
  const peak = Math.max(1, ...stats.histogram.map(([, c]) => c));
  return stats.histogram.map(([bound, count]) => `  ≤${String(bound).padStart(6)} ${"█".repeat(Math.ceil((count / peak) * width))} ${count}`);
}
