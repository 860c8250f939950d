/**
 * `points` promotions end to end on the kiosk: the order engine as device/live-config.ts wires it (real SQLite file,
 * config from loadConfig), a member order with a 2× line and a 0× line earns the weighted points; they are journaled
 * in `order_completed` and HQ's ledger projection (hq/members/ledger-projection.ts) reads exactly those; the kiosk's own
 * balance estimate follows; prices are untouched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import type { KioskConfig } from '../config/schema';
import { liveConfigEngine } from '../device/live-config';
import { SimulatedClock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { pointsRowsOf } from '../hq/members/ledger-projection';
import { migrate } from '../runtime/db/migrations';
import { memberStanding, replaceSnapshot } from '../runtime/members/member-store';
import type { OrderEngine } from '../runtime/orders/engine';
import type { Order } from '../runtime/orders/order';
import { TrustStore } from '../runtime/trust/trust-store';
import { line, tempDir } from './support/engine-fixture';

const label = { en: 'x', 'zh-CN': '甲' };
const WEEK = { validFrom: '2026-12-07T00:00:00+08:00', validTo: '2026-12-14T00:00:00+08:00' };
const PROMOTIONS: KioskConfig['promotions'] = [
  { id: 'double-tea', kind: 'points', multiplier: 2, skus: ['TEA'], customerTypes: ['personal'], label, ...WEEK },
  { id: 'no-tobacco', kind: 'points', multiplier: 0, skus: ['CIG', 'GIFT'], label },
  { id: 'tea-off', kind: 'amount_off', amount: 100, skus: ['TEA'], label },
];

let dir: string;
let db: KioskDb;
let clock: SimulatedClock;
let engine: OrderEngine;

beforeEach(async () => {
  dir = tempDir('points-promo-');
  db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
  await migrate(db);
  clock = new SimulatedClock(Date.parse('2026-12-09T10:00:00+08:00'));
  const base = loadConfig({
    env: {},
    overrides: { dataDir: dir, device: { storeId: 's1', deviceId: 'lane-1' }, promotions: PROMOTIONS, loyalty: { enabled: true, points: 1, per: 100, byType: { business: { points: 5, per: 1000 } } } },
  });
  const wired = liveConfigEngine({ db, clock, trust: TrustStore.open(dir), base });
  await wired.init();
  engine = wired.engine;
  await db.transaction((tx) => replaceSnapshot(tx, 1, { v: 1, members: [['P1', 'personal', 0], ['B1', 'business', 0]], counted: {} }, { store: 's1', device: 'lane-1' }, 0));
});
afterEach(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function sale(memberId: string | null): Promise<Order> {
  // TEA 1500 − 100 off = 1400 (2×), CIG 2600 (0×), BREAD 1000 (1×): paid 5000
  let o = await engine.dispatch(null, { type: 'item_added', line: line('TEA', 1500) });
  o = await engine.dispatch(o.id, { type: 'item_added', line: line('CIG', 2600) });
  o = await engine.dispatch(o.id, { type: 'item_added', line: line('BREAD', 1000) });
  if (memberId) o = await engine.dispatch(o.id, { type: 'member_attached', memberId });
  o = await engine.dispatch(o.id, { type: 'checkout_started' });
  o = await engine.dispatch(o.id, { type: 'payment_started', attemptId: `a-${o.id}`, method: 'cash', amount: o.priced.total });
  o = await engine.dispatch(o.id, { type: 'payment_approved', attemptId: `a-${o.id}`, amount: o.priced.total });
  return engine.dispatch(o.id, { type: 'order_completed' });
}

const completedEntry = async (orderId: string) =>
  (await db.read.get<{ seq: number; ts: number; payload: string }>("SELECT seq, ts, payload FROM journal WHERE type = 'order_completed' AND order_id = ?", [orderId]))!;

describe('points promotions on a member order', () => {
  it('a personal member: the 2× line counts twice, the 0× line not at all; journaled; HQ\'s ledger reads the same points', async () => {
    const o = await sale('P1');
    expect(o.state).toBe('completed');
    // prices: only the amount_off applies (the points promotions change no amount)
    expect(o.priced.total).toBe(5000);
    expect(o.priced.discounts.map((d) => d.promotionId)).toEqual(['tea-off']);
    // weighted = 5000 × (2·1400 + 0·2600 + 1·1000) / 5000 = 3800 → floor(3800 / 100) × 1 (without the promotions: 50)
    expect(o.pointsEarned).toBe(38);

    const entry = await completedEntry(o.id);
    const journaled = JSON.parse(entry.payload) as { order: Order };
    expect(journaled.order.pointsEarned).toBe(38);
    expect(pointsRowsOf({ storeId: 's1', deviceId: 'lane-1', seq: entry.seq, ts: entry.ts, orderId: o.id, type: 'order_completed', payload: entry.payload })).toEqual([
      ['P1', 's1/lane-1', entry.seq, 'earn', entry.ts, 38, o.id],
    ]);
    // the kiosk's own estimate credits the same points
    expect((await db.transaction((tx) => memberStanding(tx, 'P1'))).balance).toBe(38);
  });

  it('a business member: the personal-only 2× does not apply, the 0× does; its own earn rule on the weighted total', async () => {
    const o = await sale('B1');
    // weighted = 5000 × (1400 + 0 + 1000) / 5000 = 2400 → floor(2400 / 1000) × 5
    expect(o.pointsEarned).toBe(10);
    expect(JSON.parse((await completedEntry(o.id)).payload).order.pointsEarned).toBe(10);
  });

  it('outside the 2× week only the 0× applies (the schedule is read at completion); no member earns nothing', async () => {
    clock.set(Date.parse('2026-12-14T00:00:00+08:00'));
    const o = await sale('P1');
    // weighted = 5000 × (1400 + 0 + 1000) / 5000 = 2400 → 24
    expect(o.pointsEarned).toBe(24);
    const anon = await sale(null);
    expect(anon.pointsEarned).toBe(0);
    expect(pointsRowsOf({ storeId: 's1', deviceId: 'lane-1', seq: 1, ts: 0, orderId: anon.id, type: 'order_completed', payload: (await completedEntry(anon.id)).payload })).toEqual([]);
  });
});
