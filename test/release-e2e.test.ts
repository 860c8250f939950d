/**
 * Over-the-air releases (issue 17) end to end, with real `npm pack` builds of this project: 0.1.0 (this build,
 * installed by hand as an installer would), 0.1.1 (the same build reporting `kiosk-runtime/0.1.1` as its software:
 * the visible change) and 0.1.2 (a build whose journal verification regressed: it hashes each payload with a
 * trailing space, so the health check's `journal` step finds the chain broken at its first entry).
 * HQ: a real Mosquitto, an HQ store on a SQLite file, `hq release publish` of each package, `hq release serve` over
 * HTTPS (a test CA the kiosks trust through NODE_EXTRA_CA_CERTS), `hq release rollout` and hq serve's release
 * service driving the stages. Kiosks: three `kiosk start` processes from `<root>/current/dist/device/cli.js`
 * under the release supervisor (systemd's Restart= for exit 75), each with its own data dir and updates root,
 * two of them tagged `canary`.
 * Runs dist/: `npm run -s build` first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { SystemClock } from '../kernel/clock';
import { SqlAuditLog } from '../hq/audit/audit-log';
import type { ConsoleContext } from '../hq/console/types';
import { addTag } from '../hq/fleet/tags';
import { IngestStore } from '../hq/ingest/store';
import { releasePublish, releaseRollout, releaseServe } from '../hq/commands/release';
import { getRollout, rolloutKiosks } from '../hq/releases/rollouts';
import { releasesService } from '../hq/releases/service';
import { createCa, issueCertificate } from '../kernel/x509/certificates';
import { stateTopic } from '../protocol/topics';
import { releaseOfferTopic, releaseReportedTopic } from '../protocol/releases/topics';
import type { ReleaseReported } from '../protocol/releases/release-offer';
import { verifyJournal } from '../protocol/journal/verify';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { installRelease } from '../runtime/releases/install';
import { currentVersion, releaseDir, releasesDir } from '../runtime/releases/layout';
import { readPendingHealth, RELEASE_RESTART_EXIT, switchCurrent } from '../runtime/releases/switch';
import { TrustStore } from '../runtime/trust/trust-store';
import { ROOT } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { Mosquitto } from './support/mosquitto';
import { packProject } from './support/project-pack';
import { ReleaseSupervisor } from './support/release-supervisor';
import { testKey } from './support/trust';
import { waitFor } from './support/wait';

jest.setTimeout(600_000);

const STORE = 'S1';
const KIOSKS = ['K1', 'K2', 'K3'];
const CANARIES = ['K1', 'K2'];
const REST = KIOSKS.filter((d) => !CANARIES.includes(d));
const HEALTH_WINDOW_MS = 12_000;
const hqKey = testKey();

/** The 0.1.2 regression, in the packed copy only: journal verification hashes a payload that is not the one stored. */
const VERIFY_CALL = 'chain.next((0,row_1.rowToEntry)(r))';
const BROKEN_VERIFY = 'chain.next((0,row_1.rowToEntry)({...r,payload:r.payload+" "}))';

let dir: string;
let broker: Mosquitto;
let db: string;
let keyFile: string;
let store: IngestStore;
let hq: MqttClient;
let service: { stop(): Promise<void> } | null = null;
const serveAbort = new AbortController();
let served: Promise<void> | null = null;
let base = '';
const sups = new Map<string, ReleaseSupervisor>();
const logs = new Map<string, string[]>();
/** Every release step each kiosk reported, and every software string its presence announced while online. */
const reported = new Map<string, (ReleaseReported & { at: number })[]>();
const software = new Map<string, string[]>();
/** Every non-empty offer retained on a kiosk's `release` topic, as HQ's own subscriber saw it. */
const offers = new Map<string, { rollout: string; version: string; action: string; at: number }[]>();
const out: string[] = [];
const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) };
const rootOf = (d: string) => path.join(dir, d, 'opt');
const dataOf = (d: string) => path.join(dir, d, 'data');
const lastStep = (d: string) => reported.get(d)?.at(-1);

function kioskEnv(d: string): NodeJS.ProcessEnv {
  return {
    KIOSK_DEVICE__STORE_ID: STORE,
    KIOSK_DEVICE__DEVICE_ID: d,
    KIOSK_HQ__BROKER: broker.url,
    KIOSK_UPDATES__ENABLED: 'true',
    KIOSK_UPDATES__ROOT: rootOf(d),
    KIOSK_UPDATES__HEALTH_WINDOW_MS: String(HEALTH_WINDOW_MS),
    KIOSK_UPDATES__MAX_BYTES_PER_SECOND: String(200_000_000),
    NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem'),
  };
}

function supervise(d: string): ReleaseSupervisor {
  const log = logs.get(d) ?? [];
  logs.set(d, log);
  const sup = new ReleaseSupervisor({ root: rootOf(d), data: dataOf(d), env: kioskEnv(d) }, (child, release) => {
    log.push(`--- start on ${release}`);
    const keep = (b: Buffer) => {
      log.push(...b.toString('utf8').split('\n').filter(Boolean));
      if (log.length > 400) log.splice(0, log.length - 400);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
  });
  sups.set(d, sup);
  return sup;
}

/** One cash sale at a kiosk booted in this process on the kiosk's data dir (the CLI stopped). */
async function sellOne(k: Kiosk): Promise<void> {
  const [{ barcodes: [barcode] }] = await k.catalog.sample('plain', 1);
  const scan = await k.lane.scan(barcode);
  if (!scan.ok || scan.action !== 'item_added') throw new Error('scan failed');
  const o = await k.engine.dispatch(scan.order.id, { type: 'checkout_started' });
  await k.checkout.pay(o.id, 'cash');
  await k.engine.dispatch(o.id, { type: 'order_completed' });
}
const localConfig = (d: string) => loadConfig({ env: {}, overrides: { dataDir: dataOf(d), device: { storeId: STORE, deviceId: d } } });
async function completedOrders(k: Kiosk): Promise<number> {
  return (await k.db.read.get<{ n: number }>("SELECT COUNT(*) AS n FROM orders WHERE state = 'completed'"))!.n;
}

const started = Date.now();
const phases: string[] = [];
const phase = (what: string) => phases.push(`${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);

beforeAll(async () => {
  dir = tempDir('release-e2e-');
  broker = await Mosquitto.start();
  db = path.join(dir, 'hq', 'hq.sqlite');
  keyFile = path.join(dir, 'hq.key');
  fs.writeFileSync(keyFile, hqKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  // HTTPS for the package server, from a test CA the kiosks trust
  const ca = createCa({ commonName: 'HQ release e2e test CA' });
  const cert = issueCertificate(ca, 'server', { commonName: '127.0.0.1', ips: ['127.0.0.1'] });
  fs.writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
  fs.writeFileSync(path.join(dir, 'tls.crt'), cert.certPem);
  fs.writeFileSync(path.join(dir, 'tls.key'), cert.keyPem);

  // three real npm pack builds of this project (dist/ as built), the later two patched in the packed copy only
  const packs = path.join(dir, 'packs');
  fs.mkdirSync(packs);
  let software011 = 0;
  let verifyPatched = 0;
  const tgz = {
    '0.1.0': packProject(packs, '0.1.0'),
    '0.1.1': packProject(packs, '0.1.1', (_rel, t) => {
      const n = t.split('"kiosk-runtime/0.1.0"').length + t.split("'kiosk-runtime/0.1.0'").length - 2;
      software011 += n;
      return t.split('"kiosk-runtime/0.1.0"').join('"kiosk-runtime/0.1.1"').split("'kiosk-runtime/0.1.0'").join("'kiosk-runtime/0.1.1'");
    }),
    '0.1.2': packProject(packs, '0.1.2', (rel, t) => {
      let x = t.split('"kiosk-runtime/0.1.0"').join('"kiosk-runtime/0.1.2"').split("'kiosk-runtime/0.1.0'").join("'kiosk-runtime/0.1.2'");
      if (rel === path.join('dist', 'device', 'cli.bundle.js')) {
        verifyPatched += x.split(VERIFY_CALL).length - 1;
        x = x.split(VERIFY_CALL).join(BROKEN_VERIFY);
      }
      return x;
    }),
  };
  phase('3 packages built');
  // the patches found what they change (a build that moved them must fail here, not pass for the wrong reason)
  expect(software011).toBeGreaterThanOrEqual(1);
  expect(verifyPatched).toBe(1);

  const relDir = path.join(dir, 'hq', 'releases');
  for (const [v, f] of Object.entries(tgz)) await releasePublish(f, { db, version: v, dir: relDir }, io);
  served = releaseServe({ db, dir: relDir, tlsCert: path.join(dir, 'tls.crt'), tlsKey: path.join(dir, 'tls.key'), host: '127.0.0.1', port: '0' }, { ...io, signal: serveAbort.signal });
  const line = await waitFor('hq release serve is up', () => /https:\/\/127\.0\.0\.1:(\d+)\/releases\/files\//.exec(out.join('')));
  base = `https://127.0.0.1:${line[1]}`;

  store = await IngestStore.open(db);
  await store.db.transaction(async (tx) => {
    for (const d of KIOSKS) await tx.run('INSERT INTO fleet (store_id, device_id) VALUES (?, ?)', [STORE, d]);
  });
  for (const d of CANARIES) await addTag(store.db, STORE, d, 'canary', 'admin', Date.now());

  // HQ's view of each kiosk: release steps, presence, the offers retained for it
  hq = mqtt.connect(broker.url, { clientId: `hq-e2e-${process.pid}`, reconnectPeriod: 200 });
  await new Promise<void>((resolve) => hq.once('connect', () => resolve()));
  hq.on('message', (topic, payload) => {
    if (payload.length === 0) return;
    const d = topic.split('/')[3];
    if (topic === releaseReportedTopic(STORE, d)) reported.get(d)!.push({ ...(JSON.parse(payload.toString()) as ReleaseReported), at: Date.now() });
    else if (topic === stateTopic(STORE, d)) {
      const s = JSON.parse(payload.toString()) as { online?: boolean; software?: string };
      if (s.online && s.software) software.get(d)!.push(s.software);
    } else if (topic === releaseOfferTopic(STORE, d)) {
      const env = JSON.parse(payload.toString()) as { body: { rollout: string; version: string; action: string } };
      offers.get(d)!.push({ rollout: env.body.rollout, version: env.body.version, action: env.body.action, at: Date.now() });
    }
  });
  for (const d of KIOSKS) {
    reported.set(d, []);
    software.set(d, []);
    offers.set(d, []);
    await hq.subscribeAsync([releaseReportedTopic(STORE, d), stateTopic(STORE, d), releaseOfferTopic(STORE, d)], { qos: 1 });
  }
  const clock = new SystemClock();
  const ctx = { store, clock, audit: new SqlAuditLog(store.db, clock), live: { publish: () => undefined }, mqtt: hq, hqKey: hqKey.privateKey, ingest: null } as unknown as ConsoleContext;
  service = releasesService({ everyMs: 300 })(ctx);

  // each kiosk as an installer leaves it: 0.1.0 unpacked under releases/, `current` pointing at it, node_modules
  // shared with this checkout's (the kiosk never runs npm install); HQ's key trusted; one sale already made
  await Promise.all(
    KIOSKS.map(async (d) => {
      fs.mkdirSync(dataOf(d), { recursive: true });
      const r = await installRelease({ root: rootOf(d), tgz: tgz['0.1.0'], version: '0.1.0', runningDir: null, nodeModulesFrom: path.join(ROOT, 'node_modules') });
      expect(r).toMatchObject({ ok: true, dependencies: 'linked' });
      switchCurrent(rootOf(d), '0.1.0');
      TrustStore.open(dataOf(d)).install([hqKey.publicPem], { replace: true, now: Date.now() });
      const k = await bootKiosk(localConfig(d), { confirmCash: async () => true });
      try {
        await sellOne(k);
      } finally {
        await k.close();
      }
    }),
  );
  for (const d of KIOSKS) supervise(d);
  await waitFor('every kiosk is online on 0.1.0', () => KIOSKS.every((d) => software.get(d)!.includes('kiosk-runtime/0.1.0')), 120_000, 100);
  phase('kiosks online on 0.1.0');
}, 300_000);

afterAll(async () => {
  await Promise.all([...sups.values()].map((s) => s.kill()));
  await service?.stop();
  serveAbort.abort();
  await served;
  await hq?.endAsync();
  await store?.close();
  await broker?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  console.log(`release e2e: ${((Date.now() - started) / 1000).toFixed(1)} s (${phases.join(', ')})`);
});

const dump = (d: string) => `${d}: ${JSON.stringify(reported.get(d)?.map((r) => [r.version, r.step, r.running, r.reason ?? '']))}\n${(logs.get(d) ?? []).slice(-30).join('\n')}`;

describe('over-the-air releases with real npm pack builds', () => {
  it('0.1.1 to all with the canary tag: the canaries first, then the rest; every kiosk ends healthy on 0.1.1', async () => {
    out.length = 0;
    const id = await releaseRollout({ db, key: keyFile, broker: broker.url, version: '0.1.1', all: true, canaryTag: 'canary', baseUrl: base, maxFailures: '1' }, io);
    expect(out.join('')).toMatch(/to 3 kiosk\(s\) \(2 canary first\)/);
    // the rest are not offered before every canary is healthy
    for (const d of CANARIES) await waitFor(`${d} is offered 0.1.1`, () => offers.get(d)!.some((o) => o.rollout === id), 30_000);
    await waitFor('the canaries are healthy on 0.1.1', () => CANARIES.every((d) => lastStep(d)?.step === 'healthy' && lastStep(d)?.version === '0.1.1'), 180_000, 50).catch((e: Error) => {
      throw new Error(`${e.message}\n${KIOSKS.map(dump).join('\n')}`);
    });
    for (const d of REST) await waitFor(`${d} is healthy on 0.1.1`, () => lastStep(d)?.step === 'healthy' && lastStep(d)?.version === '0.1.1', 180_000, 100);
    // the rest were offered 0.1.1 only after HQ had every canary's healthy report
    const canariesHealthyAt = Math.max(...CANARIES.map((d) => reported.get(d)!.find((r) => r.version === '0.1.1' && r.step === 'healthy')!.at));
    for (const d of REST) expect(offers.get(d)!.find((o) => o.rollout === id)!.at).toBeGreaterThanOrEqual(canariesHealthyAt);
    await waitFor('the rollout completes', async () => (await getRollout(store.db.read, id))?.state === 'completed', 30_000, 200);
    phase('0.1.1 healthy everywhere');
    const rows = await rolloutKiosks(store.db.read, id);
    expect(rows.map((r) => [r.deviceId, r.canary, r.step, r.running])).toEqual(KIOSKS.map((d) => [d, CANARIES.includes(d), 'healthy', '0.1.1']));
    for (const d of KIOSKS) {
      // the visible change: the restarted kiosk announces the new build's software
      expect(software.get(d)!.at(-1)).toBe('kiosk-runtime/0.1.1');
      expect(currentVersion(rootOf(d))).toBe('0.1.1');
      expect(readPendingHealth(rootOf(d))).toBeNull();
      // installed from the package next to 0.1.0, node_modules shared (a link to the same folder)
      expect(fs.realpathSync(path.join(releaseDir(rootOf(d), '0.1.1'), 'node_modules'))).toBe(fs.realpathSync(path.join(ROOT, 'node_modules')));
      expect(sups.get(d)!.runs).toEqual([{ release: '0.1.0', code: RELEASE_RESTART_EXIT, signal: null }]);
      const steps = reported.get(d)!.filter((r) => r.version === '0.1.1').map((r) => r.step);
      expect(steps).toEqual(expect.arrayContaining(['offered', 'verified', 'installed', 'switching', 'health_check', 'healthy']));
    }
  });

  it('0.1.2 fails its health check on the canaries: each rolls back to 0.1.1 by itself, the rollout aborts, the rest never see it', async () => {
    out.length = 0;
    const id = await releaseRollout({ db, key: keyFile, broker: broker.url, version: '0.1.2', all: true, canaryTag: 'canary', baseUrl: base, maxFailures: '1' }, io);
    for (const d of CANARIES) {
      await waitFor(`${d} reports 0.1.2 rolled back`, () => lastStep(d)?.version === '0.1.2' && lastStep(d)?.step === 'rolled_back', 240_000, 100).catch((e: Error) => {
        throw new Error(`${e.message}\n${KIOSKS.map(dump).join('\n')}`);
      });
    }
    phase('0.1.2 rolled back on the canaries');
    await waitFor('the rollout aborts itself', async () => (await getRollout(store.db.read, id))?.state === 'aborted', 30_000, 200);
    expect((await getRollout(store.db.read, id))!.reason).toMatch(/failed or rolled back \(max 1\)/);
    for (const d of CANARIES) {
      const steps = reported.get(d)!.filter((r) => r.version === '0.1.2');
      // it switched, the journal check failed on 0.1.2, and 0.1.1 is back and says so
      expect(steps.map((r) => r.step)).toEqual(expect.arrayContaining(['installed', 'switching', 'health_check', 'rolled_back']));
      expect(steps.find((r) => r.step === 'health_check')!.running).toBe('0.1.2'); // 0.1.2 did run
      expect(fs.statSync(path.join(releaseDir(rootOf(d), '0.1.2'), 'dist', 'device', 'cli.js')).mode & 0o111).not.toBe(0); // what the systemd drop-in starts
      const back = steps.filter((r) => r.step === 'rolled_back');
      expect(back.at(-1)).toMatchObject({ running: '0.1.1', reason: 'journal', detail: expect.stringMatching(/broken at seq 1/) });
      expect(currentVersion(rootOf(d))).toBe('0.1.1');
      await waitFor(`${d} is back online on 0.1.1`, () => software.get(d)!.at(-1) === 'kiosk-runtime/0.1.1', 60_000, 100).catch((e: Error) => {
        throw new Error(`${e.message} ${JSON.stringify(software.get(d))}\n${dump(d)}`);
      });
      // exit 75 after the switch, exit 75 after the rollback, 0.1.1 runs again
      expect(sups.get(d)!.runs.map((r) => [r.release, r.code])).toEqual([
        ['0.1.0', RELEASE_RESTART_EXIT],
        ['0.1.1', RELEASE_RESTART_EXIT],
        ['0.1.2', RELEASE_RESTART_EXIT],
      ]);
    }
    await new Promise((r) => setTimeout(r, 1500)); // several service passes
    for (const d of REST) {
      // never offered: what HQ retained for it is still 0.1.1's offer, it reported nothing about 0.1.2, has no 0.1.2
      expect(offers.get(d)!.filter((o) => o.version === '0.1.2')).toEqual([]);
      expect(offers.get(d)!.at(-1)).toMatchObject({ version: '0.1.1', action: 'install' });
      expect(reported.get(d)!.filter((r) => r.version === '0.1.2')).toEqual([]);
      expect(fs.readdirSync(releasesDir(rootOf(d))).sort()).toEqual(['0.1.0', '0.1.1']);
      expect(sups.get(d)!.runs.map((r) => r.release)).toEqual(['0.1.0']);
      expect(sups.get(d)!.child).not.toBeNull();
    }
    const rows = await rolloutKiosks(store.db.read, id);
    expect(rows.filter((r) => REST.includes(r.deviceId)).map((r) => [r.deviceId, r.offerSeq])).toEqual(REST.map((d) => [d, null]));

    // journal and sales intact after the rollback: stop each kiosk, verify, sell one more
    for (const d of KIOSKS) {
      await sups.get(d)!.stop();
      expect(sups.get(d)!.runs.at(-1)!.code).toBe(0);
      const k = await bootKiosk(localConfig(d), { confirmCash: async () => true });
      try {
        expect(await verifyJournal(k.db.read)).toMatchObject({ ok: true });
        expect(await completedOrders(k)).toBe(1);
        await sellOne(k);
        expect(await completedOrders(k)).toBe(2);
        expect(await verifyJournal(k.db.read)).toMatchObject({ ok: true });
      } finally {
        await k.close();
      }
    }
  });
});
