import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../config/load';
import type { KioskConfig } from '../../config/schema';
import { SimulatedClock } from '../../kernel/clock';
import { KioskDb } from '../../kernel/sqlite/database';
import { migrate } from '../db/migrations';
import { ConfigBundleManager } from './config-bundles';
import type { Scope } from '../../protocol/signed-envelope';
import { signed, T0, testKey, type TestKey } from '../../test/support/trust';
import { configTopic } from '../../protocol/control/topics';
import { configVersionInForce } from '../../protocol/control/config-bundle';
import { TrustStore } from '../trust/trust-store';

const me = { store: 's1', device: 'd1' };
const FLEET: Scope = { kind: 'fleet' };
const STORE: Scope = { kind: 'store', store: 's1' };
const DEVICE: Scope = { kind: 'device', store: 's1', device: 'd1' };

describe('config bundles', () => {
  let dir: string;
  let db: KioskDb;
  let trust: TrustStore;
  let hq: TestKey;
  let base: KioskConfig;
  let clock: SimulatedClock;
  let idle: boolean;
  let applied: KioskConfig[];

  async function openDb(): Promise<KioskDb> {
    const d = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
    await migrate(d);
    return d;
  }

  function manager(): ConfigBundleManager {
    return new ConfigBundleManager({
      db,
      trust,
      clock,
      identity: me,
      base,
      canApplyNow: async () => idle,
      onApplied: (c) => {
        applied.push(c);
      },
    });
  }

  const bundle = (scope: Scope, version: number, body: unknown, key = hq) => signed(key, { scope, version, body }, clock.now());

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-bundles-'));
    hq = testKey();
    trust = TrustStore.open(dir);
    trust.install([hq.publicPem], { replace: true, now: T0 });
    base = loadConfig({ env: {}, overrides: { dataDir: dir, device: { storeId: 's1', deviceId: 'd1', name: 'Lane 1' } } });
    clock = new SimulatedClock(T0);
    idle = true;
    applied = [];
    db = await openDb();
  });
  afterEach(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('applies an accepted bundle at once when no order is open, and reports it', async () => {
    const m = manager();
    expect((await m.init()).tax.rate).toBe(base.tax.rate);
    const r = await m.offer(configTopic(FLEET), bundle(FLEET, 1, { tax: { rate: 0.06 } }));
    expect(r).toMatchObject({ ok: true, level: 'fleet', applied: true, report: { v: 1, level: 'fleet', version: 1, status: 'applied' } });
    expect(m.current().tax).toEqual({ ...base.tax, rate: 0.06 });
    expect(applied.map((c) => c.tax.rate)).toEqual([0.06]);
    expect(await m.reported()).toEqual([{ v: 1, level: 'fleet', version: 1, status: 'applied', inForce: 1 }]);
  });

  it('precedence: device over store over fleet over the local config', async () => {
    const m = manager();
    await m.init();
    await m.offer(configTopic(DEVICE), bundle(DEVICE, 1, { device: { name: 'Device name' } }));
    await m.offer(configTopic(STORE), bundle(STORE, 1, { device: { name: 'Store name' }, tax: { rate: 0.07 }, loyalty: { points: 2 } }));
    await m.offer(configTopic(FLEET), bundle(FLEET, 1, { device: { name: 'Fleet name' }, tax: { rate: 0.05, mode: 'exclusive' }, timeouts: { paymentMs: 60_000 } }));
    const c = m.current();
    expect(c.device).toEqual({ storeId: 's1', deviceId: 'd1', name: 'Device name' });
    expect(c.tax).toEqual({ ...base.tax, rate: 0.07, mode: 'exclusive' });
    expect(c.loyalty).toEqual({ ...base.loyalty, points: 2 });
    expect(c.timeouts).toEqual({ ...base.timeouts, paymentMs: 60_000 });
    expect(c.dataDir).toBe(base.dataDir);
    expect((await m.reported()).map((r) => [r.level, r.status])).toEqual([
      ['fleet', 'applied'],
      ['store', 'applied'],
      ['device', 'applied'],
    ]);
  });

  it('wrong_scope: topic and signed scope disagree, another store, another device', async () => {
    const m = manager();
    await m.init();
    expect(await m.offer(configTopic(STORE), bundle(FLEET, 1, {}))).toMatchObject({
      ok: false,
      reason: 'wrong_scope',
      detail: 'envelope is for fleet but arrived on the store s1 topic',
      report: { level: 'store', status: 'rejected', reason: 'wrong_scope', version: 1 },
    });
    const otherStore: Scope = { kind: 'store', store: 's2' };
    expect(await m.offer(configTopic(otherStore), bundle(otherStore, 1, {}))).toMatchObject({ ok: false, reason: 'wrong_scope', detail: 'envelope is for store s2, this kiosk is s1/d1' });
    const otherDevice: Scope = { kind: 'device', store: 's1', device: 'd2' };
    expect(await m.offer(configTopic(otherDevice), bundle(otherDevice, 1, {}))).toMatchObject({ ok: false, reason: 'wrong_scope' });
    expect(await m.offer('kiosk/v1/s1/d1/cmd', bundle(DEVICE, 1, {}))).toMatchObject({ ok: false, reason: 'wrong_scope', report: null });
    expect(applied).toEqual([]);
  });

  it('not_newer: the same version again (replay) and a lower one (rollback); a re-delivered retained copy keeps the report', async () => {
    const m = manager();
    await m.init();
    const v2 = bundle(FLEET, 2, { tax: { rate: 0.02 } });
    expect((await m.offer(configTopic(FLEET), v2)).ok).toBe(true);
    // the broker delivers the retained bundle again on reconnect
    expect(await m.offer(configTopic(FLEET), v2)).toMatchObject({ ok: false, reason: 'not_newer', report: { status: 'applied', version: 2 } });
    expect(await m.reported()).toEqual([{ v: 1, level: 'fleet', version: 2, status: 'applied', inForce: 2 }]);
    // a different bundle with the same version is a replay attempt
    expect(await m.offer(configTopic(FLEET), bundle(FLEET, 2, { tax: { rate: 0.5 } }))).toMatchObject({
      ok: false,
      reason: 'not_newer',
      detail: 'version 2 is not newer than 2',
      report: { status: 'rejected', reason: 'not_newer', version: 2 },
    });
    expect(await m.offer(configTopic(FLEET), bundle(FLEET, 1, { tax: { rate: 0.5 } }))).toMatchObject({ ok: false, reason: 'not_newer' });
    expect(m.current().tax.rate).toBe(0.02);
    // versions are per level: version 1 at the store level is fine
    expect((await m.offer(configTopic(STORE), bundle(STORE, 1, { tax: { rate: 0.03 } }))).ok).toBe(true);
  });

  it('a refused older offer after v2 was applied: the report keeps v2 in force and names the refusal apart', async () => {
    const m = manager();
    await m.init();
    expect((await m.offer(configTopic(DEVICE), bundle(DEVICE, 2, { device: { name: 'Two' } }))).ok).toBe(true);
    expect(await m.offer(configTopic(DEVICE), bundle(DEVICE, 1, { device: { name: 'One' } }))).toMatchObject({ ok: false, reason: 'not_newer' });
    const reported = await m.reported();
    expect(reported).toEqual([{ v: 1, level: 'device', version: 1, status: 'rejected', reason: 'not_newer', detail: 'version 1 is not newer than 2', inForce: 2 }]);
    expect(configVersionInForce(reported)).toBe('device:2');
    expect(m.current().device.name).toBe('Two');
    // a reader of the older shape (no inForce): only an applied outcome counts
    expect(configVersionInForce([{ v: 1, level: 'fleet', version: 3, status: 'applied' }, { v: 1, level: 'store', version: 4, status: 'rejected' }])).toBe('fleet:3');
  });

  it('the retained copy of an applied bundle, delivered again after it expired, keeps it in force and the report unchanged', async () => {
    const m = manager();
    await m.init();
    const v1 = bundle(DEVICE, 1, { device: { name: 'Kept' } });
    expect((await m.offer(configTopic(DEVICE), v1)).ok).toBe(true);
    clock.advance(2 * 86_400_000);
    expect(await m.offer(configTopic(DEVICE), v1)).toMatchObject({ ok: false, reason: 'expired', report: { status: 'applied', version: 1 } });
    expect(await m.reported()).toEqual([{ v: 1, level: 'device', version: 1, status: 'applied', inForce: 1 }]);
    expect(m.current().device.name).toBe('Kept');
    // another expired bundle is a rejection
    const stale = signed(hq, { scope: DEVICE, version: 2, body: {}, issuedAt: new Date(T0).toISOString(), expiresAt: new Date(T0 + 1000).toISOString() });
    expect(await m.offer(configTopic(DEVICE), stale)).toMatchObject({ ok: false, reason: 'expired', report: { status: 'rejected', version: 2 } });
  });

  it('invalid_body names the exact field, and forbids dataDir and the device identity', async () => {
    const m = manager();
    await m.init();
    expect(await m.offer(configTopic(FLEET), bundle(FLEET, 1, { tax: { rate: '7%' } }))).toMatchObject({
      ok: false,
      reason: 'invalid_body',
      detail: 'tax.rate: expected number ≥ 0 and ≤ 1, got "7%"',
      report: { level: 'fleet', version: 1, status: 'rejected', reason: 'invalid_body', detail: 'tax.rate: expected number ≥ 0 and ≤ 1, got "7%"' },
    });
    expect(await m.offer(configTopic(FLEET), bundle(FLEET, 1, { taxes: {} }))).toMatchObject({ reason: 'invalid_body', detail: 'taxes: unknown field' });
    expect(await m.offer(configTopic(FLEET), bundle(FLEET, 1, { dataDir: '/tmp/x' }))).toMatchObject({ reason: 'invalid_body', detail: 'dataDir: cannot be set by a config bundle' });
    expect(await m.offer(configTopic(DEVICE), bundle(DEVICE, 1, { device: { storeId: 's9' } }))).toMatchObject({
      reason: 'invalid_body',
      detail: 'device.storeId: cannot be set by a config bundle',
    });
    expect(await m.offer(configTopic(DEVICE), bundle(DEVICE, 1, { device: { deviceId: 'd9' } }))).toMatchObject({ reason: 'invalid_body' });
    expect(await m.offer(configTopic(FLEET), bundle(FLEET, 1, [1, 2]))).toMatchObject({ reason: 'invalid_body' });
    // a rejected version does not count: the same version with a good body is accepted
    expect((await m.offer(configTopic(FLEET), bundle(FLEET, 1, { tax: { rate: 0.07 } }))).ok).toBe(true);
  });

  it('invalid_body when the merge with the other levels fails validation', async () => {
    const m = manager();
    await m.init();
    expect((await m.offer(configTopic(FLEET), bundle(FLEET, 1, { locales: { default: 'en', available: ['en'] } }))).ok).toBe(true);
    expect(await m.offer(configTopic(STORE), bundle(STORE, 1, { locales: { default: 'zh-CN' } }))).toMatchObject({
      reason: 'invalid_body',
      detail: expect.stringContaining('locales.default: expected default to be one of the available locales'),
    });
  });

  it('wrong_kind, expired, not_yet_valid, unknown_key and bad_signature are refused and reported', async () => {
    const m = manager();
    await m.init();
    const cmd = signed(hq, { kind: 'command', scope: DEVICE, body: { id: 'x', name: 'lock', args: {} } }, clock.now());
    expect(await m.offer(configTopic(DEVICE), cmd)).toMatchObject({ ok: false, reason: 'wrong_kind' });
    const old = signed(hq, { scope: FLEET, body: {}, issuedAt: new Date(T0 - 2 * 86_400_000).toISOString(), expiresAt: new Date(T0 - 1).toISOString() }, clock.now());
    expect(await m.offer(configTopic(FLEET), old)).toMatchObject({ ok: false, reason: 'expired' });
    const future = signed(hq, { scope: FLEET, body: {}, issuedAt: new Date(T0 + 10 * 60_000).toISOString() }, clock.now());
    expect(await m.offer(configTopic(FLEET), future)).toMatchObject({ ok: false, reason: 'not_yet_valid' });
    expect(await m.offer(configTopic(FLEET), bundle(FLEET, 1, {}, testKey()))).toMatchObject({ ok: false, reason: 'unknown_key', report: { version: null } });
    const good = bundle(FLEET, 1, { tax: { rate: 0.01 } });
    expect(await m.offer(configTopic(FLEET), good.replace('0.01', '0.02'))).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(applied).toEqual([]);
    expect(await m.reported()).toEqual([
      { v: 1, level: 'fleet', version: null, status: 'rejected', reason: 'bad_signature', detail: `signature does not match key ${hq.keyId}`, inForce: null },
      { v: 1, level: 'device', version: 1, status: 'rejected', reason: 'wrong_kind', detail: 'expected a config envelope, got command', inForce: null },
    ]);
  });

  it('key rotation: a new key is trusted only once a bundle signed by a trusted key announces it', async () => {
    const m = manager();
    await m.init();
    const next = testKey();
    expect(await m.offer(configTopic(FLEET), bundle(FLEET, 1, { tax: { rate: 0.04 } }, next))).toMatchObject({ ok: false, reason: 'unknown_key' });
    // an announcement signed by the new key itself is no announcement
    expect(await m.offer(configTopic(FLEET), bundle(FLEET, 1, { trust: { add: [next.publicPem] } }, next))).toMatchObject({ ok: false, reason: 'unknown_key' });
    expect(trust.get(next.keyId)).toBeUndefined();
    // announced by the trusted key, retiring itself
    expect((await m.offer(configTopic(FLEET), bundle(FLEET, 1, { trust: { add: [next.publicPem], remove: [hq.keyId] } }))).ok).toBe(true);
    expect(TrustStore.open(dir).keyIds()).toEqual([next.keyId]);
    expect((await m.offer(configTopic(FLEET), bundle(FLEET, 2, { tax: { rate: 0.04 } }, next))).ok).toBe(true);
    expect(m.current().tax.rate).toBe(0.04);
    // the retired key is refused from now on
    expect(await m.offer(configTopic(FLEET), bundle(FLEET, 3, { tax: { rate: 0.5 } }, hq))).toMatchObject({ ok: false, reason: 'unknown_key' });
    // and the last key cannot be removed
    expect(await m.offer(configTopic(FLEET), bundle(FLEET, 3, { trust: { remove: [next.keyId] } }, next))).toMatchObject({
      reason: 'invalid_body',
      detail: 'trust.remove: refusing to remove the last trusted key',
    });
    expect(await m.offer(configTopic(FLEET), bundle(FLEET, 3, { trust: { add: ['not a key'] } }, next))).toMatchObject({ reason: 'invalid_body', detail: expect.stringMatching(/^trust\.add\.0: /) });
    expect(TrustStore.open(dir).keyIds()).toEqual([next.keyId]);
  });

  it('holds a bundle as pending while an order is open and applies it when idle', async () => {
    const m = manager();
    await m.init();
    idle = false;
    const r = await m.offer(configTopic(STORE), bundle(STORE, 1, { tax: { rate: 0.08 } }));
    expect(r).toMatchObject({ ok: true, applied: false, report: { status: 'pending', version: 1 } });
    expect(r.ok && r.pending.tax.rate).toBe(0.08);
    expect(m.current().tax.rate).toBe(base.tax.rate);
    expect(await m.notifyIdle()).toBe(false);
    idle = true;
    expect(await m.notifyIdle()).toBe(true);
    expect(m.current().tax.rate).toBe(0.08);
    expect(applied.map((c) => c.tax.rate)).toEqual([0.08]);
    expect(await m.notifyIdle()).toBe(false);
    expect(await m.reported()).toEqual([{ v: 1, level: 'store', version: 1, status: 'applied', inForce: 1 }]);
  });

  it('a crash between accepting and applying keeps the last good config and re-applies the pending one after restart', async () => {
    const m = manager();
    await m.init();
    expect((await m.offer(configTopic(FLEET), bundle(FLEET, 1, { tax: { rate: 0.05 } }))).ok).toBe(true);
    idle = false;
    expect(await m.offer(configTopic(FLEET), bundle(FLEET, 2, { tax: { rate: 0.11 } }))).toMatchObject({ ok: true, applied: false });
    await db.close(); // the kiosk dies with an order open

    db = await openDb();
    applied = [];
    const restarted = manager();
    // still busy after boot (an order was recovered): the last good config is in force
    expect((await restarted.init()).tax.rate).toBe(0.05);
    expect(applied).toEqual([]);
    expect(await restarted.reported()).toEqual([{ v: 1, level: 'fleet', version: 2, status: 'pending', inForce: 1, pending: 2 }]);
    // a replay of the pending version is still refused
    expect(await restarted.offer(configTopic(FLEET), bundle(FLEET, 2, { tax: { rate: 0.9 } }))).toMatchObject({ reason: 'not_newer' });
    idle = true;
    expect(await restarted.notifyIdle()).toBe(true);
    expect(restarted.current().tax.rate).toBe(0.11);
    await db.close();

    db = await openDb();
    applied = [];
    const third = manager();
    expect((await third.init()).tax.rate).toBe(0.11);
    expect(applied).toEqual([]);
  });

  it('a pending bundle left by a crash is applied by init when the kiosk boots idle', async () => {
    idle = false;
    const m = manager();
    await m.init();
    await m.offer(configTopic(DEVICE), bundle(DEVICE, 4, { device: { name: 'Renamed' } }));
    await db.close();
    db = await openDb();
    idle = true;
    const restarted = manager();
    expect((await restarted.init()).device.name).toBe('Renamed');
    expect(applied.map((c) => c.device.name)).toEqual(['Renamed']);
  });
});
