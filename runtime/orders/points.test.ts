/** Members on the order: customer type from the stored snapshot, points redemption, the kiosk's own points ledger. */
import { engineFixture, line, type Fixture } from '../../test/support/engine-fixture';
import { isKioskError } from '../../kernel/errors';
import { memberStanding, replaceSnapshot } from '../members/member-store';
import { OrderEngine } from './engine';
import type { Order } from './order';
import type { PriceExtras } from './reduce';
import { priceCart } from '../pricing/price-cart';

const RATE = { points: 10, value: 100 }; // 10 points = 1.00
const ME = { store: 's1', device: 'lane-test' };

let f: Fixture;
beforeEach(async () => {
  f = await engineFixture({ redeem: RATE });
  await f.db.transaction((tx) =>
    replaceSnapshot(tx, 1, { v: 1, members: [['B1', 'business', 500], ['G1', 'group', 35], ['P1', 'personal', 100]], counted: {} }, ME, 0),
  );
});
afterEach(() => f.close());

async function cart(prices: number[], memberId?: string): Promise<Order> {
  let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', prices[0]) });
  for (const [i, p] of prices.slice(1).entries()) o = await f.engine.dispatch(o.id, { type: 'item_added', line: line(`X${i}`, p) });
  if (memberId) o = await f.engine.dispatch(o.id, { type: 'member_attached', memberId });
  return o;
}

async function payAndComplete(o: Order): Promise<Order> {
  o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
  o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: `a-${o.id}`, method: 'cash', amount: o.priced.total });
  o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: `a-${o.id}`, amount: o.priced.total });
  return f.engine.dispatch(o.id, { type: 'order_completed' });
}

const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return isKioskError(e) ? `${e.code}: ${e.message}` : String(e);
  }
  return 'accepted';
};

describe('customer type on the order', () => {
  it('comes from the stored snapshot when the member is attached; unknown members and no member are personal', async () => {
    const none = await cart([1000]);
    expect(none.customerType).toBe('personal');
    await f.engine.dispatch(none.id, { type: 'order_cancelled', reason: 't' });
    const o = await cart([1000], 'B1');
    expect(o.customerType).toBe('business');
    await f.engine.dispatch(o.id, { type: 'order_cancelled', reason: 't' });
    const n = await cart([1000], 'NEW-MEMBER');
    expect(n).toMatchObject({ memberId: 'NEW-MEMBER', customerType: 'personal' });
  });

  it("prices a line at the item's business price once a business member is attached", async () => {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 1000, { typePrices: { business: 800 } }) });
    expect(o.priced.total).toBe(1000);
    o = await f.engine.dispatch(o.id, { type: 'member_attached', memberId: 'B1' });
    expect(o.priced.total).toBe(800);
    expect(o.lines[0].typePrices).toEqual({ business: 800 });
  });

  it('is passed to pricing with the points discount, on every reprice', async () => {
    const seen: PriceExtras[] = [];
    const engine = new OrderEngine({
      db: f.db,
      clock: f.clock,
      deviceId: 'lane-test',
      price: (lines, memberAttached, extras) => {
        seen.push(extras);
        return priceCart(lines, { promotions: [], taxRates: { standard: 0.13 }, taxMode: 'inclusive', memberAttached, ...extras, now: f.clock.now() });
      },
      points: () => 0,
      member: memberStanding,
      redeem: () => RATE,
    });
    let o = await engine.dispatch(null, { type: 'item_added', line: line('A', 1000) });
    o = await engine.dispatch(o.id, { type: 'member_attached', memberId: 'G1' });
    expect(seen.at(-1)).toEqual({ customerType: 'group', pointsDiscount: 0 });
    o = await engine.dispatch(o.id, { type: 'points_redeemed', points: 30 });
    expect(seen.at(-1)).toEqual({ customerType: 'group', pointsDiscount: 300 });
    await engine.dispatch(o.id, { type: 'item_added', line: line('B', 200) });
    expect(seen.at(-1)).toEqual({ customerType: 'group', pointsDiscount: 300 });
  });
});

describe('points redemption', () => {
  it('sets the points and their value, capped at the balance (in whole steps) and below the total; 0 takes them back', async () => {
    let o = await cart([1000], 'G1'); // 35 points → 30 usable (3 steps)
    o = await f.engine.dispatch(o.id, { type: 'points_redeemed', points: 100 });
    expect(o).toMatchObject({ pointsRedeemed: 30, pointsDiscount: 300 });
    o = await f.engine.dispatch(o.id, { type: 'points_redeemed', points: 0 });
    expect(o).toMatchObject({ pointsRedeemed: 0, pointsDiscount: 0 });
    await f.engine.dispatch(o.id, { type: 'order_cancelled', reason: 't' });

    let b = await cart([250], 'B1'); // 500 points, but the order is 2.50: at most 2.00 off (something is left to pay)
    b = await f.engine.dispatch(b.id, { type: 'points_redeemed', points: 500 });
    expect(b).toMatchObject({ pointsRedeemed: 20, pointsDiscount: 200 });
  });

  it('shrinks when a line is voided and the total no longer covers the points', async () => {
    let o = await cart([1000, 500], 'B1');
    o = await f.engine.dispatch(o.id, { type: 'points_redeemed', points: 120 });
    expect(o).toMatchObject({ pointsRedeemed: 120, pointsDiscount: 1200 });
    await f.engine.dispatch(o.id, { type: 'void_requested', lineId: 'L1' });
    o = await f.engine.dispatch(o.id, { type: 'attendant_approved', attendantId: 'att' });
    expect(o.lines.map((l) => l.unitPrice)).toEqual([500]);
    expect(o).toMatchObject({ pointsRedeemed: 40, pointsDiscount: 400 });
  });

  it('is refused without a member, with a bad amount, once something is paid, and when redemption is off', async () => {
    const o = await cart([1000]);
    expect(await refusal(f.engine.dispatch(o.id, { type: 'points_redeemed', points: 10 }))).toMatch(/GUARD_REJECTED.*no member is attached/);
    const m = await f.engine.dispatch(o.id, { type: 'member_attached', memberId: 'B1' });
    for (const bad of [-10, 2.5, Number.NaN]) {
      expect(await refusal(f.engine.dispatch(m.id, { type: 'points_redeemed', points: bad }))).toMatch(/points must be a non-negative integer/);
    }
    let p = await f.engine.dispatch(m.id, { type: 'checkout_started' });
    p = await f.engine.dispatch(p.id, { type: 'payment_started', attemptId: 'a1', method: 'cash', amount: 100 });
    p = await f.engine.dispatch(p.id, { type: 'payment_approved', attemptId: 'a1', amount: 100 });
    expect(p.state).toBe('awaiting_payment');
    expect(await refusal(f.engine.dispatch(p.id, { type: 'points_redeemed', points: 10 }))).toMatch(/already paid/);

    const off = await engineFixture();
    try {
      let q = await off.engine.dispatch(null, { type: 'item_added', line: line('A', 1000) });
      q = await off.engine.dispatch(q.id, { type: 'member_attached', memberId: 'B1' });
      expect(await refusal(off.engine.dispatch(q.id, { type: 'points_redeemed', points: 10 }))).toMatch(/redemption is off/);
      expect((await off.engine.dispatch(q.id, { type: 'points_redeemed', points: 0 })).pointsRedeemed).toBe(0);
    } finally {
      await off.close();
    }
  });

  it("another member's card drops the points the previous member used", async () => {
    let o = await cart([1000], 'B1');
    o = await f.engine.dispatch(o.id, { type: 'points_redeemed', points: 50 });
    o = await f.engine.dispatch(o.id, { type: 'member_attached', memberId: 'G1' });
    expect(o).toMatchObject({ memberId: 'G1', customerType: 'group', pointsRedeemed: 0, pointsDiscount: 0 });
  });

  it('completion records earned and redeemed under the order_completed seq, and the journal carries the fields', async () => {
    let o = await cart([2000], 'P1');
    o = await f.engine.dispatch(o.id, { type: 'points_redeemed', points: 50 });
    const done = await payAndComplete(o);
    const entry = (await f.db.read.get<{ seq: number; payload: string }>("SELECT seq, payload FROM journal WHERE type = 'order_completed'"))!;
    const snap = JSON.parse(entry.payload).order as Order;
    expect(snap).toMatchObject({ memberId: 'P1', customerType: 'personal', pointsRedeemed: 50, pointsDiscount: 500, pointsEarned: done.pointsEarned });
    expect(await f.db.read.all('SELECT seq, member_id, order_id, earned, redeemed FROM member_points_local')).toEqual([
      { seq: entry.seq, member_id: 'P1', order_id: o.id, earned: done.pointsEarned, redeemed: 50 },
    ]);
    expect(await memberStanding(f.db.read, 'P1')).toMatchObject({ balance: 100 - 50 + done.pointsEarned });
  });
});

describe('points redemption with tax added at the till (exclusive)', () => {
  it('caps the points at the amount before tax, so every point used is a discount the cart applied', async () => {
    await f.close();
    f = await engineFixture({ redeem: RATE, taxMode: 'exclusive' });
    await f.db.transaction((tx) => replaceSnapshot(tx, 1, { v: 1, members: [['B1', 'business', 500]], counted: {} }, ME, 0));
    // 10.00 before tax, 11.30 with 13 %: the member has 50.00 of points and asks for all of them
    let o = await cart([1000], 'B1');
    o = await f.engine.dispatch(o.id, { type: 'points_redeemed', points: 500 });
    const applied = o.priced.discounts.find((d) => d.promotionId === 'points')?.amount ?? 0;
    expect(o.pointsDiscount).toBe(applied);
    expect(o.pointsRedeemed).toBe((applied / RATE.value) * RATE.points);
    expect(applied).toBe(900); // whole steps of 1.00, leaving something to pay before tax
    expect(o.priced.total).toBeGreaterThan(0);
  });
});

describe('a refund takes back the points earned on the money refunded', () => {
  const refund = (o: Order, amount: number) => f.engine.dispatch(o.id, { type: 'refund_issued', amount, attendantId: 'att-1', reason: 'defective', returnId: `r-${amount}` });
  const ownRows = () => f.db.read.all<{ seq: number; order_id: string; earned: number; redeemed: number }>('SELECT seq, order_id, earned, redeemed FROM member_points_local ORDER BY seq');
  const seqOf = async (type: string) => (await f.db.read.all<{ seq: number }>('SELECT seq FROM journal WHERE type = ? ORDER BY seq', [type])).map((r) => r.seq);

  it('a partial refund takes floor(earned · refunded / paid), the rest takes what is left; redeemed points stay spent', async () => {
    let o = await cart([1234, 777], 'P1');
    o = await f.engine.dispatch(o.id, { type: 'points_redeemed', points: 50 });
    const done = await payAndComplete(o);
    const earned = done.pointsEarned;
    expect(earned).toBe(Math.floor(done.paid / 100));
    expect(earned).toBeGreaterThan(0);

    const part = await refund(done, 700);
    const first = Math.floor((earned * 700) / done.paid);
    expect(part.refunds.at(-1)).toMatchObject({ amount: 700, pointsTakenBack: first });
    const rest = await refund(part, done.paid - 700);
    expect(rest.state).toBe('refunded');
    expect(rest.refunds.map((r) => r.pointsTakenBack)).toEqual([first, earned - first]);

    // the kiosk's own ledger: the sale under its order_completed seq, each take under its refund_issued seq
    const [completedSeq] = await seqOf('order_completed');
    const refundSeqs = await seqOf('refund_issued');
    expect(await ownRows()).toEqual([
      { seq: completedSeq, order_id: o.id, earned, redeemed: 50 },
      ...(first > 0 ? [{ seq: refundSeqs[0], order_id: o.id, earned: -first, redeemed: 0 }] : []),
      { seq: refundSeqs[1], order_id: o.id, earned: -(earned - first), redeemed: 0 },
    ]);
    // everything refunded: the earned points are gone, the 50 used stay used
    expect(await memberStanding(f.db.read, 'P1')).toMatchObject({ balance: 100 - 50 });
    expect(await f.db.read.get('SELECT points FROM members WHERE id = ?', ['P1'])).toEqual({ points: -50 });
    // the journal entry carries the record (HQ's ledger reads it there)
    const last = JSON.parse((await f.db.read.get<{ payload: string }>("SELECT payload FROM journal WHERE type = 'refund_issued' ORDER BY seq DESC LIMIT 1"))!.payload);
    expect(last.order.refunds.at(-1).pointsTakenBack).toBe(earned - first);
  });

  it('takes nothing of an order without a member, and a training order never', async () => {
    const plain = await payAndComplete(await cart([1500]));
    const r = await refund(plain, 500);
    expect(r.refunds[0]).not.toHaveProperty('pointsTakenBack');

    f.engine.setTraining(true);
    const training = await payAndComplete(await cart([1500], 'P1'));
    expect(training.pointsEarned).toBe(0);
    const t = await refund(training, training.paid);
    expect(t.refunds[0]).not.toHaveProperty('pointsTakenBack');
    expect(await ownRows()).toEqual([]);
    expect(await memberStanding(f.db.read, 'P1')).toMatchObject({ balance: 100 });
  });
});
