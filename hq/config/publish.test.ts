import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import mqtt from 'mqtt';
import { SimulatedClock } from '../../kernel/clock';
import type { Scope } from '../../protocol/signed-envelope';
import { CONSOLE_BACKENDS, closeConsoleBackends } from '../../test/support/console-fixture';
import { Mosquitto } from '../../test/support/mosquitto';
import type { AlertInput, Alerts, AuditLog, ConsoleContext, LiveHub, LiveTopic } from '../console/types';
import type { IngestStore } from '../ingest/store';
import { DEFAULT_EXPIRY_MS, publishConfig, type PublishDeps } from './publish';
import { ConfigRegistry } from './registry';
import { readRetainedBundle } from './retained';
import { configRenewer, renewDue, RENEW_EVERY_MS } from './renew';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
const DAY = 86_400_000;
const WAIT = 300;
/** For a read that must find a retained bundle: it returns as soon as the bundle arrives (300 ms was too short on a loaded CI machine). */
const FOUND_WAIT = 10_000;

let broker: Mosquitto;
let client: mqtt.MqttClient;
let scopeSeq = 0;

beforeAll(async () => {
  broker = await Mosquitto.start();
  client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
});
afterAll(async () => {
  await client?.endAsync();
  await broker?.close();
  await closeConsoleBackends();
}, 60_000);

/** A store scope no other test used (every test has its own retained topic). */
const freshStore = (): Scope => ({ kind: 'store', store: `s${++scopeSeq}-${Date.now() % 100000}` });

interface Recorded {
  audit: Parameters<AuditLog['record']>[0][];
  live: { topic: LiveTopic; store?: string }[];
  alerts: { source: string; active: readonly AlertInput[] }[];
}

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('config publishing on %s', (_name, backend) => {
  let store: IngestStore;
  let key: KeyObject;
  let clock: SimulatedClock;
  let rec: Recorded;
  let deps: PublishDeps;

  beforeEach(async () => {
    store = await backend.open();
    key = generateKeyPairSync('ed25519').privateKey;
    clock = new SimulatedClock(T0);
    rec = { audit: [], live: [], alerts: [] };
    deps = {
      store,
      mqtt: client,
      hqKey: key,
      clock,
      retainedWaitMs: WAIT,
      audit: { record: async (e) => void rec.audit.push(e) },
      live: { publish: (topic, s) => void rec.live.push({ topic, ...(s ? { store: s } : {}) }) },
    };
  });
  afterEach(async () => {
    await store.close();
  });

  function context(over: Partial<ConsoleContext> = {}): ConsoleContext {
    const alerts: Alerts = { sync: async (source, active) => void rec.alerts.push({ source, active }) };
    const live: LiveHub = { publish: () => undefined };
    return {
      store,
      clock,
      audit: { record: async (e) => void rec.audit.push(e) },
      live,
      alerts,
      settings: { timezone: 'UTC', offlineAlertMs: 300_000, paymentAlert: { declineRate: 0.5, unknownRate: 0.2, minAttempts: 5 } },
      mqtt: client,
      hqKey: key,
      ingest: null,
      ...over,
    };
  }

  it('refuses a body a kiosk would refuse: nothing signed, published or recorded', async () => {
    const scope = freshStore();
    const r = await publishConfig(deps, { scope, body: { tax: { rate: '7%' } }, user: 'alice', kind: 'publish' });
    expect(r).toEqual({ ok: false, refusal: 'invalid', problems: [expect.stringMatching(/^tax\.rate: expected number/)] });
    expect(await readRetainedBundle(client, scope, WAIT)).toBeNull();
    expect(await new ConfigRegistry(store.db.read).history(scope)).toEqual([]);
    expect(rec.audit).toEqual([]);
  });

  it('publishes the next version retained, records it, audits it and tells the pages; refuses a lower or equal one', async () => {
    const scope = freshStore();
    const r1 = await publishConfig(deps, { scope, body: { tax: { rate: 0.07 } }, user: 'alice', kind: 'publish' });
    expect(r1).toMatchObject({ ok: true, version: 1 });
    const r2 = await publishConfig(deps, { scope, body: { tax: { rate: 0.08 } }, user: 'alice', kind: 'publish', version: 5 });
    expect(r2).toMatchObject({ ok: true, version: 5 });
    expect(await readRetainedBundle(client, scope, FOUND_WAIT)).toEqual({ version: 5, expiresAt: new Date(T0 + DEFAULT_EXPIRY_MS).toISOString() });
    for (const v of [5, 4]) {
      const r = await publishConfig(deps, { scope, body: { tax: { rate: 0.09 } }, user: 'alice', kind: 'publish', version: v });
      expect(r).toEqual({ ok: false, refusal: 'not_newer', problems: [expect.stringMatching(new RegExp(`^version ${v} is not newer than version 5`))] });
    }
    expect((await readRetainedBundle(client, scope, FOUND_WAIT))?.version).toBe(5);
    const rows = await new ConfigRegistry(store.db.read).history(scope);
    expect(rows.map((r) => [r.version, JSON.parse(r.body), r.kind, r.published_by, r.expires_at])).toEqual([
      [5, { tax: { rate: 0.08 } }, 'publish', 'alice', T0 + DEFAULT_EXPIRY_MS],
      [1, { tax: { rate: 0.07 } }, 'publish', 'alice', T0 + DEFAULT_EXPIRY_MS],
    ]);
    expect(rec.audit.map((a) => [a.action, a.target, (a.detail as { version: number }).version])).toEqual([
      ['config.publish', `store:${(scope as { store: string }).store}`, 1],
      ['config.publish', `store:${(scope as { store: string }).store}`, 5],
    ]);
    expect(rec.live).toEqual([
      { topic: 'config', store: (scope as { store: string }).store },
      { topic: 'config', store: (scope as { store: string }).store },
    ]);
  });

  it('counts the version retained on the broker even when the registry does not know it', async () => {
    const scope = freshStore();
    // someone pushed v7 without the registry (hq config push without --db)
    expect(await publishConfig({ ...deps, store: null }, { scope, body: {}, user: 'cli', kind: 'publish', version: 7 })).toMatchObject({ ok: true });
    expect(await publishConfig(deps, { scope, body: {}, user: 'alice', kind: 'publish', version: 3 })).toMatchObject({
      ok: false,
      refusal: 'not_newer',
      problems: [expect.stringContaining('retained on the broker')],
    });
    expect(await publishConfig(deps, { scope, body: { loyalty: { per: 50 } }, user: 'alice', kind: 'publish' })).toMatchObject({ ok: true, version: 8 });
  });

  it('validates a store body with the fleet body in force under it', async () => {
    const scope = freshStore();
    await store.db.transaction((tx) =>
      ConfigRegistry.insert(tx, {
        scope: 'fleet',
        version: 1,
        body: JSON.stringify({ locales: { default: 'en', available: ['en'] } }),
        envelope: '{}',
        published_by: 'x',
        published_at: T0,
        expires_at: T0 + DAY,
        kind: 'publish',
        rolled_back_from: null,
      }),
    );
    const r = await publishConfig(deps, { scope, body: { locales: { default: 'zh-CN' } }, user: 'alice', kind: 'publish' });
    expect(r).toMatchObject({ ok: false, refusal: 'invalid', problems: [expect.stringMatching(/^locales\.default: /)] });
  });

  it('refuses without a key or a broker', async () => {
    expect(await publishConfig({ ...deps, hqKey: null }, { scope: freshStore(), body: {}, user: 'a', kind: 'publish' })).toMatchObject({ ok: false, refusal: 'unavailable' });
    expect(await publishConfig({ ...deps, mqtt: null }, { scope: freshStore(), body: {}, user: 'a', kind: 'publish' })).toMatchObject({ ok: false, refusal: 'unavailable' });
  });

  it('the renewer publishes v+1 with the same body when the version in force expires within 7 days, on the injected clock', async () => {
    const scope = freshStore();
    const body = { tax: { rate: 0.07 }, loyalty: { enabled: false } };
    expect(await publishConfig(deps, { scope, body, user: 'alice', kind: 'publish' })).toMatchObject({ ok: true, version: 1 });
    const service = configRenewer(context());
    try {
      // the pass at start: 30 days left, nothing due
      await waitFor(() => rec.alerts.length === 1);
      expect(await new ConfigRegistry(store.db.read).history(scope)).toHaveLength(1);
      // the hourly pass, 7 days and 1 hour before expiry: not due yet
      clock.set(T0 + 23 * DAY - 2 * RENEW_EVERY_MS);
      clock.advance(RENEW_EVERY_MS);
      await waitFor(() => rec.alerts.length === 2);
      expect(await new ConfigRegistry(store.db.read).history(scope)).toHaveLength(1);
      // the next hourly pass, 7 days before expiry: renewed
      clock.advance(2 * RENEW_EVERY_MS);
      await waitFor(() => rec.alerts.length === 3);
    } finally {
      await service.stop();
    }
    const [renewal, first] = await new ConfigRegistry(store.db.read).history(scope);
    expect(renewal).toMatchObject({ version: 2, kind: 'renewal', published_by: 'system', body: first.body });
    expect(renewal.expires_at).toBe(renewal.published_at + DEFAULT_EXPIRY_MS);
    expect(renewal.published_at).toBeGreaterThanOrEqual(T0 + 23 * DAY);
    expect((await readRetainedBundle(client, scope, FOUND_WAIT))?.version).toBe(2);
    expect(rec.alerts.every((a) => a.source === 'config' && a.active.length === 0)).toBe(true);
  });

  it('without a key or broker the renewer raises an alert naming the scope and the expiry instead', async () => {
    const scope = freshStore();
    expect(await publishConfig(deps, { scope, body: {}, user: 'alice', kind: 'publish' })).toMatchObject({ ok: true });
    clock.advance(25 * DAY);
    const out = await renewDue(context({ hqKey: null }));
    expect(out.renewed).toEqual([]);
    const s = (scope as { store: string }).store;
    expect(rec.alerts.at(-1)).toEqual({
      source: 'config',
      active: [
        {
          key: `renew:store:${s}`,
          kind: 'config_expiring',
          severity: 'warning',
          storeId: s,
          message: `config bundle for store ${s} (v1) expires at ${new Date(T0 + DEFAULT_EXPIRY_MS).toISOString()}, cannot renew: no key`,
          text: expect.objectContaining({ key: 'config.alerts.expires' }),
        },
      ],
    });
    expect(await new ConfigRegistry(store.db.read).history(scope)).toHaveLength(1);
  });

  it('does not renew over a newer bundle the broker retains but the registry does not know', async () => {
    const scope = freshStore();
    expect(await publishConfig(deps, { scope, body: { tax: { rate: 0.07 } }, user: 'alice', kind: 'publish' })).toMatchObject({ ok: true, version: 1 });
    expect(await publishConfig({ ...deps, store: null }, { scope, body: { tax: { rate: 0.05 } }, user: 'cli', kind: 'publish' })).toMatchObject({ ok: true, version: 2 });
    clock.advance(25 * DAY);
    const out = await renewDue(context());
    expect(out.renewed).toEqual([]);
    expect(out.problems[0].message).toContain('the broker retains v2');
    expect((await readRetainedBundle(client, scope, FOUND_WAIT))?.version).toBe(2);
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
