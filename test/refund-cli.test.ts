/** The attendant's refund and the terminal's end-of-day from the command line, on the embedded default. */
import * as fs from 'node:fs';
import { kiosk } from './support/cli';
import { tempDir } from './support/engine-fixture';

describe('kiosk orders refund / terminal eod / report eod', () => {
  const dir = tempDir('kiosk-refund-cli-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const json = (args: string[]) => {
    const r = kiosk([...args, '--data', dir, '--json']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(r.stdout);
  };

  it('refunds part, then the rest; the terminal settles; the Z report reconciles its totals with the local ones', () => {
    const first = json(['demo', '--pay', 'card']);
    const part = json(['orders', 'refund', first.orderId, '--amount', '100', '--attendant', 'att-3']);
    expect(part).toMatchObject({ state: 'partially_refunded', refunded: 100, refund: { amount: 100, attendantId: 'att-3', allocations: [{ method: 'card', via: 'refund', amount: 100 }] } });
    const rest = json(['orders', 'refund', first.orderId, '--attendant', 'att-3']);
    expect(rest).toMatchObject({ state: 'refunded', refunded: first.total });

    const second = json(['demo', '--pay', 'card']);
    const eod = json(['terminal', 'eod']);
    expect(eod).toMatchObject({ captured: 1, amount: second.total }); // the simulated terminal's own journal: payments − refunds
    const report = json(['report', 'eod', '--date', new Date().toISOString().slice(0, 10)]);
    expect(report.model.card).toMatchObject({ terminal: { amount: second.total }, local: { amount: second.total }, matches: true });
    expect(report.model.refunds).toEqual({ count: 2, amount: first.total });
  }, 120_000);

  it('refuses a refund without an attendant id, and an amount beyond what is left', () => {
    const o = json(['demo', '--pay', 'card']);
    expect(kiosk(['orders', 'refund', o.orderId, '--data', dir])).toMatchObject({ code: 2, stderr: expect.stringContaining('--attendant') });
    const r = kiosk(['orders', 'refund', o.orderId, '--amount', String(o.total + 1), '--attendant', 'a', '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`refund must be 1\\.\\.${o.total}`));
  }, 60_000);
});
