/**
 * A card refund whose outcome the terminal never gave (timeout) is recorded in doubt and settled by asking the
 * terminal — never sent again blindly. Real parts: the real ZVT driver and the terminal simulator on TCP loopback,
 * the real engine, Refunds, Returns and PaymentRecovery on a real SQLite file; the simulator's journal (its ledger)
 * is the judge of how often money went back.
 */
import { defaultReturnsPolicy } from '../config/returns-policy';
import { foldOrder } from '../hq/orders/fold';
import { engineFixture, line, type Fixture } from './support/engine-fixture';
import { simulatedTerminal, type SimulatedTerminal } from './support/simulated-terminal';
import { waitFor } from './support/wait';
import { paymentsInDoubt } from '../runtime/hq-sync/telemetry-extras';
import type { Order } from '../runtime/orders/order';
import { attemptsOf, lastRecordedTraceNumber } from '../runtime/payments/attempts';
import { CardTerminalProvider } from '../runtime/payments/card-terminal';
import { Checkout } from '../runtime/payments/checkout';
import { PaymentRecovery } from '../runtime/payments/recovery';
import { refundAttemptsOf, refundsInDoubt } from '../runtime/payments/refund-attempts';
import { Refunds } from '../runtime/payments/refunds';
import { Returns } from '../runtime/payments/returns';

jest.setTimeout(30_000);

describe('card refunds in doubt (real ZVT driver + terminal simulator on TCP)', () => {
  let f: Fixture;
  let t: SimulatedTerminal;
  let refunds: Refunds;
  let returns: Returns;
  let checkout: Checkout;
  let recovery: PaymentRecovery;

  beforeEach(async () => {
    f = await engineFixture();
    // a refund the terminal does not answer within 600 ms times out (the driver then aborts and drains)
    t = await simulatedTerminal('tcp', { driver: { timeouts: { completion: 600, drain: 600 } } });
    await t.terminal.open();
    await t.terminal.claim();
    await t.terminal.enable();
    const card = new CardTerminalProvider(t.terminal, { lastTraceNumber: () => lastRecordedTraceNumber(f.db), refundsInDoubt: () => refunds.settleCardInDoubt() });
    refunds = new Refunds(f.engine, f.db, [card], { clock: f.clock, deviceId: 'lane-test' });
    returns = new Returns({ engine: f.engine, db: f.db, refunds, clock: f.clock, policy: defaultReturnsPolicy });
    // the driver's own timeout decides (the checkout's, on the simulated clock, never fires)
    checkout = new Checkout(f.engine, f.clock, { currency: 'EUR', timeoutMs: 3_600_000 }, [card]);
    recovery = new PaymentRecovery(f.db, checkout, f.clock, { refunds });
  });
  afterEach(async () => {
    recovery.stop();
    await t.cleanup();
    await f.close();
  });

  const simRefunds = () => t.sim.journal.entries().filter((e) => e.kind === 'refund');
  const idle = () => waitFor('terminal idle again (abort + drain done)', () => t.sim.idle && t.terminal.status().faults.length === 0);
  const journal = async (orderId: string, type: string) =>
    (await f.db.read.all<{ payload: string }>('SELECT payload FROM journal WHERE order_id = ? AND type = ? ORDER BY seq', [orderId, type])).map((r) => JSON.parse(r.payload) as Record<string, unknown>);

  async function sale(...prices: number[]): Promise<Order> {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', prices[0]) });
    for (const p of prices.slice(1)) o = await f.engine.dispatch(o.id, { type: 'item_added', line: line(`I${p}`, p) });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await checkout.pay(o.id, 'card');
    expect(o.state).toBe('paid');
    return f.engine.dispatch(o.id, { type: 'order_completed' });
  }
  const ret = (orderId: string, returnId: string, amount: number) => returns.run(orderId, { returnId, reason: 'defective', attendantId: 'att-1', by: 'lane', amount });

  it('the terminal refunded but its answer was lost: recorded unknown, settled refunded by the lookup, money back once, the retry sends nothing', async () => {
    const o = await sale(1000, 500);
    const [payment] = await attemptsOf(f.db, o.id);
    t.sim.loseCompletionNext();
    await expect(ret(o.id, 'R-1', 500)).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED', details: { outcome: 'unknown', refunded: 0, left: 500, inDoubt: 500 } });
    // the terminal did pay it back
    expect(simRefunds()).toEqual([expect.objectContaining({ amount: 500, result: 'approved' })]);
    const trace = simRefunds()[0].traceNumber;
    // recorded in doubt before and after: the baseline is the payment's trace, the number the wallets' rule would use
    expect(await refundAttemptsOf(f.db, o.id)).toEqual([
      expect.objectContaining({ state: 'unknown', amount: 500, paymentAttemptId: payment.id, requestNo: `${payment.id}-refund-1`, context: { lastTraceNumber: Number(payment.reference!.traceNumber) } }),
    ]);
    expect(await journal(o.id, 'refund_in_doubt')).toEqual([expect.objectContaining({ amount: 500, method: 'card', returnId: 'R-1', attemptId: payment.id })]);
    expect(await refundsInDoubt(f.db)).toBe(1);
    expect(await paymentsInDoubt(f.db)).toBe(1); // the telemetry count HQ's fleet page shows
    expect((await f.engine.get(o.id)).refunded).toBe(0);

    await idle();
    expect(await recovery.run()).toBe(0);
    const settled = await f.engine.get(o.id);
    expect(settled).toMatchObject({ state: 'partially_refunded', refunded: 500 });
    expect(settled.refunds).toEqual([
      expect.objectContaining({
        amount: 500,
        returnId: 'R-1',
        reason: 'defective',
        attendantId: 'att-1',
        allocations: [expect.objectContaining({ attemptId: payment.id, method: 'card', amount: 500, via: 'refund', reference: expect.objectContaining({ traceNumber: trace }) })],
      }),
    ]);
    expect((await refundAttemptsOf(f.db, o.id))[0]).toMatchObject({ state: 'refunded', via: 'refund' });
    expect((await attemptsOf(f.db, o.id))[0]).toMatchObject({ state: 'partially_refunded', refundedAmount: 500 });
    expect(await refundsInDoubt(f.db)).toBe(0);
    // the refund's trace number is on record: a later payment's baseline includes it
    expect(await lastRecordedTraceNumber(f.db)).toBe(trace);

    const commands = t.sim.stats.commands;
    await expect(ret(o.id, 'R-1', 500)).resolves.toMatchObject({ replayed: true, refund: { amount: 500, returnId: 'R-1' } });
    expect(t.sim.stats.commands).toBe(commands); // nothing sent to the terminal at all
    expect(simRefunds()).toHaveLength(1);
  });

  it('the retry of the same return settles it itself (no recovery pass in between) and sends nothing new', async () => {
    const o = await sale(800);
    t.sim.loseCompletionNext();
    await expect(ret(o.id, 'R-9', 300)).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED' });
    await idle();
    await expect(ret(o.id, 'R-9', 300)).resolves.toMatchObject({ replayed: true, refund: { amount: 300 } });
    expect(simRefunds().filter((e) => e.result === 'approved')).toHaveLength(1);
    expect((await f.engine.get(o.id)).refunded).toBe(300);
  });

  it('the terminal never ran the refund: settled not done, and the retry sends it exactly once under the same request number', async () => {
    const o = await sale(1000, 500);
    t.sim.timeoutNext();
    await expect(ret(o.id, 'R-2', 500)).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED', details: { outcome: 'unknown' } });
    expect(simRefunds()).toEqual([expect.objectContaining({ amount: 500, result: 'aborted' })]);
    await idle();
    // while it is in doubt, a refund of another order does not start on the terminal either: it settles this one first
    const r = await ret(o.id, 'R-2', 500);
    expect(r).toMatchObject({ replayed: false, state: 'partially_refunded', refund: { amount: 500, returnId: 'R-2' } });
    expect(simRefunds().filter((e) => e.result === 'approved')).toEqual([expect.objectContaining({ amount: 500 })]);
    const attempts = await refundAttemptsOf(f.db, o.id);
    expect(attempts.map((a) => a.state)).toEqual(['declined', 'refunded']);
    expect(new Set(attempts.map((a) => a.requestNo)).size).toBe(1);
    expect(await journal(o.id, 'refund_doubt_settled')).toEqual([expect.objectContaining({ outcome: 'declined', by: 'system', amount: 500 })]);
    expect((await f.engine.get(o.id)).refunded).toBe(500);
  });

  it('a card payment after a refund in doubt is never settled from the refund’s receipt', async () => {
    const o = await sale(1000, 700);
    t.sim.loseCompletionNext();
    await expect(ret(o.id, 'R-3', 700)).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED' });
    await idle();
    // the terminal tells nothing about its last transaction now: the refund stays in doubt
    t.sim.setStatusInfoOnRepeat('never');
    let p = await f.engine.dispatch(null, { type: 'item_added', line: line('B', 700) });
    p = await f.engine.dispatch(p.id, { type: 'checkout_started' });
    t.sim.timeoutNext(); // the payment of the same amount never runs on the terminal
    p = await checkout.pay(p.id, 'card');
    expect(p.state).toBe('payment_unknown');
    const [pay] = await attemptsOf(f.db, p.id);
    expect(pay.context).toMatchObject({ refundInDoubt: 1 });
    await idle();
    // the terminal tells again: its last receipt is the refund (700, trace past the payment's baseline)
    t.sim.setStatusInfoOnRepeat('service-byte');
    await recovery.run();
    expect((await f.engine.get(p.id)).state).toBe('payment_unknown'); // not "approved" from the refund's receipt
    const charged = t.sim.journal.entries().filter((e) => e.kind === 'payment' && e.result === 'approved' && e.amount === 700);
    expect(charged).toHaveLength(0);
    // nor is the refund taken as done while a payment was sent after it: both wait for the attendant
    expect((await refundAttemptsOf(f.db, o.id))[0].state).toBe('unknown');
  });

  it('the usual case: the terminal answers, so the refund in doubt is settled before the payment and the payment’s baseline includes it', async () => {
    const o = await sale(1000, 700);
    t.sim.loseCompletionNext();
    await expect(ret(o.id, 'R-4', 700)).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED' });
    await idle();
    const refundTrace = simRefunds()[0].traceNumber;
    let p = await f.engine.dispatch(null, { type: 'item_added', line: line('B', 700) });
    p = await f.engine.dispatch(p.id, { type: 'checkout_started' });
    t.sim.timeoutNext();
    p = await checkout.pay(p.id, 'card');
    // settled from the terminal: the payment never ran (the terminal's last receipt is the refund = the baseline)
    expect(p.state).toBe('awaiting_payment');
    expect(p.payments[0]).toMatchObject({ status: 'declined' });
    const [pay] = await attemptsOf(f.db, p.id);
    expect(pay.context).toEqual({ lastTraceNumber: refundTrace });
    expect((await f.engine.get(o.id)).refunded).toBe(700);
  });

  /**
   * A card refund the terminal cannot settle: its outcome lost, then (the terminal telling nothing of its last
   * transaction meanwhile) a card payment of another order ran on the terminal — its lookup can never take the
   * terminal's last transaction for the refund again.
   */
  async function refundTheTerminalCannotTell(o: Order, returnId: string, amount: number, fault: 'lose' | 'timeout'): Promise<string> {
    if (fault === 'lose') t.sim.loseCompletionNext();
    else t.sim.timeoutNext();
    await expect(ret(o.id, returnId, amount)).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED', details: { outcome: 'unknown' } });
    await idle();
    t.sim.setStatusInfoOnRepeat('never');
    const other = await sale(1234);
    expect((await attemptsOf(f.db, other.id))[0].context).toMatchObject({ refundInDoubt: 1 });
    t.sim.setStatusInfoOnRepeat('service-byte');
    expect(await recovery.run()).toBe(1);
    const [ra] = (await refundAttemptsOf(f.db, o.id)).filter((a) => a.state === 'unknown');
    expect(ra).toMatchObject({ amount, method: 'card', returnId });
    return ra.id;
  }

  it('the terminal cannot tell: card refunds stay blocked until the attendant decides "refunded"; the money shows refunded once', async () => {
    const o = await sale(1000, 500);
    const blockedOrder = await sale(300);
    const id = await refundTheTerminalCannotTell(o, 'R-6', 500, 'lose');
    expect(simRefunds().filter((e) => e.result === 'approved')).toEqual([expect.objectContaining({ amount: 500 })]); // the terminal did pay it back
    // no card refund of any order starts while it is in doubt: nothing goes to the terminal for it
    const before = simRefunds().length;
    await expect(ret(blockedOrder.id, 'B-1', 300)).rejects.toMatchObject({ code: 'PAYMENT_DECLINED', message: expect.stringContaining('another card refund is in doubt') });
    await expect(ret(o.id, 'R-6', 500)).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED' });
    expect(simRefunds()).toHaveLength(before);
    expect(await refundsInDoubt(f.db)).toBe(1);

    const d = await refunds.decide(id, 'refunded', 'att-9');
    expect(d).toMatchObject({ refundAttemptId: id, orderId: o.id, outcome: 'refunded', by: 'attendant', attendantId: 'att-9', replayed: false, order: { state: 'partially_refunded', refunded: 500 } });
    const after = await f.engine.get(o.id);
    expect(after.refunded).toBe(500);
    expect(after.refunds).toEqual([expect.objectContaining({ amount: 500, returnId: 'R-6', reason: 'defective', attendantId: 'att-1' })]);
    // journaled as the success would have been, with who decided
    expect(await journal(o.id, 'refund_issued')).toEqual([
      expect.objectContaining({
        event: expect.objectContaining({ amount: 500, attendantId: 'att-1', decidedBy: 'att-9', returnId: 'R-6', allocations: [expect.objectContaining({ method: 'card', amount: 500, via: 'refund' })] }),
      }),
    ]);
    expect((await refundAttemptsOf(f.db, o.id)).map((a) => a.state)).toEqual(['refunded']);
    expect((await attemptsOf(f.db, o.id))[0]).toMatchObject({ state: 'partially_refunded', refundedAmount: 500 });
    expect(await refundsInDoubt(f.db)).toBe(0);

    // idempotent: the same decision again journals nothing; the other one is refused
    const entries = (await f.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM journal'))!.n;
    await expect(refunds.decide(id, 'refunded', 'att-7')).resolves.toMatchObject({ replayed: true, by: 'attendant', attendantId: 'att-9', order: { refunded: 500 } });
    await expect(refunds.decide(id, 'not_refunded', 'att-9')).rejects.toMatchObject({ code: 'EVENT_NOT_ALLOWED' });
    expect((await f.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM journal'))!.n).toBe(entries);

    // the return retried answers the decision, sending nothing; the card refunds of other orders run again
    const commands = t.sim.stats.commands;
    await expect(ret(o.id, 'R-6', 500)).resolves.toMatchObject({ replayed: true, refund: { amount: 500 } });
    expect(t.sim.stats.commands).toBe(commands);
    await expect(ret(blockedOrder.id, 'B-1', 300)).resolves.toMatchObject({ replayed: false, refund: { amount: 300 } });
    // the whole of an unsettled payment goes back as a reversal
    expect(t.sim.journal.entries().filter((e) => (e.kind === 'refund' || e.kind === 'reversal') && e.result === 'approved').map((e) => [e.kind, e.amount])).toEqual([
      ['refund', 500],
      ['reversal', 300],
    ]);
    expect((await f.engine.get(o.id)).refunded).toBe(500);
  });

  it('the attendant decides "not refunded": declined with the attendant id, and the retry sends the refund exactly once', async () => {
    const o = await sale(1000, 500);
    const id = await refundTheTerminalCannotTell(o, 'R-7', 500, 'timeout');
    expect(simRefunds().filter((e) => e.result === 'approved')).toHaveLength(0); // the terminal never ran it

    await expect(refunds.decide(id, 'not_refunded', 'att-9')).resolves.toMatchObject({ outcome: 'not_refunded', by: 'attendant', replayed: false, order: { refunded: 0 } });
    expect((await refundAttemptsOf(f.db, o.id))[0]).toMatchObject({ state: 'declined' });
    expect(await journal(o.id, 'refund_doubt_settled')).toEqual([expect.objectContaining({ refundAttemptId: id, outcome: 'declined', by: 'attendant', attendantId: 'att-9', amount: 500 })]);
    expect(await journal(o.id, 'refund_issued')).toEqual([]);
    await expect(refunds.decide(id, 'not_refunded', 'att-9')).resolves.toMatchObject({ replayed: true });
    await expect(refunds.decide(id, 'refunded', 'att-9')).rejects.toMatchObject({ code: 'EVENT_NOT_ALLOWED' });
    expect(await journal(o.id, 'refund_doubt_settled')).toHaveLength(1);

    await expect(ret(o.id, 'R-7', 500)).resolves.toMatchObject({ replayed: false, state: 'partially_refunded', refund: { amount: 500, returnId: 'R-7' } });
    await expect(ret(o.id, 'R-7', 500)).resolves.toMatchObject({ replayed: true });
    // the simulator's ledger: money went back once
    expect(simRefunds().filter((e) => e.result === 'approved')).toEqual([expect.objectContaining({ amount: 500 })]);
    const attempts = await refundAttemptsOf(f.db, o.id);
    expect(attempts.map((a) => a.state)).toEqual(['declined', 'refunded']);
    expect(new Set(attempts.map((a) => a.requestNo)).size).toBe(1);
    expect((await f.engine.get(o.id)).refunded).toBe(500);
  });

  it('the decision asks the terminal first: when it can tell now, its answer wins and a contrary decision is refused', async () => {
    const o = await sale(1000, 700);
    t.sim.loseCompletionNext();
    await expect(ret(o.id, 'R-8', 700)).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED' });
    await idle();
    const [ra] = await refundAttemptsOf(f.db, o.id);
    expect(ra.state).toBe('unknown');
    // nothing was sent after it: the terminal's last receipt is the refund
    await expect(refunds.decide(ra.id, 'not_refunded', 'att-9')).rejects.toMatchObject({ code: 'EVENT_NOT_ALLOWED', details: { state: 'refunded', by: 'kiosk' } });
    expect((await f.engine.get(o.id)).refunded).toBe(700);
    expect(await journal(o.id, 'refund_doubt_settled')).toEqual([]);
    await expect(refunds.decide(ra.id, 'refunded', 'att-9')).resolves.toMatchObject({ replayed: false, by: 'kiosk' });
    expect(await journal(o.id, 'refund_issued')).toEqual([expect.objectContaining({ event: expect.not.objectContaining({ decidedBy: expect.anything() }) })]);
    await expect(refunds.decide('no-such-attempt', 'refunded', 'att-9')).rejects.toMatchObject({ code: 'GUARD_REJECTED' });
  });

  it('HQ folds the order with its refund_in_doubt entry as before (the entry changes neither state nor total)', async () => {
    const o = await sale(900);
    t.sim.timeoutNext();
    await expect(ret(o.id, 'R-5', 400)).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED' });
    const rows = await f.db.read.all<{ seq: number; ts: number; type: string; payload: string }>('SELECT seq, ts, type, payload FROM journal WHERE order_id = ? ORDER BY seq', [o.id]);
    expect(rows.map((r) => r.type)).toContain('refund_in_doubt');
    const withIt = foldOrder('S1', 'lane-test', o.id, rows)!;
    const without = foldOrder('S1', 'lane-test', o.id, rows.filter((r) => r.type !== 'refund_in_doubt'))!;
    // only the order's last-entry markers move
    const { last_seq: _a, updated_at: _b, ...a } = withIt.order as unknown as Record<string, unknown>;
    const { last_seq: _c, updated_at: _d, ...b } = without.order as unknown as Record<string, unknown>;
    expect(a).toEqual(b);
    expect(withIt.payments).toEqual(without.payments);
    expect(withIt.refunds).toEqual(without.refunds);
  });
});
