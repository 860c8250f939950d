import { createHash } from 'node:crypto';
import { KioskError } from '../../kernel/errors';
import { businessDayBounds, isCalendarDate } from '../../kernel/local-time';
import type { FeeRates } from '../../config/fees';
import type { AlertInput, Alerts } from '../console/types';
import type { IngestDb } from '../ingest/pg-db';
import { formatYuan } from './amounts';
import { beijingDay } from './beijing-time';
import type { BillChannel, ParsedBill } from './bill-types';
import { parseAlipayBill } from './alipay-bill';
import { billFileBytes } from './bill-file';
import { parseUnionpayBill } from './unionpay-bill';
import { parseWechatBill } from './wechat-bill';
import { matchCardEod } from './card-eod';
import { journalPayments, journalRefunds } from './journal-rows';
import { matchBill } from './match';
import type { ReconcileItem, ReconcileResult } from './items';
import { saveRun } from './run-store';

/**
 * Parses a channel's bill file of business day `day`, as downloaded (Alipay's and UnionPay's zip, unpacked within
 * bounds by ./bill-file.ts) or the bill file itself. Malformed: KioskError BAD_DATA with the line.
 */
export function parseBill(channel: BillChannel, downloaded: Buffer, day: string): ParsedBill {
  const bytes = billFileBytes(channel, downloaded, day);
  if (channel === 'wechat') return parseWechatBill(bytes);
  if (channel === 'alipay') return parseAlipayBill(bytes);
  return parseUnionpayBill(bytes, day);
}

/** Alerts of a run are kept per channel and day: a re-run raises what it finds and clears what it no longer finds. */
export const alertSource = (channel: string, day: string, storeId = ''): string => `reconcile:${channel}:${day}${storeId ? `:${storeId}` : ''}`;

/** A `channel_only` item is money the channel took without a sale in our journal: a critical HQ alert. */
function alertsOf(r: ReconcileResult): AlertInput[] {
  return r.items
    .filter((i) => i.kind === 'channel_only')
    .map((i) => {
      const what = i.orderNo ?? i.scheme ?? '?';
      const amount = formatYuan(i.actualAmount ?? 0);
      return {
        key: `channel_only:${what}:${i.deviceId ?? ''}:${i.billLine ?? ''}`,
        kind: 'reconcile_channel_only',
        severity: 'critical' as const,
        ...(i.storeId ? { storeId: i.storeId } : {}),
        ...(i.deviceId ? { deviceId: i.deviceId } : {}),
        message: `${r.channel} ${r.day}: ${amount} paid at the channel for ${what} with no sale in the journal`,
        text: { key: 'reconcile.alerts.channelOnly', params: { channel: r.channel, day: r.day, what, amount } },
      };
    });
}

export interface RunMeta {
  /** Who ran it (a console user, or `cli`). */
  by: string;
  now: number;
  /** Where the bill came from (a file name), shown with the run. */
  source?: string | null;
  /** When given, channel_only items raise alerts (and a re-run clears the ones gone). */
  alerts?: Alerts;
}

/** Reconciles a wallet channel's bill of `day` with the journal; stores the run (replacing the day's previous one). */
export async function reconcileBill(db: IngestDb, input: { channel: BillChannel; day: string; bill: Buffer; bps: number }, meta: RunMeta): Promise<ReconcileResult> {
  const day = beijingDay(input.day);
  if (!day) throw new KioskError('BAD_DATA', `"${input.day.slice(0, 20)}" is not a day (YYYY-MM-DD)`);
  const bill = parseBill(input.channel, input.bill, input.day);
  const outside = [...bill.trades, ...bill.refunds].find((x) => x.time < day.from || x.time >= day.to);
  if (outside) throw new KioskError('BAD_DATA', `${input.channel} bill line ${outside.line}: its time is not on ${input.day} (Beijing)`, { line: outside.line });
  const payments = await journalPayments(db.read, input.channel, day);
  const refunds = await journalRefunds(db.read, input.channel, day);
  const { items, totals } = matchBill(bill, payments, refunds, input.bps);
  const result: ReconcileResult = { channel: input.channel, day: input.day, storeId: '', sha256: createHash('sha256').update(input.bill).digest('hex'), items, totals };
  await saveRun(db, result, { source: meta.source ?? null, by: meta.by, now: meta.now });
  await meta.alerts?.sync(alertSource(input.channel, input.day), alertsOf(result), meta.now);
  return result;
}

/** Reconciles a store's card end-of-day totals of `day` (in `timeZone`) with its card payments; stores the run. */
export async function reconcileCard(db: IngestDb, input: { store: string; day: string; timeZone: string; rates: FeeRates }, meta: RunMeta): Promise<ReconcileResult> {
  if (!isCalendarDate(input.day)) throw new KioskError('BAD_DATA', `"${input.day.slice(0, 20)}" is not a day (YYYY-MM-DD)`);
  const day = businessDayBounds(input.day, input.timeZone);
  const m = await matchCardEod(db.read, input.store, day, input.rates);
  const result: ReconcileResult = { channel: 'card', day: input.day, storeId: input.store, sha256: m.sha256, items: m.items, totals: m.totals };
  await saveRun(db, result, { source: meta.source ?? `${m.runs} end-of-day runs`, by: meta.by, now: meta.now });
  await meta.alerts?.sync(alertSource('card', input.day, input.store), alertsOf(result), meta.now);
  return result;
}

export type { ReconcileItem };
