import { createHash } from 'node:crypto';
import { tryParseJson } from '../../kernel/json/bounded-json';
import type { Tx } from '../../kernel/sqlite/database';
import { CARD_SCHEMES, type CardScheme, type FeeRates } from '../../config/fees';
import { feeOf } from './amounts';
import { schemeOf } from './card-scheme';
import { journalPayments } from './journal-rows';
import type { ReconcileItem, ReconcileTotals } from './items';

interface EodEntry {
  deviceId: string;
  seq: number;
  ts: number;
  amount: number | null;
  totals: Map<CardScheme, { count: number; amount: number }> | null;
}

const intOf = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);

/** A `terminal_end_of_day` payload as HQ reads it: `amount`, and `totals` per scheme when the terminal gave them (bounded). */
function eodOf(deviceId: string, seq: number, ts: number, payload: string): EodEntry {
  const parsed = tryParseJson(payload, { maxBytes: 100_000 });
  const p = parsed.ok && typeof parsed.value === 'object' && parsed.value !== null ? (parsed.value as Record<string, unknown>) : {};
  let totals: EodEntry['totals'] = null;
  if (Array.isArray(p.totals)) {
    totals = new Map();
    for (const t of p.totals.slice(0, 50) as unknown[]) {
      const o = typeof t === 'object' && t !== null ? (t as Record<string, unknown>) : {};
      const count = intOf(o.count);
      const amount = intOf(o.amount);
      if (count === null || amount === null) continue;
      const s = schemeOf(o.scheme);
      const had = totals.get(s) ?? { count: 0, amount: 0 };
      totals.set(s, { count: had.count + count, amount: had.amount + amount });
    }
  }
  return { deviceId, seq, ts, amount: intOf(p.amount), totals };
}

/** A kiosk's card refund allocations issued within `span`, with the card type of the payment each went back to. */
async function cardRefunds(db: Pick<Tx, 'all'>, storeId: string, deviceId: string, span: { from: number; to: number }): Promise<{ attemptId: string; amount: number; via: string; at: number; cardType: unknown }[]> {
  const rows = await db.all<{ ts: number; allocations: string | null }>(
    `SELECT ts, allocations FROM refunds WHERE store_id = ? AND device_id = ? AND training = 0 AND allocations IS NOT NULL AND ts >= ? AND ts < ? ORDER BY seq`,
    [storeId, deviceId, span.from, span.to],
  );
  const out: { attemptId: string; amount: number; via: string; at: number; cardType: unknown }[] = [];
  for (const r of rows) {
    const parsed = tryParseJson(r.allocations ?? '', { maxBytes: 100_000 });
    if (!parsed.ok || !Array.isArray(parsed.value)) continue;
    for (const a of parsed.value as Record<string, unknown>[]) {
      if (a?.channel !== 'card' || typeof a.attemptId !== 'string' || typeof a.amount !== 'number') continue;
      out.push({ attemptId: a.attemptId, amount: a.amount, via: typeof a.via === 'string' ? a.via : 'refund', at: Number(r.ts), cardType: null });
    }
  }
  if (out.length === 0) return out;
  const types = await db.all<{ attempt_id: string; reference: string | null }>(
    `SELECT attempt_id, reference FROM payments WHERE store_id = ? AND device_id = ? AND attempt_id IN (${out.map(() => '?').join(', ')})`,
    [storeId, deviceId, ...out.map((r) => r.attemptId)],
  );
  for (const t of types) {
    const ref = tryParseJson(t.reference ?? '', { maxBytes: 100_000 });
    const cardType = ref.ok && typeof ref.value === 'object' && ref.value !== null ? (ref.value as Record<string, unknown>).cardType : null;
    for (const r of out) if (r.attemptId === t.attempt_id) r.cardType = cardType;
  }
  return out;
}

/**
 * A store's card end-of-day reconciliation for one business day: each kiosk's `terminal_end_of_day` entries of the
 * day, each against the approved, non-training card payments the kiosk took since its previous end-of-day (up to
 * this one), per card scheme (reference.cardType), net as the terminal counts them (a reversed payment left out, a
 * refund taken off its scheme's amount, never below 0): a scheme only the terminal reports is `channel_only`, one only
 * we have `journal_only` (also when the terminal reports it as 0 / 0.00, as a ZVT terminal does every group it
 * counted nothing in), a count or amount that differs `amount_mismatch`. Without per-scheme totals the
 * terminal's `amount` is compared with the payments less the card refunds of the span. Expected fees per scheme
 * at the configured rates (the terminal reports none). `sha256` is of the end-of-day entries compared.
 */
export async function matchCardEod(
  db: Pick<Tx, 'all'>,
  storeId: string,
  day: { from: number; to: number },
  rates: FeeRates,
): Promise<{ items: ReconcileItem[]; totals: ReconcileTotals; sha256: string; runs: number }> {
  const rows = await db.all<{ device_id: string; seq: number; ts: number; payload: string }>(
    `SELECT device_id, seq, ts, payload FROM sales_events WHERE store_id = ? AND type = 'terminal_end_of_day' AND ts < ? ORDER BY device_id, seq`,
    [storeId, day.to],
  );
  const hash = createHash('sha256');
  const items: ReconcileItem[] = [];
  const schemes: NonNullable<ReconcileTotals['schemes']> = {};
  const scheme = (s: CardScheme) => (schemes[s] ??= { count: 0, amount: 0, expectedFee: 0, terminalCount: null, terminalAmount: null });
  let matched = 0;
  let runs = 0;
  let journalCount = 0;
  let journalAmount = 0;
  let terminalAmount = 0;
  let terminalCount = 0;
  const prevOf = new Map<string, number>();
  for (const r of rows) {
    const e = eodOf(r.device_id, Number(r.seq), Number(r.ts), r.payload);
    const prev = prevOf.get(e.deviceId) ?? Number.NEGATIVE_INFINITY;
    prevOf.set(e.deviceId, e.ts);
    if (e.ts < day.from) continue;
    runs++;
    hash.update(`${e.deviceId}\n${e.seq}\n${r.payload}\n`);
    const span = { from: Number.isFinite(prev) ? prev + 1 : 0, to: e.ts + 1 };
    const paid = (await journalPayments(db, 'card', span, { margin: 0, store: storeId })).filter((p) => p.deviceId === e.deviceId);
    const ours = new Map<CardScheme, { count: number; amount: number; at: number }>();
    for (const p of paid) {
      const s = schemeOf(p.reference?.cardType);
      const o = ours.get(s) ?? { count: 0, amount: 0, at: p.at };
      ours.set(s, { count: o.count + 1, amount: o.amount + p.amount, at: o.at });
      scheme(s).count++;
      scheme(s).amount += p.amount;
      scheme(s).expectedFee += feeOf(p.amount, rates[s]);
      journalCount++;
      journalAmount += p.amount;
    }
    // the terminal's totals are net: a reversed payment is not counted at all, a refund is taken off its scheme's amount
    for (const r of await cardRefunds(db, storeId, e.deviceId, span)) {
      const p = paid.find((x) => x.attemptId === r.attemptId);
      const s = schemeOf(p?.reference?.cardType ?? r.cardType);
      const o = ours.get(s) ?? { count: 0, amount: 0, at: r.at };
      const reversal = r.via === 'reversal' && p !== undefined;
      ours.set(s, { count: o.count - (reversal ? 1 : 0), amount: Math.max(0, o.amount - r.amount), at: o.at });
      if (reversal) {
        scheme(s).count--;
        scheme(s).amount -= r.amount;
        scheme(s).expectedFee -= feeOf(r.amount, rates[s]);
        journalCount--;
        journalAmount -= r.amount;
      }
    }
    const ids = { storeId, deviceId: e.deviceId, at: e.ts, detail: `end-of-day seq ${e.seq}` };
    if (e.totals) {
      for (const s of CARD_SCHEMES) {
        const held = ours.get(s);
        const o = held && (held.count !== 0 || held.amount !== 0) ? held : undefined; // all reversed: nothing of ours left
        const t = e.totals.get(s);
        if (t) {
          const x = scheme(s);
          x.terminalCount = (x.terminalCount ?? 0) + t.count;
          x.terminalAmount = (x.terminalAmount ?? 0) + t.amount;
          terminalAmount += t.amount;
          terminalCount += t.count;
        }
        // a ZVT terminal sends every BMP 60 group, the empty ones as 0 / 0.00: a scheme it counted nothing in is not at the channel
        const counted = t && (t.count !== 0 || t.amount !== 0) ? t : undefined;
        if (!o && !counted) continue;
        if (!o && counted) items.push({ kind: 'channel_only', ...ids, scheme: s, actualCount: counted.count, actualAmount: counted.amount });
        else if (o && !counted) items.push({ kind: 'journal_only', ...ids, scheme: s, expectedCount: o.count, expectedAmount: o.amount, expectedFee: feeOf(o.amount, rates[s]) });
        else if (o && t && (o.count !== t.count || o.amount !== t.amount)) {
          items.push({ kind: 'amount_mismatch', ...ids, scheme: s, expectedCount: o.count, actualCount: t.count, expectedAmount: o.amount, actualAmount: t.amount });
        } else matched++;
      }
    } else {
      const refunds = await db.all<{ amount: number }>(
        `SELECT amount FROM refunds WHERE store_id = ? AND device_id = ? AND training = 0 AND channel = 'card' AND ts >= ? AND ts < ?`,
        [storeId, e.deviceId, span.from, span.to],
      );
      const expected = paid.reduce((s, p) => s + p.amount, 0) - refunds.reduce((s, x) => s + Number(x.amount), 0);
      terminalAmount += e.amount ?? 0;
      if (e.amount !== expected) items.push({ kind: 'amount_mismatch', ...ids, expectedAmount: expected, actualAmount: e.amount ?? 0, expectedCount: paid.length, detail: `${ids.detail}: no per-scheme totals` });
      else matched++;
    }
  }
  const expectedFees = Object.values(schemes).reduce((s, x) => s + x.expectedFee, 0);
  const totals: ReconcileTotals = {
    matched,
    channel: { payments: terminalCount, refunds: 0, paymentAmount: terminalAmount, refundAmount: 0 },
    journal: { payments: journalCount, refunds: 0, paymentAmount: journalAmount, refundAmount: 0 },
    fees: { expected: expectedFees, actual: null },
    settlement: { channel: null, journal: journalAmount - expectedFees },
    rates: Object.fromEntries(CARD_SCHEMES.map((s) => [s, rates[s]])),
    schemes,
  };
  return { items, totals, sha256: hash.digest('hex'), runs };
}
