/**
 * Training mode end to end through the built CLI: `kiosk demo` on a provisioned data dir refuses and writes nothing;
 * `demo --training` sells a training order (journal flag, own number series, "TRAINING — NOT A RECEIPT" on paper,
 * simulated payment even with a real terminal configured); the next real sale takes the next fiscal number; the Z
 * report leaves training out; the journal verifies; HQ ingest (real Mosquitto) receives it flagged and keeps it out
 * of its sales totals.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { SystemClock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { HqIngest } from '../hq/ingest/ingest';
import { OutboxPublisher } from '../runtime/hq-sync/outbox-publisher';
import { TRAINING_BANNER } from '../protocol/receipts/receipt-model';
import { writeIdentity } from '../runtime/trust/identity';
import { kiosk } from './support/cli';
import { brokerAndStoreEach } from './support/broker-and-store';
import { verifyIngested, waitFor } from './support/sync-fixtures';

const STORE = 'S1';
const DEVICE = 'K1';
// the business day starts 12 hours from now (UTC): the orders and the report below fall in one day even when the
// test runs across midnight (it failed at 00:00 UTC with the default day start 0 in the machine's zone)
const ENV = {
  KIOSK_DEVICE__STORE_ID: STORE,
  KIOSK_DEVICE__DEVICE_ID: DEVICE,
  KIOSK_TIMEZONE: 'UTC',
  KIOSK_REPORTS__DAY_START_HOUR: String((new Date().getUTCHours() + 12) % 24),
};

/** A TCP port with nothing listening: a "real" terminal there could never answer. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('training mode (kiosk demo --training)', () => {
  let env!: Parameters<Parameters<typeof brokerAndStoreEach>[1]>[0];
  const cleanup = brokerAndStoreEach('training-', (e) => (env = e));

  it('refuses plain demo on a provisioned lane, sells flagged training orders apart from the fiscal series, reports and syncs them apart', async () => {
    const dir = path.join(env.dir, 'data');
    const journalHead = async (): Promise<number> => {
      const db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
      try {
        return (await db.read.get<{ n: number | null }>('SELECT MAX(seq) AS n FROM journal'))?.n ?? 0;
      } finally {
        await db.close();
      }
    };

    // an unprovisioned data dir (the embedded default) sells as before: real receipt 1
    const first = kiosk(['demo', '--data', dir, '--json'], { env: ENV });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ receiptNo: 1, training: false, trainingNo: null });

    writeIdentity(dir, { v: 1, store: STORE, device: DEVICE, broker: { url: 'mqtt://127.0.0.1:1', auth: { kind: 'none' } }, provisionedAt: new Date(0).toISOString() });
    const seqBefore = await journalHead();
    const refused = kiosk(['demo', '--data', dir, '--json'], { env: ENV });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/provisioned.*--training/);
    expect(await journalHead()).toBe(seqBefore);

    // a real terminal bound in the config (nothing listens there): training still pays by the simulated terminal
    const cfg = path.join(env.dir, 'real-terminal.json');
    fs.writeFileSync(cfg, JSON.stringify({ devices: { terminal: { transport: 'tcp', host: '127.0.0.1', port: await closedPort() } } }));
    const t = kiosk(['demo', '--data', dir, '--config', cfg, '--json', '--training'], { env: ENV });
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
    const training = JSON.parse(t.stdout) as { orderId: string; receiptNo: number | null; training: boolean; trainingNo: number; receiptText: string; total: number };
    expect(training).toMatchObject({ receiptNo: null, training: true, trainingNo: 1 });
    const paper = training.receiptText.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    expect(paper[0]).toBe(TRAINING_BANNER);
    expect(paper.filter((l) => l === TRAINING_BANNER)).toHaveLength(2);

    // its e-receipt PDF is made like any receipt's, named by its training number (the banner: runtime/orders/training.test.ts)
    const pdf = kiosk(['receipt', 'pdf', training.orderId, '--data', dir], { env: ENV });
    expect(pdf.stderr).toBe('');
    expect(pdf.code).toBe(0);
    const pdfFile = /wrote (\S+)/.exec(pdf.stdout)![1];
    expect(path.basename(pdfFile)).toMatch(/^T000001-(zh-CN|en)\.pdf$/);
    expect(fs.readFileSync(pdfFile).subarray(0, 5).toString()).toBe('%PDF-');

    // the next real sale takes the next fiscal number (2): training took none
    fs.rmSync(path.join(dir, 'identity.json'));
    const second = kiosk(['demo', '--data', dir, '--json'], { env: ENV });
    expect(second.code).toBe(0);
    const real2 = JSON.parse(second.stdout) as { receiptNo: number; total: number; receiptText: string };
    expect(real2).toMatchObject({ receiptNo: 2, training: false });
    expect(real2.receiptText).not.toContain('TRAINING');

    const eod = kiosk(['report', 'eod', '--data', dir, '--json', '--out', path.join(env.dir, 'eod.pdf')], { env: ENV });
    expect(eod.code).toBe(0);
    const model = (JSON.parse(eod.stdout) as { model: { sales: { count: number; amount: number }; trainingCount: number } }).model;
    expect(model.trainingCount).toBe(1);
    expect(model.sales.count).toBe(2);
    expect(model.sales.amount).toBe(JSON.parse(first.stdout).total + real2.total);

    const verify = kiosk(['journal', 'verify', '--data', dir], { env: ENV });
    expect(verify.code).toBe(0);

    // HQ: the kiosk's outbox through a real Mosquitto into HQ ingest
    const kdb = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
    cleanup.push(() => kdb.close());
    const clock = new SystemClock();
    const hqClient = mqtt.connect(env.broker.url, { reconnectPeriod: 100, clientId: `hq-${process.pid}` });
    hqClient.on('error', () => undefined);
    const ingest = new HqIngest({ store: env.store, client: hqClient, clock, gapGraceMs: 300, resendCooldownMs: 1000 });
    ingest.on('error', () => undefined);
    await ingest.start();
    cleanup.push(async () => {
      await ingest.stop();
      await hqClient.endAsync(true);
    });
    const client = mqtt.connect(env.broker.url, { reconnectPeriod: 100, clientId: `kiosk-${process.pid}` });
    client.on('error', () => undefined);
    const pub = new OutboxPublisher({ db: kdb, client, storeId: STORE, deviceId: DEVICE, clock, ackTimeoutMs: 2000, window: 64, batch: 64 });
    pub.on('error', () => undefined);
    pub.start();
    cleanup.push(async () => {
      await pub.stop();
      await client.endAsync(true);
    });
    await waitFor(async () => (await pub.backlog()) === 0, 30_000, 'outbox to empty');
    const head = (await kdb.read.get<{ n: number }>('SELECT MAX(seq) AS n FROM journal'))!.n;
    expect(await verifyIngested(env.store, STORE, DEVICE)).toEqual({ count: head, maxSeq: head, problem: null });
    const flagged = await env.store.db.read.all<{ payload: string }>("SELECT payload FROM sales_events WHERE order_id = ? AND type = 'order_completed'", [training.orderId]);
    expect(flagged).toHaveLength(1);
    expect(JSON.parse(flagged[0].payload)).toMatchObject({ training: true, order: { training: true, trainingNo: 1 } });
    expect(await env.store.sales(STORE)).toEqual([
      { storeId: STORE, deviceId: DEVICE, orders: 2, amount: JSON.parse(first.stdout).total + real2.total, trainingOrders: 1 },
    ]);
  });
});
