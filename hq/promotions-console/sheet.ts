import { diffPromotions } from './diff';
import { COLUMNS, POINTS_COLUMNS, readPromotions, type Promotion } from './reader';

/**
 * The promotions in force as the sheet the upload reader takes (./reader.ts: the same columns, `|` lists, minor
 * units, an absent field an empty cell), for the page's textarea: an edit starts from what is in force, and the
 * sheet posted back unchanged diffs to nothing. {@link promotionsSheet} also says which promotions the columns cannot
 * carry exactly (a label in another locale, a SKU holding `|`, text with spaces at its ends): checked by reading the
 * sheet back, so the page can say so instead of letting a publish change them silently. The `multiplier` column (kind
 * `points`) is written only when a promotion of that kind is in the list, so a sheet without one keeps its columns.
 */

/** A CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break. */
const cell = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

const text = (v: unknown): string => (v === undefined || v === null ? '' : Array.isArray(v) ? v.map(String).join('|') : String(v as string | number | boolean));

function row(p: Promotion, columns: readonly (typeof COLUMNS)[number][]): string[] {
  const o = p as Record<string, unknown>;
  const values: Record<(typeof COLUMNS)[number], unknown> = {
    id: p.id,
    kind: p.kind,
    skus: p.skus,
    percent: o.percent,
    amount: o.amount,
    buy: o.buy,
    pay: o.pay,
    quantity: o.quantity,
    price: o.price,
    label_en: p.label.en,
    'label_zh-CN': p.label['zh-CN'],
    member_only: p.memberOnly,
    customer_types: p.customerTypes,
    valid_from: p.validFrom,
    valid_to: p.validTo,
    multiplier: o.multiplier,
  };
  return columns.map((c) => cell(text(values[c])));
}

export interface PromotionsSheet {
  csv: string;
  /** The ids of promotions the sheet does not carry exactly (read back, they differ from what is in force). */
  inexact: string[];
}

export function promotionsSheet(list: readonly Promotion[]): PromotionsSheet {
  const columns = list.some((p) => p.kind === 'points') ? COLUMNS : COLUMNS.filter((c) => !POINTS_COLUMNS.includes(c));
  const header = columns.join(',');
  const rows = list.map((p) => row(p, columns).join(','));
  // each row read back alone by the upload reader: the same promotion, or the sheet cannot carry it exactly
  const inexact = list
    .filter((p, i) => {
      const back = readPromotions(`${header}\n${rows[i]}\n`);
      return !back.ok || back.promotions.length !== 1 || diffPromotions([p], back.promotions).unchanged !== 1;
    })
    .map((p) => p.id);
  return { csv: [header, ...rows].join('\n') + '\n', inexact };
}
