import { createHash } from 'node:crypto';
import type { Clock } from '../clock';
import type { KioskDb } from '../db/database';
import { KioskError } from '../errors';
import { normalizeLookupKey } from '../barcodes';
import { appendJournal } from '../journal/append';
import type { PriceItem } from '../pricing/types';

export interface ImportResult {
  items: number;
  barcodes: number;
  version: string;
  sha256: string;
  seq: number;
}

/**
 * Replaces the whole price book in ONE transaction: the old book stays in force until the new one is complete,
 * and a failure anywhere (bad row, duplicate barcode, crash) leaves the old one untouched. Rows go in as batches
 * through `json_each` — one statement call per batch, not per row — so a million items stay fast and memory
 * stays bounded by the batch size. The import is journaled like any other change.
 */
export async function importPriceBook(
  db: KioskDb,
  batches: AsyncIterable<PriceItem[]>,
  opts: { clock: Clock; deviceId: string; version?: string; source: string },
): Promise<ImportResult> {
  return db.transaction(async (tx) => {
    await tx.run('DELETE FROM item_barcodes');
    await tx.run('DELETE FROM items');
    const hash = createHash('sha256');
    let items = 0;
    let barcodes = 0;
    for await (const raw of batches) {
      if (raw.length === 0) continue;
      // stored under the key a scan looks up (UPC-A 036000291452 → 0036000291452, GTIN-14 0…→ GTIN-13)
      const batch = raw.map((i) => ({ ...i, barcodes: [...new Set(i.barcodes.map(normalizeLookupKey))] }));
      const json = JSON.stringify(batch);
      hash.update(json);
      await tx.run(
        `INSERT INTO items (sku, names, unit_price, tax_class, age_limit, sold_by_weight)
         SELECT value ->> '$.sku', json(value -> '$.names'), value ->> '$.unitPrice', value ->> '$.taxClass',
                value ->> '$.ageLimit', CASE WHEN value ->> '$.soldByWeight' THEN 1 ELSE 0 END
         FROM json_each(?)`,
        [json],
      );
      try {
        const r = await tx.run(
          `INSERT INTO item_barcodes (barcode, sku)
           SELECT b.value, i.value ->> '$.sku' FROM json_each(?) i, json_each(i.value -> '$.barcodes') b`,
          [json],
        );
        barcodes += r.changes;
      } catch (e) {
        if (/UNIQUE/.test(String(e))) throw new KioskError('PRICEBOOK_INVALID', `${opts.source}: a barcode is used by two items (${String(e)})`);
        throw e;
      }
      items += batch.length;
    }
    const sha256 = hash.digest('hex');
    const version = opts.version ?? `import-${sha256.slice(0, 12)}`;
    await tx.run("INSERT INTO meta (key, value) VALUES ('pricebook_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [version]);
    const entry = await appendJournal(tx, {
      deviceId: opts.deviceId,
      ts: opts.clock.now(),
      orderId: null,
      type: 'pricebook_imported',
      payload: { version, items, barcodes, sha256, source: opts.source },
    });
    return { items, barcodes, version, sha256, seq: entry.seq };
  });
}
