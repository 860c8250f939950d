import type { Tx } from '../../kernel/sqlite/database';
import type { ConsoleSettings, StoreScope } from '../console/types';
import { storeCondition } from './stats-filter';

/**
 * The live payment monitor's figures: per channel (`card`, `qr`, and each QR channel the kiosks journal: `alipay`,
 * `wechat`, `unionpay`, …) the payment attempts started in a recent window by outcome, and the refunds issued in it,
 * from the `payments` and `refunds` projections (training excluded), aggregated by the database, scoped to the user's
 * stores. Rates are over the attempts that reached an outcome or are in doubt: approved + declined + unknown
 * (`pending` ones are still running, `cancelled` ones were abandoned by the shopper before any answer). A refund
 * journaled without its payment channel counts for the channel(s) its order was paid with.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface ChannelOutcomes {
  /** Set when grouped by store. */
  storeId?: string;
  channel: string;
  /** approved + declined + unknown: the denominator of the rates. */
  attempts: number;
  approved: number;
  declined: number;
  unknown: number;
  pending: number;
  cancelled: number;
  refunds: number;
  /** Minor units. */
  refundAmount: number;
}

export interface MonitorQuery {
  now: number;
  windowMs: number;
  scope: StoreScope;
  storeId?: string;
  /** One row per (store, channel) instead of per channel. */
  byStore?: boolean;
}

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export async function paymentOutcomes(db: Pick<Tx, 'all'>, q: MonitorQuery): Promise<ChannelOutcomes[]> {
  const since = q.now - q.windowMs;
  const ps = storeCondition('p.store_id', q);
  const rs = storeCondition('r.store_id', q);
  const storeCol = (a: string) => (q.byStore ? `${a}.store_id AS store_id, ` : `'' AS store_id, `);
  const storeGroup = (a: string) => (q.byStore ? `${a}.store_id, ` : '');
  const payments = await db.all<{ store_id: string; channel: string; status: string; c: unknown }>(
    `SELECT ${storeCol('p')}p.channel AS channel, p.status AS status, COUNT(*) AS c FROM payments p
      WHERE p.training = 0 AND p.started_at >= ? AND ${ps.sql} GROUP BY ${storeGroup('p')}p.channel, p.status`,
    [since, ...ps.params],
  );
  const refunds = await db.all<{ store_id: string; channel: string; c: unknown; amount: unknown }>(
    `SELECT store_id, channel, COUNT(*) AS c, CAST(SUM(amount) AS BIGINT) AS amount
       FROM (SELECT ${storeCol('r')}COALESCE(r.channel, NULLIF(o.methods, ''), '') AS channel, r.amount AS amount
               FROM refunds r LEFT JOIN orders o ON o.store_id = r.store_id AND o.device_id = r.device_id AND o.order_id = r.order_id
              WHERE r.training = 0 AND r.ts >= ? AND ${rs.sql}) s
      GROUP BY store_id, channel`,
    [since, ...rs.params],
  );
  const out = new Map<string, ChannelOutcomes>();
  const row = (storeId: string, channel: string): ChannelOutcomes => {
    const key = `${storeId}\u0000${channel}`;
    let o = out.get(key);
    if (!o) {
      o = { ...(q.byStore ? { storeId } : {}), channel, attempts: 0, approved: 0, declined: 0, unknown: 0, pending: 0, cancelled: 0, refunds: 0, refundAmount: 0 };
      out.set(key, o);
    }
    return o;
  };
  for (const p of payments) {
    const o = row(p.store_id, p.channel);
    const c = n(p.c);
    if (p.status === 'approved' || p.status === 'declined' || p.status === 'unknown' || p.status === 'pending' || p.status === 'cancelled') o[p.status] += c;
  }
  for (const r of refunds) {
    const o = row(r.store_id, r.channel);
    o.refunds += n(r.c);
    o.refundAmount += n(r.amount);
  }
  for (const o of out.values()) o.attempts = o.approved + o.declined + o.unknown;
  return [...out.values()].sort((a, b) => (a.storeId ?? '').localeCompare(b.storeId ?? '') || b.attempts - a.attempts || a.channel.localeCompare(b.channel));
}

export interface ThresholdState {
  decline: boolean;
  unknown: boolean;
}

/** Which thresholds a row is over (never with fewer than `minAttempts` attempts: a single decline is no trend). */
export function overThreshold(o: Pick<ChannelOutcomes, 'attempts' | 'declined' | 'unknown'>, limits: ConsoleSettings['paymentAlert']): ThresholdState {
  if (o.attempts === 0 || o.attempts < limits.minAttempts) return { decline: false, unknown: false };
  return { decline: o.declined / o.attempts > limits.declineRate, unknown: o.unknown / o.attempts > limits.unknownRate };
}

/** `37.5 %` (one decimal, from integers), `—` with no attempts. */
export function formatRate(count: number, of: number): string {
  if (of <= 0) return '—';
  const tenths = Math.round((count * 1000) / of);
  return `${Math.floor(tenths / 10)}.${tenths % 10} %`;
}

/** A threshold fraction (0.3) as `30 %`. */
export const formatThreshold = (fraction: number): string => `${Math.round(fraction * 1000) / 10} %`;
