/**
 * After-sales returns (issue 15): the store's returns policy (window from completion by the injected clock, reason,
 * approver), paid back through Refunds, journaled with reason and return id, idempotent on the return id — also
 * across a restart (the id is found in the order's own journaled refunds).
 */
import * as fs from 'node:fs';
import fc from 'fast-check';
import { loadConfig } from '../config/load';
import { defaultReturnsPolicy, type ReturnsPolicy } from '../config/returns-policy';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { SystemClock } from '../kernel/clock';
import { checkReturnPolicy } from '../runtime/payments/returns';
import { kiosk } from './support/cli';
import { tempDir } from './support/engine-fixture';

const DAY = 24 * 60 * 60 * 1000;

/** The system clock moved by `offset` ms: the kiosk's injected clock, so a test can step past the return window. */
class MovedClock extends SystemClock {
  offset = 0;
  override now(): number {
    return Date.now() + this.offset;
  }
}

const ruleOf = (f: () => void): string | null => {
  try {
    f();
    return null;
  } catch (e) {
    return String((e as { code: string; details: { rule: string } }).code + ':' + (e as { details: { rule: string } }).details.rule);
  }
};

describe('returns policy (pure)', () => {
  it('accepts a return exactly up to `days` × 24 h after completion and refuses it 1 ms later', () => {
    fc.assert(
      // the edge itself (−1, 0, +1 ms) often, and anything around it
      fc.property(fc.integer({ min: 0, max: 365 }), fc.integer({ min: 0, max: 2 ** 42 }), fc.oneof(fc.constantFrom(-1, 0, 1), fc.integer({ min: -5000, max: 5000 })), (days, completedAt, delta) => {
        const policy: ReturnsPolicy = { ...defaultReturnsPolicy(), days };
        const now = completedAt + days * DAY + delta;
        const rule = ruleOf(() => checkReturnPolicy(policy, { reason: 'defective', attendantId: 'a', by: 'lane', completedAt, now }));
        expect(rule).toBe(delta <= 0 ? null : 'RETURN_REFUSED:window');
      }),
    );
  });

  it('refuses a reason outside the list, a lane return when only HQ approves, a non-supervisor when supervisors approve', () => {
    const p = defaultReturnsPolicy();
    const at = { completedAt: 0, now: 1 };
    expect(ruleOf(() => checkReturnPolicy(p, { ...at, reason: 'nope', attendantId: 'a', by: 'lane' }))).toBe('RETURN_REFUSED:reason');
    expect(ruleOf(() => checkReturnPolicy({ ...p, approval: 'hq' }, { ...at, reason: 'defective', attendantId: 'a', by: 'lane' }))).toBe('RETURN_REFUSED:approval');
    expect(ruleOf(() => checkReturnPolicy({ ...p, approval: 'hq' }, { ...at, reason: 'defective', attendantId: 'hq:alice', by: 'hq' }))).toBeNull();
    const sup = { ...p, approval: 'supervisor' as const, supervisors: ['sup-1'] };
    expect(ruleOf(() => checkReturnPolicy(sup, { ...at, reason: 'defective', attendantId: 'att-2', by: 'lane' }))).toBe('RETURN_REFUSED:approval');
    expect(ruleOf(() => checkReturnPolicy(sup, { ...at, reason: 'defective', attendantId: 'sup-1', by: 'lane' }))).toBeNull();
  });
});

describe('returns at the lane', () => {
  let dir: string;
  let k: Kiosk;
  let codes: string[];
  const clock = new MovedClock();
  const boot = async () => {
    k = await bootKiosk(
      loadConfig({ env: {}, overrides: { dataDir: dir, returns: { ...defaultReturnsPolicy(), days: 3, approval: 'supervisor', supervisors: ['sup-1'] } } }),
      { clock, confirmCash: async () => true },
    );
  };
  beforeAll(async () => {
    dir = tempDir('kiosk-returns-');
    await boot();
    codes = (await k.catalog.sample('plain', 4)).map((i) => i.barcodes[0]);
  });
  afterAll(async () => {
    await k.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function sell(items: string[]): Promise<string> {
    let id = '';
    for (const c of items) {
      const r = await k.lane.scan(c);
      if (!r.ok || r.action !== 'item_added') throw new Error(`scan ${c}: ${JSON.stringify(r)}`);
      id = r.order.id;
    }
    await k.engine.dispatch(id, { type: 'checkout_started' });
    await k.checkout.pay(id, 'cash');
    await k.engine.dispatch(id, { type: 'order_completed' });
    return id;
  }
  const refundEntries = async (orderId: string) =>
    (await k.db.read.all<{ payload: string }>("SELECT payload FROM journal WHERE order_id = ? AND type = 'refund_issued' ORDER BY seq", [orderId])).map(
      (r) => (JSON.parse(r.payload) as { event: Record<string, unknown> }).event,
    );

  it('one return id → one refund, journaled with reason and return id; the same id again (also after a restart) answers the first result', async () => {
    const id = await sell([codes[0], codes[1]]);
    const o = await k.engine.get(id);
    const line = o.priced.lines[0];
    const first = await k.returns.run(id, { returnId: 'R-1', reason: 'defective', attendantId: 'sup-1', by: 'lane', lineIds: [line.lineId] });
    expect(first).toMatchObject({ replayed: false, state: 'partially_refunded', refund: { amount: line.net, reason: 'defective', returnId: 'R-1', attendantId: 'sup-1' } });
    const again = await k.returns.run(id, { returnId: 'R-1', reason: 'defective', attendantId: 'sup-1', by: 'lane', lineIds: [line.lineId] });
    expect(again).toMatchObject({ replayed: true, refund: JSON.parse(JSON.stringify(first.refund)) as object });
    expect((await k.engine.get(id)).refunded).toBe(line.net);
    expect(await refundEntries(id)).toEqual([expect.objectContaining({ amount: line.net, reason: 'defective', returnId: 'R-1', lineIds: [line.lineId] })]);

    await k.close();
    await boot();
    const afterRestart = await k.returns.run(id, { returnId: 'R-1', reason: 'defective', attendantId: 'sup-1', by: 'lane', lineIds: [line.lineId] });
    expect(afterRestart).toMatchObject({ replayed: true, refund: { amount: line.net, returnId: 'R-1' } });
    expect(await refundEntries(id)).toHaveLength(1);
    // another return id is another return: the rest of the order
    const rest = await k.returns.run(id, { returnId: 'R-2', reason: 'wrong-item', attendantId: 'sup-1', by: 'lane' });
    expect(rest).toMatchObject({ replayed: false, state: 'refunded', refund: { amount: o.paid - line.net, returnId: 'R-2' } });
  });

  it('the same return sent twice at once pays back once; two returns of the same line at once: one pays, the other is refused', async () => {
    const id = await sell([codes[0], codes[1]]);
    const line = (await k.engine.get(id)).priced.lines[0];
    const ask = (returnId: string) => k.returns.run(id, { returnId, reason: 'defective', attendantId: 'sup-1', by: 'lane', lineIds: [line.lineId] });
    const [a, b] = await Promise.all([ask('R-9'), ask('R-9')]);
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
    expect((await k.engine.get(id)).refunded).toBe(line.net);
    const other = (await k.engine.get(id)).priced.lines[1];
    const both = await Promise.allSettled([
      k.returns.run(id, { returnId: 'R-10', reason: 'defective', attendantId: 'sup-1', by: 'lane', lineIds: [other.lineId] }),
      k.returns.run(id, { returnId: 'R-11', reason: 'defective', attendantId: 'sup-1', by: 'lane', lineIds: [other.lineId] }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await k.engine.get(id)).refunded).toBe(line.net + other.net);
    expect(await refundEntries(id)).toHaveLength(2);
  });

  it('enforces the window (injected clock), the reason and the supervisor; a refused return pays nothing back', async () => {
    const id = await sell([codes[2]]);
    const paid = (await k.engine.get(id)).paid;
    await expect(k.returns.run(id, { returnId: 'R-3', reason: 'defective', attendantId: 'att-2', by: 'lane' })).rejects.toMatchObject({
      code: 'RETURN_REFUSED',
      details: { rule: 'approval', text: { 'zh-CN': expect.stringContaining('主管'), en: expect.stringContaining('not a supervisor') } },
    });
    await expect(k.returns.run(id, { returnId: 'R-3', reason: 'broken-heart', attendantId: 'sup-1', by: 'lane' })).rejects.toMatchObject({ code: 'RETURN_REFUSED', details: { rule: 'reason' } });
    clock.offset = 3 * DAY + 60_000;
    try {
      await expect(k.returns.run(id, { returnId: 'R-3', reason: 'defective', attendantId: 'sup-1', by: 'lane' })).rejects.toMatchObject({
        code: 'RETURN_REFUSED',
        details: { rule: 'window', days: 3 },
      });
      expect((await k.engine.get(id)).refunded).toBe(0);
      clock.offset = 3 * DAY - 60_000;
      await expect(k.returns.run(id, { returnId: 'R-3', reason: 'defective', attendantId: 'sup-1', by: 'lane' })).resolves.toMatchObject({ refund: { amount: paid } });
    } finally {
      clock.offset = 0;
    }
  });
});

describe('kiosk orders return (CLI)', () => {
  const dir = tempDir('kiosk-return-cli-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('returns under the default policy, answers a repeated --return-id with the first result, refuses an unknown reason in both languages', () => {
    const demo = kiosk(['demo', '--pay', 'card', '--data', dir, '--json']);
    expect(demo.code).toBe(0);
    const o = JSON.parse(demo.stdout) as { orderId: string; total: number };
    const bad = kiosk(['orders', 'return', o.orderId, '--reason', 'nope', '--attendant', 'att-1', '--data', dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/RETURN_REFUSED \(reason\): .*not one of defective.* \/ 退货原因/);
    const args = ['orders', 'return', o.orderId, '--reason', 'defective', '--attendant', 'att-1', '--amount', '100', '--return-id', 'cli-R1', '--data', dir, '--json'];
    const first = kiosk(args);
    expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(first.stdout)).toMatchObject({ replayed: false, state: 'partially_refunded', refund: { amount: 100, reason: 'defective', returnId: 'cli-R1' } });
    const second = kiosk(args);
    expect(JSON.parse(second.stdout)).toMatchObject({ replayed: true, state: 'partially_refunded', refund: { amount: 100, returnId: 'cli-R1' } });
    const shown = JSON.parse(kiosk(['orders', 'show', o.orderId, '--data', dir, '--json']).stdout) as { refunded: number };
    expect(shown.refunded).toBe(100);
  }, 120_000);
});
