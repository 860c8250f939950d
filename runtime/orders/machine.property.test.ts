import fc from 'fast-check';
import { engineFixture, line } from '../../test/support/engine-fixture';
import { isKioskError } from '../../kernel/errors';
import { verifyJournal } from '../../protocol/journal/verify';
import type { Promotion } from '../pricing/types';
import type { OrderEvent, OrderEventType } from './events';
import { allowedEvents, TRANSITIONS } from './machine';
import type { Order } from './order';
import { ORDER_STATES, type OrderState } from './states';
import { memberStanding, replaceSnapshot } from '../members/member-store';

const promotions: Promotion[] = [
  { id: 'P-3FOR2', kind: 'buy_x_pay_y', label: { en: '3 for 2' }, skus: ['A', 'B'], buy: 3, pay: 2 },
  { id: 'P-PCT', kind: 'percent_off', label: { en: '15% off' }, skus: ['B', 'W'], percent: 15 },
  { id: 'P-2FOR', kind: 'x_for_price', label: { en: '2 for 5' }, skus: ['C'], quantity: 2, price: 500 },
  { id: 'P-MEM', kind: 'member_price', label: { en: 'member' }, skus: ['A'], price: 250 },
];

/** Abstract steps; attempt ids and amounts are filled in from the order at the time. */
type Step =
  | { k: 'scan'; sku: 'A' | 'B' | 'C' | 'W' | 'BEER'; qty: number; grams: number }
  | { k: 'member'; business: boolean }
  | { k: 'redeem'; points: number }
  | { k: 'help' }
  | { k: 'void'; n: number }
  | { k: 'approve' }
  | { k: 'reject' }
  | { k: 'checkout' }
  | { k: 'resume' }
  | { k: 'pay'; part: 'all' | 'half' | 'over' | 'zero' }
  | { k: 'approved'; part: 'all' | 'half' | 'over'; bogus: boolean }
  | { k: 'declined' }
  | { k: 'timeout' }
  | { k: 'sent' }
  | { k: 'resolve'; outcome: 'approved' | 'declined'; attendant: boolean }
  | { k: 'complete' }
  | { k: 'cancel' }
  | { k: 'idle' }
  | { k: 'idleExpired' }
  | { k: 'active' }
  | { k: 'refund'; part: 'all' | 'half' | 'over' }
  /** A refund HQ made at the channel, recorded (`again`: the id of the first one: recorded once). */
  | { k: 'hqRefund'; part: 'all' | 'half' | 'over'; again: boolean }
  /** One of the events the current state accepts, with sensible data: drives orders deep into the lifecycle. */
  | { k: 'valid'; pick: number; half: boolean; outcome: boolean };

function concretize(s: Extract<Step, { k: 'valid' }>, state: OrderState): Step {
  const all = allowedEvents(state).length ? allowedEvents(state) : allowedEvents('idle');
  // mostly move forward, so sequences reach payment, completion and refunds; sometimes leave or stall
  const detours: OrderEventType[] = ['order_cancelled', 'idle_timeout', 'idle_prompt_expired', 'help_requested', 'void_requested', 'shopping_resumed', 'points_redeemed'];
  // a member attached while paying is no step forward either (it is one while shopping: redemptions need a member)
  if (state === 'awaiting_payment') detours.push('member_attached');
  const forward = all.filter((t) => !detours.includes(t));
  const allowed = s.pick % 10 < 8 && forward.length ? forward : all;
  const type = allowed[Math.floor(s.pick / 10) % allowed.length];
  const part = s.half ? ('half' as const) : ('all' as const);
  const byType: Record<OrderEventType, Step> = {
    item_added: { k: 'scan', sku: (['A', 'B', 'C', 'W', 'BEER'] as const)[s.pick % 5], qty: 1 + (s.pick % 3), grams: 100 + s.pick },
    // mostly the member with points in HQ's snapshot, so redemptions happen and reach completion
    member_attached: { k: 'member', business: s.pick % 4 !== 0 },
    points_redeemed: { k: 'redeem', points: s.pick % 7 === 0 ? 0 : (1 + (s.pick % 30)) * 10 },
    help_requested: { k: 'help' },
    void_requested: { k: 'void', n: 1 + (s.pick % 3) },
    attendant_approved: { k: 'approve' },
    attendant_rejected: { k: 'reject' },
    checkout_started: { k: 'checkout' },
    shopping_resumed: { k: 'resume' },
    payment_started: { k: 'pay', part },
    payment_approved: { k: 'approved', part: 'all', bogus: false },
    payment_declined: { k: 'declined' },
    payment_timed_out: { k: 'timeout' },
    payment_sent: { k: 'sent' },
    payment_resolved: { k: 'resolve', outcome: s.outcome ? 'approved' : 'declined', attendant: true },
    order_completed: { k: 'complete' },
    order_cancelled: { k: 'cancel' },
    idle_timeout: { k: 'idle' },
    idle_prompt_expired: { k: 'idleExpired' },
    shopper_active: { k: 'active' },
    refund_issued: { k: 'refund', part },
    hq_refund_recorded: { k: 'hqRefund', part, again: s.outcome },
  };
  return byType[type];
}

const part3 = fc.constantFrom('all' as const, 'half' as const, 'over' as const);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 40, arbitrary: fc.record({ k: fc.constant('valid' as const), pick: fc.nat(1000), half: fc.boolean(), outcome: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('scan' as const), sku: fc.constantFrom('A', 'B', 'C', 'W', 'BEER'), qty: fc.integer({ min: 1, max: 4 }), grams: fc.integer({ min: 1, max: 3000 }) }) },
  fc.record({ k: fc.constant('member' as const), business: fc.boolean() }),
  { weight: 2, arbitrary: fc.record({ k: fc.constant('redeem' as const), points: fc.oneof(fc.integer({ min: 0, max: 900 }), fc.constantFrom(-5, 2.5, 1e13)) }) },
  fc.constant({ k: 'help' as const }),
  fc.record({ k: fc.constant('void' as const), n: fc.integer({ min: 1, max: 6 }) }),
  { weight: 2, arbitrary: fc.constant({ k: 'approve' as const }) },
  fc.constant({ k: 'reject' as const }),
  { weight: 3, arbitrary: fc.constant({ k: 'checkout' as const }) },
  fc.constant({ k: 'resume' as const }),
  { weight: 3, arbitrary: fc.record({ k: fc.constant('pay' as const), part: fc.constantFrom('all' as const, 'half' as const, 'over' as const, 'zero' as const) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('approved' as const), part: part3, bogus: fc.boolean() }) },
  fc.constant({ k: 'declined' as const }),
  fc.constant({ k: 'timeout' as const }),
  fc.constant({ k: 'sent' as const }),
  fc.record({ k: fc.constant('resolve' as const), outcome: fc.constantFrom('approved' as const, 'declined' as const), attendant: fc.boolean() }),
  { weight: 2, arbitrary: fc.constant({ k: 'complete' as const }) },
  fc.constant({ k: 'cancel' as const }),
  fc.constant({ k: 'idle' as const }),
  fc.constant({ k: 'idleExpired' as const }),
  fc.constant({ k: 'active' as const }),
  fc.record({ k: fc.constant('refund' as const), part: part3 }),
  fc.record({ k: fc.constant('hqRefund' as const), part: part3, again: fc.boolean() }),
);

function toEvent(s: Exclude<Step, { k: 'valid' }>, o: Order | null, n: number): OrderEvent {
  const due = o ? o.priced.total - o.paid : 0;
  const amt = (p: 'all' | 'half' | 'over' | 'zero', base: number) =>
    p === 'all' ? base : p === 'half' ? Math.max(1, Math.floor(base / 2)) : p === 'over' ? base + 1 : 0;
  const current = o?.payments.find((p) => p.status === 'pending' || p.status === 'unknown');
  const attemptId = current?.attemptId ?? 'none';
  switch (s.k) {
    case 'scan': {
      const price = { A: 300, B: 455, C: 299, W: 2580, BEER: 650 }[s.sku];
      return {
        type: 'item_added',
        line: line(s.sku, price, {
          quantity: s.sku === 'W' ? 1 : s.qty,
          weightGrams: s.sku === 'W' ? s.grams : null,
          ageLimit: s.sku === 'BEER' ? 18 : null,
          taxClass: s.sku === 'W' ? 'reduced' : 'standard',
        }),
      };
    }
    case 'member':
      return { type: 'member_attached', memberId: s.business ? 'B0000000001' : 'M0000000001' };
    case 'redeem':
      return { type: 'points_redeemed', points: s.points };
    case 'help':
      return { type: 'help_requested' };
    case 'void':
      return { type: 'void_requested', lineId: `L${s.n}` };
    case 'approve':
      return { type: 'attendant_approved', attendantId: 'att' };
    case 'reject':
      return { type: 'attendant_rejected', attendantId: 'att' };
    case 'checkout':
      return { type: 'checkout_started' };
    case 'resume':
      return { type: 'shopping_resumed' };
    case 'pay':
      return { type: 'payment_started', attemptId: `a${n}`, method: 'cash', amount: amt(s.part, due) };
    case 'approved':
      return { type: 'payment_approved', attemptId: s.bogus ? 'bogus' : attemptId, amount: amt(s.part, current?.amount ?? 0) };
    case 'declined':
      return { type: 'payment_declined', attemptId, reason: 'declined' };
    case 'timeout':
      return { type: 'payment_timed_out', attemptId };
    case 'sent':
      return { type: 'payment_sent', attemptId, context: { lastTraceNumber: n } };
    case 'resolve':
      return { type: 'payment_resolved', attemptId, outcome: s.outcome, by: s.attendant ? 'attendant' : 'system', ...(s.attendant ? { attendantId: 'att' } : {}) };
    case 'complete':
      return { type: 'order_completed' };
    case 'cancel':
      return { type: 'order_cancelled', reason: 'test' };
    case 'idle':
      return { type: 'idle_timeout' };
    case 'idleExpired':
      return { type: 'idle_prompt_expired' };
    case 'active':
      return { type: 'shopper_active' };
    case 'refund':
      return { type: 'refund_issued', amount: amt(s.part, o ? o.paid - o.refunded : 0), attendantId: 'att' };
    case 'hqRefund': {
      const amount = amt(s.part, o ? o.paid - o.refunded : 0);
      const paidBy = o?.payments.find((p) => p.status === 'approved')?.attemptId ?? 'none';
      return {
        type: 'hq_refund_recorded',
        refundId: s.again ? 'hq-1' : `hq-${n}`,
        amount,
        allocations: [{ attemptId: paidBy, method: 'cash', amount, via: 'refund' }],
        reason: 'defective',
        requestedBy: 'ada',
      };
    }
  }
}

function checkTotals(o: Order, mode: 'inclusive' | 'exclusive'): void {
  const p = o.priced;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  expect(p.subtotal).toBe(sum(p.lines.map((l) => l.gross)));
  expect(p.discountTotal).toBe(sum(p.discounts.map((d) => d.amount)));
  expect(p.discountTotal).toBe(sum(p.lines.map((l) => l.discount)));
  expect(p.taxTotal).toBe(sum(p.lines.map((l) => l.tax)));
  expect(p.total).toBe(sum(p.lines.map((l) => l.net)) + (mode === 'exclusive' ? p.taxTotal : 0));
  expect(p.total).toBe(p.subtotal - p.discountTotal + (mode === 'exclusive' ? p.taxTotal : 0));
  // only approved lines are billed
  expect(p.lines.map((l) => l.lineId)).toEqual(o.lines.filter((l) => l.approved).map((l) => l.lineId));
  expect(o.paid).toBe(sum(o.payments.map((x) => x.approvedAmount)));
  expect(o.refunded).toBeLessThanOrEqual(o.paid);
  // points: whole steps of the rate, worth exactly their value, only with a member, never the whole total
  const used = o.pointsRedeemed ?? 0;
  expect(Number.isSafeInteger(used) && used >= 0 && used % RATE.points === 0).toBe(true);
  expect(o.pointsDiscount ?? 0).toBe((used / RATE.points) * RATE.value);
  if (used > 0) expect(o.memberId).not.toBeNull();
  // refunds take back the points earned: never more than earned, all of them once everything is refunded
  const taken = o.refunds.reduce((n, r) => n + (r.pointsTakenBack ?? 0), 0);
  expect(taken).toBeLessThanOrEqual(o.pointsEarned);
  // (an HQ refund took its share in HQ's ledger, not here)
  if (o.state === 'refunded' && !o.refunds.some((r) => r.hqRefundId)) expect(taken).toBe(o.pointsEarned);
  // an HQ refund id is recorded at most once
  const hqIds = o.refunds.flatMap((r) => (r.hqRefundId ? [r.hqRefundId] : []));
  expect(new Set(hqIds).size).toBe(hqIds.length);
  expect(o.customerType).toBe(o.memberId === 'B0000000001' ? 'business' : 'personal');
}

/** loyalty.redeem in the property: 10 points are worth 100 minor units. */
const RATE = { points: 10, value: 100 };

const SEED = Number(process.env.LIFECYCLE_SEED ?? 1);

/** The property itself; `visited` collects the states reached. */
function lifecycleProperty(mode: 'inclusive' | 'exclusive', visited: Set<string>) {
  return fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 60 }), async (steps) => {
          const f = await engineFixture({ promotions, taxMode: mode, redeem: RATE });
          // HQ's snapshot: a business member with 300 points; M0000000001 is not in it (personal, own points only)
          await f.db.transaction((tx) => replaceSnapshot(tx, 1, { v: 1, members: [['B0000000001', 'business', 300]], counted: {} }, { store: 's1', device: 'lane-test' }, 0));
          try {
            let current: Order | null = null;
            let n = 0;
            for (const raw of steps) {
              n++;
              const closed = current !== null && ['completed', 'cancelled', 'refunded', 'partially_refunded'].includes(current.state);
              const s = raw.k === 'valid' ? concretize(raw, current && !(closed && raw.pick % 4 === 0) ? current.state : 'idle') : raw;
              if (s.k === 'valid') throw new Error('unreachable');
              const ev = toEvent(s, current, n);
              const target = current && ['completed', 'cancelled', 'refunded', 'partially_refunded'].includes(current.state) && s.k !== 'refund' && s.k !== 'hqRefund' ? null : (current?.id ?? null);
              const journalBefore = (await f.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM journal'))!.n;
              const rowBefore = target ? await f.db.read.get<{ snapshot: string }>('SELECT snapshot FROM orders WHERE id = ?', [target]) : undefined;
              try {
                const from = target ? current!.state : 'idle';
                const next = await f.engine.dispatch(target, ev);
                expect(ORDER_STATES).toContain(next.state);
                const declared = TRANSITIONS.some(
                  (t) => t.event === ev.type && t.from.includes(from) && (t.to === next.state || (t.to === '@return' && from === 'idle_prompt')),
                );
                expect(declared).toBe(true);
                checkTotals(next, mode);
                // the lane alone can never overdraw a member: every redemption was capped at the estimate
                for (const id of ['B0000000001', 'M0000000001']) expect((await memberStanding(f.db.read, id)).balance).toBeGreaterThanOrEqual(0);
                visited.add(next.state);
                if ((next.pointsRedeemed ?? 0) > 0) visited.add('points used');
                if (next.refunds.some((r) => (r.pointsTakenBack ?? 0) > 0)) visited.add('points taken back');
                if (next.refunds.some((r) => r.hqRefundId)) visited.add('HQ refund recorded');
                current = next;
              } catch (e) {
                if (!(isKioskError(e, 'EVENT_NOT_ALLOWED') || isKioskError(e, 'GUARD_REJECTED') || isKioskError(e, 'ORDER_ALREADY_OPEN') || isKioskError(e, 'PAYMENT_UNRESOLVED'))) throw e;
                const journalAfter = (await f.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM journal'))!.n;
                expect(journalAfter).toBe(journalBefore);
                if (target) {
                  const rowAfter = await f.db.read.get<{ snapshot: string }>('SELECT snapshot FROM orders WHERE id = ?', [target]);
                  expect(rowAfter!.snapshot).toBe(rowBefore!.snapshot);
                }
              }
            }
            const v = await verifyJournal(f.db.read);
            expect(v.ok).toBe(true);
            // every order row is at the state its last journal entry says
            const rows = await f.db.read.all<{ state: string; payload: string }>(
              'SELECT o.state, j.payload FROM orders o JOIN journal j ON j.seq = o.last_seq',
            );
            for (const r of rows) expect(JSON.parse(r.payload).to).toBe(r.state);
          } finally {
            await f.close();
          }
        });
}

describe('order state machine (property-based, real engine on a real SQLite file)', () => {
  for (const mode of ['inclusive', 'exclusive'] as const) {
    it(`random event sequences stay in declared states, refused events change nothing, totals add up (${mode} tax)`, async () => {
      await fc.assert(lifecycleProperty(mode, new Set()), { numRuns: 80 });
    }, 120_000);
  }

  it('the generator drives orders through the whole lifecycle (fixed seed, so this check is not itself random)', async () => {
    const visited = new Set<string>();
    await fc.assert(lifecycleProperty('inclusive', visited), { numRuns: 150, seed: SEED });
    expect([...visited].filter((x) => (ORDER_STATES as readonly string[]).includes(x)).sort()).toEqual(ORDER_STATES.filter((x) => x !== 'idle').sort());
    // redemptions happen inside the random lifecycles (their completion: the property below)
    expect(visited.has('points used')).toBe(true);
    // and refunds of member orders take points back
    expect(visited.has('points taken back')).toBe(true);
    expect(visited.has('HQ refund recorded')).toBe(true);
  }, 120_000);

  it('a sale that used points completes with them: the kiosk ledger debits exactly them under the order_completed seq', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 3 }),
        async (prices, asks) => {
          const f = await engineFixture({ promotions, redeem: RATE });
          await f.db.transaction((tx) => replaceSnapshot(tx, 1, { v: 1, members: [['B0000000001', 'business', 300]], counted: {} }, { store: 's1', device: 'lane-test' }, 0));
          try {
            let o = await f.engine.dispatch(null, { type: 'member_attached', memberId: 'B0000000001' });
            for (const [i, p] of prices.entries()) o = await f.engine.dispatch(o.id, { type: 'item_added', line: line(`S${i}`, p) });
            const before = (await memberStanding(f.db.read, 'B0000000001')).balance;
            for (const points of asks) o = await f.engine.dispatch(o.id, { type: 'points_redeemed', points });
            const used = o.pointsRedeemed ?? 0;
            expect(used).toBeLessThanOrEqual(Math.min(asks.at(-1)!, before));
            checkTotals(o, 'inclusive');
            o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
            o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'a', method: 'cash', amount: o.priced.total });
            o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: 'a', amount: o.priced.total });
            o = await f.engine.dispatch(o.id, { type: 'order_completed' });
            expect(o.pointsRedeemed).toBe(used);
            const seq = (await f.db.read.get<{ seq: number }>("SELECT seq FROM journal WHERE type = 'order_completed'"))!.seq;
            const rows = await f.db.read.all('SELECT seq, earned, redeemed FROM member_points_local');
            expect(rows).toEqual(used > 0 || o.pointsEarned > 0 ? [{ seq, earned: o.pointsEarned, redeemed: used }] : []);
            expect((await memberStanding(f.db.read, 'B0000000001')).balance).toBe(before - used + o.pointsEarned);
          } finally {
            await f.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
