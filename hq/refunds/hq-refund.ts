/**
 * A channel refund HQ makes itself, for a QR wallet payment (when the kiosk is dead or replaced, or the shopper is at
 * the service desk): HQ takes the merchant's secrets from its own encrypted registry and calls the channel's refund
 * API (hq/refunds/wechat-refunder.ts). The rules are the kiosk's attempt rules:
 * - idempotent on the HQ refund id: the channel refund number is derived from it (refund-no.ts, a namespace the
 *   kiosk's numbers never enter); a second request with the same id never sends a second refund — it returns the
 *   recorded result, or asks the channel (refund query) about a pending one;
 * - bounded: at most what remains of the payment — its amount minus every refund allocation HQ holds for it (the
 *   kiosk's journaled refunds and HQ's own, pending ones included) — checked and recorded in one write transaction;
 * - recorded BEFORE sending (state `pending`, refund-rows.ts), then `refunded`; refused → the record goes; no
 *   telling answer (timeout, system error) → stays `pending`, resolved later by the refund query
 *   ({@link resolvePendingRefunds}; a refund the channel never got is sent again under the same number).
 * Every request and every outcome is in the audit log (`refund.hq`, `refund.hq.result`). A refund that becomes
 * `refunded` takes back the member points earned on the money, in the same transaction (an `hq` `reverse` entry of
 * the points ledger: hq/members/refund-points.ts). The kiosk is then told by HQ's signed `hq_refund` command
 * (hq/refunds/kiosk-notice.ts), and records it on the order (runtime/payments/hq-refund-record.ts) so that the lane
 * cannot pay the same money back again; `lineIds` (optional, lines HQ holds, none refunded before) go with it.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import type { AuditLog } from '../console/types';
import { takeBackHqRefundPoints } from '../members/refund-points';
import type { IngestDb } from '../ingest/pg-db';
import type { ChannelRefunder, ChannelRefundOutcome } from './channel-refunder';
import { hqRefundNo, HQ_REFUND_ID } from './refund-no';
import {
  deleteHqRefund,
  hqRefunds,
  insertHqRefund,
  orderLineIds,
  pendingHqRefunds,
  refundedLineIds,
  refundedOf,
  updateHqRefund,
  walletPayments,
  type HqRefundAllocation,
  type HqRefundRow,
  type WalletPayment,
} from './refund-rows';

export interface HqRefundRequest {
  store: string;
  device: string;
  order: string;
  /** Fen. */
  amount: number;
  reason: string;
  /** Default: a new random id (then a retry is a new refund: pass the same id to retry safely). */
  refundId?: string;
  /** The console user or `cli`. */
  user: string;
  /**
   * The order lines this refund pays back (optional): each a line of the order HQ holds, none refunded before (by
   * the lane or by HQ). Sent to the kiosk with the refund, so the lane cannot refund them again.
   */
  lineIds?: string[];
}

export interface HqRefundDeps {
  db: IngestDb;
  clock: Clock;
  audit: AuditLog | null;
  /** The channel's refunder with the store's merchant secrets (throws CONFIG_INVALID when HQ has none). */
  refunderFor: (channel: WalletPayment['channel'], store: string) => Promise<ChannelRefunder>;
}

export interface HqRefundResult {
  refundId: string;
  refundNo: string;
  channel: string;
  attemptId: string;
  amount: number;
  state: 'refunded' | 'pending' | 'declined';
  /** The channel's refund id (refunded), or why (declined, pending). */
  channelRefundId?: string | null;
  reason?: string;
  /** The refund id was known: nothing new was sent for it. */
  replayed: boolean;
}

const REASON = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function check(req: HqRefundRequest): string {
  if (!Number.isSafeInteger(req.amount) || req.amount <= 0) throw new KioskError('BAD_DATA', `amount must be a positive whole number of fen, got ${String(req.amount).slice(0, 20)}`, { field: 'amount' });
  if (!REASON.test(req.reason)) throw new KioskError('BAD_DATA', 'reason must be 1-64 of letters, digits, ._- (e.g. defective)', { field: 'reason' });
  const id = req.refundId ?? `hq-${randomUUID()}`;
  if (!HQ_REFUND_ID.test(id)) throw new KioskError('BAD_DATA', 'refund id must be 1-64 of letters, digits, ._-', { field: 'refundId' });
  if (req.lineIds !== undefined) {
    const l = req.lineIds;
    if (!Array.isArray(l) || l.length === 0 || l.length > 200 || !l.every((x) => typeof x === 'string' && LINE_ID.test(x))) {
      throw new KioskError('BAD_DATA', 'lines must be 1-200 line ids such as L1', { field: 'lineIds' });
    }
    if (new Set(l).size !== l.length) throw new KioskError('BAD_DATA', 'a line is named twice', { field: 'lineIds' });
  }
  return id;
}

const LINE_ID = /^L\d{1,6}$/;

const resultOf = (r: HqRefundRow, replayed: boolean): HqRefundResult => ({
  refundId: r.allocation.hqRefundId,
  refundNo: r.allocation.refundNo,
  channel: r.allocation.channel,
  attemptId: r.allocation.attemptId,
  amount: r.amount,
  state: r.allocation.state,
  channelRefundId: r.allocation.refundId,
  replayed,
});

/** Applies the channel's outcome to the recorded refund; returns the result. */
async function settle(deps: HqRefundDeps, row: HqRefundRow, outcome: ChannelRefundOutcome, replayed: boolean, user: string): Promise<HqRefundResult> {
  const target = `${row.storeId}/${row.deviceId}/${row.orderId}`;
  const a = row.allocation;
  let result: HqRefundResult;
  if (outcome.state === 'refunded') {
    const next: HqRefundAllocation = { ...a, state: 'refunded', refundId: outcome.refundId };
    await deps.db.transaction(async (tx) => {
      await updateHqRefund(tx, row, next);
      // the member points earned on the refunded money go back with it (hq/members/refund-points.ts)
      const others = (await hqRefunds(tx, [row.storeId, row.deviceId, row.orderId])).filter((r) => r.seq !== row.seq && r.allocation.state === 'refunded');
      await takeBackHqRefundPoints(tx, {
        store: row.storeId,
        device: row.deviceId,
        order: row.orderId,
        hqRefundId: a.hqRefundId,
        amount: row.amount,
        hqRefundedBefore: others.reduce((n, r) => n + r.amount, 0),
        actor: user,
        now: deps.clock.now(),
      });
    });
    result = resultOf({ ...row, allocation: next }, replayed);
  } else if (outcome.state === 'declined') {
    await deps.db.transaction((tx) => deleteHqRefund(tx, row));
    result = { ...resultOf(row, replayed), state: 'declined', reason: outcome.reason };
  } else {
    result = { ...resultOf(row, replayed), state: 'pending', reason: outcome.state === 'pending' ? outcome.reason : 'the channel does not know the refund yet' };
  }
  if (result.state !== a.state) {
    await deps.audit?.record({ actor: user, action: 'refund.hq.result', target, detail: { refundId: a.hqRefundId, refundNo: a.refundNo, channel: a.channel, amount: row.amount, state: result.state, ...(result.reason ? { reason: result.reason } : {}) } });
  }
  return result;
}

/** Asks the channel about a pending refund; one it never got is sent again under the same number. */
async function resolve(deps: HqRefundDeps, row: HqRefundRow, replayed: boolean, user: string): Promise<HqRefundResult> {
  const a = row.allocation;
  const refunder = await deps.refunderFor(a.channel as WalletPayment['channel'], row.storeId);
  const paid = (await walletPayments(deps.db.read, [row.storeId, row.deviceId, row.orderId])).find((p) => p.attemptId === a.attemptId);
  const req = { outTradeNo: a.outTradeNo ?? paid?.outTradeNo ?? '', refundNo: a.refundNo, paidAmount: paid?.amount ?? row.amount, amount: row.amount };
  let outcome = await refunder.query(req);
  if (outcome.state === 'not_found') {
    try {
      outcome = await refunder.refund(req);
    } catch (e) {
      outcome = { state: 'pending', reason: e instanceof Error ? e.message : String(e) };
    }
  }
  return settle(deps, row, outcome, replayed, user);
}

export async function hqRefund(deps: HqRefundDeps, req: HqRefundRequest): Promise<HqRefundResult> {
  const refundId = check(req);
  const ids = [req.store, req.device, req.order] as const;
  const known = (await hqRefunds(deps.db.read, ids)).find((r) => r.allocation.hqRefundId === refundId);
  if (known) return known.allocation.state === 'refunded' ? resultOf(known, true) : resolve(deps, known, true, req.user);

  const payments = await walletPayments(deps.db.read, ids);
  if (payments.length === 0) {
    const order = await deps.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM orders WHERE store_id = ? AND device_id = ? AND order_id = ?', [...ids]);
    if (!order || Number(order.n) === 0) throw new KioskError('ORDER_NOT_FOUND', `no order ${req.order} of ${req.store}/${req.device} at HQ`);
    throw new KioskError('GUARD_REJECTED', 'the order has no approved QR wallet payment (Alipay, WeChat Pay, UnionPay QR): refund it at the lane or with the Return form', { rule: 'method' });
  }
  const refunder = await deps.refunderFor(payments[0].channel, req.store);
  // checked and recorded in one write transaction: two requests cannot both take what remains
  const row = await deps.db.transaction(async (tx): Promise<HqRefundRow> => {
    let pay: WalletPayment | null = null;
    let left = 0;
    for (const p of payments) {
      left = p.amount - (await refundedOf(tx, ids, p.attemptId));
      if (left >= req.amount) {
        pay = p;
        break;
      }
    }
    if (!pay) throw new KioskError('GUARD_REJECTED', `${req.amount} fen is more than remains refundable (${Math.max(left, 0)} fen)`, { rule: 'amount', remaining: Math.max(left, 0) });
    if (req.lineIds) {
      const known = await orderLineIds(tx, ids);
      const unknown = req.lineIds.filter((l) => !known.has(l));
      if (unknown.length) throw new KioskError('GUARD_REJECTED', `the order has no line ${unknown.join(', ')} at HQ`, { rule: 'lines', lines: unknown });
      const before = await refundedLineIds(tx, ids);
      const again = req.lineIds.filter((l) => before.has(l));
      if (again.length) throw new KioskError('GUARD_REJECTED', `line ${again.join(', ')} was refunded before`, { rule: 'lines', lines: again });
    }
    const allocation: HqRefundAllocation = {
      attemptId: pay.attemptId,
      channel: pay.channel,
      amount: req.amount,
      outTradeNo: pay.outTradeNo,
      refundNo: hqRefundNo(pay.attemptId, refundId),
      refundId: null,
      via: 'hq',
      state: 'pending',
      hqRefundId: refundId,
      reason: req.reason,
      requestedBy: req.user,
      ...(req.lineIds ? { lineIds: req.lineIds } : {}),
    };
    const ts = deps.clock.now();
    const seq = await insertHqRefund(tx, ids, { ts, amount: req.amount, allocation });
    return { storeId: req.store, deviceId: req.device, orderId: req.order, seq, ts, amount: req.amount, allocation };
  });
  const a = row.allocation;
  await deps.audit?.record({ actor: req.user, action: 'refund.hq', target: `${req.store}/${req.device}/${req.order}`, detail: { refundId, refundNo: a.refundNo, channel: a.channel, amount: req.amount, reason: req.reason } });
  const paid = payments.find((p) => p.attemptId === a.attemptId)!;
  let outcome: ChannelRefundOutcome;
  try {
    outcome = await refunder.refund({ outTradeNo: a.outTradeNo ?? paid.outTradeNo, refundNo: a.refundNo, paidAmount: paid.amount, amount: req.amount });
  } catch (e) {
    // never reached the channel: nothing to wait for
    await deps.db.transaction((tx) => deleteHqRefund(tx, row));
    await deps.audit?.record({ actor: req.user, action: 'refund.hq.result', target: `${req.store}/${req.device}/${req.order}`, detail: { refundId, state: 'not_sent', error: e instanceof Error ? e.message : String(e) } });
    throw e;
  }
  return settle(deps, row, outcome, false, req.user);
}

/** Resolves every pending HQ refund by the channel's refund query; returns what each became. */
export async function resolvePendingRefunds(deps: HqRefundDeps, user: string): Promise<HqRefundResult[]> {
  const out: HqRefundResult[] = [];
  for (const row of await pendingHqRefunds(deps.db.read)) out.push(await resolve(deps, row, true, user));
  return out;
}
