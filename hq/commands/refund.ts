import type { Command } from 'commander';
import { SystemClock, type Clock } from '../../kernel/clock';
import { isKioskError } from '../../kernel/errors';
import { SqlAuditLog } from '../audit/audit-log';
import { IngestStore } from '../ingest/store';
import { hqRefund, resolvePendingRefunds, type HqRefundResult } from '../refunds/hq-refund';
import { channelRefunders, loadChannelEndpoints } from '../refunds/refunders';
import { ChannelsUsage, secretsKeyFor } from './channels';

export interface RefundOptions {
  db: string;
  store?: string;
  device?: string;
  order?: string;
  amount?: string;
  reason?: string;
  refundId?: string;
  channelEndpoints: string;
  secretsKey?: string;
  resolvePending?: boolean;
  json?: boolean;
}

const usage = (message: string): Error => Object.assign(new Error(message), { exitCode: 2 });

const line = (r: HqRefundResult) =>
  `${r.state} ${r.refundId}: ${r.amount} fen via ${r.channel} (refund no ${r.refundNo}${r.channelRefundId ? `, channel refund id ${r.channelRefundId}` : ''})${r.replayed ? ' · replayed' : ''}${r.reason ? ` — ${r.reason}` : ''}\n`;

/**
 * `hq refund --store S --device D --order O --amount N --reason R [--refund-id ID] --db PATH --channel-endpoints FILE
 * [--secrets-key FILE] [--json]`: a channel refund made by HQ itself (hq/refunds/hq-refund.ts). `--resolve-pending`:
 * asks the channels about every pending HQ refund. Exit 0 refunded, 1 declined or refused, 2 bad input, 3 pending.
 */
export async function runRefund(opts: RefundOptions, io: { out: (t: string) => void; clock: Clock }): Promise<HqRefundResult[]> {
  if (!opts.resolvePending) {
    for (const k of ['store', 'device', 'order', 'amount', 'reason'] as const) if (!opts[k]) throw usage(`--${k} is required`);
    if (!/^\d{1,15}$/.test(opts.amount!)) throw usage(`--amount wants whole fen, got "${opts.amount!.slice(0, 20)}"`);
  }
  let key;
  let endpoints;
  try {
    key = secretsKeyFor(opts);
    endpoints = loadChannelEndpoints(opts.channelEndpoints);
  } catch (e) {
    if (e instanceof ChannelsUsage || isKioskError(e)) throw usage(e.message);
    throw e;
  }
  const store = await IngestStore.open(opts.db);
  try {
    const deps = { db: store.db, clock: io.clock, audit: new SqlAuditLog(store.db, io.clock), refunderFor: channelRefunders(store.db, key, endpoints, io.clock) };
    let results: HqRefundResult[];
    try {
      results = opts.resolvePending
        ? await resolvePendingRefunds(deps, 'cli')
        : [await hqRefund(deps, { store: opts.store!, device: opts.device!, order: opts.order!, amount: Number(opts.amount), reason: opts.reason!, user: 'cli', ...(opts.refundId ? { refundId: opts.refundId } : {}) })];
    } catch (e) {
      if (isKioskError(e) && e.code === 'BAD_DATA') throw usage(e.message);
      throw e;
    }
    io.out(opts.json ? `${JSON.stringify(opts.resolvePending ? results : results[0])}\n` : results.map(line).join(''));
    return results;
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  program
    .command('refund')
    .description('refund a QR wallet payment at its channel from HQ (Alipay, WeChat Pay, UnionPay), idempotent on --refund-id; --resolve-pending asks about pending ones')
    .requiredOption('--db <path|url>', 'ingest SQLite file, or a postgres:// URL')
    .requiredOption('--channel-endpoints <file>', 'JSON: {"wechat"?: {"url", "secapiUrl"?, "caPath"?}, "alipay"?: {"url", "caPath"?}, "unionpay"?: {"url", "caPath"?, "rootCertPath"}}')
    .option('--store <S>', 'the order\'s store')
    .option('--device <D>', 'the order\'s kiosk')
    .option('--order <O>', 'the order id')
    .option('--amount <fen>', 'how much to pay back, in fen')
    .option('--reason <reason>', 'why (e.g. defective)')
    .option('--refund-id <id>', 'this refund\'s id: the same id again never refunds twice (default: a new one)')
    .option('--secrets-key <file>', "HQ's key for the channel secrets at rest (default: hq-secrets.key beside the SQLite file)")
    .option('--resolve-pending', 'ask the channels about every pending HQ refund')
    .option('--json', 'print the result as JSON')
    .action(async (opts: RefundOptions) => {
      const results = await runRefund(opts, { out: (t) => process.stdout.write(t), clock: new SystemClock() });
      if (results.some((r) => r.state === 'declined')) process.exitCode = 1;
      else if (results.some((r) => r.state === 'pending')) process.exitCode = 3;
    });
}
