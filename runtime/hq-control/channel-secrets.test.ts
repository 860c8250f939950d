import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../config/load';
import type { KioskConfig } from '../../config/schema';
import { SimulatedClock } from '../../kernel/clock';
import { KioskDb } from '../../kernel/sqlite/database';
import { migrate } from '../db/migrations';
import { ConfigBundleManager } from './config-bundles';
import { ChannelSecretsStore, channelSecretsPath, heldChannelSecretValues, type ChannelSecretsChange } from './channel-secrets';
import type { Scope } from '../../protocol/signed-envelope';
import { signed, T0, testKey, type TestKey } from '../../test/support/trust';
import { configTopic } from '../../protocol/control/topics';
import { canonicalJson } from '../../kernel/canonical-json';
import { channelSecretsAad, type SealedSection } from '../../protocol/sealed/channel-section';
import { seal } from '../../protocol/sealed/seal';
import { fingerprint, type ChannelSecrets } from '../../protocol/payments/channel-secrets';
import { TrustStore } from '../trust/trust-store';
import { createSealKey } from '../trust/seal-key';

/** The kiosk's side of sealed channel secrets inside config bundles: accepted per rules, adopted between orders only. */

const me = { store: 's1', device: 'd1' };
const DEVICE: Scope = { kind: 'device', store: 's1', device: 'd1' };
const pem = (label: string) => `-----BEGIN ${label}-----\n${randomBytes(90).toString('base64')}\n-----END ${label}-----\n`;
const secretsV = (apiKey: string): ChannelSecrets => ({ wechat: { appId: 'wx1', mchId: '10000100', apiKey, clientCertPem: pem('CERTIFICATE'), clientKeyPem: pem('PRIVATE KEY') } });

describe('channel secrets in config bundles', () => {
  let dir: string;
  let db: KioskDb;
  let trust: TrustStore;
  let hq: TestKey;
  let base: KioskConfig;
  let clock: SimulatedClock;
  let idle: boolean;
  let pub: string;
  let store: ChannelSecretsStore;
  let changes: ChannelSecretsChange[];

  const manager = () => new ConfigBundleManager({ db, trust, clock, identity: me, base, canApplyNow: async () => idle, onApplied: () => undefined, channelSecrets: store });
  const section = (version: number, secrets: ChannelSecrets, to = me, key = pub): SealedSection => ({ v: 1, version, box: seal(key, canonicalJson(secrets), channelSecretsAad(to.store, to.device, version)) });
  const offer = (m: ConfigBundleManager, scope: Scope, version: number, body: unknown) => m.offer(configTopic(scope), signed(hq, { scope, version, body }, clock.now()));

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-sealed-'));
    hq = testKey();
    trust = TrustStore.open(dir);
    trust.install([hq.publicPem], { replace: true, now: T0 });
    base = loadConfig({ env: {}, overrides: { dataDir: dir, device: { storeId: 's1', deviceId: 'd1', name: 'Lane 1' } } });
    clock = new SimulatedClock(T0);
    idle = true;
    db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
    await migrate(db);
    pub = createSealKey(dir).publicKeyPem;
    store = new ChannelSecretsStore({ dataDir: dir, identity: me });
    changes = [];
    store.on('changed', (c) => changes.push(c));
  });
  afterEach(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('adopts a device bundle\'s sealed section when the bundle is applied — between orders, not while one is open', async () => {
    const m = manager();
    await m.init();
    const s1 = secretsV('a'.repeat(32));
    expect((await offer(m, DEVICE, 1, { sealed: section(1, s1) })).ok).toBe(true);
    expect(m.channelSecrets()).toEqual(s1);
    expect(fs.statSync(channelSecretsPath(dir)).mode & 0o777).toBe(0o600);
    // a rotation offered while a shopper is paying waits for the lane to be idle
    idle = false;
    const s2 = secretsV('b'.repeat(32));
    const r = await offer(m, DEVICE, 2, { sealed: section(2, s2) });
    expect(r.ok && !r.applied).toBe(true);
    expect(m.channelSecrets()).toEqual(s1);
    idle = true;
    expect(await m.notifyIdle()).toBe(true);
    expect(m.channelSecrets()).toEqual(s2);
    expect(changes.map((c) => c.version)).toEqual([1, 2]);
    // a later device bundle without a sealed section keeps them
    expect((await offer(m, DEVICE, 3, {})).ok).toBe(true);
    expect(m.channelSecrets()).toEqual(s2);
    // and a restart reads them back (still sealed at rest)
    const again = new ConfigBundleManager({ db, trust, clock, identity: me, base, canApplyNow: async () => true, onApplied: () => undefined, channelSecrets: new ChannelSecretsStore({ dataDir: dir, identity: me }) });
    await again.init();
    expect(again.channelSecrets()).toEqual(s2);
    expect(fs.readFileSync(channelSecretsPath(dir), 'utf8')).not.toContain('b'.repeat(32));
  });

  it('refuses (invalid_body, detail "sealed: …") a section at a store level, for another kiosk, older than in force, or with a bad payload', async () => {
    const m = manager();
    await m.init();
    const s = secretsV('c'.repeat(32));
    const atStore = await offer(m, { kind: 'store', store: 's1' }, 1, { sealed: section(1, s) });
    expect(atStore).toMatchObject({ ok: false, reason: 'invalid_body', detail: expect.stringMatching(/^sealed: only a device-scoped bundle/) });
    const other = await offer(m, DEVICE, 1, { sealed: section(1, s, { store: 's1', device: 'd2' }) });
    expect(other).toMatchObject({ ok: false, reason: 'invalid_body', detail: expect.stringMatching(/^sealed: cannot be opened by s1\/d1/) });
    const otherKey = createSealKey(fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-sealed-other-'))).publicKeyPem;
    expect(await offer(m, DEVICE, 2, { sealed: section(1, s, me, otherKey) })).toMatchObject({ ok: false, reason: 'invalid_body' });
    expect((await offer(m, DEVICE, 3, { sealed: section(5, s) })).ok).toBe(true);
    expect(await offer(m, DEVICE, 4, { sealed: section(4, secretsV('d'.repeat(32))) })).toMatchObject({ ok: false, detail: expect.stringMatching(/^sealed\.version: 4 is older/) });
    const bad = { v: 1 as const, version: 6, box: seal(pub, JSON.stringify({ wechat: { appId: 'wx1', apiKey: 'secret-value-xyz' } }), channelSecretsAad('s1', 'd1', 6)) };
    const badR = await offer(m, DEVICE, 5, { sealed: bad });
    expect(badR).toMatchObject({ ok: false, reason: 'invalid_body', detail: expect.stringMatching(/^sealed: payload field wechat/) });
    expect(JSON.stringify(badR)).not.toContain('secret-value-xyz');
    expect(m.channelSecrets()).toEqual(s);
    expect((await m.reported()).find((r) => r.level === 'device')).toMatchObject({ status: 'rejected', reason: 'invalid_body', inForce: 3 });
  });

  it('keeps HQ\'s previous values sealed alongside: previous() opens them, channelSecrets() is the values in force only, the redactor knows both', async () => {
    const m = manager();
    await m.init();
    const old = secretsV('o'.repeat(32));
    const now = secretsV('n'.repeat(32));
    expect((await offer(m, DEVICE, 1, { sealed: section(1, now) })).ok).toBe(true);
    expect(store.previous()).toBeNull();
    expect((await offer(m, DEVICE, 2, { sealed: section(2, { ...now, previous: old } as ChannelSecrets) })).ok).toBe(true);
    expect(m.channelSecrets()).toEqual(now);
    expect(store.previous()).toEqual(old);
    expect(store.describe()).toMatchObject({ version: 2, fingerprints: { 'wechat.apiKey': fingerprint('n'.repeat(32)) }, previousFingerprints: { 'wechat.apiKey': fingerprint('o'.repeat(32)) } });
    expect(changes[1].previousFingerprints?.['wechat.apiKey']).toBe(fingerprint('o'.repeat(32)));
    const held = heldChannelSecretValues(dir, me);
    expect(held).toEqual(expect.arrayContaining(['n'.repeat(32), 'o'.repeat(32)]));
    // never in clear at rest
    expect(fs.readFileSync(channelSecretsPath(dir), 'utf8')).not.toContain('o'.repeat(32));
    // a previous object that is not channel secrets refuses the bundle (the path only, never the value)
    const bad = await offer(m, DEVICE, 3, { sealed: section(3, { ...now, previous: { wechat: { apiKey: 'secret-value-xyz' } } } as unknown as ChannelSecrets) });
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).not.toContain('secret-value-xyz');
    expect(store.previous()).toEqual(old);
  });
});
