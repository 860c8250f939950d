import { simulatedTerminal, type SimulatedTerminal } from '../../test/support/simulated-terminal';
import type { TerminalPrompt } from '../../drivers/contract';
import { CardTerminalProvider } from './card-terminal';

describe('CardTerminalProvider (terminal on TCP loopback, real driver and simulator)', () => {
  let t: SimulatedTerminal;
  beforeEach(async () => {
    t = await simulatedTerminal('tcp');
    await t.terminal.open();
    await t.terminal.claim();
    await t.terminal.enable();
  });
  afterEach(() => t.cleanup());

  /** How the card provider recognises its own transaction after a crash, against the real driver and simulator. */
  describe('CardTerminalProvider.lookup (terminal on TCP loopback)', () => {

    const req = (amount: number, attemptId = 'a1') => ({ attemptId, orderId: 'o1', amount, currency: 'CNY' });
    const signal = () => new AbortController().signal;

    it('the terminal has never run anything, and knew of nothing before: declined, nothing charged', async () => {
      const p = new CardTerminalProvider(t.terminal, { lastTraceNumber: async () => null });
      const context = await p.prepare();
      expect(context).toEqual({ lastTraceNumber: null });
      await expect(p.lookup({ ...req(1000), context })).resolves.toMatchObject({ outcome: 'declined' });
    });

    it("the terminal's last transaction is the one recorded before sending: ours never ran → declined", async () => {
      const p = new CardTerminalProvider(t.terminal);
      const first = await p.pay(req(700, 'a0'), signal());
      expect(first.outcome).toBe('approved');
      const context = await p.prepare(); // records the trace number of that approved payment
      expect(context.lastTraceNumber).toEqual(expect.any(Number));
      await expect(p.lookup({ ...req(700, 'a1'), context })).resolves.toMatchObject({ outcome: 'declined', reason: expect.stringMatching(/never reached/) });
    });

    it('a newer transaction with our amount: approved, with its references; another amount: unknown (attendant)', async () => {
      const p = new CardTerminalProvider(t.terminal, { lastTraceNumber: async () => null });
      const context = await p.prepare();
      const paid = await p.pay(req(1234), signal());
      expect(paid.outcome).toBe('approved');
      const fresh = new CardTerminalProvider(t.terminal); // a new process: nothing in memory
      const found = await fresh.lookup({ ...req(1234), context });
      expect(found).toMatchObject({ outcome: 'approved', amount: 1234, reference: { traceNumber: expect.any(Number), maskedPan: expect.stringContaining('*') } });
      await expect(fresh.lookup({ ...req(999), context })).resolves.toEqual({ outcome: 'unknown' });
    });

    it('issue 10 point 2: a reversal of the same amount right before a payment that timed out is never taken for it', async () => {
      const p = new CardTerminalProvider(t.terminal, { lastTraceNumber: async () => null });
      const paid = await p.pay(req(700, 'a0'), signal());
      if (paid.outcome !== 'approved') throw new Error(paid.outcome);
      const paymentTrace = paid.reference!.traceNumber;
      const back = await p.refund({ attemptId: 'a0', orderId: 'o1', approvedAmount: 700, refundedBefore: 0, amount: 700, reference: paid.reference ?? null, captured: false, requestNo: 'a0-refund-1' });
      expect(back).toMatchObject({ outcome: 'refunded', via: 'reversal' });
      const reversalTrace = back.outcome === 'refunded' ? back.reference?.traceNumber : undefined;
      expect(reversalTrace).toEqual(expect.any(Number));
      expect(reversalTrace).not.toBe(paymentTrace);
      // the next payment of 700 times out before it reached the terminal: the terminal's last transaction is the reversal
      const context = await p.prepare();
      expect(context).toEqual({ lastTraceNumber: reversalTrace }); // the baseline includes the reversal
      await expect(p.lookup({ ...req(700, 'a1'), context })).resolves.toMatchObject({ outcome: 'declined', reason: expect.stringMatching(/never reached/) });
      // a baseline that only knew the payment (as before issue 10): the reversal (BMP 37) is still never our payment
      await expect(new CardTerminalProvider(t.terminal).lookup({ ...req(700, 'a1'), context: { lastTraceNumber: paymentTrace ?? null } })).resolves.toEqual({
        outcome: 'unknown',
      });
    });

    it('a newer declined transaction with our amount: declined', async () => {
      const p = new CardTerminalProvider(t.terminal, { lastTraceNumber: async () => null });
      const context = await p.prepare();
      t.sim.declineNext(0x05);
      expect((await p.pay(req(500), signal())).outcome).toBe('declined');
      await expect(new CardTerminalProvider(t.terminal).lookup({ ...req(500), context })).resolves.toMatchObject({ outcome: 'declined' });
    });
  });

  describe('CardTerminalProvider prompts (terminal on TCP loopback)', () => {

    it("relays the terminal's prompts as prompt codes in order (insert card → PIN → processing), the terminal's text alongside for logs", async () => {
      const prompts: TerminalPrompt[] = [];
      const p = new CardTerminalProvider(t.terminal, { lastTraceNumber: async () => null, onPrompt: (x) => prompts.push(x) });
      const r = await p.pay({ attemptId: 'a1', orderId: 'o1', amount: 1234, currency: 'CNY' }, new AbortController().signal);
      expect(r.outcome).toBe('approved');
      expect(prompts.map((x) => x.code)).toEqual(['insert_card', 'enter_pin', 'processing']);
      expect(prompts.every((x) => typeof x.text === 'string' && x.text.length > 0)).toBe(true);
    });
  });
});
