import type { Tx } from '../../kernel/sqlite/database';

/** One row of `pricebook_versions` (hq/pricebook-console/schema.ts). */
export interface PricebookVersionRow {
  store_id: string;
  version: string;
  csv: string;
  items: number;
  sha256: string;
  published_by: string;
  published_at: number;
}

const COLUMNS = 'store_id, version, csv, items, sha256, published_by, published_at';

/** PostgreSQL hands BIGINT back as text: numbers made numbers again. */
const row = (r: PricebookVersionRow): PricebookVersionRow => ({ ...r, items: Number(r.items), published_at: Number(r.published_at) });

/** The price books published to each store from the console (either dialect: `?` placeholders only). */
export class PricebookRegistry {
  constructor(private readonly db: Tx) {}

  /** The book the store last received from the console (the newest published), if any. */
  async latest(store: string): Promise<PricebookVersionRow | undefined> {
    const r = await this.db.get<PricebookVersionRow>(`SELECT ${COLUMNS} FROM pricebook_versions WHERE store_id = ? ORDER BY published_at DESC, version DESC LIMIT 1`, [store]);
    return r ? row(r) : undefined;
  }

  /** One of the store's books by its version. */
  async get(store: string, version: string): Promise<PricebookVersionRow | undefined> {
    const r = await this.db.get<PricebookVersionRow>(`SELECT ${COLUMNS} FROM pricebook_versions WHERE store_id = ? AND version = ?`, [store, version]);
    return r ? row(r) : undefined;
  }

  /** The store's books, newest first. */
  async history(store: string, limit = 20): Promise<PricebookVersionRow[]> {
    const rows = await this.db.all<PricebookVersionRow>(`SELECT ${COLUMNS} FROM pricebook_versions WHERE store_id = ? ORDER BY published_at DESC, version DESC LIMIT ?`, [store, limit]);
    return rows.map(row);
  }

  static async insert(tx: Tx, r: PricebookVersionRow): Promise<void> {
    await tx.run(`INSERT INTO pricebook_versions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [r.store_id, r.version, r.csv, r.items, r.sha256, r.published_by, r.published_at]);
  }
}
