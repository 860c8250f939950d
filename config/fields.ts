import { z } from 'zod';

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

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** One line per problem: `tax.rate: expected number ≤ 1, got "7%"`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(`${path ? path + '.' : ''}${key}: unknown field`);
      continue;
    }
    out.push(`${path || '(root)'}: ${issue.message}, got ${show(valueAt(input, issue.path))}`);
  }
  return out;
}
