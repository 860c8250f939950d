import { arr, int, num, obj, parsePayload, text, type JsonObject } from './journal-payload';
import { channelOf, safeReference } from './reference';

/** One stored journal entry of an order (a `sales_events` row). */
export interface StoredEntry {
  seq: number;
  ts: number;
  type: string;
  payload: string;
}

export interface OrderRow {
  store_id: string;
  device_id: string;
  order_id: string;
  receipt_no: number | null;
  status: string;
  training: number;
  opened_at: number;
  completed_at: number | null;
  updated_at: number;
  total: number;
  tax_total: number;
  discount_total: number;
  refunded: number;
  items: number;
  methods: string;
  member_id: string | null;
  first_seq: number;
  last_seq: number;
}

export interface LineRow {
  line_id: string;
  sku: string | null;
  barcode: string | null;
  name_en: string | null;
  name_zh: string | null;
  quantity: number;
  weight_grams: number | null;
  tax_class: string | null;
  tax_rate: number | null;
  gross: number;
  discount: number;
  net: number;
  tax: number;
  completed_at: number;
  training: number;
}

export type PaymentStatus = 'pending' | 'approved' | 'declined' | 'unknown' | 'cancelled';

export interface PaymentRow {
  attempt_id: string;
  channel: string;
  status: PaymentStatus;
  amount: number;
  started_at: number;
  resolved_at: number | null;
  reason: string | null;
  reference: string | null;
  training: number;
}

export interface RefundRow {
  seq: number;
  amount: number;
  channel: string | null;
  ts: number;
  attendant_id: string | null;
  training: number;
  /** JSON of {@link RefundAllocationRow}[]: what was paid back through which payment (schema v10). */
  allocations: string | null;
}

/**
 * One allocation of a refund as HQ keeps it (for reconciliation with the channels' bills): the payment attempt, its
 * channel (as payments.channel), the amount, and the channel's numbers from the refund's reference — `refundNo` is
 * the reference's `refundRequestNo`, else the request number the kiosk derives (`<attemptId>-refund-<n>`, n = the
 * order's refund count including this one: runtime/payments/refunds.ts).
 */
export interface RefundAllocationRow {
  attemptId: string;
  channel: string;
  amount: number;
  outTradeNo: string | null;
  refundNo: string;
  refundId: string | null;
  /** How the money went back: `reversal` cancels the whole payment (a card one before its end-of-day), else `refund` / `cash`. */
  via?: string;
}

export interface OrderProjection {
  order: OrderRow;
  lines: LineRow[];
  payments: PaymentRow[];
  refunds: RefundRow[];
}

const MAX_LINES = 1000;

/** A refund's allocations (at most 20) as {@link RefundAllocationRow}s; `n`: this refund's number within its order. */
function refundAllocations(v: unknown, n: number): RefundAllocationRow[] {
  const out: RefundAllocationRow[] = [];
  for (const x of arr(v, 20)) {
    const a = obj(x);
    const attemptId = text(a?.attemptId, 100);
    const amount = int(a?.amount);
    if (!a || !attemptId || amount === null) continue;
    const ref = safeReference(a.reference);
    // a number safeReference masked (it looked like a card number) is no use for matching: the derived one is
    const str = (k: string) => (typeof ref?.[k] === 'string' && !(ref[k] as string).includes('*') ? (ref[k] as string) : null);
    out.push({
      attemptId,
      channel: channelOf(text(a.method, 32), ref),
      amount,
      outTradeNo: str('outTradeNo'),
      refundNo: str('refundRequestNo') ?? `${attemptId}-refund-${n}`,
      refundId: str('refundId'),
      ...(text(a.via, 16) ? { via: text(a.via, 16)! } : {}),
    });
  }
  return out;
}
const MAX_ATTEMPTS = 100;

const isTraining = (p: JsonObject): boolean => p.training === true || obj(p.order)?.training === true;

interface Attempt {
  method: string | null;
  requested: number | null;
  approvedAmount: number | null;
  status: PaymentStatus;
  startedAt: number;
  resolvedAt: number | null;
  reason: string | null;
  reference: Record<string, string | number> | null;
}

/**
 * The projection of one order from its stored entries: a pure function of the SET of entries (sorted by seq here),
 * so entries delivered out of order, or twice, project exactly as if they had come in order, once.
 * - status: the `to` of the newest entry; total: its `total` (the snapshot's when completed).
 * - receipt, totals, items (sum of line quantities), member, lines: from the `order_completed` snapshot. A training
 *   order's receipt_no is its training series number (its receipt prints `T` + that number).
 * - payments, one per attempt: `payment_started` opens it (`pending`, the method as channel, the amount); approved /
 *   declined / timed out (`unknown`) / resolved (its outcome) settle it; the approval reference refines the channel
 *   and is kept without anything card-number-like. A pending attempt of a cancelled order is `cancelled`.
 * - refunds: one per `refund_issued` entry. Training: any entry flagged `training: true`.
 */
export function foldOrder(storeId: string, deviceId: string, orderId: string, entries: readonly StoredEntry[]): OrderProjection | null {
  if (entries.length === 0) return null;
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  let status = 'idle';
  let total = 0;
  let training = false;
  let completed: { ts: number; order: JsonObject } | null = null;
  const attempts = new Map<string, Attempt>();
  const refunds: RefundRow[] = [];

  for (const e of sorted) {
    const p = parsePayload(e.payload);
    if (!p) continue;
    status = text(p.to, 40) ?? status;
    total = int(p.total) ?? total;
    training ||= isTraining(p);
    const ev = obj(p.event) ?? {};
    const attemptId = text(ev.attemptId, 100);
    const attempt = (): Attempt | null => {
      if (!attemptId) return null;
      let a = attempts.get(attemptId);
      if (!a && attempts.size < MAX_ATTEMPTS) {
        a = { method: null, requested: null, approvedAmount: null, status: 'pending', startedAt: e.ts, resolvedAt: null, reason: null, reference: null };
        attempts.set(attemptId, a);
      }
      return a ?? null;
    };
    switch (e.type) {
      case 'payment_started': {
        const a = attempt();
        if (a) {
          a.method = text(ev.method, 32);
          a.requested = int(ev.amount);
          a.startedAt = e.ts;
        }
        break;
      }
      case 'payment_approved':
      case 'payment_resolved': {
        const a = attempt();
        if (!a) break;
        const outcome = e.type === 'payment_approved' ? 'approved' : ev.outcome === 'approved' ? 'approved' : ev.outcome === 'declined' ? 'declined' : null;
        if (!outcome) break;
        a.status = outcome;
        a.resolvedAt = e.ts;
        a.approvedAmount = outcome === 'approved' ? (int(ev.amount) ?? a.requested) : null;
        a.reference = safeReference(ev.reference) ?? a.reference;
        if (outcome === 'declined') a.reason = text(ev.reason) ?? a.reason;
        break;
      }
      case 'payment_declined': {
        const a = attempt();
        if (!a) break;
        a.status = 'declined';
        a.resolvedAt = e.ts;
        a.reason = text(ev.reason);
        break;
      }
      case 'payment_timed_out': {
        const a = attempt();
        if (!a) break;
        a.status = 'unknown';
        break;
      }
      case 'order_completed': {
        const o = obj(p.order);
        if (o) completed = { ts: e.ts, order: o };
        break;
      }
      case 'refund_issued': {
        const amount = int(ev.amount);
        if (amount === null) break;
        const methods = [...new Set(arr(ev.allocations, 100).flatMap((x) => text(obj(x)?.method, 32) ?? []))].sort();
        const allocations = refundAllocations(ev.allocations, refunds.length + 1);
        refunds.push({
          seq: e.seq,
          amount,
          channel: methods.length ? methods.join(',') : null,
          ts: e.ts,
          attendant_id: text(ev.attendantId, 100),
          training: 0,
          allocations: allocations.length ? JSON.stringify(allocations) : null,
        });
        break;
      }
    }
  }

  const t = training ? 1 : 0;
  const payments: PaymentRow[] = [...attempts.entries()].map(([id, a]) => ({
    attempt_id: id,
    channel: channelOf(a.method, a.reference),
    status: a.status === 'pending' && status === 'cancelled' ? 'cancelled' : a.status,
    amount: a.status === 'approved' ? (a.approvedAmount ?? 0) : (a.requested ?? 0),
    started_at: a.startedAt,
    resolved_at: a.resolvedAt,
    reason: a.reason,
    reference: a.reference ? JSON.stringify(a.reference) : null,
    training: t,
  }));
  for (const r of refunds) r.training = t;

  const snap = completed?.order ?? null;
  const priced = obj(snap?.priced);
  const lines: LineRow[] = [];
  if (completed && priced) {
    const source = new Map<string, JsonObject>();
    for (const l of arr(snap?.lines, MAX_LINES)) {
      const lo = obj(l);
      const id = text(lo?.lineId, 40);
      if (id && lo) source.set(id, lo);
    }
    for (const l of arr(priced.lines, MAX_LINES)) {
      const lo = obj(l);
      const id = text(lo?.lineId, 40);
      if (!lo || !id) continue;
      const src = source.get(id);
      const n = obj(src?.names);
      lines.push({
        line_id: id,
        sku: text(lo.sku, 64),
        barcode: text(src?.barcode, 64),
        name_en: text(n?.en),
        name_zh: text(n?.['zh-CN']),
        quantity: int(lo.quantity) ?? 0,
        weight_grams: int(lo.weightGrams),
        tax_class: text(lo.taxClass, 40),
        tax_rate: num(lo.taxRate),
        gross: int(lo.gross) ?? 0,
        discount: int(lo.discount) ?? 0,
        net: int(lo.net) ?? 0,
        tax: int(lo.tax) ?? 0,
        completed_at: completed.ts,
        training: t,
      });
    }
  }
  const approved = [...new Set(payments.filter((x) => x.status === 'approved').map((x) => x.channel))].sort();
  const order: OrderRow = {
    store_id: storeId,
    device_id: deviceId,
    order_id: orderId,
    receipt_no: snap ? (training ? int(snap.trainingNo) : int(snap.receiptNo)) : null,
    status,
    training: t,
    opened_at: first.ts,
    completed_at: completed?.ts ?? null,
    updated_at: last.ts,
    total: int(priced?.total) ?? total,
    tax_total: int(priced?.taxTotal) ?? 0,
    discount_total: int(priced?.discountTotal) ?? 0,
    refunded: refunds.reduce((s, r) => s + r.amount, 0),
    items: lines.reduce((s, l) => s + l.quantity, 0),
    methods: approved.join(','),
    member_id: text(snap?.memberId, 100),
    first_seq: first.seq,
    last_seq: last.seq,
  };
  return { order, lines, payments, refunds };
}
