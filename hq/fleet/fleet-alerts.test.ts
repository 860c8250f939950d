import { EventEmitter } from 'node:events';
import { SimulatedClock } from '../../kernel/clock';
import { CONSOLE_BACKENDS, closeConsoleBackends } from '../../test/support/console-fixture';
import { chain } from '../../test/support/sync-fixtures';
import { translator } from '../console/i18n';
import type { AlertInput, ConsoleContext, LiveTopic } from '../console/types';
import { FleetView } from '../ingest/fleet';
import type { HqIngest } from '../ingest/ingest';
import type { IngestStore } from '../ingest/store';
import { renderAlertText } from './alert-text';
import { SqlAlerts } from './alerts';
import { evaluateFleetAlerts, fleetAlertsService, newFleetAlertMemory, FLEET_ALERT_SOURCE } from './fleet-alerts';
import { writeFleet } from './fleet-table';

/** Every fleet alert kind raised and cleared on an injected clock, on both store dialects. */

const T = Date.UTC(2026, 11, 6, 9, 0);
const MIN = 60_000;
const birth = (o: object = {}) => JSON.stringify({ v: 1, online: true, ts: T, software: '3.0.1', counters: {}, ...o });
const telemetry = (o: object = {}) => JSON.stringify({ v: 1, ts: T, backlog: 0, uptimeS: 1, disk: {}, devices: null, ...o });

afterAll(closeConsoleBackends, 60_000);

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('fleet alerts on %s', (_name, backend) => {
  let store: IngestStore;
  let view: FleetView;
  let clock: SimulatedClock;
  let alerts: SqlAlerts;
  const memory = newFleetAlertMemory();
  beforeEach(async () => {
    store = await backend.open();
    view = new FleetView();
    clock = new SimulatedClock(T);
    alerts = new SqlAlerts(store.db);
    memory.backlog.clear();
    memory.gaps.clear();
  }, 60_000);
  afterEach(() => store.close());

  /** A kiosk message as HQ's ingest records it (the view, then the table). */
  const hear = async (s: string, d: string, leaf: string, payload: string) => {
    view.apply(`kiosk/v1/${s}/${d}/${leaf}`, payload, clock.now());
    await writeFleet(store.db, view.entriesList());
  };
  const evaluate = async (): Promise<AlertInput[]> => {
    const active = await evaluateFleetAlerts(store, { offlineAlertMs: 5 * MIN }, clock.now(), memory, { gapGraceMs: 30_000 });
    await alerts.sync(FLEET_ALERT_SOURCE, active, clock.now());
    return active;
  };
  const kinds = async () => (await alerts.open({ all: true })).map((a) => `${a.kind} ${a.storeId}/${a.deviceId}`).sort();

  it('offline for longer than the threshold: raised with the kiosk and since when, cleared by a birth, history kept', async () => {
    await hear('S1', 'K1', 'state', birth());
    await hear('S1', 'K1', 'state', JSON.stringify({ v: 1, online: false, ts: T + MIN }));
    clock.advance(5 * MIN);
    await evaluate();
    expect(await kinds()).toEqual([]); // exactly 4 min offline
    clock.advance(2 * MIN);
    await evaluate();
    const [open] = await alerts.open({ all: true });
    expect(open).toMatchObject({ kind: 'offline', severity: 'critical', storeId: 'S1', deviceId: 'K1', raisedAt: T + 7 * MIN });
    expect(open.message).toBe('Kiosk S1/K1 is offline since 2026-12-06 09:01 UTC.');
    await evaluate(); // still offline: still one alert, not a second raise
    expect(await alerts.recent({ all: true }, 10)).toHaveLength(1);
    clock.advance(MIN);
    await hear('S1', 'K1', 'state', birth({ ts: clock.now() }));
    await evaluate();
    expect(await kinds()).toEqual([]);
    expect(await alerts.recent({ all: true }, 10)).toEqual([expect.objectContaining({ kind: 'offline', clearedAt: T + 8 * MIN })]);
  });

  it('payment in doubt from telemetry or from unknown payments; printer out of paper (new and old telemetry)', async () => {
    await hear('S1', 'K1', 'state', birth());
    await hear('S1', 'K1', 'telemetry', telemetry({ paymentsInDoubt: 2, peripherals: { printer: { status: 'online', faults: ['PAPER_OUT'] } } }));
    await hear('S1', 'K2', 'state', birth());
    await hear('S1', 'K2', 'telemetry', telemetry({ devices: { inService: false, reasons: ['printer: paper out'], message: null, light: 'red' } }));
    await store.db.transaction((tx) =>
      tx.run("INSERT INTO payments (store_id, device_id, attempt_id, order_id, channel, status, amount, started_at) VALUES ('S1', 'K2', 'a1', 'o1', 'card', 'unknown', 1234, ?)", [T]),
    );
    const active = await evaluate();
    expect(await kinds()).toEqual(['payment_in_doubt S1/K1', 'payment_in_doubt S1/K2', 'printer_paper_out S1/K1', 'printer_paper_out S1/K2']);
    expect(active.find((a) => a.key === 'payment_in_doubt:S1/K1')?.message).toBe('Kiosk S1/K1 has 2 payments in doubt: the terminal has not said whether they were paid.');
    expect(active.find((a) => a.key === 'printer_paper_out:S1/K1')?.message).toBe('Kiosk S1/K1: the receipt printer is out of paper.');
    // resolved: paper in, the payment known
    await hear('S1', 'K1', 'telemetry', telemetry({ paymentsInDoubt: 0, peripherals: { printer: { status: 'online', faults: [] } } }));
    await hear('S1', 'K2', 'telemetry', telemetry({ devices: { inService: true, reasons: [], message: null, light: 'green' } }));
    await store.db.transaction((tx) => tx.run("UPDATE payments SET status = 'approved' WHERE attempt_id = 'a1'"));
    await evaluate();
    expect(await kinds()).toEqual([]);
  });

  it('backlog growing: strictly rising over the last 3 samples and at least 100', async () => {
    await hear('S1', 'K1', 'state', birth());
    for (const b of [50, 120, 130]) {
      clock.advance(MIN);
      await hear('S1', 'K1', 'telemetry', telemetry({ backlog: b }));
      await evaluate();
    }
    expect(await kinds()).toEqual(['backlog_growing S1/K1']); // 50 < 120 < 130 ≥ 100
    clock.advance(MIN);
    await hear('S1', 'K1', 'telemetry', telemetry({ backlog: 130 }));
    await evaluate();
    expect(await kinds()).toEqual([]); // not strictly rising
    for (const b of [20, 40, 90]) {
      clock.advance(MIN);
      await hear('S1', 'K1', 'telemetry', telemetry({ backlog: b }));
      await evaluate();
    }
    expect(await kinds()).toEqual([]); // rising but below 100
  });

  it('config rejected: raised with the level, version and reason; cleared when an offer is applied', async () => {
    await hear('S1', 'K1', 'state', birth());
    await hear('S1', 'K1', 'config/reported', JSON.stringify({ v: 1, levels: [{ level: 'store', version: 3, status: 'rejected', reason: 'SCHEMA', detail: 'tax.rate: expected number' }] }));
    const active = await evaluate();
    expect(active.map((a) => a.message)).toEqual(['Kiosk S1/K1 refused store config v3 (SCHEMA: tax.rate: expected number).']);
    await hear('S1', 'K1', 'config/reported', JSON.stringify({ v: 1, levels: [{ level: 'store', version: 4, status: 'applied' }] }));
    await evaluate();
    expect(await kinds()).toEqual([]);
  });

  it('journal gap: a hole that persists 30 s, or a broken chain; cleared when closed', async () => {
    const ev = chain('S1', 'K1', 3);
    await store.acceptMany([ev[0], ev[2]], T);
    await evaluate();
    expect(await kinds()).toEqual([]); // the ingest asks for a resend first
    clock.advance(30_000);
    const active = await evaluate();
    expect(active.map((a) => a.message)).toEqual(['Kiosk S1/K1: HQ is missing journal entries 2..2.']);
    await store.acceptMany([ev[1]], T);
    await evaluate();
    expect(await kinds()).toEqual([]);
    await store.db.transaction((tx) => tx.run("UPDATE devices SET chain_ok = 0, chain_error = 'chain break at seq 3' WHERE device_id = 'K1'"));
    await evaluate();
    expect((await alerts.open({ all: true })).map((a) => a.message)).toEqual(["Kiosk S1/K1: its journal chain does not verify at HQ (chain break at seq 3)."]);
  });

  it('every kind carries its words as a text: the same English as its message, and Chinese', async () => {
    await hear('S1', 'K1', 'state', birth());
    await hear('S1', 'K1', 'telemetry', telemetry({ paymentsInDoubt: 1, peripherals: { printer: { status: 'online', faults: ['PAPER_OUT'] } } }));
    await hear('S1', 'K2', 'state', birth());
    await hear('S1', 'K2', 'telemetry', telemetry({ paymentsInDoubt: 3 }));
    await hear('S1', 'K2', 'config/reported', JSON.stringify({ v: 1, levels: [{ level: 'fleet', version: 7, status: 'rejected' }, { level: 'store', version: null, status: 'rejected', reason: 'BAD_SIGNATURE' }, { level: 'device', version: 2, status: 'rejected', reason: 'SIGNATURE' }] }));
    for (const b of [100, 110, 120]) {
      clock.advance(MIN);
      await hear('S1', 'K3', 'telemetry', telemetry({ backlog: b }));
      await evaluate();
    }
    const ev = chain('S1', 'K4', 2);
    await store.acceptMany([ev[0], ev[1]], T);
    await store.db.transaction(async (tx) => {
      await tx.run("UPDATE devices SET chain_ok = 0, chain_error = NULL WHERE device_id = 'K4'");
      await tx.run(
        "INSERT INTO quarantine (store_id, device_id, seq, hash, ts, type, payload, prev_hash, reason, first_seen, last_seen) VALUES ('S1', 'K4', 5, 'h5', ?, 'x', '{}', 'p', 'conflict', ?, ?), ('S1', 'K4', 6, 'h6', ?, 'x', '{}', 'p', 'conflict', ?, ?)",
        [T, T, T, T, T, T],
      );
    });
    const active = await evaluate();
    const en = translator('en');
    const zh = translator('zh-CN');
    const words = Object.fromEntries(
      active.map((a) => [a.key, { message: a.message, en: renderAlertText(a.text!, { t: en, lang: 'en', timeZone: 'UTC' }), zh: renderAlertText(a.text!, { t: zh, lang: 'zh-CN', timeZone: 'UTC' }) }]),
    );
    expect(Object.keys(words).sort()).toEqual([
      'backlog_growing:S1/K3',
      'config_rejected:S1/K2',
      'journal_gap:S1/K4',
      'payment_in_doubt:S1/K1',
      'payment_in_doubt:S1/K2',
      'printer_paper_out:S1/K1',
    ]);
    for (const [k, w] of Object.entries(words)) if (k !== 'config_rejected:S1/K2') expect(w.en).toBe(w.message);
    // the console lists the refusals with the language's list separator
    expect(words['config_rejected:S1/K2'].message).toBe('Kiosk S1/K2 refused fleet config v7, store config (BAD_SIGNATURE), device config v2 (SIGNATURE).');
    expect(words['config_rejected:S1/K2'].en).toBe('Kiosk S1/K2 refused fleet config v7; store config (BAD_SIGNATURE); device config v2 (SIGNATURE).');
    expect(Object.fromEntries(Object.entries(words).map(([k, w]) => [k, w.zh]))).toEqual({
      'backlog_growing:S1/K3': '收银机 S1/K3：有 120 条日志记录等待上传总部，且仍在增加。',
      'config_rejected:S1/K2': '收银机 S1/K2 拒绝了配置：全局配置 v7；门店配置（BAD_SIGNATURE）；单机配置 v2（SIGNATURE）。',
      'journal_gap:S1/K4': '收银机 S1/K4：日志哈希链在总部校验失败；有 2 条日志记录（序号 5..6）与总部的副本冲突，已隔离保存。',
      'payment_in_doubt:S1/K1': '收银机 S1/K1 有 1 笔支付状态未知：支付终端尚未确认是否已付款。',
      'payment_in_doubt:S1/K2': '收银机 S1/K2 有 3 笔支付状态未知：支付终端尚未确认是否已付款。',
      'printer_paper_out:S1/K1': '收银机 S1/K1：小票打印机缺纸。',
    });
  });

  it('a retired kiosk raises nothing', async () => {
    await hear('S1', 'K1', 'state', birth());
    await hear('S1', 'K1', 'state', JSON.stringify({ v: 1, online: false, ts: T + 1 }));
    await hear('S1', 'K1', 'telemetry', telemetry({ paymentsInDoubt: 1 }));
    const ev = chain('S1', 'K1', 3);
    await store.acceptMany([ev[0], ev[2]], T);
    await evaluate();
    clock.advance(60 * MIN);
    await evaluate();
    expect(await kinds()).toEqual(['journal_gap S1/K1', 'offline S1/K1', 'payment_in_doubt S1/K1']);
    await store.retireKiosk('S1', 'K1', 'alice', clock.now());
    clock.advance(MIN);
    await evaluate();
    expect(await kinds()).toEqual([]);
  });

  it('scopes reads and acknowledges once', async () => {
    await alerts.sync('x', [{ key: 'a', kind: 'offline', severity: 'critical', storeId: 'S1', deviceId: 'K1', message: 'one' }, { key: 'b', kind: 'offline', severity: 'warning', storeId: 'S2', deviceId: 'K1', message: 'two' }], T);
    expect((await alerts.open({ all: false, stores: ['S2'] })).map((a) => a.message)).toEqual(['two']);
    expect(await alerts.open({ all: false, stores: [] })).toEqual([]);
    const [a] = await alerts.open({ all: false, stores: ['S1'] });
    expect(await alerts.ack(a.id, 'bob', T + 1)).toBe(true);
    expect(await alerts.ack(a.id, 'eve', T + 2)).toBe(true);
    expect(await alerts.get(a.id)).toMatchObject({ ackedBy: 'bob', ackedAt: T + 1 });
    expect(await alerts.ack(999_999, 'bob', T)).toBe(false);
  });

  it('as a service, evaluates again soon after an ingest fleet change (not only every 15 s)', async () => {
    await hear('S1', 'K1', 'state', birth());
    const ingest = new EventEmitter();
    const ctx = {
      store,
      clock,
      alerts,
      live: { publish: () => undefined },
      settings: { timezone: 'UTC', offlineAlertMs: 5 * MIN, paymentAlert: { declineRate: 1, unknownRate: 1, minAttempts: 1 } },
      ingest: ingest as unknown as HqIngest,
      mqtt: null,
      hqKey: null,
      audit: { record: async () => undefined },
    } satisfies ConsoleContext;
    const svc = fleetAlertsService()(ctx);
    try {
      await new Promise((r) => setTimeout(r, 100));
      await hear('S1', 'K1', 'telemetry', telemetry({ paymentsInDoubt: 1 }));
      ingest.emit('fleet', { storeId: 'S1', deviceId: 'K1' });
      clock.advance(2000);
      for (let i = 0; i < 40 && (await kinds()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await kinds()).toEqual(['payment_in_doubt S1/K1']);
      expect(clock.now() - T).toBeLessThan(15_000);
    } finally {
      await svc.stop();
    }
  });

  it('runs as a service every 15 s on the clock and tells open pages of the store whose alerts changed', async () => {
    await hear('S1', 'K1', 'state', birth());
    await hear('S1', 'K1', 'state', JSON.stringify({ v: 1, online: false, ts: T }));
    const live: { topic: LiveTopic; storeId?: string }[] = [];
    const ctx = {
      store,
      clock,
      alerts,
      live: { publish: (topic: LiveTopic, storeId?: string) => void live.push({ topic, storeId }) },
      settings: { timezone: 'UTC', offlineAlertMs: 5 * MIN, paymentAlert: { declineRate: 1, unknownRate: 1, minAttempts: 1 } },
      ingest: null,
      mqtt: null,
      hqKey: null,
      audit: { record: async () => undefined },
    } satisfies ConsoleContext;
    const svc = fleetAlertsService()(ctx);
    try {
      // a run under load may outlast a 50 ms step: keep the clock going (each step one period) until the alert, not a
      // fixed number of steps
      const deadline = Date.now() + 30_000;
      while ((await kinds()).length === 0 && Date.now() < deadline) {
        clock.advance(15_000);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await kinds()).toEqual(['offline S1/K1']);
      expect(clock.now() - T).toBeGreaterThan(5 * MIN);
      expect(live).toEqual(expect.arrayContaining([{ topic: 'alerts', storeId: 'S1' }, { topic: 'fleet', storeId: 'S1' }]));
    } finally {
      await svc.stop();
    }
  });
});
