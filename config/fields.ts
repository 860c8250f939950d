import { z } from 'zod';
import { clip, joinPath, preview } from '../kernel/json/bounded-format';
import { isTimeZone } from '../kernel/local-time';

/**
 * Field builders whose error messages say what was expected in words a technician understands;
 * `formatIssues` adds the path and the value actually given.
 */
export function num(opts: { min?: number; max?: number; int?: boolean } = {}) {
  const kind = opts.int ? 'integer' : 'number';
  const bounds = [opts.min !== undefined ? `≥ ${opts.min}` : '', opts.max !== undefined ? `≤ ${opts.max}` : '']
    .filter(Boolean)
    .join(' and ');
  const msg = `expected ${kind}${bounds ? ' ' + bounds : ''}`;
  let s = z.number({ error: msg });
  if (opts.int) s = s.int({ error: msg });
  if (opts.min !== undefined) s = s.min(opts.min, { error: msg });
  if (opts.max !== undefined) s = s.max(opts.max, { error: msg });
  return s;
}

/** A non-negative integer amount of money in minor units. */
export const minor = () => num({ min: 0, int: true });

export function str(opts: { pattern?: RegExp; what?: string; min?: number } = {}) {
  const msg = `expected ${opts.what ?? 'text'}`;
  let s = z.string({ error: msg });
  if (opts.min !== undefined) s = s.min(opts.min, { error: msg });
  if (opts.pattern) s = s.regex(opts.pattern, { error: msg });
  return s;
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}` });
}

export function bool() {
  return z.boolean({ error: 'expected true or false' });
}

export function regexSource(what: string) {
  return z.string({ error: `expected ${what} (a regular expression)` }).refine(
    (s) => {
      try {
        new RegExp(s);
        return true;
      } catch {
        return false;
      }
    },
    { error: `expected ${what} (a valid regular expression)` },
  );
}

/** An IANA time-zone name the platform knows, such as "Asia/Shanghai" or "Europe/Berlin". */
export function timeZone() {
  const msg = 'expected an IANA time zone such as "Asia/Shanghai"';
  return z.string({ error: msg }).refine((s) => isTimeZone(s), { error: msg });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** Bounded (kernel/json/bounded-format.ts): an offending value nested thousands deep must not overflow the stack here. */
function show(v: unknown): string {
  return v === undefined ? 'nothing' : preview(v, 60);
}

/** Problems listed at most; the rest are counted. A hostile bundle can carry a million wrong fields. */
const MAX_ISSUES = 20;

/** One line per problem: `tax.rate: expected number ≤ 1, got "7%"` (at most MAX_ISSUES lines, then `… and N more`). */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (out.length > MAX_ISSUES) break;
    const path = joinPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys.slice(0, MAX_ISSUES + 1)) out.push(`${path ? path + '.' : ''}${clip(key, 120)}: unknown field`);
      continue;
    }
    out.push(`${path || '(root)'}: ${issue.message}, got ${show(valueAt(input, issue.path))}`);
  }
  const total = issues.reduce((n, i) => n + (i.code === 'unrecognized_keys' ? i.keys.length : 1), 0);
  return total > MAX_ISSUES ? [...out.slice(0, MAX_ISSUES), `… and ${total - MAX_ISSUES} more problems`] : out;
}
