/**
 * Recalls end to end through a real Mosquitto: `hq recall add` (a whole GTIN, one lot) and `hq recall publish --store`
 * sign and retain the store's list; a kiosk booted with its HQ link (trusting HQ's key) verifies it, stores it and
 * reports `applied` on `recalls/reported`, which `hq serve`'s recall service records; a scan of a recalled 2D code
 * is stopped at the lane and the attendant called; an expired one likewise; a good one is added with the weight /
 * price its AIs carry. `hq recall remove` and the service's debounced publish let the item through again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createPrivateKey } from 'node:crypto';
import mqtt from 'mqtt';
import { loadConfig } from '../config/load';
import { runDoctor } from '../device/doctor';
import { startHqLink, type HqLink } from '../device/hq-link';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { SqlAuditLog } from '../hq/audit/audit-log';
import type { ConsoleContext } from '../hq/console/types';
import { IngestStore } from '../hq/ingest/store';
import { recallAdd, recallList, recallPublish, recallRemove } from '../hq/recalls/cli';
import { latestRecallList } from '../hq/recalls/publish';
import { recallsReports } from '../hq/recalls/reported';
import { recallsService } from '../hq/recalls/service';
import { generateHqKeyPair } from '../hq/signing';
import { SystemClock } from '../kernel/clock';
import { addDays } from '../kernel/local-time';
import { storeToday } from '../runtime/lane/item-checks';
import { SHOPPER_MESSAGES } from '../runtime/lane/messages';
import { recallListInForce } from '../runtime/recalls/recall-store';
import { TrustStore } from '../runtime/trust/trust-store';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { addTestItem, gtin13 } from './support/test-items';
import { waitFor } from './support/wait';

// a real Mosquitto is the kiosk's HQ here; aedes v1 (the embedded HQ) is an ES module jest's CommonJS registry cannot load
jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));
jest.setTimeout(120_000);

const HQ = generateHqKeyPair();
const STORE = `RS${process.pid}`;
const DEVICE = 'lane-1';
const ZONE = 'Asia/Shanghai';
const RECALLED = gtin13('690000000011');
const LOTTED = gtin13('690000000012');
const GOOD = gtin13('690000000013');
const WEIGHED = gtin13('690000000014');
const g14 = (g: string) => `0${g}`;

describe('a recall list from HQ to the lane', () => {
  let broker: Mosquitto;
  let dir: string;
  let k: Kiosk;
  let link: HqLink;
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) };

  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = tempDir('kiosk-recalls-');
    TrustStore.open(dir).install([HQ.publicPem], { replace: true, now: Date.now() });
    const config = loadConfig({ env: {}, overrides: { dataDir: dir, timezone: ZONE, device: { storeId: STORE, deviceId: DEVICE }, hq: { broker: broker.url, protocolVersion: 5 } } });
    k = await bootKiosk(config, { confirmCash: async () => true });
    link = await startHqLink(k);
    await addTestItem(k.db, { sku: 'R-RECALLED', barcode: RECALLED, unitPrice: 500 });
    await addTestItem(k.db, { sku: 'R-LOTTED', barcode: LOTTED, unitPrice: 700 });
    await addTestItem(k.db, { sku: 'R-GOOD', barcode: GOOD, unitPrice: 1250 });
    await addTestItem(k.db, { sku: 'R-WEIGHED', barcode: WEIGHED, unitPrice: 3000, soldByWeight: true });
  });
  afterAll(async () => {
    await link?.close();
    await k?.close();
    await broker?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hq recall add + publish → the kiosk applies it → recalled and expired 2D codes are stopped, good ones priced by their AIs', async () => {
    const db = path.join(dir, 'hq', 'hq.sqlite');
    const keyFile = path.join(dir, 'hq.key');
    fs.writeFileSync(keyFile, HQ.privatePem);
    await recallAdd({ db, gtin: RECALLED, reason: 'Listeria: supplier notice 2026-12-01', id: 'RC-100' }, io);
    await recallAdd({ db, gtin: g14(LOTTED), lot: 'L42', reason: 'Glass fragments in lot L42', id: 'RC-101', store: STORE }, io);
    // another store's recall does not reach this one
    await recallAdd({ db, gtin: GOOD, reason: 'Regional: wrong label', id: 'RC-102', store: 'other-store' }, io);
    expect(out.join('')).toMatch(/recall RC-100 created: 0?\d{13} \(every unit\) in every store/);
    await expect(recallAdd({ db, gtin: '6900000000110', reason: 'x' }, io)).rejects.toThrow(/not a GTIN/);
    await expect(recallAdd({ db, gtin: GOOD, reason: 'another text', id: 'RC-100' }, io)).rejects.toThrow(/exists with the reason/);

    out.length = 0;
    await recallPublish({ db, key: keyFile, broker: broker.url, store: STORE }, io);
    expect(err).toEqual([]);
    expect(out.join('')).toMatch(new RegExp(`^${STORE}: recall list v\\d+ \\(2 recall\\(s\\), 2 entries\\) retained on kiosk/v1/${STORE}/_all/recalls\\n$`));
    await waitFor('the kiosk applies the list', async () => (await recallListInForce(k.db.read))?.entries === 2, 30_000);

    // recalled, as a GS1 DataMatrix with a lot: stopped, attendant called
    const r1 = await k.lane.scan(`]d201${g14(RECALLED)}10ANY`);
    expect(r1).toMatchObject({ ok: false, code: 'ITEM_RECALLED', message: SHOPPER_MESSAGES.ITEM_RECALLED, detail: expect.stringMatching(/recall RC-100: Listeria/) });
    expect(await k.engine.openOrder()).toMatchObject({ state: 'needs_attendant', pending: [{ kind: 'help' }], lines: [] });
    // the attendant's approval answers the call; it does not sell the item
    await k.lane.attendant('approve', 'att-1');
    expect((await k.engine.openOrder())!.lines).toEqual([]);
    // the recalled lot is stopped; another lot is sold
    expect(await k.lane.scan(`]d201${g14(LOTTED)}10L41`)).toMatchObject({ ok: true, action: 'item_added' });
    expect(await k.lane.scan(`]d201${g14(LOTTED)}10L42`)).toMatchObject({ ok: false, code: 'ITEM_RECALLED', detail: expect.stringMatching(/lot L42 is under recall RC-101/) });
    await k.lane.attendant('reject', 'att-1');

    // expired (use-by yesterday in the store's zone): stopped, attendant called
    const today = storeToday(Date.now(), ZONE);
    const yymmdd = (d: string) => d.slice(2).replace(/-/g, '');
    const r2 = await k.lane.scan(`]d201${g14(GOOD)}17${yymmdd(addDays(today, -1))}`);
    expect(r2).toMatchObject({ ok: false, code: 'ITEM_EXPIRED', message: SHOPPER_MESSAGES.ITEM_EXPIRED, detail: expect.stringMatching(/\(AI 17\)/) });
    expect(await k.engine.openOrder()).toMatchObject({ state: 'needs_attendant' });
    await k.lane.attendant('reject', 'att-1');

    // good ones: not recalled here (RC-102 is another store's), in date, priced by their AIs
    expect(await k.lane.scan(`]d201${g14(GOOD)}17${yymmdd(addDays(today, 30))}39222999`)).toMatchObject({ ok: true, action: 'item_added' });
    expect(await k.lane.scan(`]Q301${g14(WEIGHED)}3103000500`)).toMatchObject({ ok: true, action: 'item_added' });
    const open = (await k.engine.openOrder())!;
    expect(open.lines.map((l) => [l.sku, l.weightGrams, l.embeddedPrice ?? null])).toEqual([
      ['R-LOTTED', null, null],
      ['R-GOOD', null, 2999],
      ['R-WEIGHED', 500, null],
    ]);
    expect(open.priced.subtotal).toBe(700 + 2999 + 1500);
    // the journal tells the order's story: why the attendant was called each time
    const reasons = (await k.db.read.all<{ payload: string }>("SELECT payload FROM journal WHERE type = 'help_requested' ORDER BY seq")).map((r) => (JSON.parse(r.payload) as { event: { reason?: string } }).event.reason);
    expect(reasons).toEqual([expect.stringMatching(/RC-100/), expect.stringMatching(/RC-101/), expect.stringMatching(/AI 17/)]);

    // HQ records what the kiosk reported (hq serve's recall service); removing RC-100 publishes a list without it
    const store = await IngestStore.open(db);
    const clock = new SystemClock();
    const audit = new SqlAuditLog(store.db, clock);
    const ctx = { store, clock, audit, live: { publish: () => undefined }, hqKey: createPrivateKey(HQ.privatePem) } as unknown as ConsoleContext;
    const hq = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const svc = recallsService({ debounceMs: 50, everyMs: 200 })({ ...ctx, mqtt: hq });
    try {
      await waitFor('the kiosk report recorded', async () => (await recallsReports(store.db.read)).find((r) => r.device === DEVICE && r.report?.status === 'applied'), 30_000);
      const before = (await recallListInForce(k.db.read))!.version;
      out.length = 0;
      await recallRemove('RC-100', { db }, io);
      expect(out.join('')).toMatch(/recall RC-100 removed \(1 item\(s\)\)/);
      // the CLI ran in "another process": the service's periodic look (every 200 ms here) publishes the change
      await waitFor('the newer list applied', async () => ((await recallListInForce(k.db.read))?.version ?? 0) > before, 30_000);
      expect(await recallListInForce(k.db.read)).toMatchObject({ recalls: 1, entries: 1 });
      expect((await latestRecallList(store.db.read, STORE))!.entries).toBe(1);
      await k.lane.attendant('approve', 'att-1').catch(() => undefined);
      expect(await k.lane.scan(RECALLED)).toMatchObject({ ok: true, action: 'item_added' });
    } finally {
      await svc.stop();
      await hq.endAsync();
      await store.close();
    }
    // `kiosk doctor` shows the list in force
    const doc = await runDoctor({}, k.db, { required: [] });
    expect(doc.rows.find((r) => r.check === 'recall list')).toMatchObject({ required: false, ok: true, reason: expect.stringMatching(/^v\d+: 1 recall\(s\), 1 entries, applied /) });
    out.length = 0;
    await recallList({ db }, io);
    expect(out.join('')).toMatch(/RC-101 .*Glass fragments in lot L42\n {2}0\d{13} {2}lot L42 {2}store /);
  });
});
