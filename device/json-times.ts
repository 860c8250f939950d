/**
 * `--json` outputs show times as ISO 8601 (README "Command line"): a field named `…At` or `at` holding epoch
 * milliseconds (the database keeps them so) is written as e.g. `"2026-12-06T11:30:00.000Z"`; the field names stay.
 * Only integers that can be such a time (1973…5138) are converted, so a count named `…At` would stay a number.
 */
const TIME_KEY = /^(at|[a-z][A-Za-z0-9]*At)$/;
const isEpochMs = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1e11 && v < 1e14;

export function withIsoTimes(value: unknown, depth = 0): unknown {
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => withIsoTimes(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, k, {
      value: TIME_KEY.test(k) && isEpochMs(v) ? new Date(v).toISOString() : withIsoTimes(v, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
