/**
 * Refund crash matrix: a return at the lane (`kiosk orders return`, the built CLI) is SIGKILLed at each step of its
 * refund (fail points, see kernel/failpoints.ts): after the refund attempt is committed, after it is marked sent
 * (nothing at the provider yet), while the provider has it, after the provider answered refunded but before the
 * journal commit, after `refund_issued` is committed. Then a fresh process (`kiosk payments recover`) settles what
 * it can, and the same return is retried.
 *
 * The four simulators run HERE (test/support/crash-matrix.ts), so they outlive every kill, and their own ledgers are
 * the judge: the shopper is refunded exactly once — or not at all until the retry of the same return, which then
 * refunds once — never twice; the retry of a return that was done answers `replayed`; the journal chain verifies.
 *
 * `refund.after-send` is reached from outside: the kiosk is SIGKILLed by this test once the provider holds the refund
 * (card: the terminal, told to hold the next transaction (`timeoutNext`), has the refund running and sent its first
 * intermediate status; wallets: the channel booked the refund and its answer is held back by `slowResponse`). No wallet channel has a hook between
 * writing the HTTP request and reading the answer, and the card provider (runtime/payments/card-terminal.ts) does
 * not call `failpoint('refund.after-send')` yet.
 */
import * as fs from 'node:fs';
import type { FailpointName } from '../kernel/failpoints';
import { channelOrderNo } from '../protocol/payments/channel-numbers';
import { exited, kioskAsync, killStrays } from './support/cli';
import { runKiosk as run, startPaymentSimulators, type PaymentSimulators } from './support/crash-matrix';
import { tempDir } from './support/engine-fixture';
import { waitFor } from './support/wait';

const POINTS = ['refund.started', 'refund.before-send', 'refund.after-send', 'refund.after-refunded', 'refund.after-commit'] as const satisfies readonly FailpointName[];
type Point = (typeof POINTS)[number];
const METHODS = ['card', 'alipay', 'wechat', 'unionpay'] as const;
type Method = (typeof METHODS)[number];
/** A partial return (fen): a card refund (06 31), not the reversal of the whole payment. */
const AMOUNT = 100;

/**
 * What each step must end as. `atKill`: the provider had paid the money back when the kiosk died. `afterRecover`:
 * the refund is journaled (`refund_issued`) by `kiosk payments recover` — the terminal is asked; a wallet refund
 * left `sent` is not sent again by recovery (it stays in doubt, listed, exit 3) until the same return is retried,
 * which sends it under the same request number (idempotent at the channel).
 */
function expected(method: Method, point: Point): { atKill: boolean; afterRecover: boolean; inDoubtAfterRecover: boolean } {
  const card = method === 'card';
  switch (point) {
    case 'refund.started':
      return { atKill: false, afterRecover: false, inDoubtAfterRecover: false };
    case 'refund.before-send':
      return { atKill: false, afterRecover: false, inDoubtAfterRecover: !card };
    case 'refund.after-send':
      // the terminal breaks the refund off when the ECR's line goes; a wallet channel has booked it
      return { atKill: !card, afterRecover: false, inDoubtAfterRecover: !card };
    case 'refund.after-refunded':
      return { atKill: true, afterRecover: card, inDoubtAfterRecover: !card };
    case 'refund.after-commit':
      return { atKill: true, afterRecover: true, inDoubtAfterRecover: false };
  }
}

interface Sale {
  orderId: string;
  total: number;
  payments: { attemptId: string; method: string; status: string }[];
}

describe('refund crash matrix (SIGKILL at every step of a return; simulators outlive the kiosk and keep their own ledgers)', () => {
  let dir: string;
  let sims: PaymentSimulators;

  beforeAll(async () => {
    dir = tempDir('kiosk-refundcrash-');
    sims = await startPaymentSimulators(dir);
  }, 30_000);
  afterEach(killStrays);
  afterAll(async () => {
    killStrays();
    await sims.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => run([...args, '--config', sims.configPath]);
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await cli(...args, '--json');
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    return JSON.parse(r.stdout) as T;
  };

  /**
   * The amounts the provider's own ledger paid back for this payment: the terminal's approved refunds and reversals
   * since `terminalFrom` (its journal index), or the wallet's refunds of the trade with this attempt's order number.
   */
  function refundsAtProvider(method: Method, attemptId: string, terminalFrom: number): number[] {
    if (method === 'card') {
      return sims.terminal.journal
        .entries()
        .slice(terminalFrom)
        .filter((e) => (e.kind === 'refund' || e.kind === 'reversal') && e.result === 'approved')
        .map((e) => e.amount);
    }
    const orderNo = channelOrderNo(method, attemptId);
    if (method === 'alipay') return Object.values(sims.gateway.ledger().find((t) => t.outTradeNo === orderNo)?.refunds ?? {});
    if (method === 'wechat') return (sims.wechat.trades().find((t) => t.outTradeNo === orderNo)?.refunds ?? []).map((r) => r.fee);
    const pay = sims.unionpay.trades().find((t) => t.kind !== 'refund' && t.orderId === orderNo);
    return sims.unionpay
      .trades()
      .filter((t) => t.kind === 'refund' && pay !== undefined && t.origQryId === pay.queryId && t.status === 'PAID')
      .map((t) => t.txnAmt);
  }

  /** `refund.after-send` from outside: SIGKILL once the provider holds the refund (see the file comment). */
  async function killedWhileProviderHoldsIt(method: Method, args: string[], held: () => boolean): Promise<void> {
    const slow = method === 'alipay' ? sims.gateway : method === 'wechat' ? sims.wechat : method === 'unionpay' ? sims.unionpay : null;
    // below the channels' 2 s probe timeout (the return's boot probes them), long enough to kill before the answer
    slow?.slowResponse(1500);
    // the terminal holds the refund at its first intermediate status ("insert card") until the line breaks
    if (method === 'card') sims.terminal.timeoutNext();
    try {
      const child = kioskAsync(args);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await waitFor('the provider holds the refund', () => held() || child.exitCode !== null, 30_000).catch((e: Error) => {
        throw new Error(`${e.message}; kiosk stderr: ${stderr}`);
      });
      expect({ exitCode: child.exitCode, stderr }).toEqual({ exitCode: null, stderr: '' }); // still waiting for the answer
      child.kill('SIGKILL');
      expect((await exited(child)).signal).toBe('SIGKILL');
    } finally {
      slow?.slowResponse(0);
    }
  }

  for (const method of METHODS) {
    for (const point of POINTS) {
      const want = expected(method, point);
      it(`${method}: return killed at ${point} → refunded ${want.atKill ? 'once at the kill' : 'not at all, then once by the retry'}; never twice`, async () => {
        const sale = await json<Sale>('demo', '--pay', method);
        expect(sale.total).toBeGreaterThan(AMOUNT);
        const paid = sale.payments.filter((p) => p.status === 'approved');
        expect(paid).toHaveLength(1);
        const attemptId = paid[0].attemptId;
        const terminalFrom = sims.terminal.journal.entries().length;
        const atProvider = () => refundsAtProvider(method, attemptId, terminalFrom);
        const returnId = `R-${method}-${point}`;
        const ret = ['orders', 'return', sale.orderId, '--reason', 'defective', '--attendant', 'att-1', '--amount', String(AMOUNT), '--return-id', returnId, '--json', '--config', sims.configPath];

        if (point === 'refund.after-send') {
          const held =
            method === 'card'
              ? () => sims.terminal.journal.entries().slice(terminalFrom).some((e) => e.kind === 'refund' && e.result === 'pending')
              : () => atProvider().length > 0;
          await killedWhileProviderHoldsIt(method, ret, held);
          if (method === 'card') {
            // the terminal broke the refund off when the ECR's line went (it never got the ECR's acknowledgement)
            await waitFor('the terminal aborted the refund', () => sims.terminal.journal.entries().slice(terminalFrom).every((e) => e.result !== 'pending'), 30_000);
            expect(sims.terminal.journal.entries().slice(terminalFrom).map((e) => [e.kind, e.result])).toEqual([['refund', 'aborted']]);
          }
        } else {
          const killed = await run(ret, { KIOSK_FAILPOINT: point });
          expect({ signal: killed.signal, stdout: killed.stdout, stderr: killed.stderr }).toEqual({ signal: 'SIGKILL', stdout: '', stderr: `failpoint ${point}: SIGKILL\n` });
        }
        expect(atProvider()).toEqual(want.atKill ? [AMOUNT] : []);

        // the next boot: the terminal is asked; nothing is ever sent again by recovery
        const rec = await cli('payments', 'recover', '--json');
        expect({ code: rec.code, stderr: rec.stderr }).toEqual({ code: want.inDoubtAfterRecover ? 3 : 0, stderr: '' });
        const recovered = JSON.parse(rec.stdout) as { unsettled: number; refundsInDoubt: { orderId: string; method: string; amount: number; state: string }[] };
        expect(recovered.unsettled).toBe(0);
        expect(recovered.refundsInDoubt).toEqual(want.inDoubtAfterRecover ? [expect.objectContaining({ orderId: sale.orderId, method: method === 'card' ? 'card' : 'qr', returnId, amount: AMOUNT, state: 'sent' })] : []);
        expect(atProvider()).toEqual(want.atKill ? [AMOUNT] : []);
        const shown = await json<{ refunded: number; refunds: { amount: number; returnId?: string }[] }>('orders', 'show', sale.orderId);
        expect(shown.refunded).toBe(want.afterRecover ? AMOUNT : 0);
        expect(shown.refunds).toEqual(want.afterRecover ? [expect.objectContaining({ amount: AMOUNT, returnId })] : []);

        // the same return again: refunds once in all, whatever the step was
        const retried = await json<{ replayed: boolean; refund: { amount: number; returnId: string } }>(...ret.slice(0, -3));
        expect(retried.refund).toMatchObject({ amount: AMOUNT, returnId });
        if (want.atKill) expect(retried.replayed).toBe(true); // done before the retry: its recorded result, nothing sent
        else if (method === 'card' || point === 'refund.started') expect(retried.replayed).toBe(false); // settled not done, sent now
        expect(atProvider()).toEqual([AMOUNT]);
        const again = await json<{ replayed: boolean }>(...ret.slice(0, -3));
        expect(again.replayed).toBe(true);
        expect(atProvider()).toEqual([AMOUNT]);
        const final = await json<{ refunded: number; refunds: { amount: number; returnId?: string }[] }>('orders', 'show', sale.orderId);
        expect(final.refunded).toBe(AMOUNT);
        expect(final.refunds).toEqual([expect.objectContaining({ amount: AMOUNT, returnId })]);
        expect(await json<{ ok: boolean }>('journal', 'verify')).toMatchObject({ ok: true });
      }, 120_000);
    }
  }
});
