import { canonicalJson } from '../../kernel/canonical-json';
import type { Promotion } from './reader';

/** One field of a promotion that differs: its old and new value (undefined = absent). */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface PromotionsDiff {
  added: Promotion[];
  removed: Promotion[];
  changed: { id: string; before: Promotion; after: Promotion; fields: FieldChange[] }[];
  unchanged: number;
}

/** The order fields are listed in (then any other, by name). */
const ORDER = ['kind', 'skus', 'percent', 'amount', 'buy', 'pay', 'quantity', 'price', 'multiplier', 'label', 'memberOnly', 'customerTypes', 'validFrom', 'validTo'];
const rank = (f: string): number => (ORDER.includes(f) ? ORDER.indexOf(f) : ORDER.length);
const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** What replacing the store's promotions `before` with `after` changes (by id; field by field; lists sorted by id). */
export function diffPromotions(before: readonly Promotion[], after: readonly Promotion[]): PromotionsDiff {
  const old = new Map(before.map((p) => [p.id, p]));
  const next = new Map(after.map((p) => [p.id, p]));
  const added = after.filter((p) => !old.has(p.id)).sort(byId);
  const removed = before.filter((p) => !next.has(p.id)).sort(byId);
  const changed: PromotionsDiff['changed'] = [];
  let unchanged = 0;
  for (const a of after) {
    const b = old.get(a.id);
    if (!b) continue;
    const A = a as Record<string, unknown>;
    const B = b as Record<string, unknown>;
    const fields = [...new Set([...Object.keys(A), ...Object.keys(B)])]
      .filter((f) => f !== 'id')
      // canonical JSON: a label's locales in any order are the same label
      .filter((f) => (A[f] === undefined ? 'absent' : canonicalJson(A[f])) !== (B[f] === undefined ? 'absent' : canonicalJson(B[f])))
      .sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0))
      .map((field) => ({ field, before: B[field], after: A[field] }));
    if (fields.length) changed.push({ id: a.id, before: b, after: a, fields });
    else unchanged++;
  }
  return { added, removed, changed: changed.sort(byId), unchanged };
}
