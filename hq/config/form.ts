import { z } from 'zod';
import { defaultConfig } from '../../config/defaults';
import { configSchema } from '../../config/schema';

/**
 * The config edit form, generated from the kiosk's zod schema (z.toJSONSchema): one input per leaf a bundle may set
 * — number, text, boolean checkbox, enum select. Lists, maps and device transports (unions) have no generated input:
 * they go in the form's advanced JSON, which is merged over the fields.
 *
 * A field left empty (or a select left at "inherit") is not in the body: the level below (or the kiosk's own
 * config) decides; a `null` (e.g. no logo) is set in the advanced JSON. Numbers that do not parse are sent on as text, so the problem shown is the kiosk's own
 * (`tax.rate: expected number ≥ 0 and ≤ 1, got "7%"`).
 */

export type FieldKind = 'number' | 'integer' | 'text' | 'nullable-text' | 'boolean' | 'enum';

export interface FormField {
  /** Dotted path in the body: `tax.rate`. */
  path: string;
  kind: FieldKind;
  options?: readonly string[];
  min?: number;
  max?: number;
  /** The value a kiosk has when no bundle and no local config sets it. */
  fallback: unknown;
}

type Obj = Record<string, unknown>;
type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
};
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Fields no bundle may set (protocol/control/config-bundle.ts forbiddenBundleField): not offered. */
const PROVISIONING_ONLY = new Set(['dataDir', 'device.storeId', 'device.deviceId']);

/** The value at a dotted path, or undefined. */
export function valueAt(body: unknown, path: string): unknown {
  let v = body;
  for (const k of path.split('.')) {
    if (!isObj(v) || !Object.prototype.hasOwnProperty.call(v, k)) return undefined;
    v = v[k];
  }
  return v;
}

function leaf(path: string, s: JsonSchema, fallback: unknown): FormField | null {
  const bounds = { ...(s.minimum !== undefined ? { min: s.minimum } : {}), ...(s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? { max: s.maximum } : {}) };
  if (Array.isArray(s.enum) && s.enum.every((e) => typeof e === 'string')) return { path, kind: 'enum', options: s.enum as string[], fallback };
  if (s.type === 'number') return { path, kind: 'number', ...bounds, fallback };
  if (s.type === 'integer') return { path, kind: 'integer', ...bounds, fallback };
  if (s.type === 'boolean') return { path, kind: 'boolean', fallback };
  if (s.type === 'string') return { path, kind: 'text', fallback };
  const nullableString =
    (Array.isArray(s.type) && s.type.length === 2 && s.type.includes('string') && s.type.includes('null')) ||
    (s.anyOf?.length === 2 && s.anyOf.some((a) => a.type === 'string') && s.anyOf.some((a) => a.type === 'null'));
  if (nullableString) return { path, kind: 'nullable-text', fallback };
  return null;
}

function walk(s: JsonSchema, at: string, defaults: unknown, out: FormField[]): void {
  for (const [k, sub] of Object.entries(s.properties ?? {})) {
    const path = at ? `${at}.${k}` : k;
    if (PROVISIONING_ONLY.has(path)) continue;
    const fallback = valueAt(defaults, path);
    if (sub.type === 'object' && sub.properties) walk(sub, path, defaults, out);
    else {
      const f = leaf(path, sub, fallback);
      if (f) out.push(f);
    }
  }
}

let cached: FormField[] | null = null;

/** Every generated field, in schema order. */
export function formFields(): FormField[] {
  if (!cached) {
    const schema = z.toJSONSchema(configSchema, { unrepresentable: 'any', io: 'input' }) as JsonSchema;
    const out: FormField[] = [];
    walk(schema, '', defaultConfig(), out);
    cached = out;
  }
  return cached;
}

function setAt(body: Obj, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = body;
  for (const k of keys.slice(0, -1)) {
    if (!isObj(node[k])) node[k] = {};
    node = node[k] as Obj;
  }
  node[keys[keys.length - 1]] = value;
}

function deleteAt(body: Obj, path: string): void {
  const keys = path.split('.');
  const parents: Obj[] = [body];
  let node: unknown = body;
  for (const k of keys.slice(0, -1)) {
    if (!isObj(node) || !isObj(node[k])) return;
    node = node[k];
    parents.push(node as Obj);
  }
  delete (node as Obj)[keys[keys.length - 1]];
  // drop objects left empty by it
  for (let i = keys.length - 2; i >= 0; i--) if (Object.keys(parents[i + 1]).length === 0) delete parents[i][keys[i]];
}

/** The body without the generated fields: what the advanced JSON shows. */
export function advancedPart(body: unknown): Obj {
  if (!isObj(body)) return {};
  const rest = structuredClone(body);
  for (const f of formFields()) deleteAt(rest, f.path);
  return rest;
}

/** The form's input name of a field. */
export const inputName = (f: FormField): string => `f.${f.path}`;

/** A value typed in a number input: a number when it is one, else the text itself (the kiosk's message names it). */
function numberOf(text: string): unknown {
  const t = text.trim();
  return /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : t;
}

/**
 * The body a submitted form describes: each filled-in field at its path, then the advanced JSON merged over them.
 * A checkbox (shown with its hidden `b.PATH` marker) counts when it differs from the default or the body in force
 * set it (`had.PATH`).
 * Returns the body, or the problem with the advanced JSON.
 */
export function bodyFromForm(form: Record<string, string | undefined>): { ok: true; body: Obj } | { ok: false; problem: string } {
  let advanced: unknown = {};
  const text = form.advanced?.trim();
  if (text) {
    if (text.length > 256 * 1024) return { ok: false, problem: 'advanced: longer than 256 KiB' };
    try {
      advanced = JSON.parse(text);
    } catch (e) {
      return { ok: false, problem: `advanced: not JSON (${(e as Error).message})` };
    }
    if (!isObj(advanced)) return { ok: false, problem: 'advanced: expected a JSON object of config sections' };
  }
  const body: Obj = {};
  for (const f of formFields()) {
    const raw = form[inputName(f)];
    if (f.kind === 'boolean') {
      // only a form that showed the checkbox (its `b.PATH` marker) says anything about it: an absent box is unchecked
      if (form[`b.${f.path}`] === undefined) continue;
      const checked = raw !== undefined;
      if (checked !== f.fallback || form[`had.${f.path}`] !== undefined) setAt(body, f.path, checked);
      continue;
    }
    if (raw === undefined || raw.trim() === '') continue;
    if (f.kind === 'number' || f.kind === 'integer') setAt(body, f.path, numberOf(raw));
    else setAt(body, f.path, raw);
  }
  return { ok: true, body: mergeInto(body, advanced as Obj) };
}

function mergeInto(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    // an own key even for `__proto__` (JSON.parse makes it one; the kiosk then refuses it as unknown)
    const merged = isObj(out[k]) && isObj(v) ? mergeInto(out[k] as Obj, v) : v;
    Object.defineProperty(out, k, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
