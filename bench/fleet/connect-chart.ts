/**
 * The connect-rate curve of bench/fleet as a small ASCII chart: connections (CONNACKs) per bucket after `t0` (the
 * broker's restart), one column per bucket, `height` rows. Buckets are `bucketMs` wide (250 ms), widened to a
 * multiple of it when there would be more than `maxColumns` of them.
 */
export function connectRateChart(times: readonly number[], t0: number, opts: { bucketMs?: number; maxColumns?: number; height?: number } = {}): string {
  const base = opts.bucketMs ?? 250;
  const maxColumns = opts.maxColumns ?? 80;
  const height = opts.height ?? 8;
  const rel = times.map((t) => t - t0).filter((t) => t >= 0);
  if (rel.length === 0) return '(no connects)';
  const span = Math.max(...rel) + 1;
  const bucketMs = base * Math.max(1, Math.ceil(span / base / maxColumns));
  const counts = new Array<number>(Math.max(1, Math.ceil(span / bucketMs))).fill(0);
  for (const t of rel) counts[Math.floor(t / bucketMs)]++;
  const peak = Math.max(...counts);
  const label = (n: number) => String(n).padStart(String(peak).length);
  const lines: string[] = [];
  for (let row = height; row >= 1; row--) {
    const level = (peak * row) / height;
    const bar = counts.map((c) => (c >= level - 1e-9 ? '#' : c > (peak * (row - 1)) / height ? '.' : ' ')).join('');
    lines.push(`${row === height ? label(peak) : ' '.repeat(String(peak).length)} |${bar}`);
  }
  const axis = `${' '.repeat(String(peak).length)} +${'-'.repeat(counts.length)}`;
  const endS = ((counts.length * bucketMs) / 1000).toFixed(1);
  const foot = `${' '.repeat(String(peak).length)}  0 s${' '.repeat(Math.max(1, counts.length - 4 - endS.length - 2))}${endS} s`;
  return [`connects per ${bucketMs} ms after t0 (${rel.length} in all, peak ${peak})`, ...lines, axis, foot].join('\n');
}
