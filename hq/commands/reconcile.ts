import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { SystemClock } from '../../kernel/clock';
import { isKioskError } from '../../kernel/errors';
import { isTimeZone } from '../../kernel/local-time';
import { IngestStore } from '../ingest/store';
import { SqlAlerts } from '../fleet/alerts';
import { formatYuan } from '../reconcile/amounts';
import { BILL_CHANNELS, BILL_LIMITS, type BillChannel } from '../reconcile/bill-types';
import { feeRates, parseFeeOverrides } from '../reconcile/fee-rates';
import type { ReconcileResult } from '../reconcile/items';
import { reconcileBill, reconcileCard } from '../reconcile/reconcile';

export interface ReconcileOptions {
  channel: string;
  date: string;
  bill?: string;
  store?: string;
  db: string;
  json?: boolean;
  feeBps?: string[];
  timezone?: string;
}

const usage = (message: string): Error => Object.assign(new Error(message), { exitCode: 2 });
const money = (v: number | null | undefined) => (v === null || v === undefined ? '' : formatYuan(v));

/** The discrepancies as a fixed-width table, then the totals. */
export function renderReconcile(r: ReconcileResult): string {
  const head = ['kind', 'store/device', 'order no / scheme', 'refund no', 'expected', 'actual', 'exp. fee', 'fee', 'line'];
  const body = r.items.map((i) => [
    i.kind,
    i.storeId ? `${i.storeId}/${i.deviceId ?? ''}` : '-',
    i.orderNo ?? i.scheme ?? '',
    i.refundNo ?? '',
    i.expectedCount !== undefined ? `${money(i.expectedAmount)} (${i.expectedCount})` : money(i.expectedAmount),
    i.actualCount !== undefined ? `${money(i.actualAmount)} (${i.actualCount})` : money(i.actualAmount),
    money(i.expectedFee),
    money(i.actualFee),
    i.billLine !== undefined ? String(i.billLine) : '',
  ]);
  const widths = head.map((h, k) => Math.max(h.length, ...body.map((b) => b[k].length)));
  const line = (cells: string[]) => cells.map((c, k) => c.padEnd(widths[k])).join('  ').trimEnd();
  const t = r.totals;
  const out = [
    `${r.channel} ${r.day}${r.storeId ? ` store ${r.storeId}` : ''}: ${t.matched} matched, ${r.items.length} discrepancies`,
    ...(r.items.length ? [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)] : []),
    `channel: ${t.channel.payments} payments ${money(t.channel.paymentAmount)}, ${t.channel.refunds} refunds ${money(t.channel.refundAmount)}`,
    `journal: ${t.journal.payments} payments ${money(t.journal.paymentAmount)}, ${t.journal.refunds} refunds ${money(t.journal.refundAmount)}`,
    `fees: expected ${money(t.fees.expected)}, actual ${t.fees.actual === null ? 'not reported' : money(t.fees.actual)} (${Object.entries(t.rates).map(([k, v]) => `${k} ${v} bps`).join(', ')})`,
    `net settlement: channel ${t.settlement.channel === null ? 'not reported' : money(t.settlement.channel)}, journal ${money(t.settlement.journal)}`,
  ];
  return `${out.join('\n')}\n`;
}

/**
 * `hq reconcile --channel alipay|wechat|unionpay --date YYYY-MM-DD --bill FILE --db PATH|URL [--fee-bps K=BPS …] [--json]`
 * or `--channel card --store S` (the store's terminal end-of-day totals; the day in `--timezone`, default
 * Asia/Shanghai). Stores the run (replacing that channel and day's previous one), raises an alert for money taken
 * at a channel without a sale. Exit 0 when everything matched, 1 with discrepancies, 2 on bad input.
 */
export async function runReconcile(opts: ReconcileOptions, io: { out: (t: string) => void; now: () => number }): Promise<ReconcileResult> {
  const channel = opts.channel;
  if (channel !== 'card' && !(BILL_CHANNELS as readonly string[]).includes(channel)) throw usage(`--channel wants one of ${[...BILL_CHANNELS, 'card'].join(', ')}, got "${channel.slice(0, 40)}"`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.date)) throw usage(`--date wants YYYY-MM-DD, got "${opts.date.slice(0, 40)}"`);
  const zone = opts.timezone ?? 'Asia/Shanghai';
  if (!isTimeZone(zone)) throw usage(`--timezone: "${zone.slice(0, 60)}" is not a time zone`);
  let bill: Buffer | null = null;
  if (channel === 'card') {
    if (!opts.store) throw usage('--channel card needs --store S');
    if (opts.bill) throw usage('--channel card takes no --bill (it reconciles the terminal end-of-day totals)');
  } else {
    if (!opts.bill) throw usage(`--channel ${channel} needs --bill FILE`);
    let size: number;
    try {
      size = fs.statSync(opts.bill).size;
    } catch {
      throw usage(`--bill: cannot read ${opts.bill}`);
    }
    if (size > BILL_LIMITS.maxBytes) throw usage(`--bill: ${opts.bill} is ${size} bytes, more than ${BILL_LIMITS.maxBytes}`);
    // read at most one byte past the limit: a pipe or device (e.g. /dev/zero) has no size to check first
    bill = readAtMost(opts.bill, BILL_LIMITS.maxBytes + 1);
    if (bill.length > BILL_LIMITS.maxBytes) throw usage(`--bill: ${opts.bill} holds more than ${BILL_LIMITS.maxBytes} bytes`);
  }
  let overrides;
  try {
    overrides = parseFeeOverrides(opts.feeBps ?? []);
  } catch (e) {
    throw usage((e as Error).message);
  }
  const store = await IngestStore.open(opts.db);
  try {
    const meta = { by: 'cli', now: io.now(), alerts: new SqlAlerts(store.db) };
    let r: ReconcileResult;
    try {
      if (channel === 'card') {
        const rates = await feeRates(store.db, { store: opts.store, overrides });
        r = await reconcileCard(store.db, { store: opts.store as string, day: opts.date, timeZone: zone, rates }, meta);
      } else {
        const rates = await feeRates(store.db, { overrides });
        r = await reconcileBill(store.db, { channel: channel as BillChannel, day: opts.date, bill: bill as Buffer, bps: rates[channel as BillChannel] }, { ...meta, source: path.basename(opts.bill as string) });
      }
    } catch (e) {
      if (isKioskError(e) && e.code === 'BAD_DATA') throw usage(e.message);
      throw e;
    }
    io.out(opts.json ? `${JSON.stringify(r)}\n` : renderReconcile(r));
    return r;
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  program
    .command('reconcile')
    .description('reconcile a channel bill (alipay, wechat, unionpay) or a store\'s card end-of-day with the journal (对账)')
    .requiredOption('--channel <channel>', 'alipay | wechat | unionpay | card')
    .requiredOption('--date <YYYY-MM-DD>', 'the business day (Beijing time for wallet bills)')
    .option('--bill <file>', 'the channel\'s bill file (wallet channels)')
    .option('--store <S>', 'the store whose terminal end-of-day totals to check (card)')
    .requiredOption('--db <path|url>', 'ingest SQLite file, or a postgres:// URL')
    .option('--fee-bps <key=bps>', 'fee rate override in basis points, e.g. wechat=60 or visa=30 (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--timezone <zone>', 'the zone of the card business day', 'Asia/Shanghai')
    .option('--json', 'print the result as JSON')
    .action(async (opts: ReconcileOptions) => {
      const r = await runReconcile(opts, { out: (t) => process.stdout.write(t), now: () => new SystemClock().now() });
      if (r.items.length > 0) process.exitCode = 1;
    });
}

/** Up to `max` bytes of `file`, read in chunks (never more in memory), whatever kind of file it is. */
function readAtMost(file: string, max: number): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    throw usage(`--bill: cannot read ${file}`);
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < max) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, max - total));
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    throw usage(`--bill: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
}
