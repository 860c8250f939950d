import { parse } from 'csv-parse/sync';
import { formatIssues } from '../../config/fields';
import { promotionSchema } from '../../config/schema';
import type { KioskConfig } from '../../config/schema';

/**
 * A promotions sheet (CSV text; an XLSX workbook is first turned into this text by hq/pricebook-console/upload-file.ts)
 * → the config's `promotions`, each row checked by the kiosk config's own {@link promotionSchema} (its messages), or
 * the problems by line (the sheet row for an XLSX: line 1 is the header).
 *
 * Columns (any order; an empty cell = the field is absent): id, kind, skus (separated by `|`), percent, amount, buy,
 * pay, quantity, price, label_en, label_zh-CN, member_only (true/false), customer_types (`|`), valid_from, valid_to,
 * multiplier (kind `points`: lines of the SKUs earn multiplier × the member's points, 0–10; the column may be left out).
 */

export type Promotion = KioskConfig['promotions'][number];

export interface PromotionProblem {
  /** The CSV line (the sheet row), or null for the file as a whole. */
  line: number | null;
  /** The column, when one is at fault. */
  field: string | null;
  reason: string;
}

export type PromotionsRead = { ok: true; promotions: Promotion[] } | { ok: false; problems: PromotionProblem[] };

export const COLUMNS = ['id', 'kind', 'skus', 'percent', 'amount', 'buy', 'pay', 'quantity', 'price', 'label_en', 'label_zh-CN', 'member_only', 'customer_types', 'valid_from', 'valid_to', 'multiplier'] as const;
/** The columns a sheet needs only for promotions of kind `points` (./sheet.ts writes them only then). */
export const POINTS_COLUMNS: readonly (typeof COLUMNS)[number][] = ['multiplier'];
type Column = (typeof COLUMNS)[number];
const REQUIRED: readonly Column[] = ['id', 'kind', 'skus'];
const NUMERIC: readonly Column[] = ['percent', 'amount', 'buy', 'pay', 'quantity', 'price', 'multiplier'];
/** The config field of a column (for naming the column a schema problem is about). */
const FIELD_OF: Record<string, Column> = { id: 'id', kind: 'kind', skus: 'skus', percent: 'percent', amount: 'amount', buy: 'buy', pay: 'pay', quantity: 'quantity', price: 'price', memberOnly: 'member_only', customerTypes: 'customer_types', validFrom: 'valid_from', validTo: 'valid_to', multiplier: 'multiplier' };

/** Bounds: a sheet is a store's promotions, not a data dump. */
export const MAX_PROMOTIONS = 2000;
const MAX_PROBLEMS = 50;

const list = (s: string): string[] => s.split('|').map((x) => x.trim());
/** A number as written (`12`, `7.5`); anything else is kept as text, for the schema to name. */
const number = (s: string): number | string => (/^-?\d{1,15}(\.\d{1,6})?$/.test(s) ? Number(s) : s);
const flag = (s: string): boolean | string => (/^(true|false)$/i.test(s) ? s.toLowerCase() === 'true' : s);

/** One data row as the config object it stands for (before the schema's check). */
function rowObject(cells: Partial<Record<Column, string>>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const get = (c: Column): string | undefined => {
    const v = cells[c]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const id = get('id');
  if (id !== undefined) o.id = id;
  const kind = get('kind');
  if (kind !== undefined) o.kind = kind;
  const skus = get('skus');
  if (skus !== undefined) o.skus = list(skus);
  for (const c of NUMERIC) {
    const v = get(c);
    if (v !== undefined) o[c] = number(v);
  }
  const label: Record<string, string> = {};
  const en = get('label_en');
  const zh = get('label_zh-CN');
  if (en !== undefined) label.en = en;
  if (zh !== undefined) label['zh-CN'] = zh;
  o.label = label;
  const member = get('member_only');
  if (member !== undefined) o.memberOnly = flag(member);
  const types = get('customer_types');
  if (types !== undefined) o.customerTypes = list(types);
  const from = get('valid_from');
  if (from !== undefined) o.validFrom = from;
  const to = get('valid_to');
  if (to !== undefined) o.validTo = to;
  return o;
}

export function readPromotions(text: string): PromotionsRead {
  const fileProblem = (reason: string, line: number | null = null, field: string | null = null): PromotionsRead => ({ ok: false, problems: [{ line, field, reason }] });
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, relax_column_count: true, max_record_size: 64 * 1024 }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    const line = typeof (e as { lines?: unknown }).lines === 'number' ? (e as { lines: number }).lines : null;
    return fileProblem(`not readable as CSV (${e instanceof Error ? e.message.slice(0, 200) : 'unknown fault'})`, line);
  }
  const head = records[0];
  if (!head) return fileProblem('the file has no header row');
  const header = head.record.map((h) => h.trim());
  const problems: PromotionProblem[] = [];
  for (const h of header) {
    if (!(COLUMNS as readonly string[]).includes(h)) problems.push({ line: head.info.lines, field: h, reason: `unknown column "${h}" (expected: ${COLUMNS.join(', ')})` });
  }
  for (const c of REQUIRED) if (!header.includes(c)) problems.push({ line: head.info.lines, field: c, reason: `the column "${c}" is missing` });
  if (new Set(header).size !== header.length) problems.push({ line: head.info.lines, field: null, reason: 'a column appears twice' });
  if (problems.length) return { ok: false, problems };
  if (records.length - 1 > MAX_PROMOTIONS) return fileProblem(`${records.length - 1} promotions (at most ${MAX_PROMOTIONS})`);

  const promotions: Promotion[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of records.slice(1)) {
    if (problems.length >= MAX_PROBLEMS) break;
    const line = info.lines;
    if (record.length > header.length && record.slice(header.length).some((c) => c.trim() !== '')) {
      problems.push({ line, field: null, reason: `${record.length} values for ${header.length} columns` });
      continue;
    }
    const cells: Partial<Record<Column, string>> = {};
    header.forEach((h, i) => (cells[h as Column] = record[i] ?? ''));
    const o = rowObject(cells);
    const r = promotionSchema.safeParse(o);
    if (!r.success) {
      for (const issue of r.error.issues) {
        const key = issue.path[0];
        const field = typeof key === 'string' ? (key === 'label' ? (typeof issue.path[1] === 'string' ? `label_${issue.path[1]}` : 'label_en') : (FIELD_OF[key] ?? key)) : null;
        problems.push({ line, field, reason: formatIssues([issue], o)[0] ?? issue.message });
      }
      continue;
    }
    const first = seen.get(r.data.id);
    if (first !== undefined) {
      problems.push({ line, field: 'id', reason: `the id "${r.data.id}" is already used on line ${first}` });
      continue;
    }
    seen.set(r.data.id, line);
    promotions.push(r.data);
  }
  return problems.length ? { ok: false, problems: problems.slice(0, MAX_PROBLEMS) } : { ok: true, promotions };
}
