/**
 * Issue 15, reconciliation (对账): real kiosk journals (engine + SQLite journal) ingested by HQ on SQLite and on
 * PostgreSQL, a channel bill written by hand from the bill spec with each discrepancy kind injected once → each is
 * found exactly once, fees and net settlement to the fen, the run stored and replaced by a re-run, the alert for
 * money taken without a sale; the card end-of-day per scheme; the `hq reconcile` CLI's exit codes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { SqlAlerts } from '../hq/fleet/alerts';
import { IngestStore } from '../hq/ingest/store';
import { DEFAULT_FEE_BPS } from '../config/fees';
import { formatYuan } from '../hq/reconcile/amounts';
import { reconcileBill, reconcileCard } from '../hq/reconcile/reconcile';
import { feeRates } from '../hq/reconcile/fee-rates';
import { listRuns, runItems } from '../hq/reconcile/run-store';
import { rebuildProjections } from '../hq/orders/rebuild';
import { alipayBill, alipayRow, wechatBill, wechatPayment, wechatRefund, zmFile, zmPayment, zmRefund } from './support/bill-samples';
import { closeConsoleBackends, INGEST_TARGETS } from './support/console-fixture';
import { reconcileKiosk, type ReconcileKiosk } from './support/reconcile-kiosk';
import { ROOT } from './support/cli';
import { tmpDir } from './support/sync-fixtures';
import * as iconv from 'iconv-lite';
import { writeZip } from '../simulators/zip-writer';

afterAll(closeConsoleBackends);

/** 2026-12-05 09:00 Beijing. */
const START = Date.UTC(2026, 11, 5, 1, 0, 0);
const bj = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');

interface Day {
  kiosk: ReconcileKiosk;
  store: IngestStore;
  target: string;
  sales: Record<string, { orderId: string; attemptId: string; orderNo: string; at: number }>;
  refunds: Record<string, { refundNo: string; at: number }>;
}

/**
 * One store, one kiosk, the day's wallet sales: s1 matched, s2 fee wrong at the channel, s3 amount wrong at the
 * channel, s4 missing at the channel (journal only), s5 refunded 20.00 (matched), s6 refunded 5.00 (the channel
 * says 4.00); a training sale, an Alipay sale and a WeChat sale of the next day that the bill must not be asked for.
 */
async function day(target: string, channel: 'wechat' | 'alipay' | 'unionpay'): Promise<Day> {
  const kiosk = await reconcileKiosk('S1', 'K1', START);
  const sales: Day['sales'] = {};
  const refunds: Day['refunds'] = {};
  for (const [name, amount] of [['s1', 1234], ['s2', 2500], ['s3', 888], ['s4', 350], ['s5', 5000], ['s6', 1000]] as const) {
    const s = await kiosk.walletSale(channel, amount);
    sales[name] = { ...s, at: kiosk.clock.now() - 60_000 };
  }
  refunds.s5 = { refundNo: await kiosk.walletRefund(channel, sales.s5, 2000), at: kiosk.clock.now() - 60_000 };
  refunds.s6 = { refundNo: await kiosk.walletRefund(channel, sales.s6, 500), at: kiosk.clock.now() - 60_000 };
  kiosk.engine.setTraining(true);
  await kiosk.walletSale(channel, 777);
  kiosk.engine.setTraining(false);
  await kiosk.walletSale(channel === 'alipay' ? 'wechat' : 'alipay', 999);
  kiosk.clock.advance(86_400_000);
  await kiosk.walletSale(channel, 4321);
  const store = await IngestStore.open(target);
  await store.acceptMany(await kiosk.events());
  return { kiosk, store, target, sales, refunds };
}

const PHANTOM = 'ffffffffffffffffffffffffffffffff';

/** The expected items and totals (hand-computed at 60 bps / 38 bps from the amounts above). */
function checkRun(d: Day, r: Awaited<ReturnType<typeof reconcileBill>>, fees: { expected: number; actual: number }, settlement: { channel: number; journal: number }) {
  const kinds = r.items.map((i) => i.kind).sort();
  expect(kinds).toEqual(['amount_mismatch', 'channel_only', 'fee_mismatch', 'journal_only', 'refund_mismatch']);
  const by = (k: string) => r.items.find((i) => i.kind === k);
  expect(by('channel_only')).toMatchObject({ orderNo: expect.stringMatching(/^f+$/), actualAmount: 999 });
  expect(by('channel_only')?.storeId).toBeUndefined();
  expect(by('journal_only')).toMatchObject({ storeId: 'S1', deviceId: 'K1', orderId: d.sales.s4.orderId, attemptId: d.sales.s4.attemptId, expectedAmount: 350 });
  expect(by('amount_mismatch')).toMatchObject({ orderId: d.sales.s3.orderId, expectedAmount: 888, actualAmount: 880 });
  expect(by('fee_mismatch')).toMatchObject({ orderId: d.sales.s2.orderId, expectedAmount: 2500, actualAmount: 2500 });
  expect((by('fee_mismatch')?.actualFee ?? 0) - (by('fee_mismatch')?.expectedFee ?? 0)).toBe(1);
  expect(by('refund_mismatch')).toMatchObject({ orderId: d.sales.s6.orderId, expectedAmount: 500, actualAmount: 400, detail: 'the amounts differ' });
  expect(r.totals.matched).toBe(4); // s1, s5's and s6's payments, s5's refund
  expect(r.totals.fees).toEqual(fees);
  expect(r.totals.settlement).toEqual(settlement);
  expect(r.totals.journal).toEqual({ payments: 6, refunds: 2, paymentAmount: 10972, refundAmount: 2500 });
}

describe.each(INGEST_TARGETS)('reconciliation on %s', (_name, fresh) => {
  it('a WeChat bill with each discrepancy injected once: each found once, fees and settlement to the fen, stored, alert raised; a re-run replaces the run', async () => {
    const d = await day(await fresh(), 'wechat');
    try {
      const s = d.sales;
      const rows = [
        wechatPayment({ time: bj(s.s1.at), txn: '4200000001', orderNo: s.s1.orderNo, amount: '12.34', fee: '0.07' }),
        wechatPayment({ time: bj(s.s2.at), txn: '4200000002', orderNo: s.s2.orderNo, amount: '25.00', fee: '0.16' }), // fee: 0.15
        wechatPayment({ time: bj(s.s3.at), txn: '4200000003', orderNo: s.s3.orderNo, amount: '8.80', fee: '0.05' }), // amount: 8.88
        wechatPayment({ time: bj(s.s5.at), txn: '4200000005', orderNo: s.s5.orderNo, amount: '50.00', fee: '0.30' }),
        wechatPayment({ time: bj(s.s6.at), txn: '4200000006', orderNo: s.s6.orderNo, amount: '10.00', fee: '0.06' }),
        wechatPayment({ time: bj(s.s6.at + 5000), txn: '4200000099', orderNo: PHANTOM, amount: '9.99', fee: '0.06' }), // no sale
        wechatRefund({ time: bj(d.refunds.s5.at), txn: '4200000005', orderNo: s.s5.orderNo, refundId: '5000000005', refundNo: d.refunds.s5.refundNo, paid: '50.00', refund: '20.00', fee: '-0.12' }),
        wechatRefund({ time: bj(d.refunds.s6.at), txn: '4200000006', orderNo: s.s6.orderNo, refundId: '5000000006', refundNo: d.refunds.s6.refundNo, paid: '10.00', refund: '4.00', fee: '-0.02' }), // ours: 5.00
      ];
      const bill = wechatBill(rows, ['8', '116.13', '24.00', '0.00', '0.56', '116.13', '24.00']);
      const alerts = new SqlAlerts(d.store.db);
      const r = await reconcileBill(d.store.db, { channel: 'wechat', day: '2026-12-05', bill, bps: 60 }, { by: 'test', now: START + 2 * 86_400_000, source: 'wechat.csv', alerts });
      // fees: expected 7+15+5+30+6+6 − (12+2) = 55; actual 7+16+5+30+6+6 − 14 = 56
      // settlement: channel 11613 − 2400 − 56; journal 10972 − 2500 − ((7+15+5+2+30+6) − (12+3))
      checkRun(d, r, { expected: 55, actual: 56 }, { channel: 9157, journal: 8422 });
      expect(r.items.find((i) => i.kind === 'fee_mismatch')).toMatchObject({ expectedFee: 15, actualFee: 16 });

      const open = await alerts.open({ all: true });
      expect(open).toEqual([expect.objectContaining({ kind: 'reconcile_channel_only', severity: 'critical', message: expect.stringContaining('9.99') })]);
      const [run] = await listRuns(d.store.db, { all: true });
      expect(run).toMatchObject({ channel: 'wechat', day: '2026-12-05', storeId: '', matched: 4, discrepancies: 5, source: 'wechat.csv', runBy: 'test' });
      expect((await runItems(d.store.db, run, { all: true })).map((i) => i.kind)).toEqual(r.items.map((i) => i.kind));
      // a store manager of another store sees none of the items; of S1, all but the channel-only one
      expect(await runItems(d.store.db, run, { all: false, stores: ['S2'] })).toEqual([]);
      expect((await runItems(d.store.db, run, { all: false, stores: ['S1'] })).map((i) => i.kind).sort()).toEqual(['amount_mismatch', 'fee_mismatch', 'journal_only', 'refund_mismatch']);

      // the channel's corrected bill: the run is replaced, the alert cleared
      const fixed = wechatBill(rows.slice(0, 5).concat(rows.slice(6)), ['7', '106.14', '24.00', '0.00', '0.50', '106.14', '24.00']);
      const again = await reconcileBill(d.store.db, { channel: 'wechat', day: '2026-12-05', bill: fixed, bps: 60 }, { by: 'test', now: START + 3 * 86_400_000, alerts });
      expect(again.items.map((i) => i.kind).sort()).toEqual(['amount_mismatch', 'fee_mismatch', 'journal_only', 'refund_mismatch']);
      const runs = await listRuns(d.store.db, { all: true });
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ discrepancies: 4, sha256: again.sha256 });
      expect(await alerts.open({ all: true })).toEqual([]);
    } finally {
      await d.store.close();
      await d.kiosk.close();
    }
  });

  it('an Alipay bill (GBK) and a UnionPay ZM file: the same five discrepancies, each once', async () => {
    for (const channel of ['alipay', 'unionpay'] as const) {
      const d = await day(await fresh(), channel);
      try {
        const s = d.sales;
        let bill: Buffer;
        let fees: { expected: number; actual: number };
        let settlement: { channel: number; journal: number };
        if (channel === 'alipay') {
          const pay = (o: { orderNo: string; at: number }, txn: string, total: string, fee: string) => alipayRow({ txn, orderNo: o.orderNo, kind: '交易', time: bj(o.at), total, received: total, fee });
          const refund = (o: { orderNo: string }, r: { refundNo: string; at: number }, txn: string, total: string, amount: string, fee: string) =>
            alipayRow({ txn, orderNo: o.orderNo, kind: '退款', time: bj(r.at), total, received: `-${amount}`, refundNo: r.refundNo, fee });
          bill = alipayBill(
            [
              pay(s.s1, '2026120522001', '12.34', '-0.07'),
              pay(s.s2, '2026120522002', '25.00', '-0.16'),
              pay(s.s3, '2026120522003', '8.80', '-0.05'),
              pay(s.s5, '2026120522005', '50.00', '-0.30'),
              pay(s.s6, '2026120522006', '10.00', '-0.06'),
              pay({ orderNo: PHANTOM, at: s.s6.at + 5000 }, '2026120522099', '9.99', '-0.06'),
              refund(s.s5, d.refunds.s5, '2026120522005', '50.00', '20.00', '0.12'),
              refund(s.s6, d.refunds.s6, '2026120522006', '10.00', '4.00', '0.02'),
            ],
            [6, 2],
          );
          fees = { expected: 55, actual: 56 };
          settlement = { channel: 9157, journal: 8422 };
        } else {
          // 38 bps: 1234→5, 2500→10 (bill says 11), 880→3, 5000→19, 1000→4, 999→4; refunds 2000→8, 400→2
          const mmdd = (ms: number) => bj(ms).slice(5).replace(/[- :]/g, '');
          const q = (n: number) => `6120512000000000000${String(n).padStart(2, '0')}`;
          const pay = (o: { orderNo: string; at: number }, n: number, amount: number, fee: number) => zmPayment({ trace: String(n), time: mmdd(o.at), amount, queryId: q(n), orderId: o.orderNo, fee });
          const refund = (r: { refundNo: string; at: number }, n: number, of: number, amount: number, fee: number) =>
            zmRefund({ trace: String(n), time: mmdd(r.at), amount, queryId: q(n), orderId: r.refundNo.slice(0, 32), fee, origQueryId: q(of), origTrace: String(of), origTime: '0' });
          bill = zmFile([
            pay(s.s1, 1, 1234, 5),
            pay(s.s2, 2, 2500, 11),
            pay(s.s3, 3, 880, 3),
            pay(s.s5, 5, 5000, 19),
            pay(s.s6, 6, 1000, 4),
            pay({ orderNo: PHANTOM, at: s.s6.at + 5000 }, 99, 999, 4),
            refund(d.refunds.s5, 50, 5, 2000, 8),
            refund(d.refunds.s6, 60, 6, 400, 2),
          ]);
          // expected 5+10+3+19+4+4 − (8+2) = 35, actual 36; journal fees (5+10+3+1+19+4) − (8+2) = 32
          fees = { expected: 35, actual: 36 };
          settlement = { channel: 11613 - 2400 - 36, journal: 10972 - 2500 - 32 };
        }
        const bps = DEFAULT_FEE_BPS[channel];
        const r = await reconcileBill(d.store.db, { channel, day: '2026-12-05', bill, bps }, { by: 'test', now: START + 2 * 86_400_000 });
        checkRun(d, r, fees, settlement);
      } finally {
        await d.store.close();
        await d.kiosk.close();
      }
    }
  });

  it('fee rates: the defaults, the published fleet config\'s payments.fees, the store\'s over it, then overrides; invalid fees ignored', async () => {
    const store = await IngestStore.open(await fresh());
    try {
      expect(await feeRates(store.db)).toEqual(DEFAULT_FEE_BPS);
      const publish = (scope: string, version: number, body: unknown) =>
        store.db.transaction((tx) =>
          tx.run('INSERT INTO config_versions (scope, version, body, envelope, published_by, published_at, expires_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [scope, version, JSON.stringify(body), '{}', 'test', START, START + 1e9, 'publish']),
        );
      await publish('fleet', 1, { payments: { fees: { wechat: 55 } } });
      await publish('fleet', 2, { payments: { fees: { wechat: 100, alipay: 70 } } });
      await publish('store:S1', 1, { payments: { fees: { visa: 45, alipay: 65 } } });
      await publish('store:S2', 1, { payments: { fees: { visa: 'lots' } } });
      expect(await feeRates(store.db)).toEqual({ ...DEFAULT_FEE_BPS, wechat: 100, alipay: 70 });
      expect(await feeRates(store.db, { store: 'S1' })).toEqual({ ...DEFAULT_FEE_BPS, wechat: 100, alipay: 65, visa: 45 });
      expect(await feeRates(store.db, { store: 'S2', overrides: { amex: 200 } })).toEqual({ ...DEFAULT_FEE_BPS, wechat: 100, alipay: 70, amex: 200 });
    } finally {
      await store.close();
    }
  });

  it('refund allocations survive `hq orders rebuild` (schema v10)', async () => {
    const d = await day(await fresh(), 'wechat');
    try {
      const before = await d.store.db.read.all<{ allocations: string }>('SELECT allocations FROM refunds ORDER BY ts');
      expect(before.map((r) => JSON.parse(r.allocations))).toEqual([
        [{ attemptId: d.sales.s5.attemptId, channel: 'wechat', amount: 2000, outTradeNo: d.sales.s5.orderNo, refundNo: d.refunds.s5.refundNo, refundId: null, via: 'refund' }],
        [{ attemptId: d.sales.s6.attemptId, channel: 'wechat', amount: 500, outTradeNo: d.sales.s6.orderNo, refundNo: d.refunds.s6.refundNo, refundId: null, via: 'refund' }],
      ]);
      await rebuildProjections(d.store);
      expect(await d.store.db.read.all('SELECT allocations FROM refunds ORDER BY ts')).toEqual(before);
    } finally {
      await d.store.close();
      await d.kiosk.close();
    }
  });

  it('card end-of-day: per scheme since the previous end-of-day, count/amount mismatches, a scheme only the terminal has, expected fees', async () => {
    const kiosk = await reconcileKiosk('S1', 'K1', START - 86_400_000);
    const store = await IngestStore.open(await fresh());
    try {
      await kiosk.cardSale(4000, 'girocard'); // the day before: settled by the previous end-of-day
      await kiosk.endOfDay({ amount: 4000, traceNumber: 10, captured: 1, terminalId: '52500001', totals: [{ scheme: 'girocard', count: 1, amount: 4000 }] });
      kiosk.clock.set(START);
      await kiosk.cardSale(1000, 'girocard');
      await kiosk.cardSale(2550, 'girocard');
      await kiosk.cardSale(3000, 'VISA');
      await kiosk.cardSale(10000, 'MasterCard');
      await kiosk.endOfDay({
        amount: 16550,
        traceNumber: 20,
        captured: 4,
        terminalId: '52500001',
        totals: [
          { scheme: 'girocard', count: 2, amount: 3550 },
          { scheme: 'visa', count: 1, amount: 2900 }, // ours 3000
          { scheme: 'amex', count: 1, amount: 100 }, // none of ours
        ],
      }); // mastercard missing at the terminal
      await store.acceptMany(await kiosk.events());
      const r = await reconcileCard(store.db, { store: 'S1', day: '2026-12-05', timeZone: 'Asia/Shanghai', rates: DEFAULT_FEE_BPS }, { by: 'test', now: START + 86_400_000 });
      expect(r.items.map((i) => [i.kind, i.scheme, i.expectedCount ?? null, i.expectedAmount ?? null, i.actualCount ?? null, i.actualAmount ?? null])).toEqual([
        ['journal_only', 'mastercard', 1, 10000, null, null],
        ['amount_mismatch', 'visa', 1, 3000, 1, 2900],
        ['channel_only', 'amex', null, null, 1, 100],
      ]);
      expect(r.totals.matched).toBe(1);
      // girocard 20 bps: 1000→2, 2550→5.1→5; visa 30: 3000→9; mastercard 30: 10000→30
      expect(r.totals.schemes).toMatchObject({ girocard: { count: 2, amount: 3550, expectedFee: 7, terminalCount: 2, terminalAmount: 3550 }, visa: { expectedFee: 9 }, mastercard: { expectedFee: 30, terminalCount: null } });
      expect(r.totals.fees).toEqual({ expected: 46, actual: null });
      const runs = await listRuns(store.db, { all: false, stores: ['S1'] });
      expect(runs).toMatchObject([{ channel: 'card', storeId: 'S1', discrepancies: 3 }]);
      expect(await listRuns(store.db, { all: false, stores: ['S2'] })).toEqual([]);
    } finally {
      await store.close();
      await kiosk.close();
    }
  });

  it('card end-of-day totals are net, as the terminal reports them: a reversed payment is left out, a refund comes off its scheme', async () => {
    const kiosk = await reconcileKiosk('S1', 'K2', START);
    const store = await IngestStore.open(await fresh());
    try {
      await kiosk.cardSale(1000, 'girocard');
      const partly = await kiosk.cardSale(2550, 'girocard');
      const reversed = await kiosk.cardSale(3000, 'VISA');
      await kiosk.cardRefund(partly, 550, 'refund');
      await kiosk.cardRefund(reversed, 3000, 'reversal');
      await kiosk.endOfDay({ amount: 3000, traceNumber: 30, captured: 2, terminalId: '52500002', totals: [{ scheme: 'girocard', count: 2, amount: 3000 }] });
      await store.acceptMany(await kiosk.events());
      const r = await reconcileCard(store.db, { store: 'S1', day: '2026-12-05', timeZone: 'Asia/Shanghai', rates: DEFAULT_FEE_BPS }, { by: 'test', now: START + 86_400_000 });
      expect(r.items).toEqual([]);
      expect(r.totals.schemes).toMatchObject({ girocard: { terminalCount: 2, terminalAmount: 3000 } });
      expect(r.totals.schemes?.visa?.count ?? 0).toBe(0);
    } finally {
      await store.close();
      await kiosk.close();
    }
  });
});

describe('hq reconcile (CLI)', () => {
  const hq = (args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'hq', 'cli.js'), ...args], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('exit 1 with discrepancies (a table, or --json), 0 when all matched, 2 on a bad bill / bad usage with one line', async () => {
    const dir = tmpDir('hq-reconcile-cli-');
    const dbFile = path.join(dir, 'hq.sqlite');
    const d = await day(dbFile, 'wechat');
    await d.store.close();
    try {
      const s = d.sales.s1;
      const good = path.join(dir, 'good.csv');
      // only s1 at the channel: the others are journal_only / refund_mismatch
      fs.writeFileSync(good, wechatBill([wechatPayment({ time: bj(s.at), txn: '42', orderNo: s.orderNo, amount: '12.34', fee: '0.07' })], ['1', '12.34', '0.00', '0.00', '0.07', '12.34', '0.00']));
      const table = hq(['reconcile', '--channel', 'wechat', '--date', '2026-12-05', '--bill', good, '--db', dbFile]);
      expect(table.code).toBe(1);
      expect(table.stdout).toMatch(/^wechat 2026-12-05: 1 matched, 7 discrepancies$/m);
      expect(table.stdout).toMatch(/^journal_only +S1\/K1 /m);
      expect(table.stdout).toContain(`fees: expected ${formatYuan(7)}, actual 0.07 (wechat 60 bps)`);
      const json = hq(['reconcile', '--channel', 'wechat', '--date', '2026-12-05', '--bill', good, '--db', dbFile, '--json', '--fee-bps', 'wechat=100']);
      expect(json.code).toBe(1);
      const parsed = JSON.parse(json.stdout) as { items: { kind: string }[]; totals: { rates: Record<string, number> } };
      expect(parsed.totals.rates).toEqual({ wechat: 100 });
      expect(parsed.items.filter((i) => i.kind === 'fee_mismatch')).toHaveLength(1); // 12.34 at 1 % = 0.12, not 0.07

      // a day with nothing at the channel and nothing in the journal: all matched
      const empty = path.join(dir, 'empty.csv');
      fs.writeFileSync(empty, wechatBill([], ['0', '0.00', '0.00', '0.00', '0.00', '0.00', '0.00']));
      expect(hq(['reconcile', '--channel', 'wechat', '--date', '2026-11-01', '--bill', empty, '--db', dbFile])).toMatchObject({ code: 0 });

      const broken = path.join(dir, 'broken.csv');
      fs.writeFileSync(broken, wechatBill([wechatPayment({ time: bj(s.at), txn: '42', orderNo: s.orderNo, amount: '12.34', fee: '0.07' })], ['2', '12.34', '0.00', '0.00', '0.07', '12.34', '0.00']));
      // downloads (docs/bill-formats.md): an Alipay zip without its detail entry; one whose entry declares 80 MB (a zip bomb)
      const noDetail = path.join(dir, 'no-detail.csv.zip');
      fs.writeFileSync(noDetail, writeZip([{ name: iconv.encode('x_20261205_业务明细(汇总).csv', 'gbk'), data: Buffer.from('#') }]));
      const bomb = writeZip([{ name: iconv.encode('x_20261205_业务明细.csv', 'gbk'), data: Buffer.alloc(1000) }]);
      bomb.writeUInt32LE(80 * 1024 * 1024, bomb.indexOf(Buffer.from('PK\x01\x02', 'latin1')) + 24);
      const bombFile = path.join(dir, 'bomb.csv.zip');
      fs.writeFileSync(bombFile, bomb);
      for (const [args, what] of [
        [['--channel', 'wechat', '--date', '2026-12-05', '--bill', broken], /^hq: wechat bill line 4: 总交易单数/],
        [['--channel', 'alipay', '--date', '2026-12-05', '--bill', noDetail], /^hq: alipay bill: the zip must hold one detail file …_业务明细\.csv, it holds 0/],
        [['--channel', 'alipay', '--date', '2026-12-05', '--bill', bombFile], /^hq: alipay bill: the archive inflates to more than 64 MB \(a zip bomb\?\)$/],
        [['--channel', 'paypal', '--date', '2026-12-05', '--bill', good], /^hq: --channel wants one of alipay, wechat, unionpay, card/],
        [['--channel', 'wechat', '--date', '5.12.2026', '--bill', good], /^hq: --date wants YYYY-MM-DD/],
        [['--channel', 'card', '--date', '2026-12-05'], /^hq: --channel card needs --store S/],
        [['--channel', 'wechat', '--date', '2026-12-05', '--bill', good, '--fee-bps', 'wechat=lots'], /^hq: --fee-bps wants KEY=BPS/],
      ] as const) {
        const r = hq(['reconcile', ...args, '--db', dbFile]);
        expect({ code: r.code, stderr: r.stderr.trimEnd() }).toEqual({ code: 2, stderr: expect.stringMatching(what) });
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      }
    } finally {
      await d.kiosk.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000); // a kiosk and several `hq reconcile` processes: slow on a loaded 2-core machine
});
