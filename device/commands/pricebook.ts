import * as fs from 'node:fs';
import * as path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { importPriceBook } from '../../runtime/pricebook/import';
import { SystemClock } from '../../kernel/clock';
import { taxRates } from '../../config/load';
import { readPriceBookFile } from '../../protocol/pricebook/reader';
import { isKioskError } from '../../kernel/errors';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { openDatabase } from '../kiosk';

/**
 * `kiosk pricebook import FILE`: replaces the price book — built beside the one in force in short background
 * transactions, switched in atomically (runtime/pricebook/import.ts) — with a progress bar on a terminal.
 */
export async function pricebookImport(file: string, opts: CommonOptions & { json?: boolean; version?: string; progress?: boolean }): Promise<void> {
  const config = configFrom(opts);
  if (!fs.existsSync(file)) throw new CliExit(1, `kiosk: no such file: ${file}`);
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
  // an item of a tax class the kiosk does not have could never be priced at the lane: the import is refused
  const taxClasses = Object.keys(taxRates(config));
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
