import type { ChildProcess } from 'node:child_process';
import type { Clock } from '../../kernel/clock';
import type { KioskDb, Tx } from '../../kernel/sqlite/database';
import { KioskError } from '../../kernel/errors';
import { readAhead } from '../../kernel/read-ahead';
import { appendJournal } from '../journal/append';
import type { PriceItem } from '../pricing/types';
import type { DeltaOp } from '../../protocol/pricebook/chunk-codec';
import { BookEncoder, normalized, TaxClassCheck } from './book-encoder';
import type { EncodeInput } from './build-protocol';
import { type PendingSlice, processSource, type SliceSource } from './process-source';
import { createShadowBook, discardShadowBook, dropRetiredBook, insertShadowBatch, switchInShadowBook } from './shadow-book';

export interface ImportResult {
  items: number;
  barcodes: number;
  version: string;
  sha256: string;
  seq: number;
}

export interface ImportOptions {
  clock: Clock;
  deviceId: string;
  version?: string;
  source: string;
  /** The configured tax classes: an item of another class refuses the whole import. Unset: not checked. */
  taxClasses?: readonly string[];
}

export { MAX_IMPORT_PROBLEMS } from './book-encoder';

/**
 * Rows per background transaction of a build, adapted as it goes so that each insert takes about
 * {@link BuildPacer.targetMs}: the lane's writes slip in between, on a fast machine and on a slow or busy one.
 */
export class BuildPacer {
  rows: number;

  constructor(
    readonly targetMs = 8,
    readonly minRows = 100,
    readonly maxRows = 2000,
    initialRows = 1000,
  ) {
    this.rows = initialRows;
  }

  /** One batch of `rows` took `ms` to insert: the next batch is sized for the target (changing at most 2× a step). */
  record(rows: number, ms: number): void {
    const ideal = (rows * this.targetMs) / Math.max(ms, 0.1);
    this.rows = Math.round(Math.min(this.maxRows, Math.max(this.minRows, Math.min(this.rows * 2, Math.max(this.rows / 2, ideal)))));
  }
}

export interface BuildHooks {
  /** Sizes the build's transactions (tests pin it). */
  pacer?: BuildPacer;
  /** Runs inside the short switching transaction, after the switch (e.g. marking an HQ transfer applied). */
  inSwitch?: (tx: Tx, result: ImportResult) => Promise<void>;
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Replaces the whole price book without ever holding the writer for long: the new book is built in shadow tables
 * (runtime/pricebook/shadow-book.ts) in short BACKGROUND transactions ({@link BuildPacer}: ~8 ms of inserting each) — the
 * lane's transactions go first whenever they wait — and switched in by one short transaction that renames the
 * tables, sets the version and journals the import. The old book stays in force until that commit; a failure
 * anywhere (bad row, duplicate SKU or barcode, unknown tax class, crash) leaves it untouched and the shadow tables
 * are dropped (after a crash: by the next build or by the price-book receiver's resume()). Each batch is encoded
 * (book-encoder.ts) and inserted while the next ones are being read (kernel/read-ahead.ts), and the event loop is
 * yielded between batches.
 *
 * This variant encodes on the calling thread (small books, tests, items already in memory); a price-book FILE or
 * HQ's chunks go through a build process instead ({@link importPriceBookFile}, {@link importPriceBookInProcess}).
 */
export async function importPriceBook(db: KioskDb, batches: AsyncIterable<PriceItem[]>, opts: ImportOptions, hooks: BuildHooks = {}): Promise<ImportResult> {
  const pacer = hooks.pacer ?? new BuildPacer();
  const encoder = new BookEncoder(opts.taxClasses, opts.source);
  async function* slices(): AsyncGenerator<PendingSlice> {
    for await (const raw of batches) {
      for (const s of encoder.encode(raw, () => pacer.rows)) {
        const write = (kiosk: KioskDb) =>
          kiosk.transaction(
            async (tx) => {
              const t0 = process.hrtime.bigint();
              const barcodes = await insertShadowBatch(tx, s.json, opts.source);
              return { barcodes, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
            },
            // not durable: a power cut can only lose shadow rows, which are dropped and rebuilt anyway; the switch
            // is durable, and its fsync makes every earlier commit durable too (WAL keeps commit order)
            { background: true, durable: false },
          );
        yield { rows: s.rows, write };
        await nextTick();
      }
    }
  }
  // two slices ahead: the next ones are read and encoded here while SQLite's thread inserts the current one
  return buildBook(db, { slices: readAhead(slices(), 2), finish: async () => encoder.finish(), close: async () => undefined }, opts, { ...hooks, pacer });
}

export interface ImportFileOptions extends ImportOptions {
  /** After each batch read: bytes of the file consumed, of `totalBytes`, and items read before that batch. */
  onProgress?: (bytesRead: number, totalBytes: number, items: number) => void;
  /** Items per batch of the reader (default its own, 5 000). */
  batchSize?: number;
  /**
   * false: the file is read without the index of its SKUs and barcodes (~75 MiB for a million items); a repeat is
   * then refused by the new book's primary keys, without the line numbers (read the file again with them on).
   */
  trackKeys?: boolean;
}

/**
 * `kiosk pricebook import FILE`: like {@link importPriceBook} with `readPriceBookFile(file, {taxClasses})`, same
 * checks, same messages, same result — but the file is read, checked, encoded and inserted by a child process
 * (build-process.ts, kept off the first CPU), so the lane's lookups and writes keep their event loop, their SQLite
 * thread and a core while a big book goes in. A child that dies is a KioskError('BAD_DATA'); the book in force stays
 * either way.
 */
export function importPriceBookFile(db: KioskDb, file: string, opts: ImportFileOptions, hooks: BuildHooks & ProcessHooks = {}): Promise<ImportResult> {
  const input: EncodeInput = { kind: 'file', path: file, ...(opts.batchSize ? { batchSize: opts.batchSize } : {}), ...(opts.trackKeys === false ? { trackKeys: false } : {}) };
  return importPriceBookInProcess(db, input, opts, hooks);
}

export interface ProcessHooks {
  /** Chunk input: the next gzip chunk of the book, in order, or null after the last. */
  nextChunk?: () => Promise<{ index: number; data: Buffer } | null>;
  /** Sees the build process once started (tests stop it; the bench reads its peak memory). */
  onChild?: (child: ChildProcess) => void;
}

/**
 * A full book read, encoded and inserted by the build process (a file, or HQ's chunks through `hooks.nextChunk`) in
 * the shadow tables, then switched in here. The shadow tables are made before the process starts writing.
 */
export async function importPriceBookInProcess(
  db: KioskDb,
  input: EncodeInput,
  opts: ImportOptions & { onProgress?: ImportFileOptions['onProgress'] },
  hooks: BuildHooks & ProcessHooks = {},
): Promise<ImportResult> {
  // ~8 ms of inserting per lent turn, as in-process. Each turn also carries two IPC messages and the child's commit,
  // and on two cores the child has one core for its encoding and its inserts both. Measured with a 1 M CSV: 4 ms
  // turns made the build 2.1 × the bare load (lane writes p50 3.6 ms), 8 ms 1.6–2.0 × (p50 5.7–6 ms)
  const pacer = hooks.pacer ?? new BuildPacer(8);
  const source = processSource(db, input, {
    source: opts.source,
    ...(opts.taxClasses ? { taxClasses: opts.taxClasses } : {}),
    rows: () => pacer.rows,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(hooks.nextChunk ? { nextChunk: hooks.nextChunk } : {}),
    ...(hooks.onChild ? { onChild: hooks.onChild } : {}),
  });
  return buildBook(db, source, opts, { ...hooks, pacer });
}

/** The build itself: slices into the shadow tables (background, non-durable transactions), then the one switch. */
async function buildBook(db: KioskDb, source: SliceSource, opts: ImportOptions, hooks: BuildHooks & { pacer: BuildPacer }): Promise<ImportResult> {
  const { pacer } = hooks;
  let result: ImportResult;
  try {
    await createShadowBook(db);
    let barcodes = 0;
    let writing: Promise<number> | null = null;
    for await (const slice of source.slices) {
      if (writing) barcodes += await writing;
      writing = slice.write(db).then(({ barcodes: n, ms }) => {
        pacer.record(slice.rows, ms);
        return n;
      });
      writing.catch(() => undefined); // awaited before the next slice or below: not an unhandled rejection
    }
    if (writing) barcodes += await writing;
    const { sha256, items } = await source.finish();
    const version = opts.version ?? `import-${sha256.slice(0, 12)}`;
    result = await db.transaction(
      async (tx) => {
        await switchInShadowBook(tx);
        await setVersion(tx, version);
        const entry = await appendJournal(tx, {
          deviceId: opts.deviceId,
          ts: opts.clock.now(),
          orderId: null,
          type: 'pricebook_imported',
          payload: { version, items, barcodes, sha256, source: opts.source },
        });
        const res: ImportResult = { items, barcodes, version, sha256, seq: entry.seq };
        await hooks.inSwitch?.(tx, res);
        return res;
      },
      { background: true },
    );
  } catch (e) {
    await source.close().catch(() => undefined);
    await discardShadowBook(db).catch(() => undefined); // the old book is in force either way; leftovers go at the next build
    throw e;
  }
  await source.close();
  await dropRetiredBook(db);
  return result;
}

/** Upserts one batch of items and their barcodes (a delta). */
async function upsertItems(tx: Tx, json: string, source: string): Promise<void> {
  try {
    await tx.run(
      `INSERT INTO items (sku, names, unit_price, tax_class, age_limit, sold_by_weight, type_prices)
       SELECT value ->> '$.sku', json(value -> '$.names'), value ->> '$.unitPrice', value ->> '$.taxClass',
              value ->> '$.ageLimit', CASE WHEN value ->> '$.soldByWeight' THEN 1 ELSE 0 END, value -> '$.typePrices'
       FROM json_each(?) WHERE true
       ON CONFLICT (sku) DO UPDATE SET names = excluded.names, unit_price = excluded.unit_price, tax_class = excluded.tax_class,
         age_limit = excluded.age_limit, sold_by_weight = excluded.sold_by_weight, type_prices = excluded.type_prices`,
      [json],
    );
  } catch (e) {
    if (/UNIQUE/.test(String(e))) throw new KioskError('PRICEBOOK_INVALID', `${source}: an SKU is listed twice (${String(e)})`);
    throw e;
  }
  await tx.run(`DELETE FROM item_barcodes WHERE sku IN (SELECT value ->> '$.sku' FROM json_each(?))`, [json]);
  try {
    await tx.run(
      `INSERT INTO item_barcodes (barcode, sku)
       SELECT b.value, i.value ->> '$.sku' FROM json_each(?) i, json_each(i.value -> '$.barcodes') b`,
      [json],
    );
  } catch (e) {
    if (/UNIQUE/.test(String(e))) throw new KioskError('PRICEBOOK_INVALID', `${source}: a barcode is used by two items (${String(e)})`);
    throw e;
  }
}

async function setVersion(tx: Tx, version: string): Promise<void> {
  await tx.run("INSERT INTO meta (key, value) VALUES ('pricebook_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [version]);
}

export interface DeltaResult {
  upserts: number;
  deletes: number;
  version: string;
  baseVersion: string;
  seq: number;
}

/**
 * Applies delta operations in order inside the caller's transaction: `upsert` inserts or replaces an item (its
 * barcodes become exactly the listed ones), `delete` removes an item and its barcodes (an unknown SKU is a no-op).
 * Runs of the same operation go in as one `json_each` batch. The caller checks the base version; a barcode
 * claimed by two items throws PRICEBOOK_INVALID, and the caller's transaction rolls everything back.
 * Journals `pricebook_delta_applied` and sets the version.
 */
export async function applyPriceBookDeltaTx(
  tx: Tx,
  batches: AsyncIterable<DeltaOp[]>,
  opts: { clock: Clock; deviceId: string; version: string; baseVersion: string; source: string; taxClasses?: readonly string[] },
): Promise<DeltaResult> {
  const taxes = new TaxClassCheck(opts.taxClasses, opts.source);
  let upserts = 0;
  let deletes = 0;
  for await (const ops of batches) {
    let i = 0;
    while (i < ops.length) {
      const kind = ops[i].op;
      let j = i;
      while (j < ops.length && ops[j].op === kind) j++;
      const run = ops.slice(i, j);
      if (kind === 'upsert') {
        const upserted = run.map((o) => (o as Extract<DeltaOp, { op: 'upsert' }>).item);
        taxes.check(upserted, upserts + deletes);
        await upsertItems(tx, JSON.stringify(normalized(upserted)), opts.source);
        upserts += run.length;
      } else {
        const skus = run.map((o) => (o as Extract<DeltaOp, { op: 'delete' }>).sku);
        await tx.run('DELETE FROM items WHERE sku IN (SELECT value FROM json_each(?))', [JSON.stringify(skus)]);
        deletes += run.length;
      }
      i = j;
    }
  }
  taxes.finish();
  await setVersion(tx, opts.version);
  const entry = await appendJournal(tx, {
    deviceId: opts.deviceId,
    ts: opts.clock.now(),
    orderId: null,
    type: 'pricebook_delta_applied',
    payload: { version: opts.version, baseVersion: opts.baseVersion, upserts, deletes, source: opts.source },
  });
  return { upserts, deletes, version: opts.version, baseVersion: opts.baseVersion, seq: entry.seq };
}
