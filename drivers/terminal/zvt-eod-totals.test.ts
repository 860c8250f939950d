/**
 * End-of-day totals per card scheme, driver against the independent simulator over TCP: the simulator keeps its
 * transactions since the last end-of-day by card type and sends BMP 60; the driver reads it into `totals`.
 */
import { simulatedTerminal, type SimulatedTerminal } from '../../test/support/simulated-terminal';
import type { TerminalSimulatorOptions } from '../../simulators/terminal/zvt-simulator';

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function setup(sim: TerminalSimulatorOptions = {}): Promise<SimulatedTerminal> {
  const s = await simulatedTerminal('tcp', { sim });
  await s.terminal.open();
  await s.terminal.claim();
  await s.terminal.enable();
  await until(() => s.sim.idle);
  return s;
}

const VISA = { cardType: 10, cardName: 'VISA', maskedPan: '4111********1111' };
const MASTERCARD = { cardType: 6, cardName: 'Mastercard', maskedPan: '5100********0004' };

describe('ZVT end-of-day totals per card scheme (BMP 60)', () => {
  let s: SimulatedTerminal;
  afterEach(async () => s?.cleanup());

  it('payments by girocard, Visa and Mastercard, a refund and a reversal → counts and totals per scheme', async () => {
    s = await setup();
    await s.terminal.authorize(1000); // girocard (the default card)
    s.sim.approveNext({ card: VISA });
    await s.terminal.authorize(250);
    s.sim.approveNext({ card: VISA });
    await s.terminal.authorize(50);
    s.sim.approveNext({ card: MASTERCARD });
    const reversed = await s.terminal.authorize(700);
    await s.terminal.reverse(reversed.receiptNumber!);
    s.sim.approveNext({ card: VISA });
    await s.terminal.refund(100);
    const eod = await s.terminal.endOfDay();
    expect(eod).toMatchObject({ approved: true, amount: 1200 });
    expect(eod.totals).toEqual([
      { scheme: 'girocard', count: 1, amount: 1000 },
      { scheme: 'jcb', count: 0, amount: 0 },
      { scheme: 'mastercard', count: 0, amount: 0 }, // reversed
      { scheme: 'amex', count: 0, amount: 0 },
      { scheme: 'visa', count: 2, amount: 200 }, // 250 + 50 − 100 refunded
      { scheme: 'diners', count: 0, amount: 0 },
      { scheme: 'other', count: 0, amount: 0 },
    ]);
    expect(eod.totalsError).toBeUndefined();
    // the next end-of-day starts from nothing
    s.sim.approveNext({ card: MASTERCARD });
    await s.terminal.authorize(333);
    const next = await s.terminal.endOfDay();
    expect(next.totals?.find((t) => t.scheme === 'mastercard')).toEqual({ scheme: 'mastercard', count: 1, amount: 333 });
    expect(next.totals?.filter((t) => t.count > 0)).toHaveLength(1);
  });

  it('a terminal that leaves BMP 60 out: the end-of-day result has no totals', async () => {
    s = await setup({ eodIndividualTotals: false });
    await s.terminal.authorize(1000);
    const eod = await s.terminal.endOfDay();
    expect(eod).toMatchObject({ approved: true, amount: 1000 });
    expect(eod.totals).toBeUndefined();
    expect(eod.totalsError).toBeUndefined();
  });
});
