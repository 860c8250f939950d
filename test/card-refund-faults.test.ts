/**
 * Card refunds whose outcome is lost to an unplugged terminal or a crashed kiosk (issue 15 audit, point 7; the
 * timeout cases are test/refund-in-doubt.test.ts). A lost outcome is recorded in doubt — never as failed, never sent
 * again blindly — and settled later by asking the terminal (status enquiry + repeat receipt, trace number past the
 * baseline). Real parts: the real ZVT driver and the terminal simulator on TCP loopback with its fault switches
 * (loseCompletionNext / timeoutNext / disconnect / reconnect), the real engine and Refunds on a real SQLite file, and
 * for the crashes the built `kiosk` CLI SIGKILLed while the terminal holds the refund. The simulator's journal is the
 * judge of how often money went back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { defaultReturnsPolicy } from '../config/returns-policy';
import { lastRecordedTraceNumber } from '../runtime/payments/attempts';
import { CardTerminalProvider } from '../runtime/payments/card-terminal';
import { Checkout } from '../runtime/payments/checkout';
import { PaymentRecovery } from '../runtime/payments/recovery';
import { refundAttemptsOf, refundsInDoubt } from '../runtime/payments/refund-attempts';
import { Refunds } from '../runtime/payments/refunds';
import { Returns } from '../runtime/payments/returns';
import type { Order } from '../runtime/orders/order';
import { ZvtTerminalSimulator } from '../simulators/terminal/zvt-simulator';
import { exited, kioskAsync, killStrays } from './support/cli';
import { engineFixture, line, tempDir, type Fixture } from './support/engine-fixture';
import { simulatedTerminal, type SimulatedTerminal } from './support/simulated-terminal';
import { waitFor } from './support/wait';

jest.setTimeout(60_000);

describe('card refund, terminal unplugged while it runs (real ZVT driver + simulator on TCP)', () => {
  let f: Fixture;
  let t: SimulatedTerminal;
  let refunds: Refunds;
  let returns: Returns;
  let checkout: Checkout;
  let recovery: PaymentRecovery;

  beforeEach(async () => {
    f = await engineFixture();
    // completion 5 s: the line is pulled long before the driver would time out, so the drop is what loses the outcome
    t = await simulatedTerminal('tcp', { driver: { timeouts: { completion: 5000, drain: 1000 } } });
    await t.terminal.open();
    await t.terminal.claim();
    await t.terminal.enable();
    const card = new CardTerminalProvider(t.terminal, { lastTraceNumber: () => lastRecordedTraceNumber(f.db), refundsInDoubt: () => refunds.settleCardInDoubt() });
    refunds = new Refunds(f.engine, f.db, [card], { clock: f.clock, deviceId: 'lane-test' });
    returns = new Returns({ engine: f.engine, db: f.db, refunds, clock: f.clock, policy: defaultReturnsPolicy });
    checkout = new Checkout(f.engine, f.clock, { currency: 'EUR', timeoutMs: 3_600_000 }, [card]);
    recovery = new PaymentRecovery(f.db, checkout, f.clock, { refunds });
  });
  afterEach(async () => {
    recovery.stop();
    await t.cleanup();
    await f.close();
  });

  const simRefunds = () => t.sim.journal.entries().filter((e) => e.kind === 'refund');
  const journal = async (orderId: string, type: string) =>
    (await f.db.read.all<{ payload: string }>('SELECT payload FROM journal WHERE order_id = ? AND type = ? ORDER BY seq', [orderId, type])).map((r) => JSON.parse(r.payload) as Record<string, unknown>);

  async function sale(...prices: number[]): Promise<Order> {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', prices[0]) });
    for (const p of prices.slice(1)) o = await f.engine.dispatch(o.id, { type: 'item_added', line: line(`I${p}`, p) });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await checkout.pay(o.id, 'card');
    expect(o.state).toBe('paid');
    return f.engine.dispatch(o.id, { type: 'order_completed' });
  }
  const ret = (orderId: string, returnId: string, amount: number) => returns.run(orderId, { returnId, reason: 'defective', attendantId: 'att-1', by: 'lane', amount });
  /** Unplugs the terminal once `ready` holds for its journal (the refund has reached it), while the kiosk waits. */
  const unplugWhen = (what: string, ready: () => boolean) => waitFor(what, ready).then(() => t.sim.disconnect());
  const replug = async () => {
    await t.sim.reconnect();
    await waitFor('driver reconnected and idle', () => t.sim.connected && t.sim.idle && t.terminal.status().faults.length === 0);
  };

  it('the money went back, then the line dropped: in doubt (not failed), nothing sent again; settled refunded after replug, once', async () => {
    const o = await sale(1000, 500);
    t.sim.loseCompletionNext();
    const pending = ret(o.id, 'R-U1', 500);
    await unplugWhen('the terminal booked the refund', () => simRefunds().some((e) => e.result === 'approved'));
    await expect(pending).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED', details: { outcome: 'unknown', refunded: 0, inDoubt: 500 } });
    expect(await refundAttemptsOf(f.db, o.id)).toEqual([expect.objectContaining({ state: 'unknown', amount: 500 })]);
    expect(await journal(o.id, 'refund_in_doubt')).toEqual([expect.objectContaining({ amount: 500, method: 'card', returnId: 'R-U1' })]);
    expect(await journal(o.id, 'refund_doubt_settled')).toEqual([]);

    // still unplugged: recovery cannot ask, so it stays in doubt (never declined on silence), and a retry sends nothing
    expect(await recovery.run()).toBeGreaterThan(0);
    expect(await refundsInDoubt(f.db)).toBe(1);
    await expect(ret(o.id, 'R-U1', 500)).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED' });
    expect((await refundAttemptsOf(f.db, o.id)).map((a) => a.state)).toEqual(['unknown']);
    expect((await f.engine.get(o.id)).refunded).toBe(0);

    await replug();
    const commands = t.sim.stats.commands;
    expect(await recovery.run()).toBe(0);
    expect(await f.engine.get(o.id)).toMatchObject({ state: 'partially_refunded', refunded: 500 });
    expect((await refundAttemptsOf(f.db, o.id)).map((a) => a.state)).toEqual(['refunded']);
    expect(await refundsInDoubt(f.db)).toBe(0);
    // the retry of the return answers the settled refund and sends the terminal nothing at all
    await expect(ret(o.id, 'R-U1', 500)).resolves.toMatchObject({ replayed: true, refund: { amount: 500, returnId: 'R-U1' } });
    expect(t.sim.stats.commands - commands).toBeLessThanOrEqual(2); // recovery's status enquiry + repeat receipt only
    expect(simRefunds().filter((e) => e.result === 'approved')).toHaveLength(1);
  });

  it('the line dropped before the money went back: in doubt, settled not done after replug, and the retry sends it exactly once', async () => {
    const o = await sale(1000, 500);
    t.sim.timeoutNext();
    const pending = ret(o.id, 'R-U2', 500);
    await unplugWhen('the terminal has the refund', () => simRefunds().some((e) => e.result === 'pending'));
    await expect(pending).rejects.toMatchObject({ code: 'PAYMENT_UNRESOLVED', details: { outcome: 'unknown' } });
    // the terminal broke it off when the line went; the kiosk cannot know that, so it is in doubt, not declined
    expect(simRefunds()).toEqual([expect.objectContaining({ amount: 500, result: 'aborted' })]);
    expect((await refundAttemptsOf(f.db, o.id)).map((a) => a.state)).toEqual(['unknown']);
    expect(await journal(o.id, 'refund_in_doubt')).toHaveLength(1);

    await replug();
    expect(await recovery.run()).toBe(0);
    expect(await journal(o.id, 'refund_doubt_settled')).toEqual([expect.objectContaining({ outcome: 'declined', by: 'system', amount: 500 })]);
    expect((await f.engine.get(o.id)).refunded).toBe(0);
    await expect(ret(o.id, 'R-U2', 500)).resolves.toMatchObject({ replayed: false, refund: { amount: 500, returnId: 'R-U2' } });
    expect(simRefunds().filter((e) => e.result === 'approved')).toEqual([expect.objectContaining({ amount: 500 })]);
    const attempts = await refundAttemptsOf(f.db, o.id);
    expect(attempts.map((a) => a.state)).toEqual(['declined', 'refunded']);
    expect(new Set(attempts.map((a) => a.requestNo)).size).toBe(1);
    expect((await f.engine.get(o.id)).refunded).toBe(500);
  });
});

describe('card refund, kiosk killed while the terminal holds it (built CLI, SIGKILL)', () => {
  let dir: string;
  let terminal: ZvtTerminalSimulator;
  let configPath: string;

  beforeAll(async () => {
    dir = tempDir('kiosk-card-refund-crash-');
    const currency = Number(loadConfig({ env: {}, overrides: { dataDir: dir } }).currency.numeric);
    terminal = new ZvtTerminalSimulator({ ecrAckTimeoutMs: 2000, currency });
    const addr = await terminal.listenTcp();
    configPath = path.join(dir, 'kiosk.json');
    fs.writeFileSync(configPath, JSON.stringify({ dataDir: path.join(dir, 'data'), devices: { terminal: { transport: 'tcp', host: addr.host, port: addr.port } } }));
  }, 30_000);
  afterEach(killStrays);
  afterAll(async () => {
    killStrays();
    await terminal.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the CLI without blocking this process: the terminal simulator answers from here. */
  async function run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = kioskAsync([...args, '--config', configPath]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const { code } = await exited(child);
    return { code, stdout, stderr };
  }
  const json = async (...args: string[]) => {
    const r = await run(...args, '--json');
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  const refundsOf = (amount: number) => terminal.journal.entries().filter((e) => e.kind === 'refund' && e.amount === amount);
  const waitForJournal = (what: string, ok: () => boolean) => waitFor(what, ok, 30_000);

  /** `kiosk orders return` SIGKILLed once the terminal's journal shows `ready`. */
  async function returnKilledWhen(orderId: string, returnId: string, amount: number, what: string, ready: () => boolean): Promise<void> {
    const child = kioskAsync(['orders', 'return', orderId, '--reason', 'defective', '--attendant', 'att-1', '--amount', String(amount), '--return-id', returnId, '--json', '--config', configPath]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitForJournal(what, () => ready() || child.exitCode !== null).catch((e: Error) => {
      throw new Error(`${e.message}; kiosk stderr: ${stderr}`);
    });
    expect(child.exitCode).toBeNull(); // still waiting for the terminal's answer
    child.kill('SIGKILL');
    expect((await exited(child)).signal).toBe('SIGKILL');
  }

  it('the money went back before the kill: found done by the terminal at the next boot, journaled refund_issued once; the retry sends nothing', async () => {
    const sale = (await json('demo', '--pay', 'card')) as { orderId: string; total: number };
    terminal.loseCompletionNext();
    await returnKilledWhen(sale.orderId, 'R-K1', 300, 'the terminal booked the refund', () => refundsOf(300).some((e) => e.result === 'approved'));

    // the next boot asks the terminal: its last transaction is a refund of our amount past the baseline → done
    const rec = await run('payments', 'recover', '--json');
    expect({ code: rec.code, stderr: rec.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(rec.stdout)).toMatchObject({ unsettled: 0, refundsInDoubt: [] });
    expect(await json('orders', 'show', sale.orderId)).toMatchObject({
      state: 'partially_refunded',
      refunded: 300,
      refunds: [expect.objectContaining({ amount: 300, returnId: 'R-K1', allocations: [expect.objectContaining({ method: 'card', via: 'refund', amount: 300 })] })],
    });
    const before = terminal.journal.entries().length;
    expect(await json('orders', 'return', sale.orderId, '--reason', 'defective', '--attendant', 'att-1', '--amount', '300', '--return-id', 'R-K1')).toMatchObject({ replayed: true, refund: { amount: 300, returnId: 'R-K1' } });
    expect(terminal.journal.entries().length).toBe(before); // no new transaction on the terminal
    expect(refundsOf(300).filter((e) => e.result === 'approved')).toHaveLength(1);
  }, 180_000);

  it('killed before the money went back and the terminal unplugged at the next boot: in doubt and listed; after replug settled not done, the retry refunds once', async () => {
    const sale = (await json('demo', '--pay', 'card')) as { orderId: string; total: number };
    terminal.timeoutNext();
    await returnKilledWhen(sale.orderId, 'R-K2', 200, 'the terminal has the refund', () => refundsOf(200).some((e) => e.result === 'pending'));
    await waitForJournal('the terminal broke the refund off (line lost)', () => refundsOf(200).every((e) => e.result === 'aborted'));

    await terminal.disconnect();
    try {
      const rec = await run('payments', 'recover', '--json');
      expect(rec.code).toBe(3); // the terminal cannot be asked: still in doubt, for the attendant and HQ
      expect(JSON.parse(rec.stdout)).toMatchObject({ refundsInDoubt: [expect.objectContaining({ orderId: sale.orderId, method: 'card', amount: 200 })] });
      expect(((await json('refunds', 'list-in-doubt')) as { inDoubt: unknown[] }).inDoubt).toEqual([expect.objectContaining({ orderId: sale.orderId, method: 'card', amount: 200, state: 'unknown' })]);
      expect(await json('orders', 'show', sale.orderId)).toMatchObject({ refunded: 0 });
    } finally {
      await terminal.reconnect();
    }

    const rec = await run('payments', 'recover', '--json');
    expect({ code: rec.code, stderr: rec.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(rec.stdout)).toMatchObject({ refundsInDoubt: [] });
    expect(await json('orders', 'show', sale.orderId)).toMatchObject({ refunded: 0 });
    expect(await json('orders', 'return', sale.orderId, '--reason', 'defective', '--attendant', 'att-1', '--amount', '200', '--return-id', 'R-K2')).toMatchObject({ replayed: false, refund: { amount: 200, returnId: 'R-K2' } });
    expect(refundsOf(200).map((e) => e.result)).toEqual(['aborted', 'approved']);
    expect(await json('orders', 'show', sale.orderId)).toMatchObject({ refunded: 200 });
  }, 180_000);
});
