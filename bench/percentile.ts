/** Nearest-rank percentile (`p` in 0–100) of ascending `sorted`; NaN when empty. Shared by the benches' latency tables. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
