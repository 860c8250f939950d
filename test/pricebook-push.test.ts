import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import mqtt from 'mqtt';
import { Catalog } from '../runtime/pricebook/catalog';
import { SimulatedClock } from '../kernel/clock';
import type { KioskDb } from '../kernel/sqlite/database';
import type { PricebookManifest } from '../protocol/pricebook/manifest';
import { PricebookReceiver } from '../runtime/pricebook/sync/receiver';
import { subscribePricebook } from '../runtime/pricebook/sync/subscribe';
import { Mosquitto } from './support/mosquitto';
import { waitFor } from './support/wait';
import { item, items, openDb, signManifest, tempDir, verifyManifest } from './support/pricebook-sync';
import type { PriceItem } from '../protocol/pricebook/price-item';
import { chunkFileName } from '../hq/pricebook/chunker';
import { parsePricebookScope, pricebookPush, registerPricebookPush } from '../hq/commands/pricebook-push';

let tmp: ReturnType<typeof tempDir>;
let db: KioskDb;
beforeEach(async () => {
  tmp = tempDir();
  db = await openDb(path.join(tmp.dir, 'k.sqlite'));
});
afterEach(async () => {
  await db.close();
  tmp.cleanup();
});

const sign = (m: PricebookManifest) => signManifest(m);

function jsonl(name: string, records: unknown[]): string {
  const f = path.join(tmp.dir, name);
  fs.writeFileSync(f, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return f;
}

/** Feeds an --out directory to a receiver, as the kiosk would get it over MQTT. */
async function deliverDir(dir: string) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as PricebookManifest;
  const r = new PricebookReceiver({ db, clock: new SimulatedClock(), deviceId: 'K1', verifyManifest });
  await r.offerManifest(fs.readFileSync(path.join(dir, 'manifest.signed')));
  for (const c of manifest.chunks) await r.offerChunk(manifest.version, c.index, fs.readFileSync(path.join(dir, chunkFileName(c.index))));
  return r.status();
}

test('hq pricebook push --out writes a signed manifest and chunks a kiosk applies; then a delta on top', async () => {
  const out: string[] = [];
  const full = jsonl('book.jsonl', items(1, 3000));
  const dir1 = path.join(tmp.dir, 'out1');
  const m1 = await pricebookPush(full, { version: '2026.11.1', scope: 'store:S1', key: 'hq.key', out: dir1 }, { sign, out: (t) => out.push(t) });
  expect(m1).toMatchObject({ version: '2026.11.1', kind: 'full', items: 3000 });
  expect(m1.chunkCount).toBeGreaterThan(1);
  expect(out.join('')).toMatch(/wrote full price book 2026\.11\.1: 3000 records in \d+ chunks/);
  expect(await deliverDir(dir1)).toMatchObject({ version: '2026.11.1', status: 'applied' });

  const changed: PriceItem = item(7, { unitPrice: 1 });
  const delta = jsonl('delta.jsonl', [{ op: 'upsert', item: changed }, { op: 'delete', sku: item(8).sku }]);
  const dir2 = path.join(tmp.dir, 'out2');
  const m2 = await pricebookPush(delta, { version: '2026.11.2', delta: true, base: '2026.11.1', scope: 'device:S1/K1', key: 'hq.key', out: dir2 }, { sign, out: () => undefined });
  expect(m2).toMatchObject({ kind: 'delta', baseVersion: '2026.11.1', items: 2, chunkCount: 1 });
  expect(await deliverDir(dir2)).toMatchObject({ version: '2026.11.2', status: 'applied' });
  const cat = new Catalog(db);
  expect(await cat.byBarcode(changed.barcodes[0])).toEqual(changed);
  expect(await cat.bySku(item(8).sku)).toBeNull();
  expect(await cat.count()).toBe(2999);
});

test('an invalid book or delta is refused naming file and line (no manifest is written)', async () => {
  const dupe = jsonl('dupe.jsonl', [item(1), item(2, { barcodes: item(1).barcodes })]);
  await expect(pricebookPush(dupe, { version: 'v1', scope: 'store:S1', out: path.join(tmp.dir, 'o') }, { out: () => undefined })).rejects.toThrow(
    /dupe\.jsonl line 2: barcodes: duplicate barcode/,
  );
  const badOp = jsonl('bad.jsonl', [{ op: 'upsert', item: item(1) }, { op: 'rename', sku: 'X' }]);
  await expect(
    pricebookPush(badOp, { version: 'v2', delta: true, base: 'v1', scope: 'store:S1', out: path.join(tmp.dir, 'o2') }, { out: () => undefined }),
  ).rejects.toThrow(/bad\.jsonl line 2: op: expected "upsert" or "delete", got "rename"/);
  expect(fs.existsSync(path.join(tmp.dir, 'o', 'manifest.json'))).toBe(false);
  expect(fs.existsSync(path.join(tmp.dir, 'o2', 'manifest.json'))).toBe(false);
});

test('command line: options are wired, scope and mode errors are clear', async () => {
  const book = jsonl('b.jsonl', items(1, 10));
  const run = async (args: string[], signer?: typeof sign) => {
    const program = new Command().exitOverride();
    registerPricebookPush(program, signer);
    await program.parseAsync(['node', 'hq', 'pricebook', 'push', book, ...args]);
  };
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const dir = path.join(tmp.dir, 'cli');
    await run(['--version', 'v3', '--scope', 'device:S1/K9', '--key', 'k', '--out', dir], sign);
    expect(fs.readdirSync(dir).sort()).toEqual(['chunk-0.ndjson.gz', 'manifest.json', 'manifest.signed']);
    await run(['--version', 'v4', '--scope', 'store:S1', '--out', path.join(tmp.dir, 'unsigned')]);
    expect(fs.existsSync(path.join(tmp.dir, 'unsigned', 'manifest.signed'))).toBe(false);
  } finally {
    spy.mockRestore();
  }
  await expect(run(['--version', 'v5', '--scope', 'store:S1', '--key', 'k', '--broker', 'mqtt://127.0.0.1:1'])).rejects.toThrow(/signing is not wired/);
  await expect(run(['--version', 'v5', '--scope', 'fleet', '--out', tmp.dir])).rejects.toThrow(/bad --scope "fleet"/);
  await expect(run(['--version', 'v5', '--delta', '--scope', 'store:S1', '--out', tmp.dir])).rejects.toThrow(/--delta needs --base/);
  await expect(run(['--version', 'v5', '--delta', '--base', 'v6', '--scope', 'store:S1', '--out', tmp.dir])).rejects.toThrow(/must be newer than --base/);
  expect(parsePricebookScope('device:S1/K1')).toEqual({ store: 'S1', device: 'K1' });
  expect(parsePricebookScope('store:S1')).toEqual({ store: 'S1' });
});

test('--broker publishes the signed manifest and chunks retained; a kiosk subscribing later applies the book', async () => {
  const broker = await Mosquitto.start();
  try {
    const book = jsonl('b.jsonl', items(1, 2500));
    const out: string[] = [];
    const m = await pricebookPush(book, { version: 'v1', scope: 'device:S1/K1', key: 'hq.key', broker: broker.url }, { sign, out: (t) => out.push(t) });
    expect(out.join('')).toContain('published full price book v1');
    expect(m.chunkCount).toBeGreaterThan(1);
    const r = new PricebookReceiver({ db, clock: new SimulatedClock(), deviceId: 'K1', verifyManifest });
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
    try {
      const sub = await subscribePricebook(client, { store: 'S1', device: 'K1' }, r);
      await waitFor('the pushed book applied', async () => (await r.status())?.status === 'applied');
      await sub.close();
    } finally {
      await client.endAsync();
    }
    expect(await new Catalog(db).count()).toBe(2500);
  } finally {
    await broker.close();
  }
});
