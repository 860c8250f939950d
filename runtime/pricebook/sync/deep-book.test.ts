/**
 * Issue 11 point 10: a signed price book with one line nested 5 000 arrays deep. It used to overflow the stack in
 * the error formatter while applying, leave the transfer `receiving`, and make `resume()` throw at every boot.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Catalog } from '../catalog';
import { SimulatedClock } from '../../../kernel/clock';
import type { KioskDb } from '../../../kernel/sqlite/database';
import type { PricebookManifest } from '../../../protocol/pricebook/manifest';
import { PricebookReceiver, type PricebookReport } from './receiver';
import { build, item, items, openDb, signManifest, tempDir, verifyManifest } from '../../../test/support/pricebook-sync';

let tmp: ReturnType<typeof tempDir>;
let db: KioskDb;
let reports: PricebookReport[];

beforeEach(async () => {
  tmp = tempDir();
  db = await openDb(path.join(tmp.dir, 'k.sqlite'));
  reports = [];
});
afterEach(async () => {
  await db.close();
  tmp.cleanup();
});

const receiver = () => new PricebookReceiver({ db, clock: new SimulatedClock(), deviceId: 'K1', verifyManifest, onReport: (r) => reports.push(r) });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A one-chunk full book whose second line is `[[[…]]]` nested `depth` deep (the chunker would never write it). */
function deepBook(version: string, depth: number): { manifest: PricebookManifest; chunk: Buffer } {
  const text = `${JSON.stringify(item(1))}\n${'['.repeat(depth)}${']'.repeat(depth)}\n${JSON.stringify(item(2))}\n`;
  const chunk = gzipSync(Buffer.from(text));
  const manifest: PricebookManifest = {
    version,
    kind: 'full',
    chunkCount: 1,
    items: 3,
    chunks: [{ index: 0, sha256: sha256(chunk), bytes: chunk.length }],
    sha256: sha256(chunk),
  };
  return { manifest, chunk };
}

async function applyGoodBook(r: PricebookReceiver): Promise<void> {
  const good = await build(items(1, 5), { version: 'v1', kind: 'full' });
  await r.offerManifest(signManifest(good.manifest));
  for (let i = 0; i < good.chunks.length; i++) await r.offerChunk('v1', i, good.chunks[i]);
  expect(await r.status()).toMatchObject({ version: 'v1', status: 'applied' });
}

test('a line nested 5 000 deep: the transfer is rejected (invalid_book) with the chunk, line and limit; the old book stays', async () => {
  const r = receiver();
  await applyGoodBook(r);
  const { manifest, chunk } = deepBook('v2', 5000);
  await r.offerManifest(signManifest(manifest));
  const outcome = await r.offerChunk('v2', 0, chunk);
  expect(outcome.status).toEqual({
    version: 'v2',
    status: 'rejected',
    received: 0,
    total: 1,
    reason: 'invalid_book',
    detail: 'chunk 0 line 2: too deep: JSON nested deeper than 64 levels (at character 64)',
  });
  expect(reports).toContainEqual({ type: 'status', status: expect.objectContaining({ version: 'v2', reason: 'invalid_book' }) });
  expect(await new Catalog(db).count()).toBe(5); // still selling with v1
  expect(await receiver().resume()).toBeNull(); // nothing left to resume
});

test('a transfer left "receiving" with all chunks staged (the state today\'s main leaves) is settled by resume(), which never throws', async () => {
  const r = receiver();
  await applyGoodBook(r);
  const { manifest, chunk } = deepBook('v2', 5000);
  await r.offerManifest(signManifest(manifest));
  // the chunk staged behind the receiver's back: the process died (stack overflow) before the transfer was settled
  await db.transaction((tx) => tx.run('INSERT INTO pricebook_chunks (version, idx, data) VALUES (?, ?, ?)', ['v2', 0, chunk]));

  const boot = receiver(); // the next boot
  await expect(boot.resume()).resolves.toMatchObject({ version: 'v2', status: 'rejected', reason: 'invalid_book', detail: expect.stringContaining('too deep') });
  expect(await boot.status()).toMatchObject({ version: 'v2', status: 'rejected', reason: 'invalid_book' });
  expect(await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM pricebook_chunks')).toEqual({ n: 0 });
  await expect(receiver().resume()).resolves.toBeNull(); // and every boot after that
  expect(await new Catalog(db).count()).toBe(5);
});

test('resume() abandons a transfer it cannot even read (corrupt manifest row): rejected with resume_failed, reported, not thrown', async () => {
  const r = receiver();
  const { manifest } = deepBook('v3', 1);
  await r.offerManifest(signManifest(manifest));
  await db.transaction((tx) => tx.run("UPDATE pricebook_transfers SET manifest = '{broken' WHERE version = 'v3'"));

  await expect(receiver().resume()).resolves.toMatchObject({ version: 'v3', status: 'rejected', reason: 'resume_failed', detail: expect.stringContaining('SyntaxError') });
  expect(reports.at(-1)).toMatchObject({ type: 'status', status: { version: 'v3', reason: 'resume_failed' } });
  expect(await db.read.get('SELECT status, reason FROM pricebook_transfers WHERE version = ?', ['v3'])).toEqual({ status: 'rejected', reason: 'resume_failed' });
});
