import type { KioskDb } from '../../kernel/sqlite/database';
import type { TypePrices } from '../../protocol/pricebook/price-item';
import type { PriceItem } from '../pricing/types';

interface ItemRow {
  sku: string;
  names: string;
  unit_price: number;
  tax_class: string;
  age_limit: number | null;
  sold_by_weight: number;
  barcodes: string;
  /** JSON `{"business"?, "group"?}` or NULL (migration 11). */
  type_prices: string | null;
}

const SELECT = `SELECT i.*, (SELECT json_group_array(barcode) FROM item_barcodes b WHERE b.sku = i.sku) AS barcodes FROM items i`;

const BY_BARCODE = `${SELECT} WHERE i.sku = (SELECT sku FROM item_barcodes WHERE barcode = ?)`;
const BY_SKU = `${SELECT} WHERE i.sku = ?`;

const toItem = (r: ItemRow): PriceItem => ({
  sku: r.sku,
  barcodes: JSON.parse(r.barcodes) as string[],
  names: JSON.parse(r.names) as Record<string, string>,
  unitPrice: r.unit_price,
  taxClass: r.tax_class,
  ageLimit: r.age_limit,
  soldByWeight: r.sold_by_weight === 1,
  ...(r.type_prices === null ? {} : { typePrices: JSON.parse(r.type_prices) as TypePrices }),
});

/** The price book as stored in SQLite: what a scanned key resolves to. */
export class Catalog {
  constructor(private readonly db: KioskDb) {}

  /** The lane's lookup of a scanned key (a statement prepared once: KioskDb.readPrepared). */
  async byBarcode(key: string): Promise<PriceItem | null> {
    const [row] = await this.db.readPrepared<ItemRow>(BY_BARCODE, [key]);
    return row ? toItem(row) : null;
  }

  async bySku(sku: string): Promise<PriceItem | null> {
    const [row] = await this.db.readPrepared<ItemRow>(BY_SKU, [sku]);
    return row ? toItem(row) : null;
  }

  async count(): Promise<number> {
    const row = await this.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM items');
    return row?.n ?? 0;
  }

  async version(): Promise<string | null> {
    const row = await this.db.read.get<{ value: string }>("SELECT value FROM meta WHERE key = 'pricebook_version'");
    return row?.value ?? null;
  }

  async sample(where: 'weighed' | 'age' | 'plain', limit = 5): Promise<PriceItem[]> {
    const cond = where === 'weighed' ? 'i.sold_by_weight = 1' : where === 'age' ? 'i.age_limit IS NOT NULL' : 'i.sold_by_weight = 0 AND i.age_limit IS NULL';
    const rows = await this.db.read.all<ItemRow>(`${SELECT} WHERE ${cond} ORDER BY i.sku LIMIT ?`, [limit]);
    return rows.map(toItem);
  }
}
