/**
 * `kiosk refunds list-in-doubt` / `kiosk refunds decide` / `kiosk payments recover` from the command line, offline
 * (the CLI boots the lane itself) and beside a running `kiosk start` (its control endpoint answers). The refund in
 * doubt is made by the real Refunds on the kiosk's own database, with a card provider whose answer never comes and
 * that recorded no baseline: the kiosk's simulated terminal, asked at every boot, can never tell what became of it.
 */
import * as fs from 'node:fs';
import { loadConfig } from '../config/load';
import { SystemClock } from '../kernel/clock';
import { bootKiosk } from '../device/kiosk';
import type { PaymentProvider } from '../runtime/payments/provider';
import { Refunds } from '../runtime/payments/refunds';
import { exited, kiosk, kioskAsync, killStrays, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';

/** A card refund sent whose answer never came: recorded unknown by the real Refunds (journaled refund_in_doubt). */
async function refundLeftInDoubt(dir: string, orderId: string, amount: number): Promise<string> {
  const k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir } }), { clock: new SystemClock() });
  try {
    const silent: PaymentProvider = {
      method: 'card',
      pay: () => Promise.reject(new Error('not used')),
      lookup: () => Promise.resolve({ outcome: 'unknown' }),
      refund: () => Promise.reject(new Error('no answer from the terminal (timeout)')),
    };
    const refunds = new Refunds(k.engine, k.db, [silent], { clock: new SystemClock(), deviceId: k.liveConfig.device.deviceId });
    await expect(refunds.refund(orderId, { attendantId: 'att-1', amount })).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED' });
    const row = await k.db.read.get<{ id: string }>("SELECT id FROM refund_attempts WHERE order_id = ? AND state = 'unknown'", [orderId]);
    return row!.id;
  } finally {
    await k.close();
  }
}

describe('kiosk refunds list-in-doubt / decide, kiosk payments recover', () => {
  const dir = tempDir('kiosk-refund-doubt-cli-');
  afterEach(killStrays);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) => kiosk([...args, '--data', dir]);
  const json = (...args: string[]) => {
    const r = run(...args, '--json');
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(r.stdout);
  };

  it('offline: listed, recover exits 3, the attendant decides "refunded" once, then nothing is in doubt', async () => {
    const sale = json('demo', '--pay', 'card');
    const id = await refundLeftInDoubt(dir, sale.orderId, 100);

    expect(json('refunds', 'list-in-doubt').inDoubt).toEqual([
      expect.objectContaining({ refundAttemptId: id, orderId: sale.orderId, method: 'card', amount: 100, state: 'unknown', attendantId: 'att-1' }),
    ]);
    const rec = run('payments', 'recover', '--json');
    expect(rec.code).toBe(3); // the terminal was asked and could not tell
    expect(JSON.parse(rec.stdout)).toMatchObject({ unsettled: 0, refundsInDoubt: [expect.objectContaining({ refundAttemptId: id })] });
    expect(run('payments', 'recover').stdout).toMatch(/1 refund\(s\) still in doubt/);

    // usage: exactly one outcome, and who decides
    expect(run('refunds', 'decide', id, '--attendant', 'att-5')).toMatchObject({ code: 2, stderr: expect.stringContaining('--refunded') });
    expect(run('refunds', 'decide', id, '--refunded', '--not-refunded', '--attendant', 'att-5').code).toBe(2);
    expect(run('refunds', 'decide', id, '--refunded')).toMatchObject({ code: 2, stderr: expect.stringContaining('--attendant') });

    const d = json('refunds', 'decide', id, '--refunded', '--attendant', 'att-5');
    expect(d).toMatchObject({ refundAttemptId: id, outcome: 'refunded', by: 'attendant', attendantId: 'att-5', replayed: false, order: { state: 'partially_refunded', refunded: 100 } });
    const shown = json('orders', 'show', sale.orderId);
    expect(shown).toMatchObject({ refunded: 100 });
    // idempotent, and a contrary decision is refused
    expect(json('refunds', 'decide', id, '--refunded', '--attendant', 'att-6')).toMatchObject({ replayed: true, attendantId: 'att-5', order: { refunded: 100 } });
    expect(run('refunds', 'decide', id, '--not-refunded', '--attendant', 'att-5')).toMatchObject({ code: 1, stderr: expect.stringContaining('EVENT_NOT_ALLOWED') });
    expect(json('refunds', 'list-in-doubt').inDoubt).toEqual([]);
    expect(run('payments', 'recover')).toMatchObject({ code: 0, stdout: expect.stringContaining('no refund in doubt') });
    // card refunds run again: the rest goes back through the terminal
    expect(json('orders', 'refund', sale.orderId, '--attendant', 'att-5')).toMatchObject({ state: 'refunded', refunded: sale.total });
  }, 180_000);

  it('beside a running kiosk: the control endpoint lists and decides ("not refunded"); the refund then runs again', async () => {
    const sale = json('demo', '--pay', 'card');
    const id = await refundLeftInDoubt(dir, sale.orderId, 200);
    const child = kioskAsync(['start', '--data', dir]);
    try {
      await watchLines(child, (l) => l.startsWith('ready '));
      const list = json('refunds', 'list-in-doubt');
      expect(list.inDoubt).toEqual([expect.objectContaining({ refundAttemptId: id, amount: 200 })]);
      expect(run('refunds', 'list-in-doubt').stdout).toContain(id);
      expect(json('refunds', 'decide', id, '--not-refunded', '--attendant', 'att-7')).toMatchObject({ outcome: 'not_refunded', by: 'attendant', attendantId: 'att-7', order: { refunded: 0 } });
      expect(run('refunds', 'decide', id, '--refunded', '--attendant', 'att-7')).toMatchObject({ code: 1, stderr: expect.stringContaining('EVENT_NOT_ALLOWED') });
      expect(run('refunds', 'decide', 'no-such-attempt', '--refunded', '--attendant', 'att-7')).toMatchObject({ code: 1, stderr: expect.stringContaining('no refund attempt') });
      expect(json('refunds', 'list-in-doubt').inDoubt).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      expect((await exited(child)).code).toBe(0);
    }
    // the kiosk stopped: the refund goes through the terminal now (the decision unblocked it)
    expect(json('orders', 'refund', sale.orderId, '--amount', '200', '--attendant', 'att-7')).toMatchObject({ refunded: 200, refund: { allocations: [expect.objectContaining({ method: 'card', amount: 200 })] } });
  }, 180_000);
});
