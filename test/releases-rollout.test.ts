/**
 * Rollouts of over-the-air releases through a real Mosquitto, on a real HQ store (SQLite file and PostgreSQL):
 * `hq release rollout` signs a device-scope offer per kiosk (offer sequence per kiosk strictly increasing) and
 * retains it on the kiosk's `release` topic; `hq serve`'s release service records the kiosks' retained
 * `release/reported` steps and drives the stages: the canaries first, the rest after every canary is healthy; a
 * canary's failure aborts the rollout by itself (the rest never receive it, the canaries get a withdraw); pause
 * stops offering, resume widens, abort withdraws from kiosks that have not switched.
 *
 * The kiosks here are small MQTT clients written from the protocol (protocol/releases): they verify each offer as a
 * kiosk must (HQ's key, kind, scope, a newer sequence, the body's schema) and report the steps a script gives them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { SystemClock } from '../kernel/clock';
import { SqlAuditLog } from '../hq/audit/audit-log';
import type { ConsoleContext } from '../hq/console/types';
import { addTag } from '../hq/fleet/tags';
import { IngestStore } from '../hq/ingest/store';
import { releaseChange, releasePublish, releaseRollout } from '../hq/commands/release';
import { packageUrlPath } from '../hq/releases/registry';
import { getRollout, rolloutKiosks } from '../hq/releases/rollouts';
import { releasesService } from '../hq/releases/service';
import { rolloutTargets } from '../hq/releases/targeting';
import { generateHqKeyPair } from '../hq/signing';
import { keyIdOf, verifyEnvelope, type Envelope } from '../protocol/signed-envelope';
import { releaseOfferSchema, type ReleaseOffer, type ReleaseStep } from '../protocol/releases/release-offer';
import { releaseOfferTopic, releaseReportedTopic } from '../protocol/releases/topics';
import { closeConsoleBackends, INGEST_TARGETS } from './support/console-fixture';
import { Mosquitto } from './support/mosquitto';
import { npmPack } from './support/npm-pack';
import { tmpDir } from './support/sync-fixtures';
import { waitFor } from './support/wait';

jest.setTimeout(180_000);

const HQ = generateHqKeyPair();
const HQ_PUB = createPublicKey(createPrivateKey(HQ.privatePem));
const BASE = 'https://hq.test:8443';
const S1 = ['D1', 'D2', 'D3', 'D4'].map((d) => ['S1', d] as const);
const S2 = ['D1', 'D2', 'D3'].map((d) => ['S2', d] as const);
const KIOSKS = [...S1, ...S2];

/** A kiosk as far as releases go: verifies and keeps its offers, reports steps. */
class SimKiosk {
  offers: Envelope<ReleaseOffer>[] = [];
  refused: string[] = [];
  private ts = Date.now();
  private constructor(
    readonly store: string,
    readonly device: string,
    private readonly client: MqttClient,
  ) {}
  /** `as`: another client id for a second subscriber of the same kiosk's topic (the same id would take the first one's session over). */
  static async connect(url: string, store: string, device: string, as = ''): Promise<SimKiosk> {
    const client = mqtt.connect(url, { clientId: `sim-${store}-${device}${as}-${process.pid}`, reconnectPeriod: 0 });
    const k = new SimKiosk(store, device, client);
    // the listener before connect(): a retained offer arrives with the SUBACK
    client.on('message', (_topic, payload) => k.onOffer(payload));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(releaseOfferTopic(store, device), { qos: 1 });
    return k;
  }
  private onOffer(payload: Buffer): void {
    if (payload.length === 0) return;
    const last = this.offers.at(-1)?.version ?? null;
    const v = verifyEnvelope<ReleaseOffer>(payload, new Map([[keyIdOf(HQ_PUB), HQ_PUB]]), Date.now(), {
      kind: 'release',
      scope: (s) => (s.kind === 'device' && s.store === this.store && s.device === this.device ? null : 'not mine'),
      appliedVersion: last,
      body: (b) => (releaseOfferSchema.safeParse(b).success ? null : 'bad body'),
    });
    if (v.ok) this.offers.push(v.envelope);
    else this.refused.push(v.reason);
  }
  get last(): ReleaseOffer | undefined {
    return this.offers.at(-1)?.body;
  }
  async report(step: ReleaseStep, o: { running?: string; reason?: string } = {}): Promise<void> {
    const offer = this.last!;
    this.ts = Math.max(this.ts + 1, Date.now());
    const body = { v: 1, rollout: offer.rollout, version: offer.version, step, running: o.running ?? (step === 'healthy' ? offer.version : '0.9.0'), ts: this.ts, ...(o.reason ? { reason: o.reason } : {}) };
    await this.client.publishAsync(releaseReportedTopic(this.store, this.device), JSON.stringify(body), { qos: 1, retain: true });
  }
  async through(steps: ReleaseStep[]): Promise<void> {
    for (const s of steps) await this.report(s);
  }
  close(): Promise<void> {
    return this.client.endAsync();
  }
}

afterAll(closeConsoleBackends, 60_000);

describe.each(INGEST_TARGETS)('release rollouts on %s', (_name, fresh) => {
  let broker: Mosquitto;
  let dir: string;
  let db: string;
  let store: IngestStore;
  let hq: MqttClient;
  let service: { stop(): Promise<void> };
  let keyFile: string;
  const k = new Map<string, SimKiosk>();
  const kiosk = (s: string, d: string) => k.get(`${s}/${d}`)!;
  const out: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) };
  const send = () => ({ db, key: keyFile, broker: broker.url });

  beforeAll(async () => {
    broker = await Mosquitto.start();
    dir = tmpDir('hq-rollout-');
    db = await fresh();
    keyFile = path.join(dir, 'hq.key');
    fs.writeFileSync(keyFile, HQ.privatePem);
    const relDir = path.join(dir, 'releases');
    await releasePublish(npmPack(dir, { version: '1.0.0' }), { db, version: '1.0.0', minConfigSchema: '2', dir: relDir }, io);
    await releasePublish(npmPack(dir, { version: '1.1.0' }), { db, version: '1.1.0', dir: relDir }, io);
    store = await IngestStore.open(db);
    await store.db.transaction(async (tx) => {
      for (const [s, d] of KIOSKS) await tx.run('INSERT INTO fleet (store_id, device_id) VALUES (?, ?)', [s, d]);
      // a retired kiosk is never targeted
      await tx.run('INSERT INTO fleet (store_id, device_id, retired_at, retired_by) VALUES (?, ?, ?, ?)', ['S1', 'D9', 1, 'admin']);
    });
    for (const [s, d] of [['S1', 'D1'], ['S2', 'D1']]) await addTag(store.db, s, d, 'canary', 'admin', 1);
    for (const [s, d] of KIOSKS) k.set(`${s}/${d}`, await SimKiosk.connect(broker.url, s, d));
    hq = mqtt.connect(broker.url, { clientId: `hq-serve-test-${process.pid}`, reconnectPeriod: 200 });
    await new Promise<void>((resolve) => hq.once('connect', () => resolve()));
    const clock = new SystemClock();
    const ctx = {
      store,
      clock,
      audit: new SqlAuditLog(store.db, clock),
      live: { publish: () => undefined },
      mqtt: hq,
      hqKey: createPrivateKey(HQ.privatePem),
      ingest: null,
    } as unknown as ConsoleContext;
    service = releasesService({ everyMs: 300 })(ctx);
  });
  afterAll(async () => {
    await service?.stop();
    await hq?.endAsync();
    for (const x of k.values()) await x.close();
    await store?.close();
    await broker?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a rollout of a store with a canary: the canary first, the rest once it is healthy, then completed', async () => {
    const id = await releaseRollout({ ...send(), version: '1.0.0', store: ['S1'], canaryTag: 'canary', baseUrl: `${BASE}/`, percent: '100', maxFailures: '1' }, io);
    expect(id).toBe('r1');
    expect(out.join('')).toMatch(/rollout r1: release 1\.0\.0 to 4 kiosk\(s\) \(1 canary first\)[^]*1 offer\(s\) and 0 withdraw\(s\) sent/);
    const canary = kiosk('S1', 'D1');
    await waitFor('the canary has its offer', () => canary.offers.length === 1);
    const env = canary.offers[0];
    const rel = await store.db.read.get<{ sha256: string; size: unknown }>("SELECT sha256, size FROM releases WHERE version = '1.0.0'");
    expect(env).toMatchObject({ kind: 'release', scope: { kind: 'device', store: 'S1', device: 'D1' }, version: 1 });
    expect(env.body).toEqual({ action: 'install', rollout: 'r1', version: '1.0.0', package: { url: `${BASE}${packageUrlPath(rel!.sha256)}`, sha256: rel!.sha256, size: Number(rel!.size) }, minConfigSchema: 2 });
    // the rest wait for the canary (several service passes go by)
    await new Promise((r) => setTimeout(r, 1200));
    for (const [s, d] of S1.slice(1)) expect(kiosk(s, d).offers).toEqual([]);
    for (const [s, d] of S2) expect(kiosk(s, d).offers).toEqual([]);

    await canary.through(['downloading', 'downloaded', 'verified', 'installed', 'switching', 'health_check']);
    await new Promise((r) => setTimeout(r, 700));
    for (const [s, d] of S1.slice(1)) expect(kiosk(s, d).offers).toEqual([]);
    await canary.report('healthy');
    for (const [s, d] of S1.slice(1)) await waitFor(`${s}/${d} is offered 1.0.0 after the canary is healthy`, () => kiosk(s, d).last?.version === '1.0.0');
    for (const [s, d] of S2) expect(kiosk(s, d).offers).toEqual([]); // not selected
    for (const [s, d] of S1.slice(1)) await kiosk(s, d).through(['downloading', 'verified', 'switching', 'healthy']);
    await waitFor('the rollout completes', async () => (await getRollout(store.db.read, 'r1'))?.state === 'completed');
    const rows = await rolloutKiosks(store.db.read, 'r1');
    expect(rows.map((r) => [`${r.storeId}/${r.deviceId}`, r.canary, r.step, r.running])).toEqual([
      ['S1/D1', true, 'healthy', '1.0.0'],
      ['S1/D2', false, 'healthy', '1.0.0'],
      ['S1/D3', false, 'healthy', '1.0.0'],
      ['S1/D4', false, 'healthy', '1.0.0'],
    ]);
    expect([...k.values()].flatMap((x) => x.refused)).toEqual([]);
  });

  it('a canary that fails aborts the rollout by itself: the rest never receive it, the canaries get a withdraw', async () => {
    out.length = 0;
    await releaseRollout({ ...send(), version: '1.1.0', all: true, canaryTag: 'canary', baseUrl: BASE, maxFailures: '1' }, io);
    const [c1, c2] = [kiosk('S1', 'D1'), kiosk('S2', 'D1')];
    await waitFor('both canaries are offered 1.1.0', () => c1.last?.version === '1.1.0' && c2.last?.version === '1.1.0');
    await c1.through(['downloading']);
    await c2.through(['downloading', 'verified', 'switching', 'health_check']);
    await c2.report('rolled_back', { running: '0.9.0', reason: 'health_check_failed' });
    await waitFor('the rollout aborts itself', async () => (await getRollout(store.db.read, 'r2'))?.state === 'aborted');
    expect((await getRollout(store.db.read, 'r2'))!.reason).toMatch(/1 kiosk\(s\) failed or rolled back \(max 1\)/);
    await waitFor('both canaries are told to withdraw', () => c1.last?.action === 'withdraw' && c2.last?.action === 'withdraw');
    expect(c1.last).toMatchObject({ action: 'withdraw', rollout: 'r2', version: '1.1.0' });
    // each kiosk's offer sequence only goes up: r1's offer, r2's offer, the withdraw
    expect(c1.offers.map((o) => [o.version, o.body.rollout, o.body.action])).toEqual([
      [1, 'r1', 'install'],
      [2, 'r2', 'install'],
      [3, 'r2', 'withdraw'],
    ]);
    await new Promise((r) => setTimeout(r, 1000));
    for (const [s, d] of KIOSKS) if (d !== 'D1') expect([s, d, kiosk(s, d).offers.some((o) => o.body.rollout === 'r2')]).toEqual([s, d, false]);
    // what is retained for a kiosk that connects now: still r1's offer for the rest, the withdraw for the canaries
    const late = await SimKiosk.connect(broker.url, 'S1', 'D2', '-late');
    await waitFor('a late subscriber reads the retained offer', () => late.offers.length === 1);
    expect(late.last).toMatchObject({ rollout: 'r1', action: 'install' });
    await late.close();
    const audit = await store.db.read.all<{ actor: string; action: string; target: string }>("SELECT actor, action, target FROM audit_log WHERE action LIKE 'release.%' ORDER BY seq");
    expect(audit.filter((a) => a.action === 'release.abort')).toEqual([{ actor: 'system', action: 'release.abort', target: 'r2' }]);
  });

  it('pause holds the rest back, resume widens and goes on, abort withdraws only from kiosks that did not switch', async () => {
    out.length = 0;
    const id = await releaseRollout({ ...send(), version: '1.1.0', store: ['S2'], canaryTag: 'canary', baseUrl: BASE, maxFailures: '2', percent: '1' }, io);
    const c = kiosk('S2', 'D1');
    await waitFor('the canary is offered', () => c.last?.rollout === id && c.last.action === 'install');
    await releaseChange('pause', id, { db }, io);
    await expect(releaseChange('pause', id, { db }, io)).rejects.toThrow(/is paused: cannot pause/);
    await c.through(['downloading', 'verified', 'switching', 'healthy']);
    await waitFor('the healthy step is recorded', async () => (await rolloutKiosks(store.db.read, id))[0].step === 'healthy');
    await new Promise((r) => setTimeout(r, 1000));
    for (const [s, d] of S2.slice(1)) expect(kiosk(s, d).offers.some((o) => o.body.rollout === id)).toBe(false);
    // widened to 100 %: the S2 kiosks not under 1 % are added, then offered (the canary is healthy)
    const before = (await rolloutKiosks(store.db.read, id)).length;
    await releaseChange('resume', id, { ...send(), percent: '100' }, io);
    expect((await rolloutKiosks(store.db.read, id)).length).toBe(3);
    expect(out.join('')).toMatch(new RegExp(`rollout ${id} active \\(${3 - before} kiosk\\(s\\) added\\)`));
    for (const [s, d] of S2.slice(1)) await waitFor(`${s}/${d} is offered`, () => kiosk(s, d).last?.rollout === id);
    await kiosk('S2', 'D2').through(['downloading', 'verified', 'switching']);
    await waitFor('S2/D2 switching is recorded', async () => (await rolloutKiosks(store.db.read, id)).find((r) => r.deviceId === 'D2')?.step === 'switching');
    await releaseChange('abort', id, send(), io);
    await waitFor('S2/D3 is told to withdraw', () => kiosk('S2', 'D3').last?.action === 'withdraw');
    await new Promise((r) => setTimeout(r, 700));
    expect(c.last).toMatchObject({ rollout: id, action: 'install' }); // healthy: keeps it
    expect(kiosk('S2', 'D2').last).toMatchObject({ rollout: id, action: 'install' }); // switching: keeps it
    const rows = await rolloutKiosks(store.db.read, id);
    expect(rows.map((r) => [r.deviceId, r.withdrawnAt !== null])).toEqual([
      ['D1', false],
      ['D2', false],
      ['D3', true],
    ]);
    await expect(releaseChange('resume', id, { db }, io)).rejects.toThrow(/is aborted: cannot resume/);
    await expect(releaseChange('abort', 'r99', { db }, io)).rejects.toThrow(/no rollout r99/);
  });

  it('a newer rollout over kiosks older ones hold: refused without --supersede; with it the kiosks get its offer, no withdraw, the emptied one aborted, a switching kiosk left to finish', async () => {
    out.length = 0;
    // S2/D2 was left switching to 1.1.0 under the aborted rollout before: it finishes (until then no rollout offers it anything)
    const prev = kiosk('S2', 'D2').last!.rollout;
    await kiosk('S2', 'D2').report('healthy');
    await waitFor('S2/D2 healthy is recorded', async () => (await rolloutKiosks(store.db.read, prev)).find((r) => r.deviceId === 'D2')?.step === 'healthy');
    await releasePublish(npmPack(dir, { version: '1.2.0' }), { db, version: '1.2.0', dir: path.join(dir, 'releases') }, io);
    // older A: 1.1.0 to the 3 kiosks of S2 (offered; S2/D1 downloading); older M: 1.1.0 to S1, S1/D2 switching to it
    const a = await releaseRollout({ ...send(), version: '1.1.0', store: ['S2'], baseUrl: BASE }, io);
    const m = await releaseRollout({ ...send(), version: '1.1.0', store: ['S1'], baseUrl: BASE }, io);
    for (const [s, d] of KIOSKS) await waitFor(`${s}/${d} is offered 1.1.0`, () => kiosk(s, d).last?.rollout === (s === 'S2' ? a : m));
    await kiosk('S2', 'D1').through(['downloading']);
    await kiosk('S1', 'D2').through(['downloading', 'verified', 'switching']);
    const stepOf = async (id: string, d: string) => (await rolloutKiosks(store.db.read, id)).find((r) => r.deviceId === d)?.step;
    await waitFor('the steps are recorded', async () => (await stepOf(a, 'D1')) === 'downloading' && (await stepOf(m, 'D2')) === 'switching');

    const newer = { ...send(), version: '1.2.0', store: ['S1', 'S2'], baseUrl: BASE };
    await expect(releaseRollout(newer, io)).rejects.toThrow(
      `${a} (release 1.1.0, active) still holds 3 of these kiosks; ${m} (release 1.1.0, active) still holds 4 of these kiosks, 1 of them mid-install: one rollout at a time per kiosk. Let ${a}, ${m} finish, abort them (hq release abort ${a}), or supersede: hq release rollout … --supersede`,
    );
    const count = async () => (await store.db.read.all('SELECT id FROM rollouts')).length;
    const before = await count();
    const b = await releaseRollout({ ...newer, supersede: true }, io);
    expect(await count()).toBe(before + 1);
    expect(out.join('')).toContain(`supersedes ${a} (1.1.0): 3 kiosk(s) handed over; ${a} aborted (superseded by ${b})\nsupersedes ${m} (1.1.0): 3 kiosk(s) handed over, 1 mid-install finish under ${m} first\n`);
    expect(await getRollout(store.db.read, a)).toMatchObject({ state: 'aborted', reason: `superseded by ${b}` });
    expect((await getRollout(store.db.read, m))!.state).toBe('active');

    // every kiosk but the switching one gets B's offer, with a higher sequence; none a withdraw from A or M
    const moved = KIOSKS.filter(([s, d]) => !(s === 'S1' && d === 'D2'));
    for (const [s, d] of moved) await waitFor(`${s}/${d} is offered 1.2.0`, () => kiosk(s, d).last?.rollout === b);
    await new Promise((r) => setTimeout(r, 1200)); // several service passes
    for (const [s, d] of KIOSKS) {
      const mine = kiosk(s, d).offers.filter((o) => o.body.rollout === a || o.body.rollout === m);
      expect([s, d, mine.map((o) => o.body.action)]).toEqual([s, d, ['install']]);
    }
    expect(kiosk('S1', 'D2').last).toMatchObject({ rollout: m, action: 'install' }); // not disturbed
    // what the broker retains for each kiosk (a kiosk reconnecting reads this)
    for (const [s, d] of KIOSKS) {
      const late = await SimKiosk.connect(broker.url, s, d, '-late');
      try {
        await waitFor(`the retained offer of ${s}/${d}`, () => late.offers.length === 1);
        expect([s, d, late.last!.rollout, late.last!.action, late.last!.version]).toEqual([s, d, s === 'S1' && d === 'D2' ? m : b, 'install', s === 'S1' && d === 'D2' ? '1.1.0' : '1.2.0']);
      } finally {
        await late.close();
      }
    }
    expect((await rolloutKiosks(store.db.read, m)).map((r) => [r.deviceId, r.supersededBy])).toEqual([
      ['D1', b],
      ['D2', null],
      ['D3', b],
      ['D4', b],
    ]);
    // the switching kiosk finishes under M (M completes: what it had left is done); then B offers it 1.2.0
    await kiosk('S1', 'D2').report('healthy');
    await waitFor('S1/D2 is offered 1.2.0 once healthy under M', () => kiosk('S1', 'D2').last?.rollout === b);
    await waitFor('M completes', async () => (await getRollout(store.db.read, m))?.state === 'completed');
    const audit = await store.db.read.all<{ action: string; target: string }>("SELECT action, target FROM audit_log WHERE action = 'release.supersede' ORDER BY seq");
    expect(audit).toEqual([
      { action: 'release.supersede', target: a },
      { action: 'release.supersede', target: m },
    ]);
    await releaseChange('abort', b, send(), io);
  });

  it('an older rollout aborted after a newer one offered its failed kiosk sends that kiosk no withdraw', async () => {
    await addTag(store.db, 'S2', 'D3', 'solo', 'admin', 2);
    const c = await releaseRollout({ ...send(), version: '1.1.0', tag: ['solo'], baseUrl: BASE, maxFailures: '3' }, io);
    const k3 = kiosk('S2', 'D3');
    await waitFor('S2/D3 is offered 1.1.0', () => k3.last?.rollout === c);
    await k3.report('failed', { reason: 'disk_full' });
    await waitFor('the failure is recorded', async () => (await rolloutKiosks(store.db.read, c))[0]?.step === 'failed');
    // finished under C (failed): not held, so no conflict; D offers it 1.2.0
    const d = await releaseRollout({ ...send(), version: '1.2.0', store: ['S2'], baseUrl: BASE }, io);
    await waitFor('S2/D3 is offered 1.2.0', () => k3.last?.rollout === d);
    expect((await rolloutKiosks(store.db.read, c))[0].supersededBy).toBe(d);
    await releaseChange('abort', c, send(), io);
    expect(out.at(-1)).toContain(`rollout ${c} is aborted: 0 offer(s) and 0 withdraw(s) sent`);
    await new Promise((r) => setTimeout(r, 900));
    expect(k3.last).toMatchObject({ rollout: d, action: 'install' });
    const late = await SimKiosk.connect(broker.url, 'S2', 'D3', '-late');
    try {
      await waitFor('the retained offer of S2/D3', () => late.offers.length === 1);
      expect(late.last).toMatchObject({ rollout: d, action: 'install', version: '1.2.0' });
    } finally {
      await late.close();
    }
    await releaseChange('abort', d, send(), io);
  });

  it('the percentage is a stable draw per release: 10 % then 50 % keeps the first 10 %', async () => {
    await store.db.transaction(async (tx) => {
      for (let i = 0; i < 400; i++) await tx.run('INSERT INTO fleet (store_id, device_id) VALUES (?, ?)', ['S9', `L${i}`]);
    });
    const sel = { all: false, stores: ['S9'], tags: [] };
    const ten = await rolloutTargets(store.db, { version: '1.1.0', selection: sel, percent: 10, canaryTag: null });
    const fifty = await rolloutTargets(store.db, { version: '1.1.0', selection: sel, percent: 50, canaryTag: null });
    const fifty2 = await rolloutTargets(store.db, { version: '1.2.0', selection: sel, percent: 50, canaryTag: null });
    const keys = (x: { storeId: string; deviceId: string }[]) => new Set(x.map((t) => `${t.storeId}/${t.deviceId}`));
    expect([...keys(ten)].every((t) => keys(fifty).has(t))).toBe(true);
    expect(ten.length).toBeGreaterThan(20);
    expect(ten.length).toBeLessThan(65);
    expect(fifty.length).toBeGreaterThan(160);
    expect(fifty.length).toBeLessThan(240);
    // another release draws other kiosks
    expect([...keys(fifty)].filter((t) => !keys(fifty2).has(t)).length).toBeGreaterThan(40);
  });
});

describe('hq serve drives a rollout made by the CLI without a key', () => {
  it('the offer reaches the kiosk from hq serve\'s release service; a healthy report is recorded on the rollout', async () => {
    const broker = await Mosquitto.start();
    const dir = tmpDir('hq-rollout-serve-');
    const db = path.join(dir, 'hq', 'hq.sqlite');
    const keyFile = path.join(dir, 'hq.key');
    fs.writeFileSync(keyFile, HQ.privatePem);
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) };
    const ac = new AbortController();
    let served: Promise<void> | null = null;
    let sim: SimKiosk | null = null;
    try {
      await releasePublish(npmPack(dir, { version: '4.0.0' }), { db, version: '4.0.0', dir: path.join(dir, 'releases') }, io);
      const store = await IngestStore.open(db);
      await store.db.transaction((tx) => tx.run('INSERT INTO fleet (store_id, device_id) VALUES (?, ?)', ['S7', 'D1']));
      await store.close();
      const { runServe } = await import('../hq/commands/serve');
      served = runServe(
        { db, host: '127.0.0.1', port: '0', key: keyFile, timezone: 'UTC', ingest: true, offlineAlert: '5m', broker: broker.url },
        { out: io.out, err: io.err, clock: new SystemClock(), signal: ac.signal },
      );
      await waitFor('hq serve is up', () => out.join('').includes('hq console: http://'), 30_000);
      sim = await SimKiosk.connect(broker.url, 'S7', 'D1');
      await releaseRollout({ db, version: '4.0.0', store: ['S7'], baseUrl: BASE }, io);
      expect(out.join('')).toContain('rollout r1: hq serve --key --broker sends the offers');
      await waitFor('hq serve sends the offer', () => sim!.last?.version === '4.0.0', 60_000);
      await sim.through(['downloading', 'verified', 'switching', 'healthy']);
      await waitFor(
        'the rollout completes',
        async () => {
          const s = await IngestStore.open(db);
          try {
            return (await getRollout(s.db.read, 'r1'))?.state === 'completed';
          } finally {
            await s.close();
          }
        },
        60_000,
        300,
      );
    } finally {
      ac.abort();
      await served;
      await sim?.close();
      await broker.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
