/**
 * A kiosk offline from HQ: its balance estimate = HQ's last snapshot + its own completed orders HQ has not counted.
 * Two orders redeeming 60 of 100 points: the second is capped at 40. HQ's next snapshot counts them: no double count,
 * and the kiosk's estimate equals HQ's ledger (protocol/members/points-ledger.ts) over the same journal.
 */
import { engineFixture, line, type Fixture } from './support/engine-fixture';
import { memoryTrust, signed, T0, testKey } from './support/trust';
import { memberStanding } from '../runtime/members/member-store';
import { MembersReceiver } from '../runtime/members/snapshot-receiver';
import { resolvePoints, type PointsEntry } from '../protocol/members/points-ledger';
import type { MemberSnapshot } from '../protocol/members/member-snapshot';
import type { Order } from '../runtime/orders/order';

const hq = testKey();
const ME = { store: 's1', device: 'lane-test' };
const KEY = `${ME.store}/${ME.device}`;

let f: Fixture;
let receiver: MembersReceiver;
let earning = true;
beforeEach(async () => {
  // 1 point = 0.10; 1 point earned per 1.00 paid (switched off where the arithmetic is about redemptions alone)
  f = await engineFixture({ redeem: { points: 1, value: 10 }, points: (paid) => (earning ? Math.floor(paid / 100) : 0) });
  receiver = new MembersReceiver({ db: f.db, trust: memoryTrust(hq), clock: f.clock, identity: ME });
});
afterEach(async () => {
  earning = true;
  await f.close();
});

const offer = (version: number, members: MemberSnapshot['members'], counted: MemberSnapshot['counted']) =>
  receiver.offer(Buffer.from(signed(hq, { kind: 'members', scope: { kind: 'store', store: ME.store }, version, body: { v: 1, members, counted } }, T0)));

async function sale(memberId: string, redeem: number, price = 5000): Promise<Order> {
  let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', price) });
  o = await f.engine.dispatch(o.id, { type: 'member_attached', memberId });
  o = await f.engine.dispatch(o.id, { type: 'points_redeemed', points: redeem });
  o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
  o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: `p-${o.id}`, method: 'cash', amount: o.priced.total });
  o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: `p-${o.id}`, amount: o.priced.total });
  return f.engine.dispatch(o.id, { type: 'order_completed' });
}

/** HQ's ledger entries from this kiosk's journal, as the members contract defines them. */
async function kioskEntries(): Promise<(PointsEntry & { seq: number })[]> {
  const rows = await f.db.read.all<{ seq: number; ts: number; payload: string }>("SELECT seq, ts, payload FROM journal WHERE type = 'order_completed' ORDER BY seq");
  return rows.flatMap((r) => {
    const o = JSON.parse(r.payload).order as Order;
    if (!o.memberId || o.training) return [];
    const base = { memberId: o.memberId, source: KEY, seq: r.seq, ts: r.ts, orderId: o.id };
    return [
      ...(o.pointsEarned > 0 ? [{ ...base, kind: 'earn' as const, points: o.pointsEarned }] : []),
      ...((o.pointsRedeemed ?? 0) > 0 ? [{ ...base, kind: 'redeem' as const, points: o.pointsRedeemed! }] : []),
    ];
  });
}

it('offline: 100 points, redeem 60 then 60 → the second is capped at 40; the next snapshot counts both without double counting', async () => {
  earning = false;
  expect(await offer(1, [['M1', 'personal', 100]], {})).toMatchObject({ status: 'applied' });
  const first = await sale('M1', 60);
  expect(first).toMatchObject({ pointsRedeemed: 60, pointsDiscount: 600, priced: { total: 4400 } });
  expect(await memberStanding(f.db.read, 'M1')).toMatchObject({ balance: 40, redeemable: 40 });
  // the shopper asks for 60 again (a stale screen may still show 100): the transition reads the ledger itself
  const second = await sale('M1', 60);
  expect(second).toMatchObject({ pointsRedeemed: 40, pointsDiscount: 400, priced: { total: 4600 } });
  expect(await memberStanding(f.db.read, 'M1')).toMatchObject({ balance: 0, redeemable: 0 });

  // HQ's ledger over the same facts: the opening balance (adjust) + this kiosk's journal
  const entries = await kioskEntries();
  const ledger = (upTo: number) => resolvePoints([{ memberId: 'M1', source: 'hq', seq: 1, ts: 0, kind: 'adjust', points: 100 }, ...entries.filter((e) => e.seq <= upTo)]).get('M1')!;
  const [s1, s2] = entries.map((e) => e.seq);
  expect(entries.map((e) => [e.kind, e.points])).toEqual([['redeem', 60], ['redeem', 40]]);

  // HQ has counted the first order only (40): + the second order's own −40 = 0
  await offer(2, [['M1', 'personal', ledger(s1).balance]], { [KEY]: s1 });
  expect(ledger(s1).balance).toBe(40);
  expect(await memberStanding(f.db.read, 'M1')).toMatchObject({ balance: 0 });
  // HQ has counted both (0): the snapshot alone, nothing counted twice
  await offer(3, [['M1', 'personal', ledger(s2).balance]], { [KEY]: s2 });
  expect(await memberStanding(f.db.read, 'M1')).toMatchObject({ balance: 0 });
  expect(ledger(s2)).toMatchObject({ balance: 0, conflicts: [] });
  // a snapshot counting another kiosk only (not this one) still counts this kiosk's own orders
  await offer(4, [['M1', 'personal', 100]], { 's1/other': 9 });
  expect(await memberStanding(f.db.read, 'M1')).toMatchObject({ balance: 0 });
  // an older snapshot arriving late changes nothing
  expect(await offer(2, [['M1', 'personal', 100]], {})).toMatchObject({ status: 'rejected', reason: 'not_newer' });
  expect(await memberStanding(f.db.read, 'M1')).toMatchObject({ balance: 0 });
});

it('with earning on, the estimate after the snapshot counts earned and redeemed once each', async () => {
  await offer(1, [['M1', 'personal', 100]], {});
  const a = await sale('M1', 60);
  const b = await sale('M1', 1000);
  const own = 100 - (a.pointsRedeemed ?? 0) + a.pointsEarned - (b.pointsRedeemed ?? 0) + b.pointsEarned;
  expect(b.pointsRedeemed).toBe(40 + a.pointsEarned); // all that was left, earnings included
  expect(await memberStanding(f.db.read, 'M1')).toMatchObject({ balance: own });
  const entries = await kioskEntries();
  const last = Math.max(...entries.map((e) => e.seq));
  const hqBalance = resolvePoints([{ memberId: 'M1', source: 'hq', seq: 1, ts: 0, kind: 'adjust', points: 100 }, ...entries]).get('M1')!.balance;
  expect(hqBalance).toBe(own);
  await offer(2, [['M1', 'personal', hqBalance]], { [KEY]: last });
  expect(await memberStanding(f.db.read, 'M1')).toMatchObject({ balance: own });
});

it('a member not in the snapshot redeems from what this kiosk credited only', async () => {
  await offer(1, [['M1', 'personal', 100]], {});
  const earn = await sale('NEW1', 0);
  expect(earn.pointsEarned).toBeGreaterThan(0);
  const use = await sale('NEW1', 1000);
  expect(use.pointsRedeemed).toBe(earn.pointsEarned);
  expect(await memberStanding(f.db.read, 'NEW1')).toMatchObject({ known: false, balance: use.pointsEarned });
});
