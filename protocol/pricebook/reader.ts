/**
 * Streaming price-book reader. Formats by extension:
 *
 * - `.csv`  header row + one item per record (RFC 4180 quoting, UTF-8, optional BOM, LF or CRLF), streamed.
 *   Columns (any order): sku, barcodes (`|`-separated), name_<locale> (one or more, e.g. name_zh-CN, name_en; a
 *   blank cell means no name in that locale), unit_price (integer minor units), tax_class, age_limit (blank = none),
 *   sold_by_weight (true/false/1/0/yes/no); optional price_business, price_group (customer-type prices, integer
 *   minor units in the unit of unit_price; a blank cell = none). Unknown columns are rejected; blank rows are skipped. sku, barcodes,
 *   tax_class and the number/boolean cells are trimmed; names are kept verbatim.
 * - `.jsonl` / `.ndjson`  one PriceItem JSON object per line, streamed.
 * - `.json`  `{ "items": [...] }` or a bare array; read and parsed whole, so memory grows with the file.
 *   Large books (100k+ items) should be shipped as CSV or JSONL.
 *
 * Every item is validated (priceItemSchema; with `taxClasses`, its tax class must be one of them). SKUs and
 * barcodes must be unique within the file. An invalid row is not yielded; the reader reads on and collects the
 * problems, each naming line (CSV/JSONL) or item index (JSON, 0-based), field and reason, and before the last batch
 * it throws ONE KioskError('PRICEBOOK_INVALID') listing them — the first {@link MAX_PROBLEMS} (it stops reading
 * there). One problem keeps its one-line message; `details.problems` lists them all. A file-level fault (format,
 * header, malformed CSV, invalid JSON document) throws at once. Besides the current batch the reader keeps only the
 * seen SKU/barcode sets and the problems.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { isKioskError, KioskError } from '../../kernel/errors';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import { type PriceItem, TYPE_PRICE_KEYS, type TypePrices } from './price-item';
import { KeyIndex } from './key-index';
import { csvRowRuns, MalformedCsv } from './csv-rows';
import { checkPriceItem, formatPath, LOCALE_RE, showValue } from './item-schema';

export interface ReadPriceBookOptions {
  /** Called after each batch and once at the end (bytesRead === totalBytes). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Items per yielded batch; default 5000. */
  batchSize?: number;
  /** The tax classes the kiosk knows (config `tax`): an item of any other class is a problem. Unset: not checked. */
  taxClasses?: readonly string[];
  /**
   * false: SKUs and barcodes repeated across rows are not looked for, which saves the key index (about 75 MiB for a
   * million items). Only for a caller whose store refuses them anyway (the price book's primary keys) and then reads
   * the file again with keys on, for the refusal that names the lines (device/commands/pricebook.ts). Default true.
   */
  trackKeys?: boolean;
}

/** How many invalid rows one refusal lists; the reader stops reading at that many. */
export const MAX_PROBLEMS = 50;

/** One invalid row of a refused price book. */
export interface RowProblem {
  line?: number;
  index?: number;
  field: string | null;
  reason: string;
  /** `line 3: tax_class: unknown tax class "zero" …` */
  message: string;
}

export const DEFAULT_BATCH_SIZE = 5000;
/** Upper bound for one CSV record / JSONL line, so a corrupt file cannot make the reader buffer without limit. */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

export const CSV_REQUIRED_COLUMNS = ['sku', 'barcodes', 'unit_price', 'tax_class', 'age_limit', 'sold_by_weight'] as const;
/** Optional columns: one customer-type price each (a blank cell = the item has no price for that type). */
export const CSV_TYPE_PRICE_COLUMNS = { business: 'price_business', group: 'price_group' } as const satisfies Record<(typeof TYPE_PRICE_KEYS)[number], string>;
type TypePriceColumn = (typeof CSV_TYPE_PRICE_COLUMNS)[keyof typeof CSV_TYPE_PRICE_COLUMNS];
const TYPE_PRICE_COLUMN_NAMES: readonly string[] = Object.values(CSV_TYPE_PRICE_COLUMNS);

const CSV_FIELD_FOR: Record<string, string> = {
  sku: 'sku',
  barcodes: 'barcodes',
  unitPrice: 'unit_price',
  taxClass: 'tax_class',
  ageLimit: 'age_limit',
  soldByWeight: 'sold_by_weight',
};

type Format = 'csv' | 'jsonl' | 'json';

function formatOf(path: string): Format | null {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.json') return 'json';
  return null;
}

/** Where in the file an item came from: a 1-based line (CSV, JSONL) or a 0-based item index (JSON). */
interface Location {
  kind: 'line' | 'item index';
  n: number;
}

const at = (loc: Location): string => `${loc.kind} ${loc.n}`;
const lineAt = (n: number): Location => ({ kind: 'line', n });

class Context {
  readonly name: string;
  /** SKU → line / index of its item. Holds every SKU of the file, hence a compact KeyIndex, not a Map. */
  private readonly skus = new KeyIndex();
  /** barcode → entry (in `skus`) of its item. */
  private readonly barcodes = new KeyIndex();
  readonly problems: RowProblem[] = [];
  private firstProblem: KioskError | null = null;

  constructor(
    readonly path: string,
    private readonly taxClasses: ReadonlySet<string> | null = null,
    private readonly trackKeys = true,
  ) {
    this.name = basename(path);
  }

  /** An unknown tax class is a problem of the row (field as the format names it). */
  checkTaxClass(item: PriceItem, loc: Location, field: string): void {
    if (this.taxClasses === null || this.taxClasses.has(item.taxClass)) return;
    this.fail(loc, field, `unknown tax class ${showValue(item.taxClass)} (configured: ${[...this.taxClasses].join(', ')})`);
  }

  /**
   * Keeps a row's problem (a PRICEBOOK_INVALID naming a line or index) and reads on; anything else is rethrown.
   * At {@link MAX_PROBLEMS} problems the reading stops with the refusal.
   */
  record(e: unknown): void {
    const d = isKioskError(e, 'PRICEBOOK_INVALID') ? (e.details as { line?: number; index?: number; field?: string } | undefined) : undefined;
    if (!d || (d.line === undefined && d.index === undefined)) throw e;
    const err = e as KioskError;
    this.firstProblem ??= err;
    const message = err.message.startsWith(`${this.name} `) ? err.message.slice(this.name.length + 1) : err.message;
    const prefix = `${d.line !== undefined ? `line ${d.line}` : `item index ${d.index}`}:${d.field ? ` ${d.field}:` : ''} `;
    const reason = message.startsWith(prefix) ? message.slice(prefix.length) : message;
    this.problems.push({ ...(d.line !== undefined ? { line: d.line } : { index: d.index }), field: d.field ?? null, reason, message });
    if (this.problems.length >= MAX_PROBLEMS) this.refuse(true);
  }

  /** Throws the refusal when any row was invalid. */
  finish(): void {
    if (this.problems.length > 0) this.refuse(false);
  }

  private refuse(stopped: boolean): never {
    const n = this.problems.length;
    if (n === 1 && !stopped && this.firstProblem) throw this.firstProblem;
    const head = stopped ? `${this.name}: at least ${n} invalid rows (reading stopped at the first ${n})` : `${this.name}: ${n} invalid rows`;
    const first = this.problems[0];
    throw new KioskError('PRICEBOOK_INVALID', `${head}:\n${this.problems.map((p) => `  ${p.message}`).join('\n')}`, {
      file: this.path,
      ...(first.line !== undefined ? { line: first.line } : { index: first.index }),
      problems: this.problems.map(({ message: _m, ...p }) => p),
      truncated: stopped,
    });
  }

  fail(loc: Location | null, field: string | null, reason: string, extra: Record<string, unknown> = {}): never {
    const where = loc ? ` ${at(loc)}` : '';
    const what = field ? ` ${field}:` : '';
    throw new KioskError('PRICEBOOK_INVALID', `${this.name}${where}:${what} ${reason}`, {
      file: this.path,
      ...(loc ? { [loc.kind === 'line' ? 'line' : 'index']: loc.n } : {}),
      ...(field ? { field } : {}),
      ...extra,
    });
  }

  /** Records the item's keys; throws on a duplicate SKU or barcode. */
  claim(item: PriceItem, loc: Location): void {
    const first = this.trackKeys ? this.skus.find(item.sku) : -1;
    if (first !== -1) {
      const firstAt = at({ kind: loc.kind, n: this.skus.valueAt(first) });
      this.fail(loc, 'sku', `duplicate SKU ${showValue(item.sku)}, first at ${firstAt}`, { firstAt });
    }
    for (let i = 0; i < item.barcodes.length; i++) {
      const code = item.barcodes[i];
      if (item.barcodes.indexOf(code) !== i) this.fail(loc, 'barcodes', `barcode ${showValue(code)} is listed twice`);
      if (!this.trackKeys) continue;
      const other = this.barcodes.find(code);
      if (other !== -1) {
        const owner = this.barcodes.valueAt(other);
        const otherSku = this.skus.keyAt(owner);
        const firstAt = at({ kind: loc.kind, n: this.skus.valueAt(owner) });
        this.fail(loc, 'barcodes', `duplicate barcode ${showValue(code)}, already used by ${otherSku} at ${firstAt}`, { firstAt, otherSku });
      }
    }
    if (!this.trackKeys) return;
    const entry = this.skus.add(item.sku, loc.n);
    for (const code of item.barcodes) this.barcodes.add(code, entry);
  }
}

/**
 * Streams the price book at `path` in batches of validated items. Throws KioskError('PRICEBOOK_INVALID') on the
 * first invalid or duplicate item; file-system errors (ENOENT, EACCES) propagate unchanged.
 */
export async function* readPriceBookFile(path: string, opts: ReadPriceBookOptions = {}): AsyncGenerator<PriceItem[]> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const ctx = new Context(path, opts.taxClasses ? new Set(opts.taxClasses) : null, opts.trackKeys ?? true);
  const format = formatOf(path);
  if (format === null) ctx.fail(null, null, `unsupported price book format ${showValue(extname(path))} (expected .csv, .jsonl, .ndjson or .json)`);
  const totalBytes = (await stat(path)).size;
  const progress = opts.onProgress ?? (() => undefined);

  const source =
    format === 'csv' ? readCsv(path, ctx) : format === 'jsonl' ? readJsonLines(path, ctx) : readJson(path, ctx);
  let batch: PriceItem[] = [];
  let bytes = 0;
  for await (const [items, consumed] of source) {
    bytes = consumed;
    for (const item of items) {
      batch.push(item);
      if (batch.length >= batchSize) {
        progress(Math.min(bytes, totalBytes), totalBytes);
        const out = batch;
        batch = [];
        yield out;
      }
    }
  }
  ctx.finish();
  if (batch.length > 0) yield batch;
  progress(totalBytes, totalBytes);
}

/** [items in file order, bytes of the file consumed after the last of them] */
type Source = AsyncGenerator<[PriceItem[], number]>;

// ---------------------------------------------------------------------------------------------------------- CSV

interface Columns {
  index: Record<(typeof CSV_REQUIRED_COLUMNS)[number], number>;
  /** The optional type-price columns present in the header. */
  typePrices: Partial<Record<TypePriceColumn, number>>;
  names: { locale: string; index: number }[];
  count: number;
}

function csvHeader(header: string[], ctx: Context, loc: Location): Columns {
  const seen = new Set<string>();
  const names: Columns['names'] = [];
  const index: Partial<Columns['index']> = {};
  const typePrices: Columns['typePrices'] = {};
  header.forEach((rawName, i) => {
    const col = rawName.trim();
    if (seen.has(col)) ctx.fail(loc, 'header', `duplicate column ${showValue(col)}`);
    seen.add(col);
    if (col.startsWith('name_')) {
      const locale = col.slice('name_'.length);
      if (!LOCALE_RE.test(locale)) ctx.fail(loc, 'header', `column ${showValue(col)}: expected name_<locale> such as name_zh-CN`);
      names.push({ locale, index: i });
    } else if ((CSV_REQUIRED_COLUMNS as readonly string[]).includes(col)) {
      index[col as (typeof CSV_REQUIRED_COLUMNS)[number]] = i;
    } else if (TYPE_PRICE_COLUMN_NAMES.includes(col)) {
      typePrices[col as TypePriceColumn] = i;
    } else {
      ctx.fail(loc, 'header', `unknown column ${showValue(col)}`);
    }
  });
  const missing = CSV_REQUIRED_COLUMNS.filter((c) => index[c] === undefined);
  if (missing.length > 0) ctx.fail(loc, 'header', `missing column(s) ${missing.join(', ')}`);
  if (names.length === 0) ctx.fail(loc, 'header', 'expected at least one name_<locale> column, e.g. name_zh-CN');
  return { index: index as Columns['index'], typePrices, names, count: header.length };
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

function csvItem(rec: string[], cols: Columns, ctx: Context, loc: Location): PriceItem {
  const cell = (c: (typeof CSV_REQUIRED_COLUMNS)[number]): string => rec[cols.index[c]];

  const barcodesCell = cell('barcodes').trim();
  const names: Record<string, string> = {};
  for (const { locale, index } of cols.names) if (rec[index].trim() !== '') names[locale] = rec[index];

  const priceCell = cell('unit_price').trim();
  const unitPrice = Number(priceCell);
  if (!/^\d+$/.test(priceCell) || !Number.isSafeInteger(unitPrice)) {
    ctx.fail(loc, 'unit_price', `expected a non-negative integer (minor units), got ${showValue(cell('unit_price'))}`);
  }

  const ageCell = cell('age_limit').trim();
  let ageLimit: number | null = null;
  if (ageCell !== '') {
    ageLimit = Number(ageCell);
    if (!/^\d{1,2}$/.test(ageCell)) ctx.fail(loc, 'age_limit', `expected empty or an integer 0..99, got ${showValue(cell('age_limit'))}`);
  }

  const weightCell = cell('sold_by_weight').trim().toLowerCase();
  if (!TRUE_WORDS.has(weightCell) && !FALSE_WORDS.has(weightCell)) {
    ctx.fail(loc, 'sold_by_weight', `expected true/false/1/0/yes/no, got ${showValue(cell('sold_by_weight'))}`);
  }

  const prices: TypePrices = {};
  for (const type of TYPE_PRICE_KEYS) {
    const col = CSV_TYPE_PRICE_COLUMNS[type];
    const i = cols.typePrices[col];
    const raw = i === undefined ? '' : rec[i].trim();
    if (raw === '') continue;
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      ctx.fail(loc, col, `expected empty or a non-negative integer (minor units), got ${showValue(rec[i as number])}`);
    }
    prices[type] = Number(raw);
  }

  const candidate = {
    sku: cell('sku').trim(),
    barcodes: barcodesCell === '' ? [] : barcodesCell.split('|').map((b) => b.trim()),
    names,
    unitPrice,
    taxClass: cell('tax_class').trim(),
    ageLimit,
    soldByWeight: TRUE_WORDS.has(weightCell),
    ...(Object.keys(prices).length > 0 ? { typePrices: prices } : {}),
  };
  const r = checkPriceItem(candidate);
  if (!r.ok) {
    const [head, sub] = r.problem.path;
    const field =
      head === 'names'
        ? sub === undefined
          ? 'name_*'
          : `name_${String(sub)}`
        : head === 'typePrices' && (sub === 'business' || sub === 'group')
          ? CSV_TYPE_PRICE_COLUMNS[sub]
          : (CSV_FIELD_FOR[String(head)] ?? formatPath(r.problem.path));
    ctx.fail(loc, field, r.problem.reason);
  }
  return r.item;
}

async function* readCsv(path: string, ctx: Context): Source {
  let cols: Columns | null = null;
  try {
    for await (const { rows, bytes } of csvRowRuns(path, { maxRecordBytes: MAX_RECORD_BYTES })) {
      const items: PriceItem[] = [];
      for (const row of rows) {
        const loc = lineAt(row.line);
        const rec = row.fields;
        if (rec.every((f) => f.trim() === '')) continue; // blank line (or a row of empty cells)
        if (cols === null) {
          cols = csvHeader(rec, ctx, loc);
          continue;
        }
        let item: PriceItem | null = null;
        try {
          if (rec.length !== cols.count) ctx.fail(loc, null, `expected ${cols.count} fields, got ${rec.length}`);
          item = csvItem(rec, cols, ctx, loc);
          // keys first: a row refused for its tax class still holds its SKU and barcodes (later duplicates are named)
          ctx.claim(item, loc);
          ctx.checkTaxClass(item, loc, 'tax_class');
        } catch (e) {
          ctx.record(e);
        }
        if (item !== null && ctx.problems.length === 0) items.push(item);
      }
      if (items.length > 0) yield [items, bytes];
    }
  } catch (e) {
    if (e instanceof MalformedCsv) ctx.fail(lineAt(e.line), null, `malformed CSV: ${e.message}`, { csvCode: e.code });
    throw e;
  }
  if (cols === null) ctx.fail(null, null, 'empty file: expected a header row');
}

// ---------------------------------------------------------------------------------------------------- JSON lines

async function* lines(path: string, ctx: Context): AsyncGenerator<[text: string, line: number, bytesAfter: number]> {
  const stream = createReadStream(path);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  let bytes = 0;
  const emit = (buf: Buffer): [string, number, number] => {
    line++;
    bytes += buf.length;
    let text = buf.toString('utf8');
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return [text, line, bytes];
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        const piece = chunk.subarray(start, nl + 1);
        start = nl + 1;
        const whole = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
        pending = [];
        pendingBytes = 0;
        yield emit(whole);
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > MAX_RECORD_BYTES) ctx.fail(lineAt(line + 1), null, `line longer than ${MAX_RECORD_BYTES} bytes`);
      }
    }
    if (pending.length > 0) yield emit(Buffer.concat(pending));
  } finally {
    stream.destroy();
  }
}

async function* readJsonLines(path: string, ctx: Context): Source {
  for await (const [text, line, bytes] of lines(path, ctx)) {
    if (text.trim() === '') continue;
    const loc = lineAt(line);
    let item: PriceItem | null = null;
    try {
      let raw: unknown;
      try {
        raw = boundedJsonParse(text, { maxBytes: JSON_LIMITS.pricebookRecord });
      } catch (e) {
        ctx.fail(loc, null, `invalid JSON: ${(e as Error).message}`);
      }
      item = validated(raw, ctx, loc);
    } catch (e) {
      ctx.record(e);
    }
    if (item !== null && ctx.problems.length === 0) yield [[item], bytes];
  }
}

// ------------------------------------------------------------------------------------------------------- JSON

async function* readJson(path: string, ctx: Context): Source {
  const buf = await readFile(path);
  const bytes = buf.length;
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let doc: unknown;
  try {
    doc = boundedJsonParse(text, { maxBytes: JSON_LIMITS.pricebookDocument });
  } catch (e) {
    ctx.fail(null, null, `invalid JSON: ${(e as Error).message}`);
  }
  const items: unknown = Array.isArray(doc) ? doc : doc !== null && typeof doc === 'object' ? (doc as { items?: unknown }).items : undefined;
  if (!Array.isArray(items)) ctx.fail(null, null, 'expected a JSON array of items or an object with an "items" array');
  for (let i = 0; i < items.length; i++) {
    let item: PriceItem | null = null;
    try {
      item = validated(items[i], ctx, { kind: 'item index', n: i });
    } catch (e) {
      ctx.record(e);
    }
    if (item !== null && ctx.problems.length === 0) yield [[item], bytes];
  }
}

function validated(raw: unknown, ctx: Context, loc: Location): PriceItem {
  const r = checkPriceItem(raw);
  if (!r.ok) ctx.fail(loc, r.problem.path.length === 0 ? null : formatPath(r.problem.path), r.problem.reason);
  ctx.claim(r.item, loc);
  ctx.checkTaxClass(r.item, loc, 'taxClass');
  return r.item;
}
