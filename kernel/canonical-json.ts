/**
 * Canonical JSON: one text for equal data, so it can be hashed and signed.
 *
 * Two functions, one family:
 *
 * - {@link jcs} is RFC 8785 JCS (JSON Canonicalization Scheme), strict: object members sorted by the UTF-16 code
 *   units of their names (§3.2.3), no whitespace (§3.2.1), strings escaped as ECMAScript `JSON.stringify` does
 *   (§3.2.2.2), numbers as ECMAScript Number-to-String (§3.2.2.3, what `JSON.stringify` writes for a finite
 *   number). It refuses input outside JCS's domain, I-JSON (RFC 8785 §3.1, RFC 7493 §2.1): non-finite numbers,
 *   strings with a lone surrogate, and values JSON has no form for (undefined, functions, symbols, bigints,
 *   objects that are not plain, cycles) — with a {@link CanonicalJsonError}.
 * - {@link canonicalJson} is canonical JSON **version 1**: the bytes under every journal hash and every signed
 *   envelope written so far. It is frozen. For every value `jcs` accepts, `canonicalJson(v) === jcs(v)` (tested).
 *   Outside JCS's domain it does not refuse but writes what it always wrote: a lone surrogate as `JSON.stringify`'s
 *   `\udxxx` escape, an undefined member left out, `undefined`/a function/a symbol elsewhere as `null`, a non-plain
 *   object (a Date…) by its own enumerable properties. Only non-finite numbers throw (TypeError).
 *
 * `canonicalJson(JSON.parse(canonicalJson(v))) === canonicalJson(v)` for every v: the text survives a parse, so a
 * receiver re-canonicalising a parsed payload gets the exact bytes that were hashed (protocol/sync/messages.ts v2).
 */

/** The version of {@link canonicalJson}'s byte format. A new format needs a new version; journal hashes use 1. */
export const CANONICAL_JSON_VERSION = 1;

/** Strings `JSON.stringify` writes unchanged between quotes: no `"`, backslash, C0 control or surrogate code unit. */
// eslint-disable-next-line no-control-regex -- the C0 range is exactly what JSON.stringify escapes
const NEEDS_NO_ESCAPE = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

const quote = (s: string): string => (NEEDS_NO_ESCAPE.test(s) ? `"${s}"` : JSON.stringify(s));

/**
 * Canonical JSON version 1 (see the module comment): sorted keys, no whitespace, `JSON.stringify` scalars. Written
 * for speed (every journal append and every v2 event on both sides runs it); its bytes are pinned to the original
 * one-liner by a property test (canonical-json.test.ts).
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('non-finite number in journal payload');
      return String(value); // what JSON.stringify writes for a finite number (ECMAScript Number::toString)
    case 'object':
      break;
    default:
      return JSON.stringify(value) ?? 'null'; // boolean; undefined, function, symbol → null; bigint throws
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      if (i in value) out += canonicalJson(value[i]); // a hole stays empty, as version 1 always wrote it
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  let out = '{';
  for (const k of Object.keys(obj).sort()) {
    const v = obj[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${quote(k)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}

/** Every object in `v` has its keys in canonical order and every number is finite (so JSON.stringify writes what canonicalJson writes). */
function stringifiesCanonically(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (v === null || typeof v !== 'object') return true;
  if (Array.isArray(v)) return v.every(stringifiesCanonically);
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && !(keys[i - 1] < keys[i])) return false;
    if (!stringifiesCanonically((v as Record<string, unknown>)[keys[i]])) return false;
  }
  return true;
}

/**
 * canonicalJson of a value that came from JSON.parse, fast: when every object's keys already stand in canonical order
 * (as they do after parsing a canonical text, the usual case on the sync path) and every number is finite, the
 * canonical text is exactly JSON.stringify(value) — same string escapes, same number forms, and a parsed array has no
 * holes — so the native serialiser writes it; otherwise canonicalJson does. Same result, same errors.
 */
export function canonicalJsonOfParsed(value: unknown): string {
  return stringifiesCanonically(value) ? JSON.stringify(value) : canonicalJson(value);
}

/** A value with no RFC 8785 form; `path` is where (`$`, `$.a[2]`). */
export class CanonicalJsonError extends TypeError {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`not canonicalisable (RFC 8785 JCS) at ${path}: ${problem}`);
    this.name = 'CanonicalJsonError';
  }
}

/** A UTF-16 surrogate code unit that is not half of a pair. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function jcsString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw new CanonicalJsonError(path, 'lone surrogate in a string (not Unicode, RFC 8785 §3.1)');
  return JSON.stringify(s);
}

function jcsAt(value: unknown, path: string, open: Set<object>): string {
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(path, `${value} is not a JSON number (RFC 8785 §3.2.2.3)`);
      return JSON.stringify(value);
    case 'string':
      return jcsString(value, path);
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(path, `a ${typeof value} has no JSON form`);
  }
  if (value === null) return 'null';
  if (open.has(value)) throw new CanonicalJsonError(path, 'cycle');
  open.add(value);
  let out: string;
  if (Array.isArray(value)) {
    out = `[${value.map((v, i) => jcsAt(v, `${path}[${i}]`, open)).join(',')}]`;
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) throw new CanonicalJsonError(path, 'not a plain object');
    const obj = value as Record<string, unknown>;
    // Array.prototype.sort without a comparator orders by UTF-16 code units, as RFC 8785 §3.2.3 requires
    const keys = Object.keys(obj).sort();
    out = `{${keys.map((k) => `${jcsString(k, path)}:${jcsAt(obj[k], `${path}.${k}`, open)}`).join(',')}}`;
  }
  open.delete(value);
  return out;
}

/** RFC 8785 JCS of `value` (UTF-16 text; its UTF-8 bytes are the canonical form), or CanonicalJsonError. */
export function jcs(value: unknown): string {
  return jcsAt(value, '$', new Set());
}
