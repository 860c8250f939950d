/**
 * Over-the-air releases (issue 17) with the built `kiosk start` under a stand-in for systemd's Restart= (this test
 * restarts the CLI whenever it exits 75): a signed offer on the embedded broker → download over HTTPS (the test CA
 * through NODE_EXTRA_CA_CERTS) → switch → exit 75 → the new release starts on probation → `healthy`. And a release
 * that keeps failing to start is rolled back before the database is even opened (exit 75, `current` back).
 * Runs dist/: `npm run -s build` first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import mqtt from 'mqtt';
import * as tar from 'tar';
import { createCa, issueCertificate } from '../kernel/x509/certificates';
import { releaseOfferTopic, releaseReportedTopic } from '../protocol/releases/topics';
import type { ReleaseReported } from '../protocol/releases/release-offer';
import { installRelease } from '../runtime/releases/install';
import { currentVersion } from '../runtime/releases/layout';
import { readPendingHealth, RELEASE_RESTART_EXIT, switchCurrent, writePendingHealth } from '../runtime/releases/switch';
import { TrustStore } from '../runtime/trust/trust-store';
import { exited, killIfRunning, kioskAsync, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { signed, testKey } from './support/trust';
import { waitFor } from './support/wait';
import { ReleaseSupervisor } from './support/release-supervisor';

const ca = createCa({ commonName: 'HQ release CLI test CA' });
const cert = issueCertificate(ca, 'server', { commonName: '127.0.0.1', ips: ['127.0.0.1'] });
const hqKey = testKey();
let srv: https.Server;
let base: string;
const files = new Map<string, Buffer>();
let dir: string;
let root: string;
let data: string;
let env: NodeJS.ProcessEnv;
let child: ReturnType<typeof kioskAsync> | null = null;

beforeAll(async () => {
  srv = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    const body = files.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': String(body.length) }).end(body);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(srv.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => srv.close(() => r())));

async function pack(version: string): Promise<{ url: string; sha256: string; size: number }> {
  const src = path.join(dir, `src-${version}`, 'package');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: 'kiosk-runtime', version }));
  const file = path.join(dir, `${version}.tgz`);
  await tar.c({ gzip: true, cwd: path.dirname(src), file }, ['package']);
  const body = fs.readFileSync(file);
  files.set(`/releases/${version}.tgz`, body);
  return { url: `${base}/releases/${version}.tgz`, sha256: createHash('sha256').update(body).digest('hex'), size: body.length };
}

beforeEach(async () => {
  dir = tempDir('release-cli-');
  root = path.join(dir, 'opt');
  data = path.join(dir, 'data');
  fs.mkdirSync(data);
  TrustStore.open(data).install([hqKey.publicPem], { replace: true, now: Date.now() });
  await pack('0.1.0');
  expect((await installRelease({ root, tgz: path.join(dir, '0.1.0.tgz'), version: '0.1.0', runningDir: null })).ok).toBe(true);
  switchCurrent(root, '0.1.0');
  fs.writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
  env = { KIOSK_UPDATES__ENABLED: 'true', KIOSK_UPDATES__ROOT: root, KIOSK_UPDATES__HEALTH_WINDOW_MS: '60000', NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem') };
});
afterEach(async () => {
  await killIfRunning(child);
  child = null;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** `kiosk start` up to its ready line; the embedded broker's URL from it. */
async function start(): Promise<{ child: ReturnType<typeof kioskAsync>; mqttUrl: string }> {
  const c = kioskAsync(['start', '--data', data], { env });
  child = c;
  let port = '';
  await watchLines(c, (line) => {
    const m = /^ready .*mqtt=127\.0\.0\.1:(\d+)/.exec(line);
    if (m) port = m[1];
    return m !== null;
  });
  if (!port) throw new Error(`kiosk start exited before its ready line (code ${c.exitCode})`);
  return { child: c, mqttUrl: `mqtt://127.0.0.1:${port}` };
}

describe('kiosk start and a release, under a supervisor', () => {
  it('switches, exits 75, and the restarted kiosk passes its health check', async () => {
    const first = await start();
    const hq = await mqtt.connectAsync(first.mqttUrl, { reconnectPeriod: 0 });
    const pkg = await pack('0.2.0');
    const offer = signed(hqKey, { kind: 'release', scope: { kind: 'device', store: 'store-001', device: 'lane-01' }, version: 1, body: { action: 'install', rollout: 'r1', version: '0.2.0', package: pkg, minConfigSchema: 1 } }, Date.now());
    await hq.publishAsync(releaseOfferTopic('store-001', 'lane-01'), offer, { qos: 1, retain: true });
    // no open order: the switch follows the install, and the kiosk ends itself to be restarted
    expect(await exited(first.child)).toEqual({ code: RELEASE_RESTART_EXIT, signal: null });
    await hq.endAsync().catch(() => undefined);
    expect(currentVersion(root)).toBe('0.2.0');
    expect(readPendingHealth(root)).toMatchObject({ version: '0.2.0', previous: '0.1.0' });

    // the supervisor starts it again: probation, then healthy (the embedded HQ link is up, simulated devices in service)
    const second = await start();
    const watch = await mqtt.connectAsync(second.mqttUrl, { reconnectPeriod: 0 });
    const seen: ReleaseReported[] = [];
    watch.on('message', (_t, p) => p.length && seen.push(JSON.parse(p.toString()) as ReleaseReported));
    await watch.subscribeAsync(releaseReportedTopic('store-001', 'lane-01'), { qos: 1 });
    await waitFor('healthy', () => seen.at(-1)?.step === 'healthy', 30_000);
    expect(seen.at(-1)).toMatchObject({ version: '0.2.0', running: '0.2.0', rollout: 'r1' });
    expect(readPendingHealth(root)).toBeNull();
    await watch.endAsync();
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('under the release supervisor: the offer leads to a second start on the new release, which stays', async () => {
    const seen: ReleaseReported[] = [];
    let hq: mqtt.MqttClient | null = null;
    const pkg = await pack('0.2.0');
    const offer = signed(hqKey, { kind: 'release', scope: { kind: 'device', store: 'store-001', device: 'lane-01' }, version: 1, body: { action: 'install', rollout: 'r2', version: '0.2.0', package: pkg, minConfigSchema: 1 } }, Date.now());
    const sup = new ReleaseSupervisor({ root, data, env }, (c, release) => {
      void watchLines(c, (line) => {
        const m = /^ready .*mqtt=127\.0\.0\.1:(\d+)/.exec(line);
        if (!m) return false;
        void (async () => {
          await hq?.endAsync(true).catch(() => undefined);
          hq = await mqtt.connectAsync(`mqtt://127.0.0.1:${m[1]}`, { reconnectPeriod: 0 });
          hq.on('message', (_t, p) => p.length && seen.push(JSON.parse(p.toString()) as ReleaseReported));
          await hq.subscribeAsync(releaseReportedTopic('store-001', 'lane-01'), { qos: 1 });
          if (release === '0.1.0') await hq.publishAsync(releaseOfferTopic('store-001', 'lane-01'), offer, { qos: 1, retain: true });
        })();
        return true;
      });
    });
    try {
      await waitFor('healthy on the second start', () => seen.at(-1)?.step === 'healthy', 60_000);
      expect(sup.runs).toEqual([{ release: '0.1.0', code: RELEASE_RESTART_EXIT, signal: null }]);
      expect(currentVersion(root)).toBe('0.2.0');
      await sup.stop();
      expect(sup.runs.map((r) => [r.release, r.code])).toEqual([
        ['0.1.0', RELEASE_RESTART_EXIT],
        ['0.2.0', 0],
      ]);
    } finally {
      await (hq as mqtt.MqttClient | null)?.endAsync(true).catch(() => undefined);
      await sup.kill();
    }
  }, 120_000);

  it('rolls back a release that started too often without passing its check, before opening the database', async () => {
    fs.mkdirSync(path.join(root, 'releases', '0.2.0'));
    switchCurrent(root, '0.2.0');
    const now = Date.now();
    writePendingHealth(root, { v: 1, rollout: 'r1', version: '0.2.0', previous: '0.1.0', backup: null, schemaBefore: 0, switchedAt: now, deadline: now + 600_000, boots: 3 });
    const c = kioskAsync(['start', '--data', data], { env });
    child = c;
    expect(await exited(c)).toEqual({ code: RELEASE_RESTART_EXIT, signal: null });
    expect(currentVersion(root)).toBe('0.1.0');
    expect(readPendingHealth(root)).toMatchObject({ failed: { check: 'boot' } });
    expect(fs.existsSync(path.join(data, 'kiosk.sqlite'))).toBe(false);
  }, 60_000);
});
