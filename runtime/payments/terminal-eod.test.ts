import { engineFixture, type Fixture } from '../../test/support/engine-fixture';
import { SimulatedClock } from '../../kernel/clock';
import type { PaymentTerminal, TerminalResult } from '../../drivers/contract';
import { runTerminalEndOfDay } from './terminal-eod';

const terminalSaying = (r: TerminalResult) => ({ endOfDay: () => Promise.resolve(r) }) as unknown as PaymentTerminal;

async function lastPayload(f: Fixture): Promise<Record<string, unknown>> {
  const row = await f.db.read.get<{ payload: string }>(`SELECT payload FROM journal WHERE type = 'terminal_end_of_day' ORDER BY seq DESC LIMIT 1`);
  return JSON.parse(row!.payload) as Record<string, unknown>;
}

describe('terminal end-of-day journal entry', () => {
  let f: Fixture;
  beforeEach(async () => (f = await engineFixture()));
  afterEach(() => f.close());

  it('journals the per-scheme totals the terminal reported as totals: [{ scheme, count, amount }]', async () => {
    const totals = [
      { scheme: 'girocard' as const, count: 1, amount: 1000 },
      { scheme: 'visa' as const, count: 2, amount: 200 },
      { scheme: 'other' as const, count: 0, amount: 0 },
    ];
    await runTerminalEndOfDay(f.db, terminalSaying({ approved: true, resultCode: 0, amount: 1200, traceNumber: 9, terminalId: '52001233', totals }), {
      clock: new SimulatedClock(0),
      deviceId: 'lane-01',
    });
    expect(await lastPayload(f)).toEqual({ amount: 1200, traceNumber: 9, captured: 0, terminalId: '52001233', totals });
  });

  it('leaves totals out when the terminal sent none; the other fields are as before', async () => {
    await runTerminalEndOfDay(f.db, terminalSaying({ approved: true, resultCode: 0, amount: 500, traceNumber: 10 }), { clock: new SimulatedClock(0), deviceId: 'lane-01' });
    expect(await lastPayload(f)).toEqual({ amount: 500, traceNumber: 10, captured: 0, terminalId: null });
  });

  it('a malformed BMP 60 (totalsError) journals no totals', async () => {
    await runTerminalEndOfDay(f.db, terminalSaying({ approved: true, resultCode: 0, amount: 500, traceNumber: 11, totalsError: 'ZVT: BMP 60 (individual totals) has 52 bytes, expected 53' }), {
      clock: new SimulatedClock(0),
      deviceId: 'lane-01',
    });
    expect(await lastPayload(f)).not.toHaveProperty('totals');
  });
});
