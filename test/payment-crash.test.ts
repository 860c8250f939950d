/**
 * Payment crash matrix: the real kiosk process (`kiosk demo --pay card|alipay|wechat|unionpay`) is SIGKILLed at each step of a
 * payment (fail points, see kernel/failpoints.ts): after the attempt is committed, before the request is sent,
 * after it was sent, after approval before the commit, after the commit before the receipt. Then a fresh process
 * (`kiosk payments recover --close`) settles what was in doubt from the terminal / gateway and closes the order.
 *
 * The simulators run HERE, in the test process — the ZVT terminal on TCP (a LAN terminal), the Alipay gateway on
 * HTTP, WeChat Pay on HTTPS (refunds and reversals with the merchant's client certificate) and the UnionPay acquirer
 * on HTTPS — so they outlive every kill, and their own ledgers are the judge: an order ends completed and charged
 * exactly once, or cancelled and not charged at all.
 */
import * as fs from 'node:fs';
import type { FailpointName } from '../kernel/failpoints';
import { channelOrderNo } from '../protocol/payments/channel-numbers';
import type { GatewaySimulator } from '../simulators/gateway/gateway-simulator';
import type { UnionpaySimulator } from '../simulators/unionpay/unionpay-simulator';
import type { WechatSimulator } from '../simulators/wechat/wechat-simulator';
import type { ZvtTerminalSimulator } from '../simulators/terminal/zvt-simulator';
import { killStrays } from './support/cli';
import { runKiosk as run, startPaymentSimulators, type PaymentSimulators } from './support/crash-matrix';
import { tempDir } from './support/engine-fixture';
import { RawTcpEcr } from './support/zvt-raw-ecr';

const POINTS: FailpointName[] = ['payment.started', 'payment.before-send', 'payment.after-send', 'payment.after-approval', 'payment.after-commit'];

interface OrderOut {
  orderId: string;
  state: string;
  total: number;
  paid: number;
  attempts: { id: string; method: string; amount: number; state: string; reference: Record<string, string | number> | null }[];
}

/** One wallet trade as its simulator's ledger holds it, in the terms the matrix judges by. */
interface ChannelTrade {
  orderNo: string;
  paid: boolean;
  amount: number;
  /** Still payable by the shopper (never closed or reversed). */
  waiting: boolean;
}

let channelTrades: (method: 'alipay' | 'wechat' | 'unionpay') => ChannelTrade[];

describe('payment crash matrix (SIGKILL at every step; simulators outlive the kiosk and keep their own ledgers)', () => {
  let dir: string;
  let terminal: ZvtTerminalSimulator;
  let terminalPort: number;
  let gateway: GatewaySimulator;
  let wechat: WechatSimulator;
  let unionpay: UnionpaySimulator;
  let configPath: string;
  const outcomes: { method: string; point: string; order: OrderOut }[] = [];

  let sims: PaymentSimulators;

  beforeAll(async () => {
    dir = tempDir('kiosk-paycrash-');
    sims = await startPaymentSimulators(dir);
    ({ terminal, terminalPort, gateway, wechat, unionpay, configPath } = sims);
    channelTrades = (method) =>
      method === 'alipay'
        ? gateway.ledger().map((t) => ({ orderNo: t.outTradeNo, paid: t.status === 'TRADE_SUCCESS', amount: t.totalAmount, waiting: t.status === 'WAIT_BUYER_PAY' }))
        : method === 'wechat'
          ? wechat.trades().map((t) => ({ orderNo: t.outTradeNo, paid: t.paidAt !== undefined && t.reversedAt === undefined, amount: t.totalFee, waiting: t.state === 'USERPAYING' || t.state === 'NOTPAY' }))
          : unionpay.trades().filter((t) => t.kind !== 'refund').map((t) => ({ orderNo: t.orderId, paid: t.status === 'PAID', amount: t.txnAmt, waiting: t.status === 'PAYING' }));
  }, 30_000);

  afterAll(async () => {
    killStrays();
    await sims.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const METHODS = ['card', 'alipay', 'wechat', 'unionpay'] as const;
  for (const method of METHODS) {
    for (const point of POINTS) {
      it(`${method}: killed at ${point} → after restart the order is completed and charged once, or cancelled and not charged`, async () => {
        const killed = await run(['demo', '--pay', method, '--config', configPath], { KIOSK_FAILPOINT: point });
        expect({ signal: killed.signal, stderr: killed.stderr }).toMatchObject({ signal: 'SIGKILL', stderr: expect.stringContaining(`failpoint ${point}`) });

        const after = await run(['payments', 'recover', '--close', '--json', '--config', configPath]);
        expect({ code: after.code, stderr: after.stderr }).toEqual({ code: 0, stderr: '' });
        const out = JSON.parse(after.stdout) as { closed: { state: string } | null; unsettled: number; orders: OrderOut[] };
        expect(out.unsettled).toBe(0); // settled by asking the terminal / gateway: no attendant needed
        const order = out.orders[0];
        expect(['completed', 'cancelled']).toContain(order.state);
        outcomes.push({ method, point, order });

        if (method === 'card') {
          // the terminal's journal: approved payments that were not reversed, for this order's trace numbers
          const traces = order.attempts.flatMap((a) => (a.reference?.traceNumber !== undefined ? [Number(a.reference.traceNumber)] : []));
          const charges = terminal.journal.entries().filter((e) => e.kind === 'payment' && e.result === 'approved' && !e.reversed);
          const mine = charges.filter((e) => traces.includes(e.traceNumber));
          if (order.state === 'completed') {
            expect(mine).toHaveLength(1);
            expect(mine[0].amount).toBe(order.total);
          } else {
            expect(mine).toHaveLength(0);
          }
          // and nothing approved on the terminal belongs to no completed order (checked over the whole run)
          const completedTraces = outcomes
            .filter((o) => o.method === 'card' && o.order.state === 'completed')
            .flatMap((o) => o.order.attempts.flatMap((a) => (a.reference?.traceNumber !== undefined ? [Number(a.reference.traceNumber)] : [])));
          expect(charges.map((e) => e.traceNumber).sort()).toEqual([...new Set(completedTraces)].sort());
        } else {
          // the channel's own ledger: what it took for this order's attempts (by the merchant order numbers sent)
          const ids = new Set(order.attempts.map((a) => channelOrderNo(method, a.id)));
          const trades = channelTrades(method).filter((t) => ids.has(t.orderNo));
          const paid = trades.filter((t) => t.paid);
          expect(paid).toHaveLength(order.state === 'completed' ? 1 : 0);
          if (order.state === 'completed') expect(paid[0].amount).toBe(order.total);
          // a trade left waiting for the shopper is closed / reversed, so it can never be paid later
          expect(trades.filter((t) => t.waiting)).toEqual([]);
          // the code went to its own wallet (the router told it by prefix and length), and the approval says which
          if (order.state === 'completed') expect(order.attempts.filter((a) => a.reference).map((a) => a.reference!.channel)).toEqual([method]);
          for (const other of (['alipay', 'wechat', 'unionpay'] as const).filter((m) => m !== method)) {
            expect(channelTrades(other).filter((t) => order.attempts.some((a) => channelOrderNo(other, a.id) === t.orderNo))).toEqual([]);
          }
        }
      }, 60_000);
    }
  }

  it('each step ends as it must: before anything reached the provider → cancelled; once approved → completed', () => {
    const byPoint = (m: string, p: string) => outcomes.find((o) => o.method === m && o.point === p)?.order.state;
    for (const m of METHODS) {
      expect(byPoint(m, 'payment.started')).toBe('cancelled');
      expect(byPoint(m, 'payment.before-send')).toBe('cancelled');
      expect(byPoint(m, 'payment.after-approval')).toBe('completed');
      expect(byPoint(m, 'payment.after-commit')).toBe('completed');
    }
    // a card payment interrupted mid-transaction is aborted by the terminal (it never got the ECR's confirmation)
    expect(byPoint('card', 'payment.after-send')).toBe('cancelled');
    for (const m of ['alipay', 'wechat', 'unionpay']) expect(byPoint(m, 'payment.after-send')).toMatch(/completed|cancelled/);
  });

  // Issue 10 point 7: cases a real terminal produces that the kiosk's old simulator hid. The terminal's own journal is the judge.
  const recoverJson = async () => {
    const after = await run(['payments', 'recover', '--close', '--json', '--config', configPath]);
    return { code: after.code, stderr: after.stderr, out: JSON.parse(after.stdout) as { unsettled: number; orders: OrderOut[] } };
  };

  it('card: completion lost, terminal gives no status information → left in doubt for staff (never cancelled while charged), then settled once', async () => {
    const before = terminal.journal.entries().length;
    terminal.setStatusInfoOnRepeat('never'); // repeat receipt: print-out only, no 04 0F, whatever the service byte asks
    try {
      const killed = await run(['demo', '--pay', 'card', '--config', configPath], { KIOSK_FAILPOINT: 'payment.after-approval' });
      expect(killed.signal).toBe('SIGKILL');
      const charged = terminal.journal.entries().slice(before).filter((e) => e.kind === 'payment');
      expect(charged.map((e) => e.result)).toEqual(['approved']); // the terminal did take the money

      const { code, out } = await recoverJson();
      const order = out.orders[0];
      // the terminal cannot tell what its last transaction was: that is "unknown", never "declined"
      expect({ code, unsettled: out.unsettled }).toEqual({ code: 3, unsettled: 1 });
      expect(['cancelled', 'completed']).not.toContain(order.state);
      // nobody asked the terminal to pay again, and nothing was reversed behind staff's back
      const now = terminal.journal.entries().slice(before).filter((e) => e.kind === 'payment');
      expect(now.map((e) => ({ result: e.result, reversed: e.reversed ?? false }))).toEqual([{ result: 'approved', reversed: false }]);

      // staff look at the terminal's print-out and decide: the order completes, charged exactly once
      const decided = await run(['payments', 'decide', order.orderId, 'approved', '--attendant', 'att-1', '--json', '--config', configPath]);
      expect({ code: decided.code, stderr: decided.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(decided.stdout)).toMatchObject({ orderId: order.orderId, state: 'paid' });
      const closed = await recoverJson();
      expect({ code: closed.code, unsettled: closed.out.unsettled }).toEqual({ code: 0, unsettled: 0 });
      expect(closed.out.orders[0]).toMatchObject({ orderId: order.orderId, state: 'completed', paid: order.total });
      const final = terminal.journal.entries().slice(before).filter((e) => e.kind === 'payment' && e.result === 'approved' && !e.reversed);
      expect(final).toHaveLength(1);
      expect(final[0].amount).toBe(order.total);
    } finally {
      terminal.setStatusInfoOnRepeat('service-byte');
    }
  }, 90_000);

  it('card: timeout right after a reversal of the same amount → never matched to the reversal receipt: nothing charged, never completed', async () => {
    // a sale of the demo basket, then that payment reversed at the terminal: its last completed transaction is now a
    // reversal (BMP 37) of exactly the amount the next demo sale will ask for
    const sold = await run(['demo', '--pay', 'card', '--config', configPath]);
    expect(sold.code).toBe(0);
    const sale = terminal.last()!;
    expect(sale).toMatchObject({ kind: 'payment', result: 'approved' });
    const ecr = await RawTcpEcr.connect(terminalPort);
    try {
      const receipt = sale.receiptNumber.toString().padStart(4, '0');
      ecr.send(`06 30 06 00 00 00 87 ${receipt.slice(0, 2)} ${receipt.slice(2)}`);
      expect((await ecr.follow()).pop()).toBe('06 0F 00');
    } finally {
      ecr.close();
    }
    const reversal = terminal.last()!;
    expect(reversal).toMatchObject({ kind: 'reversal', result: 'approved', amount: sale.amount, originalTraceNumber: sale.traceNumber });

    const before = terminal.journal.entries().length;
    const killed = await run(['demo', '--pay', 'card', '--config', configPath], { KIOSK_FAILPOINT: 'payment.after-send' });
    expect(killed.signal).toBe('SIGKILL');
    // a terminal that sends the status information on every repeat receipt (service byte or not): the kiosk
    // certainly sees the reversal's 04 0F — same amount, BMP 37 set — when it asks what happened
    terminal.setStatusInfoOnRepeat('always');
    const { code, out } = await recoverJson().finally(() => terminal.setStatusInfoOnRepeat('service-byte'));
    const order = out.orders[0];
    expect(order.total).toBe(sale.amount);
    // what the terminal did with this payment: it never completed (the ECR vanished), so no money moved
    const mine = terminal.journal.entries().slice(before).filter((e) => e.kind === 'payment');
    expect(mine).toHaveLength(1);
    expect(mine[0].result).toBe('aborted');
    // the kiosk never takes the reversal's receipt for this payment: not completed, nothing paid. It may cancel
    // (the terminal's last transaction proves the payment did not complete) or leave it to staff — never "paid".
    expect(order.state).not.toBe('completed');
    expect(order.paid).toBe(0);
    if (out.unsettled === 0) expect({ code, state: order.state }).toEqual({ code: 0, state: 'cancelled' });
    else expect({ code, state: order.state }).toEqual({ code: 3, state: 'payment_unknown' });
    const traces = order.attempts.flatMap((a) => (a.reference?.traceNumber !== undefined ? [Number(a.reference.traceNumber)] : []));
    expect(traces).not.toContain(reversal.traceNumber);
    expect(traces).not.toContain(sale.traceNumber);
  }, 90_000);
});
