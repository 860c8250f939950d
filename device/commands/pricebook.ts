import * as fs from 'node:fs';
import * as path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { importPriceBook } from '../../runtime/pricebook/import';
import { SystemClock } from '../../kernel/clock';
import { taxRates } from '../../config/load';
import { readPriceBookFile } from '../../protocol/pricebook/reader';
import { isKioskError } from '../../kernel/errors';
import { BULK_NICE, lowerProcessPriority } from '../../kernel/thread-priority';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { openDatabase } from '../kiosk';
import { callControl, PRICEBOOK_IMPORT_TIMEOUT_MS } from '../control-server';
import type { RemoteImportResult } from '../pricebook-import-control';

/**
 * `kiosk pricebook import FILE`: replaces the price book — built beside the one in force in short background
 * transactions, switched in atomically (runtime/pricebook/import.ts). A kiosk running on the data dir does it
 * (importInRunningKiosk); else this process, with a progress bar on a terminal, at a lower CPU priority
 * ({@link BULK_NICE}) than a lane.
 */
export async function pricebookImport(file: string, opts: CommonOptions & { json?: boolean; version?: string; progress?: boolean }): Promise<void> {
  const config = configFrom(opts);
  if (!fs.existsSync(file)) throw new CliExit(1, `kiosk: no such file: ${file}`);
  // an item of a tax class the kiosk does not have could never be priced at the lane: the import is refused
  const taxClasses = Object.keys(taxRates(config));
  const remote = await importInRunningKiosk(config.dataDir, file, opts.version, taxClasses);
  if (remote) {
    if (opts.json) printJson(remote);
    else process.stdout.write(`imported ${remote.items} items (${remote.barcodes} barcodes), version ${remote.version}, journal seq ${remote.seq}, by the running kiosk (pid ${remote.importedBy.pid})\n`);
    return;
  }
  // no kiosk running here: this process builds the book, as bulk work (a kiosk started meanwhile serves first)
  lowerProcessPriority(BULK_NICE);
  const total = fs.statSync(file).size;
  const showBar = opts.progress ?? (process.stderr.isTTY === true && total > 1_000_000);
  const bar = showBar
    ? new SingleBar(
        { format: 'importing {bar} {percentage}% | {value}/{total} MB | {items} items', stream: process.stderr, noTTYOutput: opts.progress === true, notTTYSchedule: 1000 },
        Presets.shades_classic,
      )
    : null;
  const mb = (b: number) => Math.round(b / 1e5) / 10;
  bar?.start(mb(total), 0, { items: 0 });
  let items = 0;
  const clock = new SystemClock();
  const { db } = await openDatabase({ ...config, pricebook: { starter: null } }, clock);
  try {
    // read without the key index (a million items' SKUs and barcodes): the new book's primary keys refuse a repeated
    // SKU or barcode anyway. A refused file is read again with it, for the refusal that names every line
    async function* counted() {
      for await (const batch of readPriceBookFile(file, { taxClasses, trackKeys: false, onProgress: (read: number) => bar?.update(mb(read), { items }) })) {
        items += batch.length;
        yield batch;
      }
    }
    let r: Awaited<ReturnType<typeof importPriceBook>>;
    try {
      r = await importPriceBook(db, counted(), { clock, deviceId: config.device.deviceId, source: path.basename(file), version: opts.version, taxClasses });
    } catch (e) {
      if (isKioskError(e, 'PRICEBOOK_INVALID')) for await (const _ of readPriceBookFile(file, { taxClasses })) void _;
      throw e;
    }
    bar?.update(mb(total), { items });
    bar?.stop();
    if (opts.json) printJson(r);
    else process.stdout.write(`imported ${r.items} items (${r.barcodes} barcodes), version ${r.version}, journal seq ${r.seq}\n`);
  } catch (e) {
    bar?.stop();
    throw e;
  } finally {
    await db.close();
  }
}

/**
 * A kiosk running on this data dir imports the file itself (device/pricebook-import-control.ts): two processes
 * writing one SQLite file would make the lane's commits wait on SQLite's busy polling (up to a second per scan in
 * bench/pricebook). Null when no kiosk runs here, or one out of service that does not offer the import (this
 * process imports then). A refused file is read again here, for the refusal that names its lines.
 */
async function importInRunningKiosk(dataDir: string, file: string, version: string | undefined, taxClasses: string[]): Promise<RemoteImportResult | null> {
  const res = await callControl(dataDir, 'POST', '/pricebook/import', { file: path.resolve(file), ...(version !== undefined ? { version } : {}) }, PRICEBOOK_IMPORT_TIMEOUT_MS);
  if (res === null || res.status === 404) return null;
  if (res.status === 200) return res.body as RemoteImportResult;
  const err = (res.body ?? {}) as { error?: string; code?: string };
  if (err.code === 'PRICEBOOK_INVALID') for await (const _ of readPriceBookFile(file, { taxClasses })) void _;
  throw new CliExit(1, `kiosk: ${err.code ?? 'FAILED'}: the running kiosk refused the import: ${err.error ?? `HTTP ${res.status}`}`);
}
