import { KioskDb } from '../../kernel/sqlite/database';
import { applyMigrations } from '../../kernel/sqlite/migrate';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, INGEST_TARGETS, InjectBrowser } from '../../test/support/console-fixture';
import { insertPayment } from '../../test/support/stats-fixture';
import { addUser } from '../console/users';
import { FleetView } from '../ingest/fleet';
import { INGEST_MIGRATIONS } from '../ingest/schema';
import { IngestStore } from '../ingest/store';
import { renewDue } from '../config/renew';
import { paymentAlerts } from '../stats/payment-alerts';
import { MAX_ALERT_TEXT_JSON } from './alert-text';
import { SqlAlerts } from './alerts';
import { evaluateFleetAlerts, FLEET_ALERT_SOURCE, newFleetAlertMemory } from './fleet-alerts';
import { writeFleet } from './fleet-table';

/**
 * Alert texts in the reader's language: the real evaluators raise offline, config-refused and payment decline-rate
 * alerts; /alerts and the kiosk page show them in Chinese to a zh-CN user and in English to an en user, times in the
 * chain's zone; a row stored without a translatable text still shows its English message. Both store dialects.
 */

const PW = 'correct horse battery';
const T0 = Date.UTC(2026, 11, 6, 9, 0);
const MIN = 60_000;
const MARKUP = '<b>tax</b>';

afterAll(closeConsoleBackends, 60_000);

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('alert texts on %s', (_name, backend) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;

  beforeEach(async () => {
    store = await backend.open();
    await addUser(store.db, { username: 'admin1', password: PW, role: 'admin', stores: [] }, T0);
    const view = new FleetView();
    view.apply('kiosk/v1/S1/K1/state', JSON.stringify({ v: 1, online: true, ts: T0 - 20 * MIN, software: '3.0.1' }), T0 - 20 * MIN);
    view.apply('kiosk/v1/S1/K1/config/reported', JSON.stringify({ v: 1, levels: [{ level: 'store', version: 3, status: 'rejected', reason: 'SCHEMA', detail: MARKUP }] }), T0 - 20 * MIN);
    view.apply('kiosk/v1/S1/K1/state', JSON.stringify({ v: 1, online: false, ts: T0 - 10 * MIN }), T0 - 10 * MIN);
    await writeFleet(store.db, view.entriesList());
    // S1 card, last hour: 4 approved, 3 declined (42.9 % over the 30 % threshold, 7 ≥ 5 attempts)
    for (let i = 0; i < 7; i++) {
      await insertPayment(store, { storeId: 'S1', deviceId: 'K2', orderId: `o${i}`, attemptId: `a${i}`, channel: 'card', status: i < 4 ? 'approved' : 'declined', amount: 1000, startedAt: T0 - (5 + i) * MIN });
    }
    fx = await consoleFixture(store, {}, T0);
    fx.ctx.settings.timezone = 'Asia/Shanghai';
    fx.ctx.settings.paymentAlert = { declineRate: 0.3, unknownRate: 0.1, minAttempts: 5 };
    const alerts = new SqlAlerts(store.db);
    await alerts.sync(FLEET_ALERT_SOURCE, await evaluateFleetAlerts(store, fx.ctx.settings, T0, newFleetAlertMemory()), T0);
    await alerts.sync('payments', await paymentAlerts(fx.ctx, T0), T0);
    // as rows written before alerts carried a translatable text
    await alerts.sync('legacy', [{ key: 'old', kind: 'offline', severity: 'warning', storeId: 'S1', deviceId: 'K1', message: 'Legacy words from an old HQ.' }], T0);
  }, 60_000);
  afterEach(async () => {
    await fx.app.close();
    await store.close();
  });

  const admin = async (): Promise<InjectBrowser> => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login('admin1', PW)).statusCode).toBe(303);
    return b;
  };

  it('/alerts reads in Chinese for a zh-CN user and in English for an en user; an old row shows its message', async () => {
    const b = await admin();
    const zh = (await b.get('/alerts?lang=zh-CN')).body;
    expect(zh).toContain('收银机 S1/K1 自 2026-12-06 16:50:00 起离线。');
    expect(zh).toContain('收银机 S1/K1 拒绝了配置：门店配置 v3（SCHEMA: &lt;b&gt;tax&lt;/b&gt;）。');
    expect(zh).toContain('银行卡：最近 1 小时 7 笔支付中拒绝率 42.9 %（阈值 30 %）');
    expect(zh).toContain('支付拒绝率过高');
    expect(zh).not.toContain('is offline since');
    expect(zh).not.toContain('payments declined');
    expect(zh).not.toContain(MARKUP);
    expect(zh).toContain('Legacy words from an old HQ.');

    const en = (await b.get('/alerts?lang=en')).body;
    expect(en).toContain('Kiosk S1/K1 is offline since 2026-12-06 16:50:00.');
    expect(en).toContain('Kiosk S1/K1 refused store config v3 (SCHEMA: &lt;b&gt;tax&lt;/b&gt;).');
    expect(en).toContain('Card: 42.9 % of 7 payments declined in the last hour (threshold 30 %)');
    expect(en).not.toContain('收银机');
    expect(en).not.toContain(MARKUP);
    expect(en).toContain('Legacy words from an old HQ.');
  });

  it('a stored text that is garbage, of an unknown key or missing a param shows the English message instead', async () => {
    const alerts = new SqlAlerts(store.db);
    await alerts.sync(
      'odd',
      ['garbage', 'unknown', 'noparam', 'deep'].map((k) => ({ key: k, kind: 'offline', severity: 'warning' as const, storeId: 'S1', deviceId: 'K1', message: `English words ${k}.` })),
      T0,
    );
    const stored: Record<string, string> = {
      garbage: '{"key": "fleet.alerts.text.paperOut", "params": ',
      unknown: JSON.stringify({ key: 'fleet.alerts.text.noSuchText', params: { kiosk: 'S1/K1' } }),
      noparam: JSON.stringify({ key: 'fleet.alerts.text.paperOut', params: { other: 'S1/K1' } }),
      deep: JSON.stringify({ key: 'fleet.alerts.text.paperOut', params: { kiosk: { texts: [{ key: 'a', params: { b: { texts: [{ key: 'c', params: { d: { texts: [{ key: 'fleet.nav' }] } } }] } } }] } } }),
    };
    for (const [k, json] of Object.entries(stored)) await store.db.transaction((tx) => tx.run("UPDATE alerts SET text_json = ? WHERE source = 'odd' AND key = ?", [json, k]));
    const read = Object.fromEntries((await alerts.open({ all: true })).filter((a) => a.key in stored).map((a) => [a.key, a.text === null ? null : a.text.key]));
    // garbage and too deep read as no text; the others are well-formed but cannot be rendered
    expect(read).toEqual({ garbage: null, unknown: 'fleet.alerts.text.noSuchText', noparam: 'fleet.alerts.text.paperOut', deep: null });
    const b = await admin();
    for (const lang of ['zh-CN', 'en']) {
      const body = (await b.get(`/alerts?lang=${lang}`)).body;
      for (const k of Object.keys(stored)) expect(body).toContain(`English words ${k}.`);
      expect(body).not.toContain('{kiosk}');
    }
  });

  it('keeps the text up to date with the words of an open alert, and stores none that is too large', async () => {
    const alerts = new SqlAlerts(store.db);
    const offline = (since: number) => ({ key: 'k', kind: 'offline', severity: 'critical' as const, storeId: 'S1', deviceId: 'K1', message: 'Kiosk S1/K1 is offline.', text: { key: 'fleet.alerts.text.offline', params: { kiosk: 'S1/K1', since: { time: since } } } });
    await alerts.sync('upd', [offline(T0 - MIN)], T0);
    await alerts.sync('upd', [offline(T0 - 2 * MIN)], T0 + MIN); // the same message, other words in the text
    const [a] = (await alerts.open({ all: true })).filter((x) => x.key === 'k');
    expect(a.raisedAt).toBe(T0);
    expect(a.text).toEqual({ key: 'fleet.alerts.text.offline', params: { kiosk: 'S1/K1', since: { time: T0 - 2 * MIN } } });
    const huge = { ...offline(T0), key: 'huge', text: { key: 'fleet.alerts.text.journal', params: { kiosk: 'S1/K1', problems: { texts: Array.from({ length: 16 }, () => ({ key: 'fleet.alerts.text.journalBroken', params: { error: 'x'.repeat(1000) } })) } } } };
    await alerts.sync('upd', [offline(T0), huge], T0 + 2 * MIN);
    const rows = await store.db.read.all<{ key: string; text_json: string | null; message: string }>("SELECT key, text_json, message FROM alerts WHERE source = 'upd' ORDER BY key");
    expect(rows.map((r) => [r.key, r.text_json === null ? null : r.text_json.length <= MAX_ALERT_TEXT_JSON])).toEqual([['huge', null], ['k', true]]);
    expect(rows[0].message).toBe('Kiosk S1/K1 is offline.');
  });

  it('a config bundle that cannot be renewed reads in the reader’s language', async () => {
    await store.db.transaction(async (tx) => {
      for (const [scope, expires] of [['store:S1', T0 - MIN], ['fleet', T0 + 3 * 86_400_000]] as const) {
        await tx.run(
          "INSERT INTO config_versions (scope, version, body, envelope, published_by, published_at, expires_at, kind) VALUES (?, 4, '{}', '{}', 'alice', ?, ?, 'publish')",
          [scope, T0 - 30 * 86_400_000, expires],
        );
      }
    });
    fx.ctx.alerts = new SqlAlerts(store.db);
    expect((await renewDue(fx.ctx)).problems.map((p) => p.message)).toEqual([
      `config bundle for fleet (v4) expires at ${new Date(T0 + 3 * 86_400_000).toISOString()}, cannot renew: no key/broker`,
      `config bundle for store S1 (v4) expired at ${new Date(T0 - MIN).toISOString()}, cannot renew: no key/broker`,
    ]);
    const b = await admin();
    const zh = (await b.get('/alerts?lang=zh-CN')).body;
    expect(zh).toContain('全局的配置包（v4）将于 2026-12-09 17:00:00 过期，无法自动续期：未配置签名密钥和消息代理');
    expect(zh).toContain('门店 S1 的配置包（v4）已于 2026-12-06 16:59:00 过期，无法自动续期：未配置签名密钥和消息代理');
    expect(zh).toContain('<td>配置到期</td>');
    const en = (await b.get('/alerts?lang=en')).body;
    expect(en).toContain('config bundle for store S1 (v4) expired at 2026-12-06 16:59:00, cannot renew: no key/broker');
  });

  it('the kiosk page lists its open alerts in the reader’s language', async () => {
    const b = await admin();
    const zh = (await b.get('/fleet/S1/K1?lang=zh-CN')).body;
    const zhList = /<ul id="kiosk-alerts">[\s\S]*?<\/ul>/.exec(zh)![0];
    expect(zhList).toContain('收银机 S1/K1 自 2026-12-06 16:50:00 起离线。');
    expect(zhList).toContain('收银机 S1/K1 拒绝了配置：门店配置 v3（SCHEMA: &lt;b&gt;tax&lt;/b&gt;）。');
    expect(zhList).toContain('Legacy words from an old HQ.');
    expect(zhList).not.toContain('refused');
    const en = (await b.get('/fleet/S1/K1?lang=en')).body;
    const enList = /<ul id="kiosk-alerts">[\s\S]*?<\/ul>/.exec(en)![0];
    expect(enList).toContain('Kiosk S1/K1 is offline since 2026-12-06 16:50:00.');
    expect(enList).toContain('Kiosk S1/K1 refused store config v3 (SCHEMA: &lt;b&gt;tax&lt;/b&gt;).');
  });
});

describe.each(INGEST_TARGETS)('an HQ store from before alert texts (schema v9) on %s', (name, fresh) => {
  it('opens with its alerts: the column is added, old rows have no text and keep their message', async () => {
    const target = await fresh();
    const insertOld = "INSERT INTO alerts (source, key, kind, severity, store_id, device_id, message, raised_at) VALUES ('fleet', 'offline:S1/K1', 'offline', 'critical', 'S1', 'K1', 'Kiosk S1/K1 is offline since 2026-12-06 08:50 UTC.', ?)";
    if (name === 'SQLite') {
      const db = await KioskDb.open(target);
      expect(await applyMigrations(db, INGEST_MIGRATIONS.filter((m) => m.version <= 8))).toBe(8);
      await db.transaction((tx) => tx.run(insertOld, [T0]));
      await db.close();
    } else {
      const before = await IngestStore.open(target);
      await before.db.transaction(async (tx) => {
        await tx.exec('ALTER TABLE alerts DROP COLUMN text_json');
        await tx.run(insertOld, [T0]);
      });
      await before.close();
    }
    const store = await IngestStore.open(target);
    try {
      const alerts = new SqlAlerts(store.db);
      expect(await alerts.open({ all: true })).toEqual([expect.objectContaining({ key: 'offline:S1/K1', message: 'Kiosk S1/K1 is offline since 2026-12-06 08:50 UTC.', text: null })]);
      // the next evaluation gives the open alert its text
      const text = { key: 'fleet.alerts.text.offline', params: { kiosk: 'S1/K1', since: { time: T0 - 10 * MIN } } };
      await alerts.sync('fleet', [{ key: 'offline:S1/K1', kind: 'offline', severity: 'critical', storeId: 'S1', deviceId: 'K1', message: 'Kiosk S1/K1 is offline since 2026-12-06 08:50 UTC.', text }], T0 + MIN);
      expect(await alerts.open({ all: true })).toEqual([expect.objectContaining({ raisedAt: T0, text })]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
