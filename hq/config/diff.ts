import { canonicalJson } from '../../kernel/canonical-json';

/** One difference between two bodies at a dotted path (`tax.rate`); arrays are compared whole (a bundle replaces them). */
export type BodyChange =
  | { path: string; change: 'added'; after: unknown }
  | { path: string; change: 'removed'; before: unknown }
  | { path: string; change: 'changed'; before: unknown; after: unknown };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/**
 * What `next` changes against `current` (the body in force, `{}` when none): paths added, removed and changed,
 * with old → new values, sorted by path. Objects are walked key by key; anything else (arrays included) is a value.
 */
export function diffBodies(current: unknown, next: unknown, at = ''): BodyChange[] {
  if (isObj(current) && isObj(next)) {
    const keys = [...new Set([...Object.keys(current), ...Object.keys(next)])].sort();
    return keys.flatMap((k) => {
      const path = at ? `${at}.${k}` : k;
      const has = (o: Obj) => Object.prototype.hasOwnProperty.call(o, k);
      if (!has(current)) return [{ path, change: 'added' as const, after: next[k] }];
      if (!has(next)) return [{ path, change: 'removed' as const, before: current[k] }];
      return diffBodies(current[k], next[k], path);
    });
  }
  if (same(current, next)) return [];
  return [{ path: at || '(root)', change: 'changed', before: current, after: next }];
}

/** A value for a diff line: JSON, shortened. */
export function showValue(v: unknown, max = 120): string {
  const text = canonicalJson(v);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The diff as text lines (`+ tax.rate: 0.07`, `- loyalty`, `~ tax.rate: 0.13 → 0.07`), for the CLI. */
export function diffLines(changes: readonly BodyChange[]): string[] {
  return changes.map((c) =>
    c.change === 'added' ? `+ ${c.path}: ${showValue(c.after)}` : c.change === 'removed' ? `- ${c.path}: ${showValue(c.before)}` : `~ ${c.path}: ${showValue(c.before)} → ${showValue(c.after)}`,
  );
}
