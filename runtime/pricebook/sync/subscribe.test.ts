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
import { PricebookReceiver } from './receiver';
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

test('a device-level manifest wins over the store-level one', async () => {
  const mine = await bookDir(items(1, 40), { version: 'v5', kind: 'full' });
  const store = await bookDir(items(1, 90), { version: 'v6', kind: 'full' });
  const hq = await connect();
  await publishPricebook(hq, pricebookBase({ store: 'S1' }), store.manifest, signManifest(store.manifest), store.dir);
  await publishPricebook(hq, pricebookBase({ store: 'S1', device: 'K1' }), mine.manifest, signManifest(mine.manifest), mine.dir);

  const { receiver } = await kiosk();
  await waitFor('the device book applied', async () => (await receiver.status())?.status === 'applied');
  // give the store-level messages time to arrive and be ignored
  await new Promise((r) => setTimeout(r, 500));
  expect(await receiver.status()).toMatchObject({ version: 'v5', status: 'applied' });
  expect(await new Catalog(db).count()).toBe(40);
});
