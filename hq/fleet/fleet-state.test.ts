import mqtt, { type MqttClient } from 'mqtt';
import { SimulatedClock, SystemClock, type Clock } from '../../kernel/clock';
import { stateTopic, telemetryTopic } from '../../protocol/topics';
import { CONSOLE_BACKENDS, closeConsoleBackends } from '../../test/support/console-fixture';
import { Mosquitto } from '../../test/support/mosquitto';
import { waitFor } from '../../test/support/sync-fixtures';
import { HqIngest } from '../ingest/ingest';
import type { IngestStore } from '../ingest/store';
import { fleetRows } from './fleet-query';

/** HQ's fleet state over a real Mosquitto, kept in the `fleet` table of both store dialects. */

const T = Date.UTC(2026, 11, 6, 9, 0);
const ALL = { all: true } as const;
const birth = (o: object = {}) => JSON.stringify({ v: 1, online: true, ts: T, software: '3.0.1', configVersion: 'device:2', pricebookVersion: 'pb-1', counters: {}, ...o });
const telemetry = (o: object = {}) => JSON.stringify({ v: 1, ts: T, backlog: 0, uptimeS: 1, disk: {}, devices: null, ...o });
const configTopic = (s: string, d: string) => `kiosk/v1/${s}/${d}/config/reported`;
const pricebookTopic = (s: string, d: string) => `kiosk/v1/${s}/${d}/pricebook/reported`;

let broker: Mosquitto;
beforeAll(async () => {
  broker = await Mosquitto.start({ persistence: false });
});
afterAll(async () => {
  await broker.close();
  await closeConsoleBackends();
}, 60_000);

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('fleet state at HQ on %s', (_name, backend) => {
  let store: IngestStore;
  let hq: MqttClient;
  let kiosk: MqttClient;
  let ingest: HqIngest;
  const started: HqIngest[] = [];
  let prefix: string;
  let n = 0;

  const startIngest = async (clock: Clock = new SystemClock(), fleetWriteMs = 20): Promise<HqIngest> => {
    const i = new HqIngest({ store, client: hq, clock, fleetWriteMs, requestResend: () => undefined });
    i.on('error', (e) => {
      throw e;
    });
    await i.start();
    started.push(i);
    return i;
  };
  const pub = (topic: string, payload: string, retain = true) => kiosk.publishAsync(topic, payload, { qos: 1, retain });

  beforeEach(async () => {
    prefix = `F${backend.name[0]}${++n}`;
    store = await backend.open();
    hq = await mqtt.connectAsync(broker.url);
    kiosk = await mqtt.connectAsync(broker.url);
  }, 60_000);
  afterEach(async () => {
    for (const i of started.splice(0)) await i.stop();
    await hq.endAsync();
    await kiosk.endAsync();
    await store.close();
  });

  it('keeps the fleet across an HQ restart: the view is loaded from the table before any message comes', async () => {
    const S = prefix;
    ingest = await startIngest();
    await pub(stateTopic(S, 'K1'), birth());
    await pub(telemetryTopic(S, 'K1'), telemetry({ backlog: 7 }), false);
    await pub(configTopic(S, 'K1'), JSON.stringify({ v: 1, levels: [{ v: 1, level: 'device', version: 2, status: 'applied' }] }));
    await waitFor(async () => (await fleetRows(store, ALL, { store: S }, Date.now()))[0]?.configLevels.length === 1);
    await ingest.stop();
    started.length = 0;
    // the broker forgets everything (retained cleared): only HQ's table knows the kiosk now
    await pub(stateTopic(S, 'K1'), '');
    await pub(configTopic(S, 'K1'), '');
    const again = await startIngest();
    expect(again.fleet.rows(Date.now()).find((r) => r.storeId === S)).toMatchObject({ online: true, software: '3.0.1', backlog: 7, configVersion: 'device:2', since: T });
  });

  it('keeps the config version in force after v2 applied then v1 rejected (table and restart included)', async () => {
    const S = prefix;
    ingest = await startIngest();
    await pub(stateTopic(S, 'K1'), birth({ configVersion: null }));
    await pub(configTopic(S, 'K1'), JSON.stringify({ v: 1, levels: [{ v: 1, level: 'device', version: 2, status: 'applied' }] }));
    await pub(configTopic(S, 'K1'), JSON.stringify({ v: 1, levels: [{ v: 1, level: 'device', version: 1, status: 'rejected', reason: 'VERSION_NOT_NEWER', detail: 'v1 after v2' }] }));
    await waitFor(async () => (await fleetRows(store, ALL, { store: S }, Date.now()))[0]?.configLevels[0]?.status === 'rejected');
    const [row] = await fleetRows(store, ALL, { store: S }, Date.now());
    expect(row.configVersion).toBe('device:2');
    expect(row.configLevels).toEqual([{ level: 'device', version: 1, status: 'rejected', reason: 'VERSION_NOT_NEWER', detail: 'v1 after v2', inForce: 2 }]);
    expect(row.health).toContain('config device v1 rejected: VERSION_NOT_NEWER');
    expect(ingest.fleet.rows(Date.now()).find((r) => r.storeId === S)?.configVersion).toBe('device:2');
  });

  it('records the price-book report: the applied version is in force, a later refusal keeps it', async () => {
    const S = prefix;
    ingest = await startIngest();
    await pub(stateTopic(S, 'K1'), birth());
    await pub(pricebookTopic(S, 'K1'), JSON.stringify({ v: 1, version: 'pb-7', status: 'applied', ts: T, items: 12 }));
    await pub(pricebookTopic(S, 'K1'), JSON.stringify({ v: 1, version: 'pb-8', status: 'rejected', reason: 'SIGNATURE', ts: T }));
    await waitFor(async () => (await fleetRows(store, ALL, { store: S }, Date.now()))[0]?.pricebookStatus?.status === 'rejected');
    const [row] = await fleetRows(store, ALL, { store: S }, Date.now());
    expect(row).toMatchObject({ pricebookVersion: 'pb-7', pricebookStatus: { version: 'pb-8', status: 'rejected', reason: 'SIGNATURE' } });
  });

  it('says since when a kiosk is offline: a clean stop by its ts, a will by when HQ saw it', async () => {
    const S = prefix;
    ingest = await startIngest();
    await pub(stateTopic(S, 'K1'), birth());
    await pub(stateTopic(S, 'K2'), birth());
    await waitFor(async () => (await fleetRows(store, ALL, { store: S, state: 'online' }, Date.now())).length === 2);
    const before = Date.now();
    // K1 stops cleanly (its own ts); K2's broker-published will is as old as its connect
    await pub(stateTopic(S, 'K1'), JSON.stringify({ v: 1, online: false, ts: T + 60_000, software: '3.0.1' }));
    await pub(stateTopic(S, 'K2'), JSON.stringify({ v: 1, online: false, ts: T, software: '3.0.1' }));
    await waitFor(async () => (await fleetRows(store, ALL, { store: S, state: 'offline' }, Date.now())).length === 2);
    const rows = await fleetRows(store, ALL, { store: S }, Date.now());
    expect(rows[0]).toMatchObject({ deviceId: 'K1', online: false, since: T + 60_000, health: 'offline' });
    expect(rows[1]).toMatchObject({ deviceId: 'K2', online: false, health: 'offline' });
    expect(rows[1].since).toBeGreaterThanOrEqual(before);
  });

  it('a retired kiosk leaves the fleet; an older retained birth does not bring it back, a newer birth does', async () => {
    const S = prefix;
    ingest = await startIngest();
    await pub(stateTopic(S, 'K1'), birth());
    await waitFor(async () => (await fleetRows(store, ALL, { store: S }, Date.now())).length === 1);
    expect(await store.retireKiosk(S, 'K1', 'alice', T + 1000)).toBe(true);
    expect(await store.retireKiosk(S, 'NOPE', 'alice', T + 1000)).toBe(false);
    expect(await fleetRows(store, ALL, { store: S }, Date.now())).toEqual([]);
    expect(await fleetRows(store, ALL, { store: S, state: 'retired' }, Date.now())).toEqual([expect.objectContaining({ deviceId: 'K1', retiredAt: T + 1000 })]);
    // HQ restarts: the retained (older) birth comes again and must not un-retire
    await ingest.stop();
    started.length = 0;
    ingest = await startIngest();
    await pub(telemetryTopic(S, 'K1'), telemetry(), false);
    await waitFor(async () => (await store.db.read.get<{ telemetry: string | null }>('SELECT telemetry FROM fleet WHERE store_id = ?', [S]))?.telemetry !== null);
    expect(await fleetRows(store, ALL, { store: S }, Date.now())).toEqual([]);
    // a birth after the retirement: back in the fleet
    await pub(stateTopic(S, 'K1'), birth({ ts: T + 5000 }));
    await waitFor(async () => (await fleetRows(store, ALL, { store: S }, Date.now())).length === 1);
    expect((await fleetRows(store, ALL, { store: S }, Date.now()))[0]).toMatchObject({ online: true, retiredAt: null, since: T + 5000 });
  });

  it('coalesces fleet writes: 300 telemetry messages of 100 kiosks are a few transactions, each kiosk its newest', async () => {
    const S = prefix;
    const clock = new SimulatedClock(T);
    let transactions = 0;
    const real = store.db.transaction.bind(store.db);
    (store.db as { transaction: typeof store.db.transaction }).transaction = (body) => {
      transactions++;
      return real(body);
    };
    ingest = await startIngest(clock, 1000);
    const messages: Promise<unknown>[] = [];
    for (let round = 1; round <= 3; round++) for (let d = 0; d < 100; d++) messages.push(pub(telemetryTopic(S, `K${d}`), telemetry({ backlog: round * 10 + (d % 10) }), false));
    await Promise.all(messages);
    await waitFor(() => ingest.fleet.rows(clock.now()).filter((r) => r.storeId === S && r.backlog !== null && r.backlog >= 30).length === 100);
    clock.advance(1000);
    await waitFor(async () => {
      const rows = await store.db.read.all<{ telemetry: string }>('SELECT telemetry FROM fleet WHERE store_id = ?', [S]);
      return rows.length === 100 && rows.every((r) => JSON.parse(r.telemetry).backlog >= 30);
    });
    expect(transactions).toBeLessThanOrEqual(3);
  });
});
