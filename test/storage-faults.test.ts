/**
 * Issue 11 point 2: storage errors while the lane sells are visible and recover. Real faults: the kiosk's data dir
 * on a small tmpfs that is filled up (we run as root), a real database page overwritten with garbage. For each:
 * the scan is refused as OUT_OF_SERVICE with the storage reason for staff (not "please try again"), the lane's
 * condition (screen, light, doctor, HQ) is out of service with the reason, one log line names the cause, and when
 * the cause is gone the lane is back in service by itself and sells; nothing committed before is lost.
 * A payment whose outcome could not be recorded, and an abandoned order whose timeout could not be recorded, are
 * taken up again when storage works: never left hanging.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startScreen, type RunningScreen } from '../device/screen';
import { SimulatedClock } from '../kernel/clock';
import { isKioskError } from '../kernel/errors';
import { verifyJournal } from '../protocol/journal/verify';
import type { ScanOutcome } from '../runtime/lane/lane';
import type { Order } from '../runtime/orders/order';
import { ZvtTerminalSimulator } from '../simulators/terminal/zvt-simulator';
import { captureLog } from './support/capture-log';
import { exited, kiosk, kioskAsync, killStrays, watchLines } from './support/cli';
import { paidCashSale, scanOnSimulator } from './support/sim-scan';
import { corruptPage, mountExt4, mountTmpfs, restorePage, type Tmpfs } from './support/tmpfs';
import { waitFor } from './support/wait';

const FULL = /storage: disk full \(SQLITE_FULL\) on .*: free space there/;

describe('storage fails while the lane sells (devices simulated over ptys, data dir on a real tmpfs)', () => {
  let disk: Tmpfs;
  let k: Kiosk;
  let screen: RunningScreen;
  let logged: Record<string, unknown>[];
  let codes: string[];

  const hw = () => k.hardware!;
  const scan = (code: string): Promise<ScanOutcome> => scanOnSimulator(k, code);
  const journalHead = async () => (await k.db.read.get<{ seq: number; hash: string }>('SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1'))!;
  const logLines = (msg: string) => logged.filter((l) => l.msg === msg);
  /** A cash sale of one item, completed. */
  const sale = async (): Promise<Order> => {
    const o = await paidCashSale(k, codes[0]);
    // the screen (once started) completes a paid order itself; whoever is first
    const id = o.id;
    await k.engine.dispatch(id, { type: 'order_completed' }).catch((e: unknown) => {
      if (!isKioskError(e, 'EVENT_NOT_ALLOWED') && !isKioskError(e, 'GUARD_REJECTED')) throw e;
    });
    return waitFor('completed', async () => {
      const done = await k.engine.get(id);
      return done.state === 'completed' ? done : null;
    });
  };

  beforeAll(async () => {
    disk = mountTmpfs(16, 'kiosk-storage-run-');
    const c = captureLog();
    logged = c.lines;
    const opts = { devices: true, log: c.log, confirmCash: async () => true, storageProbeMs: 100 };
    k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: `${disk.dir}/data`, screen: { port: 0 }, devices: { required: ['scanner', 'printer'] } } }), opts);
    await waitFor('lane in service', () => hw().supervisor.condition().inService, 15_000);
    codes = (await k.catalog.sample('plain', 3)).map((i) => i.barcodes[0]).filter((b) => b.length === 13);
  }, 30_000);
  afterEach(() => disk.free()); // a failed test leaves no full disk to the next
  afterAll(async () => {
    await screen?.close();
    await k?.close().catch(() => undefined);
    disk?.unmount();
  });

  it('disk full: the scan is refused as out of service with the reason, light red, logged once; space back → in service by itself, sells, nothing lost', async () => {
    const done = await sale();
    const before = await journalHead();
    screen = await startScreen(k, { port: 0 }); // the shopper's screen, past the last sale's receipt step

    disk.fill();
    const refused = await scan(codes[1]);
    expect(refused).toMatchObject({ ok: false, code: 'OUT_OF_SERVICE', message: { en: expect.stringMatching(/out of service/) } });
    expect((refused as { detail: string }).detail).toMatch(FULL);
    const down = k.condition();
    expect(down.inService).toBe(false);
    expect(down.reasons).toEqual([expect.stringMatching(FULL)]);
    expect(hw().supervisor.condition().reasons).toEqual(down.reasons); // what doctor, control status and HQ presence read
    await waitFor('light red', () => hw().sim.light!.state()?.color === 'red');
    const view = screen.session.view();
    expect(view.screen).toBe('out_of_service');
    expect(view.outOfService?.reasons).toEqual(down.reasons);
    expect(view.message?.code).toBe('OUT_OF_SERVICE');
    expect(await k.engine.openOrder()).toBeNull();
    // more scans: refused the same way, and still one log line with the cause
    expect(await scan(codes[1])).toMatchObject({ ok: false, code: 'OUT_OF_SERVICE' });
    expect(await scan(codes[2])).toMatchObject({ ok: false, code: 'OUT_OF_SERVICE' });
    expect(logLines('storage failed: lane out of service')).toEqual([expect.objectContaining({ cause: 'SQLITE_FULL', reason: expect.stringMatching(/disk full/) })]);

    disk.free();
    await waitFor('lane back in service', () => k.condition().inService, 15_000);
    expect(logLines('storage works again: lane back in service')).toHaveLength(1);
    await waitFor('light green', () => hw().sim.light!.state()?.color === 'green');
    expect(screen.session.view().screen).not.toBe('out_of_service');
    const next = await sale();
    expect(next.receiptNo).toBe(done.receiptNo! + 1);
    const verified = await verifyJournal(k.db.read);
    expect(verified.ok).toBe(true);
    expect(verified.entries).toBeGreaterThan(before.seq);
    expect((await k.db.read.get<{ hash: string }>('SELECT hash FROM journal WHERE seq = ?', [before.seq]))?.hash).toBe(before.hash);
  }, 60_000);

  it('a corrupt page under the price book: the scan is refused with the reason; the page good again → back in service, sells', async () => {
    const before = await journalHead();
    await k.db.exclusive((tx) => tx.exec('PRAGMA wal_checkpoint(TRUNCATE)')); // the page now lives in the main file only
    const root = (await k.db.read.get<{ rootpage: number }>("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_item_barcodes_1'"))!.rootpage;
    const original = corruptPage(k.dbFile, root);
    try {
      const refused = await scan(codes[1]);
      expect(refused).toMatchObject({ ok: false, code: 'OUT_OF_SERVICE' });
      expect((refused as { detail: string }).detail).toMatch(/storage: .*kiosk\.sqlite is corrupt \(SQLITE_CORRUPT\)/);
      expect(k.condition()).toMatchObject({ inService: false, reasons: [expect.stringMatching(/SQLITE_CORRUPT/)] });
      expect(logLines('storage failed: lane out of service').at(-1)).toMatchObject({ cause: 'SQLITE_CORRUPT' });
      // probes find it still corrupt (quick_check): out of service it stays
      await waitFor('a probe that failed', () => k.storage.lastProbe?.ok === false && k.storage.lastProbe.detail !== 'storage failed again while probing');
      expect(k.condition().inService).toBe(false);
    } finally {
      restorePage(k.dbFile, root, original);
    }
    await waitFor('lane back in service', () => k.condition().inService, 15_000);
    await sale();
    expect((await verifyJournal(k.db.read)).ok).toBe(true);
    expect((await k.db.read.get<{ hash: string }>('SELECT hash FROM journal WHERE seq = ?', [before.seq]))?.hash).toBe(before.hash);
  }, 60_000);

  it('paid, and the disk fills before the completion is recorded: the screen completes the order when storage is back', async () => {
    const first = await scan(codes[2]);
    expect(first).toMatchObject({ ok: true, action: 'item_added' });
    const o = await k.engine.dispatch((first as { order: Order }).order.id, { type: 'checkout_started' });
    // the screen starts completing the paid order on this very commit; the disk is full by the time it writes
    const fillOnApproval = (c: { event: { type: string } }) => {
      if (c.event.type !== 'payment_approved') return;
      k.engine.off('committed', fillOnApproval);
      disk.fill();
    };
    k.engine.on('committed', fillOnApproval);
    expect((await k.checkout.pay(o.id, 'cash')).state).toBe('paid');
    await waitFor('out of service: the completion could not be recorded', () => !k.condition().inService);
    expect(k.condition().reasons).toEqual([expect.stringMatching(FULL)]);
    expect((await k.engine.get(o.id)).state).toBe('paid');
    // paid is paid: the screen does not hide the order behind the out-of-service page
    expect(screen.session.view().screen).not.toBe('out_of_service');

    disk.free();
    await waitFor('completed once storage works', async () => (await k.engine.get(o.id)).state === 'completed', 15_000);
    expect(screen.session.view()).toMatchObject({ screen: 'receipt_choice', receipt: { orderId: o.id } });
  }, 60_000);
});

describe('the file system goes read-only under the running kiosk (ext4 on a loop device, errors=remount-ro)', () => {
  it('the scan is refused as out of service with the read-only reason, logged once; it stays out of service while read-only', async () => {
    const disk = mountExt4(16);
    const c = captureLog();
    const clock = new SimulatedClock();
    let k: Kiosk | null = null;
    try {
      const opts = { clock, log: c.log, storageProbeMs: 1000 };
      k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: `${disk.dir}/data` } }), opts);
      const code = (await k.catalog.sample('plain', 1))[0].barcodes[0];
      const sold = await k.lane.scan(code);
      expect(sold).toMatchObject({ ok: true });
      await k.engine.dispatch((sold as { order: Order }).order.id, { type: 'order_cancelled', reason: 'test: start from no open order' });
      const head = (await k.db.read.get<{ seq: number }>('SELECT MAX(seq) AS seq FROM journal'))!.seq;

      disk.failReadOnly();
      const refused = await k.lane.scan(code);
      expect(refused).toMatchObject({ ok: false, code: 'OUT_OF_SERVICE', message: { en: expect.stringMatching(/out of service/) } });
      // sqlite3 says "disk I/O error"; the watch finds out (off the event loop) that the file system is read-only —
      // sometimes before this scan's answer is made, so the refusal names either
      const READ_ONLY = /storage: cannot write .*kiosk\.sqlite \(SQLITE_IOERR\): the file system at .* is read-only \(EROFS\)/;
      expect((refused as { detail: string }).detail).toMatch(new RegExp(`storage: I/O error on .*kiosk\\.sqlite \\(SQLITE_IOERR\\)|${READ_ONLY.source}`));
      await waitFor('the read-only reason', () => READ_ONLY.test(k!.condition().reasons.join()));
      expect(k.condition()).toMatchObject({ inService: false, reasons: [expect.stringMatching(READ_ONLY)], light: { color: 'red' } });
      const again = await k.lane.scan(code);
      expect(again).toMatchObject({ ok: false, code: 'OUT_OF_SERVICE' });
      expect((again as { detail: string }).detail).toMatch(READ_ONLY);
      expect(k.condition().reasons).toEqual([expect.stringMatching(READ_ONLY)]); // no flapping back to "I/O error"
      // one line per change of reason: the I/O error, then what it is
      expect(c.lines.filter((l) => l.msg === 'storage failed: lane out of service').map((l) => l.reason)).toEqual([
        expect.stringMatching(/I\/O error/),
        expect.stringMatching(/read-only \(EROFS\)/),
      ]);
      // probes keep failing while the file system is read-only: no false "back in service"
      clock.advance(1000);
      await waitFor('a probe', () => k!.storage.lastProbe);
      expect(k.storage.lastProbe).toMatchObject({ ok: false });
      expect(k.condition().inService).toBe(false);
      // what was committed before is all there and verifies
      expect(await verifyJournal(k.db.read)).toMatchObject({ ok: true, entries: head });
    } finally {
      await k?.close().catch(() => undefined);
      disk.unmount();
    }
  }, 60_000);
});

describe('a payment whose outcome could not be recorded is settled when storage works again (terminal on TCP, off the full disk)', () => {
  let disk: Tmpfs;
  let terminal: ZvtTerminalSimulator;
  let k: Kiosk;

  beforeAll(async () => {
    disk = mountTmpfs(16, 'kiosk-storage-pay-');
    const dataDir = `${disk.dir}/data`;
    const currency = Number(loadConfig({ env: {}, overrides: { dataDir } }).currency.numeric);
    terminal = new ZvtTerminalSimulator({ ecrAckTimeoutMs: 2000, currency }); // its journal in memory: the judge
    const addr = await terminal.listenTcp();
    boot = async () => {
      const opts = { devices: true, storageProbeMs: 100 };
      k = await bootKiosk(
        loadConfig({ env: {}, overrides: { dataDir, devices: { required: ['scanner', 'terminal'], terminal: { transport: 'tcp', host: addr.host, port: addr.port } } } }),
        opts,
      );
      await waitFor('lane in service', () => k.condition().inService, 15_000);
    };
    await boot();
  }, 30_000);
  let boot: () => Promise<void>;
  const approved = () => terminal.journal.entries().filter((e) => e.kind === 'payment' && e.result === 'approved');
  /** A card payment started for a one-item order; the disk fills while the shopper is at the terminal. */
  const payIntoFullDisk = async (): Promise<Order> => {
    const code = (await k.catalog.sample('plain', 1))[0].barcodes[0];
    const first = await scanOnSimulator(k, code);
    expect(first).toMatchObject({ ok: true });
    const o = await k.engine.dispatch((first as { order: Order }).order.id, { type: 'checkout_started' });
    k.hardware!.devices.terminal!.once('prompt', () => disk.fill());
    await expect(k.checkout.pay(o.id, 'card')).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    return o;
  };
  afterAll(async () => {
    await k?.close().catch(() => undefined);
    await terminal?.close();
    disk?.unmount();
  });

  it('the disk fills while the shopper pays by card: out of service; space back → the payment is settled from the terminal, charged once', async () => {
    const code = (await k.catalog.sample('plain', 1))[0].barcodes[0];
    const first = await scanOnSimulator(k, code);
    expect(first).toMatchObject({ ok: true });
    const o = await k.engine.dispatch((first as { order: Order }).order.id, { type: 'checkout_started' });
    // the shopper pays on the screen and is at the terminal: the approval that comes back cannot be recorded
    const screen = await startScreen(k, { port: 0 });
    try {
      k.hardware!.devices.terminal!.once('prompt', () => disk.fill());
      await screen.session.command({ kind: 'pay', method: 'card' });
      await waitFor('the payment run failed', () => screen.session.view().message);
      // it may have been charged: never "nothing was charged"
      expect(screen.session.view().message).toMatchObject({ code: 'PAYMENT_UNRESOLVED', text: { en: expect.stringMatching(/checking your payment/) } });
    } finally {
      await screen.close();
    }
    expect(k.condition()).toMatchObject({ inService: false, reasons: [expect.stringMatching(FULL)] });
    expect((await k.engine.get(o.id)).state).toBe('payment_pending');
    const charged = terminal.journal.entries().filter((e) => e.kind === 'payment' && e.result === 'approved');
    expect(charged).toEqual([expect.objectContaining({ amount: o.priced.total })]);

    disk.free();
    await waitFor('lane back in service', () => k.condition().inService, 15_000);
    // nobody restarted the kiosk: payment recovery runs because storage works again
    const paid = await waitFor('the payment settled', async () => {
      const now = await k.engine.get(o.id);
      return now.state === 'paid' ? now : null;
    }, 20_000);
    expect(paid.paid).toBe(o.priced.total);
    expect(terminal.journal.entries().filter((e) => e.kind === 'payment' && e.result === 'approved')).toHaveLength(1);
    expect((await k.engine.dispatch(o.id, { type: 'order_completed' })).state).toBe('completed');
  }, 90_000);

  it('the same, and the kiosk restarts before the space is back: after the restart the existing recovery settles it, charged once', async () => {
    const before = approved().length;
    const o = await payIntoFullDisk();
    expect(approved()).toHaveLength(before + 1);
    await k.close().catch(() => undefined);
    disk.free();
    await boot();
    const after = await k.engine.get(o.id);
    expect(after).toMatchObject({ state: 'paid', paid: o.priced.total });
    expect(approved()).toHaveLength(before + 1);
    expect((await verifyJournal(k.db.read)).ok).toBe(true);
  }, 90_000);
});

describe('an abandoned order whose timeout could not be recorded is not left in awaiting_payment (injected clock)', () => {
  let disk: Tmpfs;
  let k: Kiosk;
  const clock = new SimulatedClock();
  const background: unknown[] = [];

  beforeAll(async () => {
    disk = mountTmpfs(16, 'kiosk-storage-idle-');
    const opts = { clock, storageProbeMs: 1000, onBackgroundError: (e: unknown) => background.push(e) };
    k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: `${disk.dir}/data`, timeouts: { idlePromptMs: 60_000, idleCancelMs: 30_000 } } }), opts);
  }, 30_000);
  afterAll(async () => {
    await k?.close().catch(() => undefined);
    disk?.unmount();
  });

  it('the idle timeout fails on a full disk; space back → the order goes on to idle_prompt and is cancelled', async () => {
    const code = (await k.catalog.sample('plain', 1))[0].barcodes[0];
    const first = await k.lane.scan(code);
    expect(first).toMatchObject({ ok: true });
    const o = await k.engine.dispatch((first as { order: Order }).order.id, { type: 'checkout_started' });
    expect(o.state).toBe('awaiting_payment');

    disk.fill();
    clock.advance(60_000); // the shopper walked away: the idle timeout fires, and cannot be recorded
    await waitFor('the timeout to fail', () => background.length > 0);
    expect(k.faults.get('storage')?.reason).toMatch(/disk full \(SQLITE_FULL\)/);
    expect(k.condition()).toMatchObject({ inService: false, reasons: [expect.stringMatching(/storage: disk full/)] });
    expect((await k.engine.get(o.id)).state).toBe('awaiting_payment');

    disk.free();
    const state = async () => (await k.engine.get(o.id)).state;
    await waitFor('idle prompt after storage is back', async () => {
      clock.advance(1000);
      return (await state()) === 'idle_prompt';
    });
    expect(k.condition().inService).toBe(true);
    clock.advance(30_000);
    await waitFor('cancelled', async () => (await state()) === 'cancelled');
    expect(await k.engine.openOrder()).toBeNull();
  }, 60_000);
});

describe('kiosk start on a disk that fills up (the real CLI, its logger, control endpoint and doctor)', () => {
  afterEach(killStrays);

  it('doctor and the light name the storage fault, the log has it once; space back → doctor passes and the lane sells', async () => {
    const disk = mountTmpfs(32, 'kiosk-storage-cli-');
    const dir = `${disk.dir}/data`;
    const child = kioskAsync(['start', '--data', dir], { env: { KIOSK_LOG_LEVEL: 'info' } });
    const logs: Record<string, unknown>[] = [];
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      let i: number;
      while ((i = err.indexOf('\n')) >= 0) {
        const line = err.slice(0, i);
        err = err.slice(i + 1);
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          logs.push({ msg: line });
        }
      }
    });
    const sim = (...args: string[]) => kiosk(['sim', ...args, '--data', dir]);
    const doctor = () => kiosk(['doctor', '--data', dir]);
    try {
      let ready = '';
      await watchLines(child, (l) => !!(ready = l.startsWith('ready ') ? l : ready));
      if (!ready) throw new Error(`kiosk start ended before ready:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`);
      expect(ready).toMatch(/lane=in-service/);
      const book = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'config', 'starter', 'pricebook.json'), 'utf8'));
      const item = book.items.find((i: { soldByWeight: boolean; ageLimit: number | null; barcodes: string[] }) => !i.soldByWeight && i.ageLimit === null && i.barcodes[0].length === 13);

      disk.fill();
      expect(sim('scan', item.barcodes[0]).code).toBe(0);
      await waitFor('doctor names the storage fault', () => /FAIL\s+lane fault\s+storage: disk full \(SQLITE_FULL\) on .*data: free space there/.test(doctor().stdout), 20_000, 500);
      await waitFor('red light', () => sim('light').stdout === 'red steady\n');
      expect(sim('scan', item.barcodes[0]).code).toBe(0);
      await waitFor('the refused scans logged', () => logs.filter((l) => l.msg === 'scan refused: lane out of service').length >= 2);
      expect(logs.filter((l) => l.msg === 'storage failed: lane out of service')).toEqual([expect.objectContaining({ cause: 'SQLITE_FULL' })]);
      expect(JSON.stringify(logs.filter((l) => l.msg === 'scan refused: lane out of service'))).toMatch(/storage: disk full/);

      disk.free();
      await waitFor('the log says storage works again', () => logs.some((l) => l.msg === 'storage works again: lane back in service'), 30_000);
      let last = '';
      await waitFor('doctor passes again', () => {
        const d = doctor();
        last = d.stdout;
        return d.code === 0;
      }, 20_000, 500).catch((e: Error) => {
        throw new Error(`${e.message}\n${last}`);
      });
      expect(sim('scan', item.barcodes[0]).code).toBe(0);
      const total = `TOTAL ¥${(item.unitPrice / 100).toFixed(2)}`;
      await waitFor('the display shows the total: sold', () => sim('display').stdout.includes(total));
    } finally {
      child.kill('SIGTERM');
      await exited(child);
      disk.free();
      disk.unmount();
    }
  }, 120_000);
});
