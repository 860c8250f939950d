import { z } from 'zod';
import { clip, preview } from '../../kernel/json/bounded-format';
import { type PriceItem, TYPE_PRICE_KEYS, type TypePrices } from './price-item';

/** BCP-47-ish locale tag as used for name keys: `en`, `zh-CN`, `zh-Hant-TW`. */
export const LOCALE_RE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;
/** Barcodes / item references: letters and digits only (GTINs, PLUs, in-store refs). */
export const BARCODE_RE = /^[0-9A-Za-z]+$/;

export const MSG = {
  identifier: 'expected a non-empty string without leading or trailing whitespace',
  barcodes: 'expected a non-empty list of barcodes',
  barcode: 'expected letters and digits only',
  names: 'expected at least one name',
  name: 'expected a non-blank string',
  locale: 'expected a locale tag such as "zh-CN" or "en"',
  unitPrice: 'expected a non-negative integer (minor units)',
  ageLimit: 'expected null or an integer 0..99',
  soldByWeight: 'expected true or false',
  typePrices: 'expected an object of customer-type prices with only "business" and/or "group"',
  typePrice: 'expected a non-negative integer (minor units)',
  item: 'expected an object',
} as const;

const identifier = z
  .string({ error: MSG.identifier })
  .min(1, { error: MSG.identifier })
  .refine((s) => s.trim() === s, { error: MSG.identifier });

const typePrice = z
  .number({ error: MSG.typePrice })
  .int({ error: MSG.typePrice })
  .min(0, { error: MSG.typePrice });

const names = z.record(z.string(), z.string({ error: MSG.name })).superRefine((rec, ctx) => {
  const entries = Object.entries(rec);
  if (entries.length === 0) ctx.addIssue({ code: 'custom', message: MSG.names, input: rec });
  for (const [locale, text] of entries) {
    if (!LOCALE_RE.test(locale)) ctx.addIssue({ code: 'custom', message: MSG.locale, path: [locale], input: locale });
    else if (text.trim() === '') ctx.addIssue({ code: 'custom', message: MSG.name, path: [locale], input: text });
  }
});

/**
 * One price-book row. Validates shape only; uniqueness of SKUs / barcodes across a file is checked by the reader.
 * Unknown keys are dropped from the parsed output.
 */
export const priceItemSchema = z.object(
  {
    sku: identifier,
    barcodes: z
      .array(z.string({ error: MSG.barcode }).regex(BARCODE_RE, { error: MSG.barcode }), { error: MSG.barcodes })
      .min(1, { error: MSG.barcodes }),
    names,
    unitPrice: z
      .number({ error: MSG.unitPrice })
      .int({ error: MSG.unitPrice })
      .min(0, { error: MSG.unitPrice }),
    taxClass: identifier,
    ageLimit: z
      .number({ error: MSG.ageLimit })
      .int({ error: MSG.ageLimit })
      .min(0, { error: MSG.ageLimit })
      .max(99, { error: MSG.ageLimit })
      .nullable(),
    soldByWeight: z.boolean({ error: MSG.soldByWeight }),
    typePrices: z
      .strictObject({ business: typePrice.optional(), group: typePrice.optional() }, { error: MSG.typePrices })
      .optional(),
  },
  { error: MSG.item },
);

/** `{}` and keys holding `undefined` mean "no type prices": the item carries none (absent), so it compares equal to one without. */
function normalizedTypePrices(item: PriceItem): PriceItem {
  if (item.typePrices === undefined) return item;
  const prices: TypePrices = {};
  for (const k of TYPE_PRICE_KEYS) if (item.typePrices[k] !== undefined) prices[k] = item.typePrices[k];
  const { typePrices: _drop, ...rest } = item;
  return Object.keys(prices).length === 0 ? rest : { ...rest, typePrices: prices };
}

// Compile-time check that the schema and the pricing type agree both ways.
type Parsed = z.infer<typeof priceItemSchema>;
const _toType = (p: Parsed): PriceItem => p;
const _fromType = (p: PriceItem): Parsed => p;
void _toType;
void _fromType;

/** A single validation problem: the field path (e.g. `names.en`, `barcodes[1]`) and a human-readable reason. */
export interface FieldProblem {
  path: (string | number)[];
  reason: string;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) {
      return { present: false, value: undefined };
    }
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return { present: true, value: cur };
}

/**
 * Short, single-line rendering of an offending value for error messages. Bounded (kernel/json/bounded-format.ts):
 * a value nested thousands deep used to overflow the stack here (`String(v)` after `JSON.stringify` gave up).
 */
export function showValue(v: unknown): string {
  return preview(v, 80);
}

/**
 * Validates `raw` with priceItemSchema. Returns the item or the first problem (the reason already includes the
 * offending value, e.g. `expected a non-negative integer (minor units), got 12.5`).
 */
export function checkPriceItem(raw: unknown): { ok: true; item: PriceItem } | { ok: false; problem: FieldProblem } {
  const fast = plainValidItem(raw);
  if (fast !== null) return { ok: true, item: fast };
  return checkPriceItemWithSchema(raw);
}

const isIdentifier = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.trim() === v;
/** An object as JSON or a literal makes it (or Object.create(null)): no inherited fields to read or miss. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
const isMinor = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The common case of {@link checkPriceItem} without zod (a million-row book spends seconds in it): an item that is
 * plainly valid — every field present with its expected type and value, nothing to drop or normalise but absent
 * type prices — comes back as the very object (same keys, same order) the schema would give; anything else is null
 * and goes through the schema, which accepts or names the problem. item-schema.property.test.ts holds the two
 * paths equal on generated valid and invalid items.
 */
export function plainValidItem(raw: unknown): PriceItem | null {
  if (!isPlainObject(raw)) return null;
  const r = raw;
  const { sku, barcodes, names, unitPrice, taxClass, ageLimit, soldByWeight, typePrices } = r;
  if (!isIdentifier(sku) || !isIdentifier(taxClass) || !isMinor(unitPrice) || typeof soldByWeight !== 'boolean') return null;
  if (ageLimit !== null && !(typeof ageLimit === 'number' && Number.isInteger(ageLimit) && ageLimit >= 0 && ageLimit <= 99)) return null;
  if (!Array.isArray(barcodes) || barcodes.length === 0) return null;
  for (const b of barcodes as unknown[]) if (typeof b !== 'string' || !BARCODE_RE.test(b)) return null;
  if (!isPlainObject(names)) return null;
  const nameCopy: Record<string, string> = {};
  let count = 0;
  for (const locale of Object.keys(names)) {
    const text = names[locale];
    if (typeof text !== 'string' || !LOCALE_RE.test(locale) || text.trim() === '') return null;
    nameCopy[locale] = text;
    count++;
  }
  if (count === 0) return null;
  const item: PriceItem = { sku, barcodes: [...(barcodes as string[])], names: nameCopy, unitPrice, taxClass, ageLimit, soldByWeight };
  if (!('typePrices' in r)) return item;
  if (!isPlainObject(typePrices)) return null;
  for (const key of Object.keys(typePrices)) if ((key !== 'business' && key !== 'group') || !isMinor(typePrices[key])) return null;
  const prices: TypePrices = {};
  for (const key of TYPE_PRICE_KEYS) if (key in typePrices) prices[key] = typePrices[key] as number; // the schema's order
  if (Object.keys(prices).length > 0) item.typePrices = prices;
  return item;
}

/** {@link checkPriceItem} through the schema alone (what {@link plainValidItem} stands in for; exported for its test). */
export function checkPriceItemWithSchema(raw: unknown): { ok: true; item: PriceItem } | { ok: false; problem: FieldProblem } {
  const r = priceItemSchema.safeParse(raw);
  if (r.success) return { ok: true, item: normalizedTypePrices(r.data) };
  const issue = r.error.issues[0];
  const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
  const { present, value } = valueAt(raw, path);
  let reason: string;
  if (!present && path.length > 0) reason = 'is required';
  else if (issue.message === MSG.locale) reason = `${MSG.locale}, got ${showValue(path[path.length - 1])}`;
  else reason = `${issue.message}, got ${showValue(value)}`;
  return { ok: false, problem: { path, reason } };
}

/** `['names', 'en']` → `names.en`, `['barcodes', 1]` → `barcodes[1]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (let i = 0; i < path.length && out.length <= 120; i++) {
    const k = path[i];
    out += typeof k === 'number' ? `[${k}]` : out === '' ? clip(k, 120) : `.${clip(k, 120)}`;
  }
  return clip(out, 120);
}
