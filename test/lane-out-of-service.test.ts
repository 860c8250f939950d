/**
 * Issue 10 point 8: a lane out of service (the printer out of paper) sells nothing new — a scan opens no order, no
 * payment starts — and goes back in service by itself; a receipt that could not print is never silently dropped:
 * it stays pending in the SQLite job ledger and prints exactly once when the printer is back, also after a
 * restart. Real parts: simulated devices behind their real drivers over ptys, the SQLite file, the built CLI.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { paidCashSale, scanOnSimulator } from './support/sim-scan';
import type { ScanOutcome } from '../runtime/lane/lane';
import type { Order } from '../runtime/orders/order';
import { KioskDb } from '../kernel/sqlite/database';
import { startScreen, type RunningScreen } from '../device/screen';
import { hashPin } from '../runtime/screen/pin';
import type { ScreenView } from '../protocol/screen';
import { kiosk, killStrays } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { waitFor } from './support/wait';
import { captureLog } from './support/capture-log';

describe('lane out of service (printer out of paper): nothing new is sold; receipts are never dropped', () => {
  let dir: string;
  let k: Kiosk;
  let codes: string[];
  let logged: Record<string, unknown>[];

  const hw = () => k.hardware!;
  const scan = (code: string): Promise<ScanOutcome> => scanOnSimulator(k, code);
  const outOfService = () => waitFor('lane out of service', () => (hw().supervisor.condition().inService ? null : hw().supervisor.condition()));
  const inService = () => waitFor('lane back in service', () => hw().supervisor.condition().inService, 15_000);
  const printedWith = (receiptNo: number) => {
    const n = hw().sim.printer!.receipts();
    const last = hw().sim.printer!.last();
    return { cut: n, lastHasNo: !!last && last.text.includes(String(receiptNo)) };
  };
  const boot = async () => {
    const c = captureLog();
    logged = c.lines;
    // the printer is what this is about: the terminal is not required here, payments are attendant cash
    k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir, devices: { required: ['scanner', 'printer'] } } }), {
      devices: true,
      log: c.log,
      confirmCash: async () => true,
    });
    await waitFor('lane in service', () => hw().supervisor.condition().inService, 15_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${hw().supervisor.condition().reasons.join('; ')}`);
    });
  };
  /** A paid cash sale of one item, on a lane in service. */
  const paidSale = (): Promise<Order> => paidCashSale(k, codes[0]);

  beforeAll(async () => {
    dir = tempDir('kiosk-oos-');
    await boot();
    const plain = await k.catalog.sample('plain', 5);
    codes = plain.map((i) => i.barcodes[0]).filter((b) => b.length === 13);
  }, 30_000);
  afterAll(async () => {
    await k?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('paper out: a scan opens no order (refused, cause logged) and no payment starts; paper back: in service by itself, the sale goes through', async () => {
    hw().sim.printer!.paperOut();
    const down = await outOfService();
    expect(down.reasons).toContain('printer: paper out');

    const refused = await scan(codes[0]);
    expect(refused).toMatchObject({ ok: false, code: 'OUT_OF_SERVICE' });
    expect((refused as { detail: string }).detail).toMatch(/printer: paper out/);
    expect(refused).toMatchObject({ message: { en: expect.stringMatching(/out of service/) } });
    expect(await k.engine.openOrder()).toBeNull();
    expect(logged.some((l) => l.msg === 'scan refused: lane out of service' && String(l.cause).includes('printer: paper out'))).toBe(true);

    hw().sim.printer!.paperOk();
    await inService();
    const ok = await scan(codes[0]);
    expect(ok).toMatchObject({ ok: true, action: 'item_added' });
    let o = (ok as { order: Order }).order;
    o = await k.engine.dispatch(o.id, { type: 'checkout_started' });

    // out of paper again at the payment choice: no payment starts (no attempt recorded)
    hw().sim.printer!.paperOut();
    await outOfService();
    await expect(k.checkout.pay(o.id, 'cash')).rejects.toMatchObject({ code: 'OUT_OF_SERVICE' });
    const after = await k.engine.get(o.id);
    expect(after.state).toBe('awaiting_payment');
    expect(after.payments).toHaveLength(0);

    hw().sim.printer!.paperOk();
    await inService();
    expect((await k.checkout.pay(o.id, 'cash')).state).toBe('paid');
    const done = await k.engine.dispatch(o.id, { type: 'order_completed' });
    const before = hw().sim.printer!.receipts();
    await expect(hw().printReceipt(done.id)).resolves.toMatchObject({ state: 'printed', duplicate: false });
    expect(hw().sim.printer!.receipts()).toBe(before + 1);
  }, 90_000);

  it('paid, then the paper runs out: the order still completes; its receipt stays pending and prints exactly once when paper is back', async () => {
    const paid = await paidSale();
    hw().sim.printer!.paperOut();
    await outOfService();
    const done = await k.engine.dispatch(paid.id, { type: 'order_completed' }); // never strand money
    expect(done.state).toBe('completed');
    const before = hw().sim.printer!.receipts();
    await expect(hw().printReceipt(done.id)).rejects.toMatchObject({ code: 'PAPER_OUT' });
    expect(await hw().receipts!.pending()).toEqual([expect.objectContaining({ id: `receipt:${done.id}`, state: 'failed', sends: 0 })]);

    hw().sim.printer!.paperOk();
    await waitFor('the pending receipt printed by itself', () => hw().sim.printer!.receipts() === before + 1, 15_000);
    expect(printedWith(done.receiptNo!).lastHasNo).toBe(true);
    await waitFor('the ledger to confirm it', async () => (await hw().receipts!.pending()).length === 0);
    // the shopper's retry (or another status change) prints nothing more
    await expect(hw().printReceipt(done.id)).resolves.toMatchObject({ duplicate: true });
    await hw().receipts!.kick();
    await new Promise((r) => setTimeout(r, 1500));
    expect(hw().sim.printer!.receipts()).toBe(before + 1);
  }, 90_000);

  it('a receipt left pending survives a restart and prints once the restarted lane has its printer', async () => {
    const paid = await paidSale();
    hw().sim.printer!.paperOut();
    await outOfService();
    const done = await k.engine.dispatch(paid.id, { type: 'order_completed' });
    await expect(hw().printReceipt(done.id)).rejects.toMatchObject({ code: 'PAPER_OUT' });
    await k.close();

    await boot(); // a new simulated printer, with paper
    await waitFor('the pending receipt printed after the restart', () => hw().sim.printer!.receipts() === 1, 15_000);
    expect(printedWith(done.receiptNo!).lastHasNo).toBe(true);
    // the ledger says printed once the printer has confirmed it (a status read after the paper came out)
    await waitFor('the ledger to confirm it', async () => (await hw().receipts!.pending()).length === 0);
    expect(logged.some((l) => l.msg === 'pending receipt printed' && l.job === `receipt:${done.id}`)).toBe(true);
  }, 90_000);
});

describe('kiosk demo on a lane out of service', () => {
  afterEach(killStrays);

  it('sells nothing and exits non-zero with the reason (the printer cannot be reached)', async () => {
    const dir = tempDir('kiosk-oos-demo-');
    try {
      const r = kiosk(['demo', '--data', dir, '--pay', 'cash'], {
        env: {
          KIOSK_DEVICES__PRINTER: JSON.stringify({ transport: 'serial', path: path.join(dir, 'no-such-printer'), baudRate: 115200 }),
          KIOSK_DEVICES__REQUIRED: JSON.stringify(['scanner', 'printer']),
        },
        timeoutMs: 90_000,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/out of service.*printer/);
      const db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
      try {
        const sold = await db.read.get<{ n: number }>("SELECT COUNT(*) AS n FROM journal WHERE type IN ('payment_approved', 'order_completed')");
        expect(sold?.n).toBe(0);
      } finally {
        await db.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the shopper and the attendant see a receipt that could not print', () => {
  const PIN = '4826';
  let dir: string;
  let k: Kiosk;
  let screen: RunningScreen;

  beforeAll(async () => {
    dir = tempDir('kiosk-oos-screen-');
    const hash = await hashPin(PIN, { N: 1024, r: 8, p: 1 });
    k = await bootKiosk(
      loadConfig({ env: {}, overrides: { dataDir: dir, screen: { port: 0 }, devices: { required: ['scanner', 'printer'] }, attendant: { pins: [{ attendantId: 'att-3', hash }] } } }),
      { devices: true, confirmCash: async () => true },
    );
    await waitFor('lane in service', () => k.hardware!.supervisor.condition().inService, 15_000);
    screen = await startScreen(k, { port: 0 });
  }, 30_000);
  afterAll(async () => {
    await screen?.close();
    await k?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const view = () => screen.session.view();
  const when = (what: string, pred: (v: ScreenView) => boolean) => waitFor(what, () => (pred(view()) ? view() : null), 15_000);

  it('print refused (paper out): the e-receipt QR is offered at once; Past orders shows the receipt pending until it prints by itself', async () => {
    const hw = k.hardware!;
    const [item] = await k.catalog.sample('plain', 1);
    const added = await k.lane.scan(item.barcodes[0]);
    expect(added).toMatchObject({ ok: true });
    let o = (added as { order: Order }).order;
    o = await k.engine.dispatch(o.id, { type: 'checkout_started' });
    expect((await k.checkout.pay(o.id, 'cash')).state).toBe('paid');
    await when('the receipt choice', (v) => v.screen === 'receipt_choice');

    hw.sim.printer!.paperOut();
    await waitFor('out of service', () => !hw.supervisor.condition().inService);
    const before = hw.sim.printer!.receipts();
    await screen.session.command({ kind: 'receipt', choice: 'print' });
    const failed = await when('print failed', (v) => v.receipt?.printed === 'failed');
    expect(failed.message?.code).toBe('PRINT_FAILED');
    expect(failed.receipt?.qrSvg).toMatch(/<svg/); // the e-receipt instead, now

    await screen.session.command({ kind: 'attendant_pin', pin: PIN });
    await screen.session.command({ kind: 'attendant_tab', tab: 'orders' });
    const mine = view().attendant.orders?.find((x) => x.id === o.id);
    expect(mine?.receiptPrint).toBe('pending'); // refused before a byte was sent

    hw.sim.printer!.paperOk();
    await waitFor('the pending receipt printed by itself', () => hw.sim.printer!.receipts() === before + 1, 15_000);
    await waitFor('Past orders no longer shows it', async () => {
      await screen.session.command({ kind: 'attendant_tab', tab: 'orders' });
      return view().attendant.orders?.find((x) => x.id === o.id)?.receiptPrint === null;
    });
    expect(hw.sim.printer!.receipts()).toBe(before + 1);
  }, 60_000);
});
