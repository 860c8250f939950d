/**
 * Refunds in doubt on the attendant's screen: ScreenSession on a kiosk booted in this process with its simulated
 * devices (the ZVT terminal simulator), a real SQLite file, the real engine and Refunds. The refund in doubt is made
 * by the real Refunds with a card provider whose answer never comes and that recorded no baseline, so the terminal,
 * asked by "Ask the terminal again" and again by the decision, can never tell: the attendant decides.
 */
import * as fs from 'node:fs';
import type { Kiosk } from '../../device/kiosk';
import { startScreen, type RunningScreen } from '../../device/screen';
import { bootAttendantKiosk, completedCardSale } from '../../test/support/attendant-kiosk';
import { tempDir } from '../../test/support/engine-fixture';
import type { Order } from '../orders/order';
import type { PaymentProvider } from '../payments/provider';
import { refundAttemptsOf } from '../payments/refund-attempts';
import { Refunds } from '../payments/refunds';

const PIN = '2468';
const T = 30_000;

describe('refunds in doubt on the attendant screen', () => {
  let dir: string;
  let k: Kiosk;
  let screen: RunningScreen;

  beforeEach(async () => {
    dir = tempDir('kiosk-screen-refund-doubt-');
    k = await bootAttendantKiosk(dir, PIN, T);
    screen = await startScreen(k, { port: 0 });
  }, 60_000);
  afterEach(async () => {
    await screen?.close();
    await k?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function refundLeftInDoubt(o: Order, amount: number): Promise<string> {
    const silent: PaymentProvider = {
      method: 'card',
      pay: () => Promise.reject(new Error('not used')),
      lookup: () => Promise.resolve({ outcome: 'unknown' }),
      refund: () => Promise.reject(new Error('no answer from the terminal (timeout)')),
    };
    const r = new Refunds(k.engine, k.db, [silent], { clock: k.clock, deviceId: 'lane-test' });
    await expect(r.refund(o.id, { attendantId: 'att-1', amount })).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED' });
    return (await refundAttemptsOf(k.db, o.id))[0].id;
  }

  async function login(): Promise<void> {
    await screen.session.command({ kind: 'attendant_open' });
    await screen.session.command({ kind: 'attendant_pin', pin: PIN });
    await screen.session.command({ kind: 'attendant_tab', tab: 'orders' });
  }

  it('a row per refund in doubt; "ask the terminal again" cannot tell; "shopper got the money" journals it refunded once with the attendant id', async () => {
    const o = await completedCardSale(k);
    const id = await refundLeftInDoubt(o, 150);
    await login();
    const s = screen.session;
    expect(s.view().attendant.refundsInDoubt).toEqual([{ refundAttemptId: id, orderId: o.id, receiptNo: o.receiptNo, method: 'card', amount: 150, returnId: null, attendantId: 'att-1' }]);

    await s.command({ kind: 'attendant_refund_recheck' });
    expect(s.view().attendant.notice).toMatchObject({ ok: false, text: { en: expect.stringContaining('cannot tell what became of 1 refund') } });
    expect(s.view().attendant.refundsInDoubt).toHaveLength(1);

    await s.command({ kind: 'attendant_refund_decide', refundAttemptId: id, outcome: 'refunded' });
    expect(s.view().attendant.notice).toEqual({ action: 'refund', ok: true, text: { en: 'Recorded: the shopper got CNY 1.50 back', 'zh-CN': '已记录：顾客已收到退款 CNY 1.50' } });
    expect(s.view().attendant.refundsInDoubt).toEqual([]);
    expect(s.view().attendant.orders!.find((x) => x.id === o.id)).toMatchObject({ refunded: 150, state: 'partially_refunded' });
    const issued = await k.db.read.all<{ payload: string }>("SELECT payload FROM journal WHERE order_id = ? AND type = 'refund_issued'", [o.id]);
    expect(issued.map((r) => JSON.parse(r.payload).event)).toEqual([expect.objectContaining({ amount: 150, attendantId: 'att-1', decidedBy: 'att-42' })]);

    // a contrary decision afterwards (a stale page) is refused and says why
    await expect(s.command({ kind: 'attendant_refund_decide', refundAttemptId: id, outcome: 'not_refunded' })).rejects.toThrow(/not in doubt/);
    expect(s.view().attendant.notice).toMatchObject({ ok: false });
    expect((await k.engine.get(o.id)).refunded).toBe(150);
  }, 60_000);

  it('"not refunded": declined with the attendant id; the refund then goes through the terminal once', async () => {
    const o = await completedCardSale(k);
    const id = await refundLeftInDoubt(o, 200);
    await login();
    const s = screen.session;
    await s.command({ kind: 'attendant_refund_decide', refundAttemptId: id, outcome: 'not_refunded' });
    expect(s.view().attendant.notice).toMatchObject({ ok: true, text: { en: 'Recorded: CNY 2.00 was not refunded; the refund may be retried' } });
    expect(s.view().attendant.refundsInDoubt).toEqual([]);
    const settled = await k.db.read.all<{ payload: string }>("SELECT payload FROM journal WHERE order_id = ? AND type = 'refund_doubt_settled'", [o.id]);
    expect(settled.map((r) => JSON.parse(r.payload))).toEqual([expect.objectContaining({ refundAttemptId: id, by: 'attendant', attendantId: 'att-42', outcome: 'declined' })]);
    await s.command({ kind: 'attendant_refund', orderId: o.id });
    expect((await k.engine.get(o.id)).refunded).toBe(o.paid);
    expect((await refundAttemptsOf(k.db, o.id)).map((a) => a.state)).toEqual(['declined', 'refunded']);
  }, 60_000);
});
