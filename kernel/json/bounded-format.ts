/**
 * Bounded renderings for error messages. Whatever value came in (a million nested arrays, a 16 MiB string, an
 * object with a million keys), the output is short and producing it neither recurses without limit nor walks the
 * whole value: the error path must never be the one that crashes.
 */

/** Nesting shown by `preview`; anything deeper is `[…]` / `{…}`. */
const PREVIEW_DEPTH = 6;

/** `s` cut to at most `max` characters, `...` marking the cut. */
export function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, Math.max(0, max - 3))}...` : s;
}

/**
 * A short, single-line, JSON-like rendering of `v` (strings quoted), cut at `maxChars`. Stops walking as soon as
 * the budget is spent; nesting beyond PREVIEW_DEPTH is elided.
 */
export function preview(v: unknown, maxChars = 80): string {
  const out = { s: '', max: maxChars + 1 };
  render(v, 0, out);
  return clip(out.s, maxChars);
}

function render(v: unknown, depth: number, out: { s: string; max: number }): void {
  if (out.s.length > out.max) return;
  if (typeof v === 'string') {
    out.s += JSON.stringify(v.length > out.max ? v.slice(0, out.max) : v);
  } else if (v === null || typeof v === 'number' || typeof v === 'boolean') {
    out.s += typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v);
  } else if (v === undefined) {
    out.s += 'undefined';
  } else if (typeof v === 'bigint') {
    out.s += `${v}n`;
  } else if (typeof v === 'symbol' || typeof v === 'function') {
    out.s += typeof v === 'symbol' ? 'Symbol()' : 'function';
  } else if (Array.isArray(v)) {
    if (depth >= PREVIEW_DEPTH) {
      out.s += v.length === 0 ? '[]' : '[…]';
      return;
    }
    out.s += '[';
    for (let i = 0; i < v.length && out.s.length <= out.max; i++) {
      if (i > 0) out.s += ',';
      render(v[i], depth + 1, out);
    }
    out.s += ']';
  } else {
    const o = v as Record<string, unknown>;
    if (depth >= PREVIEW_DEPTH) {
      out.s += '{…}';
      return;
    }
    out.s += '{';
    let first = true;
    for (const k in o) {
      if (out.s.length > out.max) break;
      if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
      if (!first) out.s += ',';
      first = false;
      out.s += `${JSON.stringify(k.length > out.max ? k.slice(0, out.max) : k)}:`;
      render(o[k], depth + 1, out);
    }
    out.s += '}';
  }
}

/** A validation path as `a.b.0.c` (zod issue paths, symbols included), cut at `maxChars`. */
export function joinPath(path: readonly PropertyKey[], maxChars = 120): string {
  let s = '';
  for (let i = 0; i < path.length && s.length <= maxChars; i++) {
    const k = path[i];
    const part = typeof k === 'symbol' ? 'Symbol()' : String(k);
    s += (i > 0 ? '.' : '') + (part.length > maxChars ? part.slice(0, maxChars) : part);
  }
  return clip(s, maxChars);
}

/** At most `max` lines of `lines`, then one line saying how many more there were. */
export function firstLines(lines: readonly string[], max: number): string[] {
  return lines.length <= max ? [...lines] : [...lines.slice(0, max), `… and ${lines.length - max} more`];
}
