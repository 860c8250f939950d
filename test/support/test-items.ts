import type { KioskDb } from '../../kernel/sqlite/database';
import { gtinCheckDigit } from '../../kernel/gs1-check-digit';

/** A GTIN-13 from its first 12 digits (the check digit computed). */
export const gtin13 = (twelve: string): string => twelve + String(gtinCheckDigit(twelve));

/** Adds one price-book item (tax class `standard`, no age limit) with one barcode, straight into the kiosk's tables. */
export async function addTestItem(db: KioskDb, item: { sku: string; barcode: string; unitPrice: number; soldByWeight?: boolean }): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.run('INSERT INTO items (sku, names, unit_price, tax_class, age_limit, sold_by_weight) VALUES (?, ?, ?, ?, NULL, ?)', [
      item.sku,
      JSON.stringify({ 'zh-CN': item.sku, en: item.sku }),
      item.unitPrice,
      'standard',
      item.soldByWeight ? 1 : 0,
    ]);
    await tx.run('INSERT INTO item_barcodes (barcode, sku) VALUES (?, ?)', [item.barcode, item.sku]);
  });
}
