import { verifyJournal } from '../../protocol/journal/verify';
import { engineFixture, line, type Fixture } from '../../test/support/engine-fixture';
import { isKioskError } from '../../kernel/errors';
import { IdleWatch } from './idle-watch';

describe('order engine', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await engineFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  const journalCount = async () => (await f.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM journal'))!.n;
  const outboxCount = async () => (await f.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox'))!.n;

  it('walks a sale from first scan to completion, one journal and one outbox row per transition', async () => {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 350) });
    expect(o.state).toBe('shopping');
    o = await f.engine.dispatch(o.id, { type: 'item_added', line: line('A', 350) });
    expect(o.lines).toHaveLength(1);
    expect(o.lines[0].quantity).toBe(2);
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    expect(o.state).toBe('awaiting_payment');
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'p1', method: 'cash', amount: 700 });
    expect(o.state).toBe('payment_pending');
    o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: 'p1', amount: 700 });
    expect(o.state).toBe('paid');
    o = await f.engine.dispatch(o.id, { type: 'order_completed' });
    expect(o.state).toBe('completed');
    expect(o.receiptNo).toBe(1);
    expect(await journalCount()).toBe(6);
    expect(await outboxCount()).toBe(6);
    const v = await verifyJournal(f.db.read);
    expect(v).toMatchObject({ ok: true, entries: 6 });
  });

  it('sends an age-restricted item to the attendant, and approval covers later items of the same limit', async () => {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('BEER', 600, { ageLimit: 18 }) });
    expect(o.state).toBe('needs_attendant');
    expect(o.priced.total).toBe(0); // not billable until approved
    await expect(f.engine.dispatch(o.id, { type: 'checkout_started' })).rejects.toMatchObject({ code: 'EVENT_NOT_ALLOWED' });
    o = await f.engine.dispatch(o.id, { type: 'attendant_approved', attendantId: 'att-1' });
    expect(o.state).toBe('shopping');
    expect(o.priced.total).toBe(600);
    o = await f.engine.dispatch(o.id, { type: 'item_added', line: line('WINE', 5000, { ageLimit: 18 }) });
    expect(o.state).toBe('shopping');
    expect(o.priced.total).toBe(5600);
  });

  it('rejecting an age-restricted item removes it', async () => {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 100) });
    o = await f.engine.dispatch(o.id, { type: 'item_added', line: line('BEER', 600, { ageLimit: 18 }) });
    o = await f.engine.dispatch(o.id, { type: 'attendant_rejected', attendantId: 'att-1' });
    expect(o.state).toBe('shopping');
    expect(o.lines.map((l) => l.sku)).toEqual(['A']);
  });

  it('voids a line only with the attendant', async () => {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 100) });
    o = await f.engine.dispatch(o.id, { type: 'item_added', line: line('B', 200) });
    o = await f.engine.dispatch(o.id, { type: 'void_requested', lineId: 'L1' });
    expect(o.state).toBe('needs_attendant');
    expect(o.lines).toHaveLength(2);
    o = await f.engine.dispatch(o.id, { type: 'attendant_approved', attendantId: 'att-1' });
    expect(o.lines.map((l) => l.sku)).toEqual(['B']);
    expect(o.priced.total).toBe(200);
  });

  it('refuses an event the state does not allow, naming state and event, and changes nothing', async () => {
    const o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 100) });
    const before = await journalCount();
    const err = await f.engine.dispatch(o.id, { type: 'order_completed' }).catch((e: unknown) => e);
    expect(isKioskError(err, 'EVENT_NOT_ALLOWED')).toBe(true);
    expect((err as Error).message).toContain('"order_completed"');
    expect((err as Error).message).toContain('"shopping"');
    expect(await journalCount()).toBe(before);
    expect((await f.engine.get(o.id)).version).toBe(o.version);
  });

  it('declines go back to awaiting payment; a partial approval leaves the rest due (split tender)', async () => {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 1000) });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'p1', method: 'card', amount: 1000 });
    o = await f.engine.dispatch(o.id, { type: 'payment_declined', attemptId: 'p1', reason: 'insufficient funds' });
    expect(o.state).toBe('awaiting_payment');
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'p2', method: 'qr', amount: 400 });
    o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: 'p2', amount: 400 });
    expect(o.state).toBe('awaiting_payment');
    expect(o.paid).toBe(400);
    await expect(f.engine.dispatch(o.id, { type: 'order_cancelled', reason: 'x' })).rejects.toMatchObject({ code: 'GUARD_REJECTED' });
    await expect(f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'p3', method: 'card', amount: 601 })).rejects.toMatchObject({
      code: 'GUARD_REJECTED',
    });
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'p3', method: 'card', amount: 600 });
    o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: 'p3', amount: 600 });
    expect(o.state).toBe('paid');
  });

  it('an unknown payment outcome blocks everything until it is resolved, and blocks a new order', async () => {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 1000) });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'p1', method: 'card', amount: 1000 });
    o = await f.engine.dispatch(o.id, { type: 'payment_timed_out', attemptId: 'p1' });
    expect(o.state).toBe('payment_unknown');
    for (const ev of [{ type: 'order_cancelled', reason: 'x' }, { type: 'checkout_started' }, { type: 'help_requested' }] as const) {
      await expect(f.engine.dispatch(o.id, ev)).rejects.toMatchObject({ code: 'EVENT_NOT_ALLOWED' });
    }
    await expect(f.engine.dispatch(null, { type: 'item_added', line: line('B', 1) })).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED' });
    await expect(
      f.engine.dispatch(o.id, { type: 'payment_resolved', attemptId: 'p1', outcome: 'approved', by: 'attendant' }),
    ).rejects.toMatchObject({ code: 'GUARD_REJECTED' });
    o = await f.engine.dispatch(o.id, { type: 'payment_resolved', attemptId: 'p1', outcome: 'approved', by: 'attendant', attendantId: 'att-7' });
    expect(o.state).toBe('paid');
    const entry = await f.db.read.get<{ payload: string }>("SELECT payload FROM journal WHERE type = 'payment_resolved'");
    expect(JSON.parse(entry!.payload).event.attendantId).toBe('att-7');
  });

  it('numbers receipts without gaps, and refunds after completion (partial then full)', async () => {
    const sell = async (price: number) => {
      let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', price) });
      o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
      o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: `p-${o.id}`, method: 'cash', amount: price });
      o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: `p-${o.id}`, amount: price });
      return f.engine.dispatch(o.id, { type: 'order_completed' });
    };
    const a = await sell(100);
    // a cancelled order in between takes no receipt number
    const c = await f.engine.dispatch(null, { type: 'item_added', line: line('B', 5) });
    await f.engine.dispatch(c.id, { type: 'order_cancelled', reason: 'shopper left' });
    const b = await sell(900);
    expect([a.receiptNo, b.receiptNo]).toEqual([1, 2]);
    let r = await f.engine.dispatch(b.id, { type: 'refund_issued', amount: 300, attendantId: 'att-1' });
    expect(r.state).toBe('partially_refunded');
    await expect(f.engine.dispatch(b.id, { type: 'refund_issued', amount: 601, attendantId: 'att-1' })).rejects.toMatchObject({ code: 'GUARD_REJECTED' });
    r = await f.engine.dispatch(b.id, { type: 'refund_issued', amount: 600, attendantId: 'att-1' });
    expect(r.state).toBe('refunded');
    expect(r.refunded).toBe(900);
  });

  it('a member earns points per the loyalty rule when the order completes, in the same transaction', async () => {
    let o = await f.engine.dispatch(null, { type: 'member_attached', memberId: 'M0000000007' });
    o = await f.engine.dispatch(o.id, { type: 'item_added', line: line('A', 1999) });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'p', method: 'cash', amount: 1999 });
    o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: 'p', amount: 1999 });
    const members = async () => f.db.read.all<{ id: string; points: number }>('SELECT id, points FROM members');
    expect(await members()).toEqual([]); // nothing before completion
    o = await f.engine.dispatch(o.id, { type: 'order_completed' });
    expect(o.pointsEarned).toBe(19); // fixture rule: 1 point per full 100 minor units
    expect(await members()).toEqual([{ id: 'M0000000007', points: 19 }]);
  });

  it('prompts an idle shopper, returns on activity, and cancels when the prompt goes unanswered', async () => {
    const watch = new IdleWatch(f.engine, f.clock, { idlePromptMs: 60_000, idleCancelMs: 20_000 });
    await watch.start();
    const settle = () => new Promise((r) => setTimeout(r, 50));
    /** The watch reacts asynchronously (a timer, then a transaction): poll, so a loaded machine only makes it slower. */
    const reaches = async (id: string, state: string) => {
      for (let i = 0; i < 500 && (await f.engine.get(id)).state !== state; i++) await new Promise((r) => setTimeout(r, 10));
      return f.engine.get(id);
    };
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 100) });
    f.clock.advance(59_000);
    await settle();
    expect((await f.engine.get(o.id)).state).toBe('shopping');
    f.clock.advance(1_000);
    expect((await reaches(o.id, 'idle_prompt')).state).toBe('idle_prompt');
    o = await f.engine.dispatch(o.id, { type: 'shopper_active' });
    expect(o.state).toBe('shopping');
    f.clock.advance(60_000);
    expect((await reaches(o.id, 'idle_prompt')).state).toBe('idle_prompt');
    f.clock.advance(20_000);
    const done = await reaches(o.id, 'cancelled');
    expect(done.state).toBe('cancelled');
    expect(done.cancelReason).toBe('idle timeout');
    watch.stop();
  });

  it('two engines on one file (two processes) never fork the chain: stale caches are detected and retried', async () => {
    const other = await engineFixture({ dir: f.dir });
    try {
      let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 100) });
      o = await f.engine.dispatch(o.id, { type: 'item_added', line: line('B', 100) }); // f's cache now holds the order
      await other.engine.dispatch(o.id, { type: 'item_added', line: line('C', 100) }); // written behind f's back
      const next = await f.engine.dispatch(o.id, { type: 'item_added', line: line('D', 100) });
      expect(next.lines.map((l) => l.sku)).toEqual(['A', 'B', 'C', 'D']);
      expect(next.version).toBe(4);
      // a refusal based on a stale cached state is re-checked against the file
      await other.engine.dispatch(o.id, { type: 'checkout_started' });
      const paying = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'p', method: 'cash', amount: 400 });
      expect(paying.state).toBe('payment_pending');
      expect(await verifyJournal(f.db.read)).toMatchObject({ ok: true, entries: 6 });
    } finally {
      await other.db.close();
    }
  });

  it('serialises concurrent dispatches: no interleaved transaction, gap-free journal', async () => {
    const o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 100) });
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => f.engine.dispatch(o.id, { type: 'item_added', line: line(`S${i % 7}`, 10 + i) })),
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const final = await f.engine.get(o.id);
    expect(final.version).toBe(41);
    expect(final.lines.reduce((n, l) => n + l.quantity, 0)).toBe(41);
    expect(await verifyJournal(f.db.read)).toMatchObject({ ok: true, entries: 41 });
  });
});
