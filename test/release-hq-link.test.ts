/**
 * Over-the-air releases (issue 17) through the kiosk's HQ link, on a real Mosquitto and a real HTTPS server: HQ's
 * signed offer (retained) is downloaded, verified and installed side by side; the switch waits for the open order
 * to close, backs the database up and asks for a restart (this test stands in for systemd's Restart=); the restarted
 * kiosk runs its health check with the lane closed to new shoppers and reports `healthy` — or, when a check fails
 * within the window, points `current` back, restarts, and the previous release reports `rolled_back`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import mqtt from 'mqtt';
import * as tar from 'tar';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startHqLink, type HqLink } from '../device/hq-link';
import { SystemClock } from '../kernel/clock';
import { createCa, issueCertificate } from '../kernel/x509/certificates';
import { releaseOfferTopic, releaseReportedTopic } from '../protocol/releases/topics';
import type { ReleaseReported } from '../protocol/releases/release-offer';
import { backupsDir } from '../runtime/db/backup';
import { installRelease } from '../runtime/releases/install';
import { currentVersion, releaseDir } from '../runtime/releases/layout';
import { settleBeforeBoot } from '../runtime/releases/probation';
import { readPendingHealth, switchCurrent } from '../runtime/releases/switch';
import { TrustStore } from '../runtime/trust/trust-store';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { signed, testKey } from './support/trust';
import { waitFor } from './support/wait';

const STORE = 'S1';
const DEVICE = 'K1';
const ca = createCa({ commonName: 'HQ release test CA' });
const cert = issueCertificate(ca, 'server', { commonName: '127.0.0.1', ips: ['127.0.0.1'] });
const hqKey = testKey();
let broker: Mosquitto;
let srv: https.Server;
let base: string;
const files = new Map<string, Buffer>();
let dir: string;
let root: string;
let dataDir: string;
let hq: mqtt.MqttClient;
let reports: ReleaseReported[];

beforeAll(async () => {
  broker = await Mosquitto.start();
  srv = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    const data = files.get(req.url ?? '');
    if (!data) return void res.writeHead(404).end();
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = m ? Number(m[1]) : 0;
    res.writeHead(from ? 206 : 200, { 'content-length': String(data.length - from), ...(from ? { 'content-range': `bytes ${from}-${data.length - 1}/${data.length}` } : {}) });
    res.end(data.subarray(from));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}, 30_000);
afterAll(async () => {
  await new Promise<void>((r) => srv.close(() => r()));
  await broker.close();
});

async function pack(version: string): Promise<{ url: string; sha256: string; size: number }> {
  const src = path.join(dir, `src-${version}`, 'package');
  fs.mkdirSync(path.join(src, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: 'kiosk-runtime', version, dependencies: { mqtt: '^5' } }));
  fs.writeFileSync(path.join(src, 'dist', 'cli.js'), `// ${version}\n`);
  if (version === '0.1.0') fs.mkdirSync(path.join(src, 'node_modules', 'mqtt'), { recursive: true });
  const file = path.join(dir, `${version}.tgz`);
  await tar.c({ gzip: true, cwd: path.dirname(src), file }, ['package']);
  const data = fs.readFileSync(file);
  files.set(`/releases/${version}.tgz`, data);
  return { url: `${base}/releases/${version}.tgz`, sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
}

beforeEach(async () => {
  dir = tempDir('release-link-');
  root = path.join(dir, 'opt');
  dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);
  TrustStore.open(dataDir).install([hqKey.publicPem], { replace: true, now: Date.now() });
  await pack('0.1.0');
  expect((await installRelease({ root, tgz: path.join(dir, '0.1.0.tgz'), version: '0.1.0', runningDir: null })).ok).toBe(true);
  switchCurrent(root, '0.1.0');
  reports = [];
  hq = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  hq.on('message', (_t, p) => p.length && reports.push(JSON.parse(p.toString()) as ReleaseReported));
  await hq.subscribeAsync(releaseReportedTopic(STORE, DEVICE), { qos: 1 });
});
afterEach(async () => {
  // nothing retained for the next test
  await hq.publishAsync(releaseOfferTopic(STORE, DEVICE), '', { qos: 1, retain: true });
  await hq.publishAsync(releaseReportedTopic(STORE, DEVICE), '', { qos: 1, retain: true });
  await hq.endAsync();
  fs.rmSync(dir, { recursive: true, force: true });
});

const config = (healthWindowMs: number) =>
  loadConfig({
    env: {},
    overrides: {
      dataDir,
      device: { storeId: STORE, deviceId: DEVICE },
      hq: { broker: broker.url, protocolVersion: 5 },
      updates: { enabled: true, root, maxBytesPerSecond: 10_000_000, healthWindowMs },
    },
  });

/** One start of `kiosk start` as far as releases go: settle before the boot, boot, link. */
async function startKiosk(healthWindowMs: number, onRestart: () => void, beforeLink?: (k: Kiosk) => void): Promise<{ k: Kiosk; link: HqLink; settled: string }> {
  const c = config(healthWindowMs);
  const settled = await settleBeforeBoot({ root, dataDir, dbFile: path.join(dataDir, 'kiosk.sqlite'), clock: new SystemClock(), deviceId: DEVICE });
  const k = await bootKiosk(c, { confirmCash: async () => true });
  beforeLink?.(k);
  const link = await startHqLink(k, { releases: { restart: onRestart, ca: Buffer.from(ca.certPem) } });
  return { k, link, settled: settled.kind };
}
const stopKiosk = async ({ k, link }: { k: Kiosk; link: HqLink }) => {
  await link.close();
  await k.close();
};
let ev = 0;
const offerOf = (version: string, pkg: { url: string; sha256: string; size: number }) =>
  signed(hqKey, { kind: 'release', scope: { kind: 'device', store: STORE, device: DEVICE }, version: ++ev, body: { action: 'install', rollout: 'canary-1', version, package: pkg, minConfigSchema: 1 } }, Date.now());
const last = () => reports.at(-1);

describe('a release through the HQ link', () => {
  it('switches between orders, restarts, passes its health check and reports healthy', async () => {
    let restarts = 0;
    const first = await startKiosk(60_000, () => restarts++);
    // a shopper is at the lane: the switch waits for the order to close
    const [{ barcodes: [barcode] }] = await first.k.catalog.sample('plain', 1);
    const scan = await first.k.lane.scan(barcode);
    if (!scan.ok || scan.action !== 'item_added') throw new Error('scan failed');
    await hq.publishAsync(releaseOfferTopic(STORE, DEVICE), offerOf('0.2.0', await pack('0.2.0')), { qos: 1, retain: true });
    await waitFor('waiting for the lane to be idle', () => last()?.step === 'waiting_for_idle', 20_000);
    expect(reports.map((r) => r.step).filter((s) => s !== 'downloading')).toEqual(['offered', 'downloaded', 'verified', 'installed', 'waiting_for_idle']);
    expect(currentVersion(root)).toBe('0.1.0');
    const o = await first.k.engine.dispatch(scan.order.id, { type: 'checkout_started' });
    await first.k.checkout.pay(o.id, 'cash');
    await first.k.engine.dispatch(o.id, { type: 'order_completed' });
    await waitFor('the restart request', () => restarts === 1, 20_000);
    expect(currentVersion(root)).toBe('0.2.0');
    const marker = readPendingHealth(root)!;
    expect(marker).toMatchObject({ version: '0.2.0', previous: '0.1.0', rollout: 'canary-1' });
    expect(path.dirname(marker.backup!)).toBe(backupsDir(dataDir));
    expect(fs.existsSync(marker.backup!)).toBe(true);
    await stopKiosk(first);

    // systemd's Restart=: the new release starts on probation
    let lockedDuringCheck: string | null = null;
    const second = await startKiosk(60_000, () => restarts++, (k) => k.lane.once('closedChanged', (c) => (lockedDuringCheck = c?.reason ?? null)));
    expect(second.settled).toBe('probation');
    await waitFor('healthy', () => last()?.step === 'healthy', 30_000);
    expect(last()).toMatchObject({ version: '0.2.0', running: '0.2.0', rollout: 'canary-1' });
    expect(reports.map((r) => r.step).slice(-2)).toEqual(['health_check', 'healthy']);
    expect(lockedDuringCheck).toMatch(/software update/);
    expect(second.k.lane.closed).toBeNull();
    expect(readPendingHealth(root)).toBeNull();
    expect(restarts).toBe(1);
    await stopKiosk(second);
  }, 90_000);

  it('rolls back a release that fails its health check within the window, and the previous release reports it', async () => {
    let restarts = 0;
    const first = await startKiosk(4_000, () => restarts++);
    await hq.publishAsync(releaseOfferTopic(STORE, DEVICE), offerOf('0.3.0', await pack('0.3.0')), { qos: 1, retain: true });
    await waitFor('the restart request', () => restarts === 1, 20_000);
    await stopKiosk(first);
    expect(currentVersion(root)).toBe('0.3.0');

    // the new release starts with a lane-wide fault (it cannot sell): its "ready" check never passes
    const second = await startKiosk(4_000, () => restarts++, (k) => k.faults.set('sync', 'the new release cannot reach its data'));
    await waitFor('the rollback', () => restarts === 2, 20_000);
    expect(currentVersion(root)).toBe('0.1.0');
    await waitFor('rolled_back reported', () => last()?.step === 'rolled_back');
    expect(last()).toMatchObject({ version: '0.3.0', running: '0.1.0', reason: 'ready', detail: expect.stringContaining('cannot reach its data') });
    await stopKiosk(second);

    // the previous release starts again and reports the rollback itself
    reports = [];
    const third = await startKiosk(4_000, () => restarts++);
    expect(third.settled).toBe('rolled_back');
    await waitFor('rolled_back reported again', () => last()?.step === 'rolled_back' && last()?.ts !== undefined, 20_000);
    expect(last()).toMatchObject({ version: '0.3.0', running: '0.1.0', reason: 'ready' });
    expect(readPendingHealth(root)).toBeNull();
    expect(fs.existsSync(releaseDir(root, '0.3.0'))).toBe(true);
    expect(restarts).toBe(2);
    await stopKiosk(third);
  }, 90_000);
});
