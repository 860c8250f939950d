import type { PriceItem } from '../../protocol/pricebook/price-item';

/** One item whose row differs between two books: the fields that changed, each old → new. */
export interface ChangedItem {
  sku: string;
  before: PriceItem;
  after: PriceItem;
  /** `unitPrice`, `names`, `barcodes`, `taxClass`, `ageLimit`, `soldByWeight`, `typePrices` — in that order. */
  fields: (keyof PriceItem)[];
}

export interface BookDiff {
  added: PriceItem[];
  removed: PriceItem[];
  changed: ChangedItem[];
  unchanged: number;
}

const FIELDS: (keyof PriceItem)[] = ['unitPrice', 'names', 'barcodes', 'taxClass', 'ageLimit', 'soldByWeight', 'typePrices'];

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
/** Names compared regardless of the order of their locales. */
const sortedNames = (n: Record<string, string>): [string, string][] => Object.entries(n).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** What publishing `after` changes for a store whose last book was `before` (by SKU; each list sorted by SKU). */
export function diffBooks(before: readonly PriceItem[], after: readonly PriceItem[]): BookDiff {
  const old = new Map(before.map((i) => [i.sku, i]));
  const next = new Map(after.map((i) => [i.sku, i]));
  const bySku = (a: { sku: string }, b: { sku: string }) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);
  const added = after.filter((i) => !old.has(i.sku)).sort(bySku);
  const removed = before.filter((i) => !next.has(i.sku)).sort(bySku);
  const changed: ChangedItem[] = [];
  let unchanged = 0;
  for (const a of after) {
    const b = old.get(a.sku);
    if (!b) continue;
    const fields = FIELDS.filter((f) => (f === 'names' ? !same(sortedNames(a.names), sortedNames(b.names)) : !same(a[f], b[f])));
    if (fields.length) changed.push({ sku: a.sku, before: b, after: a, fields });
    else unchanged++;
  }
  return { added, removed, changed: changed.sort(bySku), unchanged };
}
