import { defaultConfig } from '../../config/defaults';
import type { PaymentTerminal } from '../../drivers/contract';
import { Lane } from '../lane/lane';
import { Catalog } from '../pricebook/catalog';
import { engineFixture, line, type Fixture } from '../../test/support/engine-fixture';
import { commandHandlers, type CommandHandlerDeps } from './command-handlers';

/** The handlers HQ's commands run, on a real database and lane, without the device layer. */
describe('commandHandlers', () => {
  let f: Fixture;
  let lane: Lane;
  let calls: string[];
  let rule = { timeZone: 'UTC', dayStartHour: 0 };
  const deps = (hardware: CommandHandlerDeps['hardware']): CommandHandlerDeps => ({
    db: f.db,
    lane,
    clock: f.clock,
    identity: { store: 's1', device: 'd1' },
    currency: { code: 'CNY', minorUnits: 2 },
    businessDay: () => rule,
    hardware,
    journalChanged: () => calls.push('journal'),
    resendFrom: (seq) => calls.push(`resend ${seq}`),
    rebirth: () => ({ online: true }),
  });
  beforeEach(async () => {
    f = await engineFixture();
    lane = new Lane(f.engine, new Catalog(f.db), defaultConfig());
    calls = [];
    rule = { timeZone: 'UTC', dayStartHour: 0 };
  });
  afterEach(() => f.close());

  it('lock and unlock journal who closed the lane, change the lane and ask for the entry to be published', async () => {
    const h = commandHandlers(deps(null));
    await expect(h.lock({ reason: 'inventory' })).resolves.toEqual({ locked: true });
    expect(lane.closed).toEqual({ reason: 'inventory' });
    await expect(h.unlock({})).resolves.toEqual({ locked: false });
    expect(lane.closed).toBeNull();
    const rows = await f.db.read.all<{ type: string; payload: string }>("SELECT type, payload FROM journal WHERE type LIKE 'lane_%' ORDER BY seq");
    expect(rows.map((r) => [r.type, JSON.parse(r.payload)])).toEqual([
      ['lane_closed', { by: 'hq', reason: 'inventory' }],
      ['lane_opened', { by: 'hq' }],
    ]);
    expect(calls).toEqual(['journal', 'journal']);
  });

  it('without devices: print_test and doctor fail with the reason, eod reports without a terminal run', async () => {
    const h = commandHandlers(deps(null));
    await expect(h.print_test({})).rejects.toThrow('no receipt printer on this lane');
    await expect(h.doctor({})).rejects.toThrow('devices are not running');
    await f.engine.dispatch(null, { type: 'item_added', line: line('A', 500) });
    const r = (await h.eod({})) as { terminal: unknown; report: { date: string; storeId: string; openCount: number } };
    expect(r.terminal).toBeNull();
    expect(r.report).toMatchObject({ date: '2026-01-01', storeId: 's1', openCount: 1 });
  });

  it("eod without a date reports the store's current business day in its zone, over that day's local bounds", async () => {
    // the fixture's clock: 2026-01-01T09:00Z — 04:00 in New York, before a 06:00 day start: still 31 December's business day
    rule = { timeZone: 'America/New_York', dayStartHour: 6 };
    await f.engine.dispatch(null, { type: 'item_added', line: line('A', 500) });
    const r = (await commandHandlers(deps(null)).eod({})) as { report: { date: string; openCount: number; period: { from: string; to: string; timeZone: string } } };
    expect(r.report).toMatchObject({ date: '2025-12-31', openCount: 1, period: { from: '2025-12-31T11:00:00.000Z', to: '2026-01-01T11:00:00.000Z', timeZone: 'America/New_York' } });
  });

  it('with devices: doctor is the kiosk doctor, print_test the printer, eod runs the terminal end-of-day and reports its totals', async () => {
    const terminal = { endOfDay: async () => ({ approved: true, resultCode: 0, amount: 4200, traceNumber: 7 }) } as unknown as PaymentTerminal;
    const h = commandHandlers(
      deps({
        printer: { print: async (job) => ({ id: job.id, state: 'printed', duplicate: false }) },
        terminal,
        doctor: async () => ({ ok: true, rows: [] }),
      }),
    );
    await expect(h.doctor({})).resolves.toEqual({ ok: true, rows: [] });
    await expect(h.print_test({})).resolves.toEqual({ printed: true, jobId: expect.stringMatching(/^hq-test:/) });
    const r = (await h.eod({ date: '2026-01-01' })) as { terminal: { amount: number }; report: { card: { terminal: { amount: number } } } };
    expect(r.terminal).toMatchObject({ amount: 4200 });
    expect(r.report.card.terminal).toMatchObject({ amount: 4200 });
    expect(calls).toEqual(['journal']);
    await expect(h.resend({ fromSeq: 3 })).resolves.toEqual({ resendingFrom: 3 });
    await expect(h.rebirth({})).resolves.toEqual({ state: { online: true } });
    expect(calls).toEqual(['journal', 'resend 3']);
  });
});
