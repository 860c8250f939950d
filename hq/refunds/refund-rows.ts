/**
 * Where HQ keeps the channel refunds it makes itself: rows of the `refunds` projection (schema v1/v10) beside the
 * kiosk's own, with a NEGATIVE seq (the kiosk's rows carry their journal seq, ≥ 1, so the two never meet; the order
 * projector upserts only its own keys and leaves these alone) and one allocation `via: 'hq'` — so that
 * reconciliation (hq/reconcile/journal-rows.ts journalRefunds) matches them against the channel's bill exactly as
 * it matches the kiosk's refunds, and the order page lists them with the others.
 *
 * The allocation carries HQ's own fields: `state` (`pending` until the channel's answer is known — it counts as
 * refunded for what remains refundable —, then `refunded`), the HQ refund id, the reason and who asked. A refund the
 * channel refused is deleted (the audit log keeps it).
 */
import type { Tx } from '../../kernel/sqlite/database';
import { tryParseJson } from '../../kernel/json/bounded-json';
import { channelOrderNo } from '../../protocol/payments/channel-numbers';
import type { RefundAllocationRow } from '../orders/fold';

export type HqRefundState = 'pending' | 'refunded';

export interface HqRefundAllocation extends RefundAllocationRow {
  via: 'hq';
  state: HqRefundState;
  hqRefundId: string;
  reason: string;
  requestedBy: string;
  /** The order lines it pays back (sent to the kiosk with the refund: they count as refunded there). */
  lineIds?: string[];
}

export interface HqRefundRow {
  storeId: string;
  deviceId: string;
  orderId: string;
  seq: number;
  ts: number;
  amount: number;
  allocation: HqRefundAllocation;
}

/** An approved, non-training wallet payment of the order. */
export interface WalletPayment {
  attemptId: string;
  channel: 'alipay' | 'wechat' | 'unionpay';
  amount: number;
  /** The merchant order number the kiosk sent (reference.outTradeNo, else the one it derives from the attempt id). */
  outTradeNo: string;
}

const WALLETS = new Set(['alipay', 'wechat', 'unionpay']);
type Ids = readonly [store: string, device: string, order: string];

function allocations(json: string | null): Partial<HqRefundAllocation>[] {
  const r = tryParseJson(json ?? '', { maxBytes: 100_000 });
  return r.ok && Array.isArray(r.value) ? (r.value as Partial<HqRefundAllocation>[]).filter((a) => typeof a === 'object' && a !== null) : [];
}

/** The order's approved, non-training wallet payments. */
export async function walletPayments(db: Pick<Tx, 'all'>, ids: Ids): Promise<WalletPayment[]> {
  const rows = await db.all<{ attempt_id: string; channel: string; amount: number; reference: string | null }>(
    "SELECT attempt_id, channel, amount, reference FROM payments WHERE store_id = ? AND device_id = ? AND order_id = ? AND status = 'approved' AND training = 0 ORDER BY started_at",
    [...ids],
  );
  return rows
    .filter((r) => WALLETS.has(r.channel))
    .map((r) => {
      const ref = tryParseJson(r.reference ?? '', { maxBytes: 100_000 });
      const out = ref.ok && typeof ref.value === 'object' && ref.value !== null ? (ref.value as Record<string, unknown>).outTradeNo : undefined;
      const channel = r.channel as WalletPayment['channel'];
      const outTradeNo = typeof out === 'string' && out !== '' && !out.includes('*') ? out : channelOrderNo(channel, r.attempt_id);
      return { attemptId: r.attempt_id, channel, amount: Number(r.amount), outTradeNo };
    });
}

/** What was paid back of a payment so far: every refund allocation of the order to it (the kiosk's and HQ's, pending included). */
export async function refundedOf(db: Pick<Tx, 'all'>, ids: Ids, attemptId: string): Promise<number> {
  const rows = await db.all<{ allocations: string | null }>('SELECT allocations FROM refunds WHERE store_id = ? AND device_id = ? AND order_id = ?', [...ids]);
  let sum = 0;
  for (const r of rows) for (const a of allocations(r.allocations)) if (a.attemptId === attemptId && typeof a.amount === 'number') sum += a.amount;
  return sum;
}

/** HQ's refunds of the order, oldest first. */
export async function hqRefunds(db: Pick<Tx, 'all'>, ids: Ids): Promise<HqRefundRow[]> {
  const rows = await db.all<{ seq: number; ts: number; amount: number; allocations: string | null }>(
    'SELECT seq, ts, amount, allocations FROM refunds WHERE store_id = ? AND device_id = ? AND order_id = ? AND seq < 0 ORDER BY seq DESC',
    [...ids],
  );
  const out: HqRefundRow[] = [];
  for (const r of rows) {
    const a = allocations(r.allocations)[0];
    if (a?.via !== 'hq' || typeof a.hqRefundId !== 'string') continue;
    out.push({ storeId: ids[0], deviceId: ids[1], orderId: ids[2], seq: Number(r.seq), ts: Number(r.ts), amount: Number(r.amount), allocation: a as HqRefundAllocation });
  }
  return out;
}

/** Every HQ refund still pending, across the chain (for the resolver). */
export async function pendingHqRefunds(db: Pick<Tx, 'all'>): Promise<HqRefundRow[]> {
  const rows = await db.all<{ store_id: string; device_id: string; order_id: string; seq: number; ts: number; amount: number; allocations: string | null }>(
    'SELECT store_id, device_id, order_id, seq, ts, amount, allocations FROM refunds WHERE seq < 0 ORDER BY ts',
  );
  const out: HqRefundRow[] = [];
  for (const r of rows) {
    const a = allocations(r.allocations)[0];
    if (a?.via !== 'hq' || a.state !== 'pending') continue;
    out.push({ storeId: r.store_id, deviceId: r.device_id, orderId: r.order_id, seq: Number(r.seq), ts: Number(r.ts), amount: Number(r.amount), allocation: a as HqRefundAllocation });
  }
  return out;
}

/** Writes a new HQ refund row (the next negative seq of the device); returns its seq. */
export async function insertHqRefund(tx: Tx, ids: Ids, row: { ts: number; amount: number; allocation: HqRefundAllocation }): Promise<number> {
  const m = await tx.get<{ m: number | null }>('SELECT MIN(seq) AS m FROM refunds WHERE store_id = ? AND device_id = ? AND seq < 0', [ids[0], ids[1]]);
  const seq = Math.min(Number(m?.m ?? 0), 0) - 1;
  await tx.run(
    'INSERT INTO refunds (store_id, device_id, seq, order_id, amount, channel, ts, attendant_id, training, allocations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)',
    [ids[0], ids[1], seq, ids[2], row.amount, row.allocation.channel, row.ts, `hq:${row.allocation.requestedBy}`, JSON.stringify([row.allocation])],
  );
  return seq;
}

export async function updateHqRefund(tx: Pick<Tx, 'run'>, r: Pick<HqRefundRow, 'storeId' | 'deviceId' | 'seq'>, allocation: HqRefundAllocation): Promise<void> {
  await tx.run('UPDATE refunds SET allocations = ? WHERE store_id = ? AND device_id = ? AND seq = ?', [JSON.stringify([allocation]), r.storeId, r.deviceId, r.seq]);
}

export async function deleteHqRefund(tx: Pick<Tx, 'run'>, r: Pick<HqRefundRow, 'storeId' | 'deviceId' | 'seq'>): Promise<void> {
  await tx.run('DELETE FROM refunds WHERE store_id = ? AND device_id = ? AND seq = ? AND seq < 0', [r.storeId, r.deviceId, r.seq]);
}

/** Every HQ refund now `refunded` at its channel, across the chain, oldest first (for the kiosk notices). */
export async function refundedHqRefunds(db: Pick<Tx, 'all'>): Promise<HqRefundRow[]> {
  const rows = await db.all<{ store_id: string; device_id: string; order_id: string; seq: number; ts: number; amount: number; allocations: string | null }>(
    'SELECT store_id, device_id, order_id, seq, ts, amount, allocations FROM refunds WHERE seq < 0 ORDER BY ts',
  );
  const out: HqRefundRow[] = [];
  for (const r of rows) {
    const a = allocations(r.allocations)[0];
    if (a?.via !== 'hq' || a.state !== 'refunded' || typeof a.hqRefundId !== 'string') continue;
    out.push({ storeId: r.store_id, deviceId: r.device_id, orderId: r.order_id, seq: Number(r.seq), ts: Number(r.ts), amount: Number(r.amount), allocation: a as HqRefundAllocation });
  }
  return out;
}

/** The order's line ids as HQ holds them (from the kiosk's `order_completed`); empty when HQ has none. */
export async function orderLineIds(db: Pick<Tx, 'all'>, ids: Ids): Promise<Set<string>> {
  const rows = await db.all<{ line_id: string }>('SELECT line_id FROM order_lines WHERE store_id = ? AND device_id = ? AND order_id = ?', [...ids]);
  return new Set(rows.map((r) => r.line_id));
}

/**
 * The order's lines refunded so far as HQ knows: those of the kiosk's journaled refunds (`refund_issued.lineIds`) and
 * of HQ's own refunds (pending ones included).
 */
export async function refundedLineIds(db: Pick<Tx, 'all'>, ids: Ids): Promise<Set<string>> {
  const out = new Set<string>();
  const rows = await db.all<{ payload: string }>(
    "SELECT payload FROM sales_events WHERE store_id = ? AND device_id = ? AND order_id = ? AND type = 'refund_issued'",
    [...ids],
  );
  for (const r of rows) {
    const p = tryParseJson(r.payload ?? '', { maxBytes: 4_000_000 });
    const ev = p.ok && typeof p.value === 'object' && p.value !== null ? (p.value as { event?: { lineIds?: unknown } }).event : undefined;
    if (Array.isArray(ev?.lineIds)) for (const l of ev.lineIds) if (typeof l === 'string') out.add(l);
  }
  for (const r of await hqRefunds(db, ids)) for (const l of r.allocation.lineIds ?? []) out.add(l);
  return out;
}
