import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { publishPricebook } from '../../../hq/pricebook/publish';
import { dirSink } from '../../../hq/pricebook/chunker';
import { Mosquitto } from '../../../test/support/mosquitto';
import { waitFor } from '../../../test/support/wait';
import { Catalog } from '../catalog';
import { SimulatedClock } from '../../../kernel/clock';
import type { KioskDb } from '../../../kernel/sqlite/database';
import type { PricebookManifest } from '../../../protocol/pricebook/manifest';
import { PricebookReceiver, type PricebookReport } from './receiver';
import { subscribePricebook, type PricebookSubscription } from './subscribe';
import { chunkTopic, manifestTopic, pricebookBase } from '../../../protocol/pricebook/topics';
import { build, item, items, openDb, signManifest, tempDir, verifyManifest } from '../../../test/support/pricebook-sync';

jest.setTimeout(60_000);

let broker: Mosquitto;
let tmp: ReturnType<typeof tempDir>;
let db: KioskDb;
const clients: MqttClient[] = [];
const subs: PricebookSubscription[] = [];

beforeEach(async () => {
  broker = await Mosquitto.start();
  tmp = tempDir();
  db = await openDb(path.join(tmp.dir, 'k.sqlite'));
});
afterEach(async () => {
  for (const s of subs.splice(0)) await s.close().catch(() => undefined);
  for (const c of clients.splice(0)) await c.endAsync(true).catch(() => undefined);
  await db.close();
  await broker.close();
  tmp.cleanup();
});

async function connect(opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 100, connectTimeout: 5000, ...opts });
  clients.push(c);
  return c;
}

/** Writes a book to a directory the way `hq pricebook push --out` does. */
async function bookDir(list: unknown[], meta: { version: string; kind: 'full' }, target = 4000): Promise<{ manifest: PricebookManifest; dir: string; chunks: Buffer[] }> {
  const dir = path.join(tmp.dir, meta.version);
  const { manifest, chunks } = await build(list, meta, target);
  const sink = dirSink(dir);
  for (let i = 0; i < chunks.length; i++) await sink(i, chunks[i]);
  return { manifest, dir, chunks };
}

async function kiosk(): Promise<{ receiver: PricebookReceiver; errors: unknown[] }> {
  const receiver = new PricebookReceiver({ db, clock: new SimulatedClock(), deviceId: 'K1', verifyManifest });
  const errors: unknown[] = [];
  const client = await connect({ clientId: 'kiosk-K1' });
  subs.push(await subscribePricebook(client, { store: 'S1', device: 'K1' }, receiver, { onError: (e) => errors.push(e) }));
  return { receiver, errors };
}

test('retained manifest and chunks published on the store level are applied by a subscribed kiosk', async () => {
  const book = await bookDir(items(1, 500), { version: 'v1', kind: 'full' });
  expect(book.manifest.chunkCount).toBeGreaterThan(3);
  const hq = await connect();
  await publishPricebook(hq, pricebookBase({ store: 'S1' }), book.manifest, signManifest(book.manifest), book.dir);

  const { receiver, errors } = await kiosk();
  await waitFor('the book applied', async () => (await receiver.status())?.status === 'applied');
  expect(await new Catalog(db).byBarcode(item(321).barcodes[0])).toEqual(item(321));
  expect(await new Catalog(db).count()).toBe(500);
  expect(errors).toEqual([]);
});

test('broker stops midway: after it restarts the kiosk reconnects, gets the rest and applies the book', async () => {
  const book = await bookDir(items(1, 800), { version: 'v2', kind: 'full' });
  const total = book.manifest.chunkCount;
  const half = Math.floor(total / 2);
  const base = pricebookBase({ store: 'S1', device: 'K1' });
  const hq1 = await connect({ reconnectPeriod: 0 });
  await hq1.publishAsync(manifestTopic(base), signManifest(book.manifest), { qos: 1, retain: true });
  for (let i = 0; i < half; i++) await hq1.publishAsync(chunkTopic(base, 'v2', i), book.chunks[i], { qos: 1, retain: true });
  await hq1.endAsync();

  const { receiver, errors } = await kiosk();
  await waitFor('half the chunks stored', async () => (await receiver.status())?.received === half);
  await broker.stop();
  expect(await receiver.missing()).toEqual([...Array(total).keys()].slice(half));

  await broker.start(); // retained messages survive (persistence)
  const hq2 = await connect({ reconnectPeriod: 0 });
  for (let i = half; i < total; i++) await hq2.publishAsync(chunkTopic(base, 'v2', i), book.chunks[i], { qos: 1, retain: true });
  await waitFor('the book applied after the outage', async () => (await receiver.status())?.status === 'applied', 20_000);
  expect(await new Catalog(db).count()).toBe(800);
  expect(await new Catalog(db).version()).toBe('v2');
  expect(errors).toEqual([]);
});

/** Publishes a book on a level, its manifest signed as issued at `issuedAt` (HQ's publish time). */
async function publishAt(hq: MqttClient, level: 'device' | 'store', book: { manifest: PricebookManifest; dir: string }, issuedAt: number): Promise<void> {
  const base = level === 'device' ? pricebookBase({ store: 'S1', device: 'K1' }) : pricebookBase({ store: 'S1' });
  await publishPricebook(hq, base, book.manifest, signManifest(book.manifest, undefined, issuedAt), book.dir);
}

const refusals = (reports: PricebookReport[]) => reports.filter((r) => r.type === 'status' && r.status.status === 'rejected');

test('the manifest HQ published last wins: a store publish after a device-level one reaches the kiosk, and back', async () => {
  const batch = await bookDir(items(1, 40), { version: 'v5', kind: 'full' });
  const store = await bookDir(items(1, 90), { version: 'v6', kind: 'full' });
  const batch2 = await bookDir(items(1, 20), { version: 'v7', kind: 'full' });
  const hq = await connect();
  const { receiver } = await kiosk();
  await publishAt(hq, 'device', batch, 1_000);
  await waitFor('the device book applied', async () => ((await new Catalog(db).version()) === 'v5' ? true : null));
  // before: the device-level manifest hid every later store-level one
  await publishAt(hq, 'store', store, 2_000);
  await waitFor('the later store book applied', async () => ((await new Catalog(db).version()) === 'v6' ? true : null));
  expect(await new Catalog(db).count()).toBe(90);
  await publishAt(hq, 'device', batch2, 3_000);
  await waitFor('the later device book applied', async () => ((await new Catalog(db).version()) === 'v7' ? true : null));
  expect(await new Catalog(db).count()).toBe(20);
  expect(await receiver.status()).toMatchObject({ version: 'v7', status: 'applied' });
});

test('on subscribe, an older device-level manifest that arrives first is not offered: the later store one is', async () => {
  // signed earlier but with a version that sorts higher: offered first, it would be taken and the store's refused
  const stale = await bookDir(items(1, 40), { version: 'v9', kind: 'full' });
  const store = await bookDir(items(1, 90), { version: 'v6', kind: 'full' });
  const hq = await connect();
  await publishAt(hq, 'device', stale, 1_000);
  await publishAt(hq, 'store', store, 2_000);

  const reports: PricebookReport[] = [];
  const receiver = new PricebookReceiver({ db, clock: new SimulatedClock(), deviceId: 'K1', verifyManifest, onReport: (r) => reports.push(r) });
  const client = await connect({ clientId: 'kiosk-K1' });
  subs.push(await subscribePricebook(client, { store: 'S1', device: 'K1' }, receiver));
  await waitFor('the store book applied', async () => ((await receiver.status())?.status === 'applied' ? true : null));
  await new Promise((r) => setTimeout(r, 700)); // past SETTLE_MS: nothing else comes
  expect(await new Catalog(db).version()).toBe('v6');
  expect(await new Catalog(db).count()).toBe(90);
  expect(reports.filter((r) => r.type === 'status').map((r) => r.type === 'status' && r.status.version)).not.toContain('v9');
  expect(refusals(reports)).toEqual([]);
});

test('a cleared device-level manifest falls back to the store one at once; a forged one never hides a good one', async () => {
  const device = pricebookBase({ store: 'S1', device: 'K1' });
  const hq = await connect();
  await publishAt(hq, 'store', await bookDir(items(1, 90), { version: 'v2', kind: 'full' }), 1_000);
  await publishAt(hq, 'device', await bookDir(items(1, 40), { version: 'v1', kind: 'full' }), 2_000);
  const reports: PricebookReport[] = [];
  const receiver = new PricebookReceiver({ db, clock: new SimulatedClock(), deviceId: 'K1', verifyManifest, onReport: (r) => reports.push(r) });
  const client = await connect({ clientId: 'kiosk-K1' });
  subs.push(await subscribePricebook(client, { store: 'S1', device: 'K1' }, receiver));
  await waitFor('the device book applied', async () => ((await new Catalog(db).version()) === 'v1' ? true : null));

  // HQ clears the device level (an empty retained message): the store's manifest is followed again, no reconnect
  await hq.publishAsync(manifestTopic(device), Buffer.alloc(0), { qos: 1, retain: true });
  await waitFor('the store book applied', async () => ((await new Catalog(db).version()) === 'v2' ? true : null));
  expect(await new Catalog(db).count()).toBe(90);

  // a forged device manifest claiming to be the newest: refused and reported, and it hides nothing
  const forged = Buffer.from(JSON.stringify({ body: JSON.stringify({ version: 'v99' }), mac: '00'.repeat(32), issuedAt: 9_000 }));
  await hq.publishAsync(manifestTopic(device), forged, { qos: 1, retain: true });
  await waitFor('the forgery refused', async () => (refusals(reports).length ? true : null));
  expect(refusals(reports)).toEqual([expect.objectContaining({ status: expect.objectContaining({ reason: 'bad_signature' }) })]);
  await publishAt(hq, 'store', await bookDir(items(1, 30), { version: 'v3', kind: 'full' }), 3_000);
  await waitFor('v3 applied', async () => ((await new Catalog(db).version()) === 'v3' ? true : null));
  expect(await new Catalog(db).count()).toBe(30);
});
