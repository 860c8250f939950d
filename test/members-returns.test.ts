/**
 * A member's sale and its returns, at the kiosk and in HQ's points ledger (SQLite and PostgreSQL): the real engine
 * and the real Returns / Refunds (cash back by the attendant) on a real SQLite file; HQ ingests the kiosk's journal
 * (hq/ingest → hq/members/ledger-projection.ts) and publishes the store's member snapshot back. A return takes back
 * the points earned on the money returned (protocol/members/points-taken-back.ts) — the kiosk's own estimate and
 * HQ's ledger agree after every step, and after HQ's next snapshot nothing is counted twice. HQ's own channel refunds
 * (hq/members/refund-points.ts) take back their share too, and a whole order refunded between the two takes back
 * exactly what it earned.
 */
import { defaultReturnsPolicy } from '../config/returns-policy';
import { SqlAuditLog } from '../hq/audit/audit-log';
import type { IngestStore } from '../hq/ingest/store';
import { importMembers } from '../hq/members/operations';
import { takeBackHqRefundPoints } from '../hq/members/refund-points';
import { balances, ledgerRows } from '../hq/members/registry';
import { snapshotBody } from '../hq/members/snapshot';
import { rowToEntry, type JournalRow } from '../protocol/journal/row';
import type { EventMessage } from '../protocol/sync/messages';
import { memberStanding, replaceSnapshot } from '../runtime/members/member-store';
import type { Order } from '../runtime/orders/order';
import { AttendantCashProvider } from '../runtime/payments/attendant-cash';
import { Refunds } from '../runtime/payments/refunds';
import { Returns } from '../runtime/payments/returns';
import { CONSOLE_BACKENDS, closeConsoleBackends } from './support/console-fixture';
import { engineFixture, line, type Fixture } from './support/engine-fixture';

jest.setTimeout(120_000);
afterAll(closeConsoleBackends, 60_000);

const ME = { store: 'S1', device: 'lane-test' };
const CSV = 'id,type,name,points\nM1,personal,Li Lei,100\n';

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('a member sale returned, kiosk and HQ (%s)', (_name, backend) => {
  let f: Fixture;
  let hq: IngestStore;
  let returns: Returns;
  let version = 0;
  beforeEach(async () => {
    // 1 point per 1.00 paid (the fixture's loyalty); 1 point is worth 0.10 when redeemed
    f = await engineFixture({ redeem: { points: 1, value: 10 } });
    hq = await backend.open();
    expect(await importMembers(hq, new SqlAuditLog(hq.db, f.clock), CSV, { actor: 'cli:test', now: f.clock.now() })).toMatchObject({ ok: true, created: 1 });
    const refunds = new Refunds(f.engine, f.db, [new AttendantCashProvider(async () => true)], { clock: f.clock, deviceId: ME.device });
    returns = new Returns({ engine: f.engine, db: f.db, refunds, clock: f.clock, policy: defaultReturnsPolicy });
    version = 0;
    await publish();
  });
  afterEach(async () => {
    await hq.close();
    await f.close();
  });

  /** HQ's snapshot for the store, applied by the kiosk (as its receiver would after checking the signature). */
  async function publish(): Promise<void> {
    const body = await snapshotBody(hq.db.read, ME.store);
    await f.db.transaction((tx) => replaceSnapshot(tx, ++version, body, ME, f.clock.now()));
  }

  /** HQ ingests the kiosk's whole journal (what it has already is a resend: nothing changes). */
  async function sync(): Promise<void> {
    const rows = await f.db.read.all<JournalRow>('SELECT * FROM journal ORDER BY seq');
    await hq.acceptMany(rows.map((r) => ({ v: 1, storeId: ME.store, ...rowToEntry(r) }) as EventMessage), f.clock.now());
  }

  const kiosk = async () => (await memberStanding(f.db.read, 'M1')).balance;
  const atHq = async () => (await balances(hq.db.read)).get('M1')!.balance;

  /** A return at the lane, a little later (the ledger orders entries by time). */
  const ret = (orderId: string, input: Parameters<Returns['run']>[1]) => {
    f.clock.advance(60_000);
    return returns.run(orderId, input);
  };

  async function sale(): Promise<Order> {
    f.clock.advance(60_000);
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 1234) });
    o = await f.engine.dispatch(o.id, { type: 'item_added', line: line('B', 2500) });
    o = await f.engine.dispatch(o.id, { type: 'item_added', line: line('C', 999) });
    o = await f.engine.dispatch(o.id, { type: 'member_attached', memberId: 'M1' });
    o = await f.engine.dispatch(o.id, { type: 'points_redeemed', points: 30 });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: `p-${o.id}`, method: 'cash', amount: o.priced.total });
    o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: `p-${o.id}`, amount: o.priced.total });
    return f.engine.dispatch(o.id, { type: 'order_completed' });
  }

  const lineNet = (o: Order, id: string) => o.priced.lines.find((l) => l.lineId === id)!.net;

  it('a lane return of one line takes back its share of the points; the estimate equals the ledger before and after the snapshot', async () => {
    const o = await sale();
    const earned = o.pointsEarned;
    expect(o).toMatchObject({ pointsRedeemed: 30, paid: 4733 - 300 });
    expect(earned).toBe(Math.floor(o.paid / 100));
    await sync();
    expect(await kiosk()).toBe(100 - 30 + earned);
    expect(await atHq()).toBe(await kiosk());

    const r = await ret(o.id, { returnId: 'ret-1', reason: 'defective', attendantId: 'att-1', by: 'lane', lineIds: ['L2'] });
    const net = lineNet(o, 'L2');
    const take = Math.floor((earned * net) / o.paid);
    expect(take).toBeGreaterThan(0);
    expect(r.refund).toMatchObject({ amount: net, returnId: 'ret-1', pointsTakenBack: take });
    expect(await kiosk()).toBe(100 - 30 + earned - take);

    // HQ before it has the return: the estimate is ahead of it by exactly the take
    expect(await atHq()).toBe((await kiosk()) + take);
    await sync();
    expect(await atHq()).toBe(await kiosk());
    const refundSeq = (await f.db.read.get<{ seq: number }>("SELECT seq FROM journal WHERE type = 'refund_issued'"))!.seq;
    expect((await ledgerRows(hq.db.read, 'M1')).filter((e) => e.kind === 'reverse')).toEqual([
      { memberId: 'M1', source: 'S1/lane-test', seq: refundSeq, ts: expect.any(Number), kind: 'reverse', points: take, orderId: o.id, origin: 'kiosk', actor: null, reason: null },
    ]);
    // HQ's next snapshot counts the return: the kiosk does not count it a second time
    await publish();
    expect(await kiosk()).toBe(100 - 30 + earned - take);
    // a resend of the journal adds nothing
    await sync();
    expect(await atHq()).toBe(await kiosk());

    // the rest returned: every earned point is gone, the 30 used stay used
    await ret(o.id, { returnId: 'ret-2', reason: 'changed-mind', attendantId: 'att-1', by: 'lane' });
    await sync();
    expect(await kiosk()).toBe(70);
    expect(await atHq()).toBe(70);
    await publish();
    expect(await kiosk()).toBe(70);
    expect((await balances(hq.db.read)).get('M1')).toMatchObject({ earned, redeemed: 30, reversed: earned, adjusted: 100, conflicts: [] });
  });

  it('HQ channel refunds beside the lane return: each takes its share, once; the order refunded in full takes back exactly what it earned', async () => {
    const o = await sale();
    const earned = o.pointsEarned;
    await sync();
    const now = () => f.clock.now();
    const hqTake = (id: string, amount: number, before: number) => {
      f.clock.advance(60_000);
      return hq.db.transaction((tx) => takeBackHqRefundPoints(tx, { store: ME.store, device: ME.device, order: o.id, hqRefundId: id, amount, hqRefundedBefore: before, actor: 'alice', now: now() }));
    };

    // HQ refunds 5.00 of the order (its own series: floor(E · 500 / P))
    const first = await hqTake('desk-1', 500, 0);
    expect(first).toMatchObject({ source: 'hq', kind: 'reverse', points: Math.floor((earned * 500) / o.paid), orderId: o.id, origin: 'refund', actor: 'alice', reason: 'desk-1' });
    expect(await hqTake('desk-1', 500, 0)).toBeNull(); // the same HQ refund again: nothing more
    // the kiosk learns it from the next snapshot (HQ's entries always count in it)
    await publish();
    expect(await kiosk()).toBe(100 - 30 + earned - first!.points);
    expect(await atHq()).toBe(await kiosk());

    // the lane returns line 3 (its own series, on the kiosk's refunds only)
    await ret(o.id, { returnId: 'ret-3', reason: 'defective', attendantId: 'att-1', by: 'lane', lineIds: ['L3'] });
    const laneTake = Math.floor((earned * lineNet(o, 'L3')) / o.paid);
    expect(await kiosk()).toBe(100 - 30 + earned - first!.points - laneTake);
    await sync();
    expect(await atHq()).toBe(await kiosk());

    // HQ refunds all that is left: everything is refunded, so it takes whatever of E the ledger has not taken back
    const rest = o.paid - 500 - lineNet(o, 'L3');
    const last = await hqTake('desk-2', rest, 500);
    expect(last!.points).toBe(earned - first!.points - laneTake);
    expect((await balances(hq.db.read)).get('M1')).toMatchObject({ balance: 70, reversed: earned, conflicts: [] });
    await publish();
    expect(await kiosk()).toBe(70);
  });

  it('points the member already spent are taken back all the same: the balance goes negative and HQ shows the conflict', async () => {
    const o = await sale();
    const earned = o.pointsEarned;
    // the member spends everything, the earned points included, on a small second order (earning less than that)
    f.clock.advance(60_000);
    let b = await f.engine.dispatch(null, { type: 'item_added', line: line('D', 1200) });
    b = await f.engine.dispatch(b.id, { type: 'member_attached', memberId: 'M1' });
    b = await f.engine.dispatch(b.id, { type: 'points_redeemed', points: 70 + earned });
    expect(b.pointsRedeemed).toBe(70 + earned);
    b = await f.engine.dispatch(b.id, { type: 'checkout_started' });
    b = await f.engine.dispatch(b.id, { type: 'payment_started', attemptId: 'p-b', method: 'cash', amount: b.priced.total });
    b = await f.engine.dispatch(b.id, { type: 'payment_approved', attemptId: 'p-b', amount: b.priced.total });
    b = await f.engine.dispatch(b.id, { type: 'order_completed' });
    const afterB = b.pointsEarned;
    expect(afterB).toBeLessThan(earned);
    expect(await kiosk()).toBe(afterB);

    await ret(o.id, { returnId: 'ret-all', reason: 'defective', attendantId: 'att-1', by: 'lane' });
    expect(await kiosk()).toBe(afterB - earned);
    await sync();
    const m = (await balances(hq.db.read)).get('M1')!;
    expect(m.balance).toBe(await kiosk());
    expect(m.conflicts).toEqual([expect.objectContaining({ kind: 'overdrawn', balanceBefore: afterB, entry: expect.objectContaining({ kind: 'reverse', points: earned }), shortfall: earned - afterB })]);
    // nothing left to redeem at the lane until earnings pay it back
    expect((await memberStanding(f.db.read, 'M1')).redeemable).toBe(Math.max(0, afterB - earned));
  });
});
