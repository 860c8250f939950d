/**
 * One identity (issue 13): after `kiosk provision --store S1 --device D1` on a kiosk whose config still says
 * store-001 / lane-01, everything says S1/D1 — the ready line (with one info line saying the identity won), the
 * printed receipt, the journal and the hash's store, the outbox events and every MQTT topic, `report eod --json`,
 * `receipt pdf` and `orders list`; and a read-only command such as `report eod` never re-labels the journal's store.
 * Real Mosquitto, real SQLite, the real CLI (dist/) and the kiosk with its simulated devices on ptys.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { configFrom } from '../device/cli-support';
import { provisionKiosk } from '../device/commands/provision';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startHqLink } from '../device/hq-link';
import { SystemClock } from '../kernel/clock';
import { formatLocal } from '../kernel/local-time';
import { JOURNAL_STORE_KEY } from '../runtime/journal/append';
import type { Order } from '../runtime/orders/order';
import { businessDayOf } from '../runtime/reports/eod-query';
import { exited, kiosk, kioskAsync, killStrays, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { pdftotext } from './support/pdf';
import { testKey } from './support/trust';
import { waitFor } from './support/wait';

// the kiosk is provisioned with a broker, so the embedded Aedes HQ (an ES module jest cannot load) is never started
jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in this test')),
}));
jest.setTimeout(180_000);

describe('one identity: the provisioned store and device everywhere', () => {
  let broker: Mosquitto;
  let dir: string;
  let data: string;
  let configFile: string;
  let hq: mqtt.MqttClient;
  const topics = new Set<string>();
  const events: { storeId: string; deviceId: string; type: string }[] = [];

  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = tempDir('kiosk-identity-');
    data = path.join(dir, 'data');
    // the local config still has the default ids (store-001 / lane-01); the store is in Shanghai, days start at 04:00
    configFile = path.join(dir, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify({ timezone: 'Asia/Shanghai', reports: { dayStartHour: 4 } }));
    const hqPub = path.join(dir, 'hq.pub');
    fs.writeFileSync(hqPub, testKey().publicPem);
    let out = '';
    await provisionKiosk({ data, store: 'S1', device: 'D1', broker: broker.url, trust: [hqPub] }, { out: (t) => void (out += t), err: () => undefined, clock: new SystemClock() });
    expect(out).toContain('provisioned S1/D1');
    hq = mqtt.connect(broker.url, { clientId: `hq-identity-${process.pid}` });
    hq.on('message', (topic, payload) => {
      topics.add(topic);
      if (topic.endsWith('/events')) events.push(JSON.parse(payload.toString('utf8')) as { storeId: string; deviceId: string; type: string });
    });
    await hq.subscribeAsync('kiosk/v1/#', { qos: 1 });
  });
  afterAll(async () => {
    killStrays();
    await hq?.endAsync();
    await broker?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the config every command gets carries the identity, whatever the config file says', () => {
    const c = configFrom({ data, config: configFile });
    expect(c.device).toMatchObject({ storeId: 'S1', deviceId: 'D1' });
    expect(c.timezone).toBe('Asia/Shanghai');
  });

  it('kiosk start: the ready line says S1/D1 and one info line says the identity won', async () => {
    const child = kioskAsync(['start', '--data', data, '--config', configFile], { env: { KIOSK_LOG_LEVEL: 'info' } });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => void (stderr += b.toString('utf8')));
    let ready = '';
    await watchLines(child, (l) => {
      if (l.startsWith('ready ')) ready = l;
      return ready !== '';
    });
    expect(ready).toMatch(/^ready store=S1 device=D1 /);
    await waitFor('presence under S1/D1', () => topics.has('kiosk/v1/S1/D1/state'), 30_000);
    child.kill('SIGTERM');
    expect((await exited(child)).code).toBe(0);
    const notices = stderr.split('\n').filter((l) => l.includes('provisioned identity wins'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('device.storeId store-001 -> S1, device.deviceId lane-01 -> D1');
  });

  it('a sale: receipt, journal, outbox events and topics carry S1/D1; the receipt prints Shanghai time', async () => {
    const k: Kiosk = await bootKiosk(configFrom({ data, config: configFile }), { devices: true, confirmCash: async () => true });
    const link = await startHqLink(k);
    let order: Order;
    try {
      await waitFor('lane in service', () => k.hardware!.supervisor.condition().inService, 30_000);
      const [code] = (await k.catalog.sample('plain', 1)).map((i) => i.barcodes[0]);
      const scanned = await k.lane.scan(code);
      if (!scanned.ok || scanned.action !== 'item_added') throw new Error(`scan ${code}: ${JSON.stringify(scanned)}`);
      await k.engine.dispatch(scanned.order.id, { type: 'checkout_started' });
      const paid = await k.checkout.pay(scanned.order.id, 'cash');
      order = await k.engine.dispatch(paid.id, { type: 'order_completed' });
      await k.hardware!.printReceipt(order.id);
      const printed = await waitFor('receipt printed', () => k.hardware!.sim.printer!.last(), 30_000);
      expect(printed.text).toContain('S1 / D1');
      expect(printed.text).not.toMatch(/store-001|lane-01/);
      expect(printed.text).toContain(formatLocal(order.updatedAt, 'Asia/Shanghai'));
      await waitFor('the sale reached HQ', () => events.some((e) => e.type === 'order_completed'), 30_000);
    } finally {
      await link.close();
      await k.close();
    }
    const rows = await readJournal();
    expect(rows.devices).toEqual(['D1']);
    expect(rows.stores).toEqual(['S1']);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.storeId === 'S1' && e.deviceId === 'D1')).toBe(true);
    const own = [...topics].filter((t) => !t.startsWith('kiosk/v1/_fleet'));
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((t) => t.startsWith('kiosk/v1/S1/'))).toBe(true);
    expect(own.some((t) => t === 'kiosk/v1/S1/D1/events')).toBe(true);

    // the CLI's read-side commands, on the provisioned data dir with the same config file
    const day = businessDayOf(order.createdAt, { timeZone: 'Asia/Shanghai', dayStartHour: 4 });
    const eod = kiosk(['report', 'eod', '--json', '--date', day, '--data', data, '--config', configFile]);
    expect(eod.stderr).toBe('');
    expect(eod.code).toBe(0);
    const model = (JSON.parse(eod.stdout) as { model: { storeId: string; deviceId: string; sales: { count: number }; period: { timeZone: string; localFrom: string } } }).model;
    expect(model).toMatchObject({ storeId: 'S1', deviceId: 'D1', sales: { count: 1 }, period: { timeZone: 'Asia/Shanghai', localFrom: `${day} 04:00` } });
    const pdfFile = path.join(dir, 'r.pdf');
    expect(kiosk(['receipt', 'pdf', order.id, '--out', pdfFile, '--locale', 'en', '--data', data, '--config', configFile]).code).toBe(0);
    const pdf = pdftotext(fs.readFileSync(pdfFile));
    expect(pdf).toContain('S1 / D1');
    expect(pdf).toContain(formatLocal(order.updatedAt, 'Asia/Shanghai'));
    const list = kiosk(['orders', 'list', '--data', data, '--config', configFile]);
    expect(list.stdout).toContain(`${formatLocal(order.updatedAt, 'Asia/Shanghai')} +08:00`);
    const storage = kiosk(['storage', 'status', '--data', data, '--config', configFile]);
    expect(storage.stdout).toMatch(/, written \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00\n/);
    // none of them re-labelled the journal's store (openDatabase records the store its new entries are hashed with)
    expect((await readJournal()).meta).toBe('S1');
  });

  async function readJournal(): Promise<{ devices: string[]; stores: string[]; meta: string | undefined }> {
    const { KioskDb } = await import('../kernel/sqlite/database');
    const db = await KioskDb.open(path.join(data, 'kiosk.sqlite'));
    try {
      const devices = (await db.read.all<{ d: string }>('SELECT DISTINCT device_id AS d FROM journal')).map((r) => r.d);
      const stores = (await db.read.all<{ s: string | null }>('SELECT DISTINCT store_id AS s FROM journal')).map((r) => r.s ?? '(none)');
      const meta = (await db.read.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [JOURNAL_STORE_KEY]))?.value;
      return { devices, stores, meta };
    } finally {
      await db.close();
    }
  }
});
