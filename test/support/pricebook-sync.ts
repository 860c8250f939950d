import { createHmac, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chunkRecords, type BookMeta } from '../../hq/pricebook/chunker';
import { KioskDb } from '../../kernel/sqlite/database';
import { migrate } from '../../runtime/db/migrations';
import type { PriceItem } from '../../runtime/pricing/types';
import type { PricebookManifest, VerifyManifest } from '../../protocol/pricebook/manifest';

/**
 * Test stand-in for the signed envelope (the real one is protocol/signed-envelope.ts, Ed25519): the manifest and an
 * HMAC-SHA256 over its JSON — and over `issuedAt` (ms, when HQ signed it) when one is given, which the verifier then
 * vouches for as the real envelope's `issuedAt`.
 */
const KEY = Buffer.from('test-only-hmac-key');

const macOf = (body: string, issuedAt: number | undefined, key: Buffer): Buffer =>
  createHmac('sha256', key).update(issuedAt === undefined ? body : `${issuedAt}\n${body}`).digest();

export function signManifest(m: PricebookManifest, key = KEY, issuedAt?: number): Buffer {
  const body = JSON.stringify(m);
  return Buffer.from(JSON.stringify({ body, mac: macOf(body, issuedAt, key).toString('hex'), ...(issuedAt === undefined ? {} : { issuedAt }) }));
}

export const verifyManifest: VerifyManifest = (raw) => {
  let env: { body?: unknown; mac?: unknown; issuedAt?: unknown };
  try {
    env = JSON.parse(raw.toString('utf8')) as { body?: unknown; mac?: unknown; issuedAt?: unknown };
  } catch {
    return { ok: false, reason: 'malformed', detail: 'not JSON' };
  }
  if (typeof env.body !== 'string' || typeof env.mac !== 'string') return { ok: false, reason: 'malformed', detail: 'body/mac missing' };
  const issuedAt = typeof env.issuedAt === 'number' ? env.issuedAt : undefined;
  const want = macOf(env.body, issuedAt, KEY);
  const got = Buffer.from(env.mac, 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: 'bad_signature', detail: 'HMAC mismatch' };
  return { ok: true, manifest: JSON.parse(env.body) as unknown, ...(issuedAt === undefined ? {} : { issuedAt }) };
};

/** Builds a book in memory: its manifest and chunks (index order). */
export async function build(records: readonly unknown[], meta: BookMeta, targetBytes?: number): Promise<{ manifest: PricebookManifest; chunks: Buffer[] }> {
  const chunks: Buffer[] = [];
  async function* one() {
    yield records;
  }
  const manifest = await chunkRecords(one(), meta, async (i, gz) => void (chunks[i] = gz), targetBytes);
  return { manifest, chunks };
}

/** Item n: SKU-000n with one EAN-13-shaped barcode 69…n (lookup key = the barcode). */
export function item(n: number, over: Partial<PriceItem> = {}): PriceItem {
  return {
    sku: `SKU-${String(n).padStart(6, '0')}`,
    barcodes: [`69${String(n).padStart(11, '0')}`],
    names: { 'zh-CN': `商品${n}`, en: `Item ${n}` },
    unitPrice: 100 + n,
    taxClass: n % 3 === 0 ? 'reduced' : 'standard',
    ageLimit: n % 7 === 0 ? 18 : null,
    soldByWeight: false,
    ...over,
  };
}

export const items = (from: number, to: number): PriceItem[] => Array.from({ length: to - from + 1 }, (_, i) => item(from + i));

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pb-sync-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Jest hooks: before each test a fresh temp dir and a migrated kiosk database in it, handed to `use`; after it, the
 * database closed and the dir removed.
 */
export function freshDbEachTest(use: (tmp: { dir: string; cleanup: () => void }, db: KioskDb) => void): void {
  let tmp: { dir: string; cleanup: () => void } | null = null;
  let db: KioskDb | null = null;
  let n = 0;
  beforeEach(async () => {
    tmp = tempDir();
    db = await openDb(path.join(tmp.dir, `k${n++}.sqlite`));
    use(tmp, db);
  });
  afterEach(async () => {
    await db?.close();
    tmp?.cleanup();
  });
}

export async function openDb(file: string): Promise<KioskDb> {
  const db = await KioskDb.open(file);
  await migrate(db);
  return db;
}

/** The catalog as rows, for whole-book comparisons. */
export async function dump(db: KioskDb): Promise<unknown[]> {
  return db.read.all(
    `SELECT i.*, (SELECT json_group_array(barcode) FROM (SELECT barcode FROM item_barcodes b WHERE b.sku = i.sku ORDER BY barcode)) AS barcodes
     FROM items i ORDER BY sku`,
  );
}
