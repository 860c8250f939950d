/**
 * /healthz and /metrics on a booted kiosk with its simulated devices: a card sale made through the scanner's and
 * the terminal's bytes while /metrics is being scraped moves the orders, payments, commit-latency and outbox
 * figures; unplugging the printer turns /healthz to 503 naming it (and the lane gauges with it), replugging it
 * back to 200. The metrics text is parsed as the Prometheus exposition format (test/support/prom-text.ts).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { kioskHealthSources, startHealthServer, type HealthBody, type HealthServer } from '../device/health-server';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { exited, kioskAsync, killStrays, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { parsePromText, sampleValue, type PromExposition } from './support/prom-text';
import { scanOnSimulator } from './support/sim-scan';
import { waitFor } from './support/wait';
import type { Order } from '../runtime/orders/order';

function get(port: number, path: string, host = `127.0.0.1:${port}`): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      })
      .on('error', reject);
  });
}

describe('/healthz and /metrics', () => {
  let dir: string;
  let k: Kiosk;
  let health: HealthServer;
  beforeAll(async () => {
    dir = tempDir('kiosk-health-');
    k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir } }), { devices: true });
    health = await startHealthServer(0, kioskHealthSources(k, null));
  });
  afterAll(async () => {
    await health?.close();
    await k?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const healthz = async () => {
    const r = await get(health.port, '/healthz');
    return { status: r.status, body: JSON.parse(r.body) as HealthBody };
  };
  const scrape = async (): Promise<PromExposition> => {
    const r = await get(health.port, '/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePromText(r.body);
  };
  const journalHead = async () => (await k.db.read.get<{ seq: number }>('SELECT MAX(seq) AS seq FROM journal'))!.seq;

  it('a card sale while scraping moves orders, payments, commit latency and the outbox backlog', async () => {
    await waitFor('the lane in service', async () => (await healthz()).status === 200, 20_000);
    const before = await scrape();
    expect(before.types).toMatchObject({
      kiosk_lane_in_service: 'gauge',
      kiosk_device_state: 'gauge',
      kiosk_orders: 'gauge',
      kiosk_payments_total: 'counter',
      kiosk_outbox_backlog: 'gauge',
      kiosk_event_loop_delay_seconds: 'gauge',
      kiosk_db_commit_seconds: 'histogram',
    });
    expect(sampleValue(before, 'kiosk_lane_in_service')).toBe(1);
    expect(sampleValue(before, 'kiosk_device_state', { class: 'printer', state: 'ok' })).toBe(1);
    expect(sampleValue(before, 'kiosk_hq_connected')).toBeUndefined(); // no HQ link here
    const headBefore = await journalHead();

    // the sale, through the simulated scanner's and terminal's bytes, with /metrics scraped all along
    let selling = true;
    const scrapes: PromExposition[] = [];
    const scraper = (async () => {
      while (selling) scrapes.push(await scrape());
    })();
    const [item] = await k.catalog.sample('plain', 1);
    const scanned = await scanOnSimulator(k, item!.barcodes[0]!);
    expect(scanned).toMatchObject({ ok: true, action: 'item_added' });
    let o = (scanned as { order: Order }).order;
    o = await k.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await k.checkout.pay(o.id, 'card');
    expect(o.state).toBe('paid');
    o = await k.engine.dispatch(o.id, { type: 'order_completed' });
    selling = false;
    await scraper;
    expect(scrapes.length).toBeGreaterThan(0);

    const after = await scrape();
    const headAfter = await journalHead();
    const entries = headAfter - headBefore;
    expect(entries).toBeGreaterThanOrEqual(4);
    expect(sampleValue(after, 'kiosk_orders', { state: 'completed' })).toBe((sampleValue(before, 'kiosk_orders', { state: 'completed' }) ?? 0) + 1);
    const attempt = (await k.db.read.get<{ method: string; state: string }>('SELECT method, state FROM payment_attempts WHERE order_id = ?', [o.id]))!;
    expect(attempt.method).toBe('card');
    const paid = { method: 'card', outcome: attempt.state };
    expect(sampleValue(after, 'kiosk_payments_total', paid)).toBe((sampleValue(before, 'kiosk_payments_total', paid) ?? 0) + 1);
    // every transaction of the sale was observed at its COMMIT
    expect(sampleValue(after, 'kiosk_db_commit_seconds_count')! - sampleValue(before, 'kiosk_db_commit_seconds_count')!).toBeGreaterThanOrEqual(entries);
    expect(sampleValue(after, 'kiosk_db_commit_seconds_bucket', { le: '+Inf' })).toBe(sampleValue(after, 'kiosk_db_commit_seconds_count'));
    // nothing acknowledges them (no HQ here): every entry waits in the outbox
    expect(sampleValue(after, 'kiosk_outbox_backlog')! - sampleValue(before, 'kiosk_outbox_backlog')!).toBe(entries);
    for (const stat of ['mean', 'p50', 'p99', 'max']) expect(sampleValue(after, 'kiosk_event_loop_delay_seconds', { stat })).toBeGreaterThanOrEqual(0);
  });

  it('printer unplugged: /healthz 503 naming it, the gauges follow; replugged: 200 again', async () => {
    await waitFor('the lane in service', async () => (await healthz()).status === 200, 20_000);
    await k.hardware!.sim.printer!.unplug();
    const down = await waitFor('/healthz 503', async () => {
      const h = await healthz();
      return h.status === 503 ? h.body : null;
    }, 20_000);
    expect(down.status).toBe('unavailable');
    expect(down.inService).toBe(false);
    expect(down.reasons.some((r) => r.startsWith('printer: '))).toBe(true);
    expect(down.devices.printer).toBe('offline');
    const m = await scrape();
    expect(sampleValue(m, 'kiosk_lane_in_service')).toBe(0);
    expect(sampleValue(m, 'kiosk_device_online', { class: 'printer' })).toBe(0);
    expect(sampleValue(m, 'kiosk_device_state', { class: 'printer', state: 'offline' })).toBe(1);
    expect(sampleValue(m, 'kiosk_device_state', { class: 'printer', state: 'ok' })).toBeUndefined();
    const reason = down.reasons.find((r) => r.startsWith('printer: '))!;
    expect(sampleValue(m, 'kiosk_lane_out_of_service_reason', { reason })).toBe(1);

    await k.hardware!.sim.printer!.replug();
    const up = await waitFor('/healthz 200', async () => {
      const h = await healthz();
      return h.status === 200 ? h.body : null;
    }, 20_000);
    expect(up).toMatchObject({ status: 'ok', inService: true, reasons: [] });
    expect(up.devices.printer).toBe('ok');
    const back = await scrape();
    expect(sampleValue(back, 'kiosk_lane_in_service')).toBe(1);
    expect(back.samples.filter((s) => s.name === 'kiosk_lane_out_of_service_reason')).toEqual([]);
  });

  it('answers only requests addressed to the loopback name, and only GET', async () => {
    expect((await get(health.port, '/healthz', 'evil.example:80')).status).toBe(403);
    expect((await get(health.port, '/nope')).status).toBe(404);
  });
});

describe('/healthz while `kiosk start` cannot boot (the boot fault shell)', () => {
  afterEach(() => killStrays());

  it('503 with the storage fault while the database is not one; 200 once the next boot retry succeeds', async () => {
    const data = tempDir('kiosk-health-fault-');
    fs.writeFileSync(path.join(data, 'kiosk.sqlite'), Buffer.alloc(8192, 0x5a)); // not a database
    // a port that was free a moment ago (the fault shell's ready line lists no health port)
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const child = kioskAsync(['start', '--data', data], { env: { KIOSK_HEALTH__PORT: String(port), KIOSK_TIMEOUTS__BOOT_RETRY_MS: '200' } });
    const readies: string[] = [];
    void watchLines(child, (l) => void (l.startsWith('ready ') && readies.push(l)));
    await waitFor('the fault shell ready line', () => readies.length >= 1, 30_000);
    expect(readies[0]).toMatch(/ lane=out-of-service .*fault=STORAGE_FAILED/);
    const down = await get(port, '/healthz');
    expect(down.status).toBe(503);
    const body = JSON.parse(down.body) as HealthBody;
    expect(body).toMatchObject({ status: 'unavailable', inService: false });
    expect(body.reasons).toEqual([expect.stringMatching(/^storage: .*SQLITE_NOTADB/)]);
    const m = parsePromText((await get(port, '/metrics')).body);
    expect(sampleValue(m, 'kiosk_lane_in_service')).toBe(0);
    expect(sampleValue(m, 'kiosk_lane_out_of_service_reason', { reason: body.reasons[0]! })).toBe(1);

    // no marker was ever written: without the garbage file the next retry creates the database and boots
    fs.rmSync(path.join(data, 'kiosk.sqlite'));
    await waitFor('a second ready line', () => readies.length >= 2, 30_000);
    const up = await waitFor('/healthz 200', async () => ((await get(port, '/healthz')).status === 200 ? true : null), 20_000);
    expect(up).toBe(true);
    expect(readies[1]).toContain(`health=127.0.0.1:${port}`);
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
  }, 90_000);
});
