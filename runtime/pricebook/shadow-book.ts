import type { KioskDb, Tx } from '../../kernel/sqlite/database';
import { KioskError } from '../../kernel/errors';

/**
 * A new full price book is built beside the one in force, in shadow tables (`items_next`, `item_barcodes_next`),
 * in short background transactions, then switched in by renaming in ONE short transaction: lookups read the old
 * book until that commit, the new one after it. The replaced tables are renamed `items_old` / `item_barcodes_old`
 * and dropped afterwards in their own background transactions. A crash at any point leaves the old book in force:
 * leftovers are shadow or retired tables, which {@link discardShadowBook} / {@link dropRetiredBook} remove.
 */
export const SHADOW_ITEMS = 'items_next';
export const SHADOW_BARCODES = 'item_barcodes_next';
const RETIRED_ITEMS = 'items_old';
const RETIRED_BARCODES = 'item_barcodes_old';

/** The two names the barcode → SKU index takes in turn (an index cannot be renamed; the shadow's takes the free one). */
const SKU_INDEX_NAMES = ['item_barcodes_sku', 'item_barcodes_by_sku'] as const;

/**
 * The shadow book was dropped under a build (another process started its own build, or resume() ran beside it):
 * nothing is wrong with the book itself, the build can be retried.
 */
export class ShadowBookVanished extends Error {
  override readonly name = 'ShadowBookVanished';
}

async function tableExists(tx: Tx, name: string): Promise<boolean> {
  return (await tx.get<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = ?", [name]))!.n > 0;
}

/** Drops the shadow tables of an unfinished build, if any (one background transaction each). */
export async function discardShadowBook(db: KioskDb): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.run(`DROP TABLE IF EXISTS ${SHADOW_BARCODES}`);
    await tx.run(`DROP TABLE IF EXISTS ${SHADOW_ITEMS}`);
  }, { background: true });
}

/** Drops the tables of the book a switch replaced, if any (child first: no implicit foreign-key DELETE). */
export async function dropRetiredBook(db: KioskDb): Promise<void> {
  await db.transaction((tx) => tx.run(`DROP TABLE IF EXISTS ${RETIRED_BARCODES}`), { background: true });
  await db.transaction((tx) => tx.run(`DROP TABLE IF EXISTS ${RETIRED_ITEMS}`), { background: true });
}

/** Creates empty shadow tables shaped like the live ones, after dropping leftovers of an earlier build or switch. */
export async function createShadowBook(db: KioskDb): Promise<void> {
  await discardShadowBook(db);
  await dropRetiredBook(db);
  await db.transaction(async (tx) => {
    const live = await tx.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'item_barcodes' AND sql IS NOT NULL");
    const index = live.some((r) => r.name === SKU_INDEX_NAMES[0]) ? SKU_INDEX_NAMES[1] : SKU_INDEX_NAMES[0];
    await tx.exec(`
      CREATE TABLE ${SHADOW_ITEMS} (
        sku TEXT PRIMARY KEY,
        names TEXT NOT NULL,
        unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
        tax_class TEXT NOT NULL,
        age_limit INTEGER,
        sold_by_weight INTEGER NOT NULL CHECK (sold_by_weight IN (0, 1)),
        type_prices TEXT
      );
      CREATE TABLE ${SHADOW_BARCODES} (
        barcode TEXT PRIMARY KEY,
        sku TEXT NOT NULL REFERENCES ${SHADOW_ITEMS} (sku) ON DELETE CASCADE
      );
      CREATE INDEX ${index} ON ${SHADOW_BARCODES} (sku);
    `);
  }, { background: true });
}

/**
 * Inserts one batch (a JSON array of normalized PriceItems, as text or its UTF-8 bytes) into the shadow tables, inside the caller's transaction; returns the barcodes written. A duplicate SKU or
 * barcode is PRICEBOOK_INVALID.
 */
export async function insertShadowBatch(tx: Tx, json: string | Buffer, source: string): Promise<number> {
  // bytes bind as a BLOB, which JSON functions would read as JSONB: CAST makes them the text they are (a no-op on text)
  try {
    await tx.run(
      `INSERT INTO ${SHADOW_ITEMS} (sku, names, unit_price, tax_class, age_limit, sold_by_weight, type_prices)
       SELECT value ->> '$.sku', json(value -> '$.names'), value ->> '$.unitPrice', value ->> '$.taxClass',
              value ->> '$.ageLimit', CASE WHEN value ->> '$.soldByWeight' THEN 1 ELSE 0 END, value -> '$.typePrices'
       FROM json_each(CAST(? AS TEXT))`,
      [json],
    );
  } catch (e) {
    if (/UNIQUE/.test(String(e))) throw new KioskError('PRICEBOOK_INVALID', `${source}: an SKU is listed twice (${String(e)})`);
    throw e;
  }
  try {
    const r = await tx.run(
      `INSERT INTO ${SHADOW_BARCODES} (barcode, sku)
       SELECT b.value, i.value ->> '$.sku' FROM json_each(CAST(? AS TEXT)) i, json_each(i.value -> '$.barcodes') b`,
      [json],
    );
    return r.changes;
  } catch (e) {
    if (/UNIQUE/.test(String(e))) throw new KioskError('PRICEBOOK_INVALID', `${source}: a barcode is used by two items (${String(e)})`);
    throw e;
  }
}

/**
 * Inside the caller's (short) transaction: the shadow book becomes the live one, the live one is retired. Only
 * renames (schema rows), so it costs milliseconds whatever the size of the book. Throws ShadowBookVanished if
 * the shadow book is gone (another build discarded it).
 */
export async function switchInShadowBook(tx: Tx): Promise<void> {
  if (!(await tableExists(tx, SHADOW_ITEMS)) || !(await tableExists(tx, SHADOW_BARCODES))) {
    throw new ShadowBookVanished('the new price book was dropped before it could be switched in (was another import running?)');
  }
  await tx.run(`ALTER TABLE item_barcodes RENAME TO ${RETIRED_BARCODES}`);
  await tx.run(`ALTER TABLE items RENAME TO ${RETIRED_ITEMS}`);
  await tx.run(`ALTER TABLE ${SHADOW_ITEMS} RENAME TO items`);
  await tx.run(`ALTER TABLE ${SHADOW_BARCODES} RENAME TO item_barcodes`);
}
