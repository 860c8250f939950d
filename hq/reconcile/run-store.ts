import { tryParseJson } from '../../kernel/json/bounded-json';
import type { IngestDb } from '../ingest/pg-db';
import { scopeWhere } from '../console/scope-sql';
import type { StoreScope } from '../console/types';
import type { DiscrepancyKind, ReconcileChannel, ReconcileItem, ReconcileResult, ReconcileTotals } from './items';

/** A stored run (schema: ./schema.ts). */
export interface RunRow {
  channel: ReconcileChannel;
  day: string;
  storeId: string;
  sha256: string;
  source: string | null;
  runAt: number;
  runBy: string;
  matched: number;
  discrepancies: number;
  totals: ReconcileTotals | null;
}

const ITEM_COLS = [
  ['kind', 'kind'],
  ['store_id', 'storeId'],
  ['device_id', 'deviceId'],
  ['order_id', 'orderId'],
  ['attempt_id', 'attemptId'],
  ['order_no', 'orderNo'],
  ['refund_no', 'refundNo'],
  ['transaction_id', 'transactionId'],
  ['scheme', 'scheme'],
  ['expected_amount', 'expectedAmount'],
  ['actual_amount', 'actualAmount'],
  ['expected_fee', 'expectedFee'],
  ['actual_fee', 'actualFee'],
  ['expected_count', 'expectedCount'],
  ['actual_count', 'actualCount'],
  ['at', 'at'],
  ['bill_line', 'billLine'],
  ['detail', 'detail'],
] as const satisfies readonly (readonly [string, keyof ReconcileItem])[];
const NUMERIC = new Set(['expected_amount', 'actual_amount', 'expected_fee', 'actual_fee', 'expected_count', 'actual_count', 'at', 'bill_line']);

/**
 * Stores a run: the previous run of the same channel, day and store (and its items) is replaced, in one
 * transaction — running the same bill again gives the same rows (idempotent on channel, day and bill hash).
 */
export async function saveRun(db: IngestDb, r: ReconcileResult, meta: { source: string | null; by: string; now: number }): Promise<void> {
  await db.transaction(async (tx) => {
    const key = [r.channel, r.day, r.storeId];
    await tx.run('DELETE FROM reconcile_items WHERE channel = ? AND day = ? AND run_store = ?', key);
    await tx.run('DELETE FROM reconcile_runs WHERE channel = ? AND day = ? AND store_id = ?', key);
    await tx.run(
      'INSERT INTO reconcile_runs (channel, day, store_id, bill_sha256, source, run_at, run_by, matched, discrepancies, totals) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [...key, r.sha256, meta.source, meta.now, meta.by, r.totals.matched, r.items.length, JSON.stringify(r.totals)],
    );
    const cols = ITEM_COLS.map(([c]) => c);
    for (let i = 0; i < r.items.length; i++) {
      const it = r.items[i];
      await tx.run(
        `INSERT INTO reconcile_items (channel, day, run_store, idx, ${cols.join(', ')}) VALUES (?, ?, ?, ?, ${cols.map(() => '?').join(', ')})`,
        [...key, i, ...ITEM_COLS.map(([, k]) => (it[k] ?? null) as string | number | null)],
      );
    }
  });
}

type RunDbRow = { channel: ReconcileChannel; day: string; store_id: string; bill_sha256: string; source: string | null; run_at: number; run_by: string; matched: number; discrepancies: number; totals: string };

const toRun = (r: RunDbRow): RunRow => {
  const t = tryParseJson(r.totals, { maxBytes: 1_000_000 });
  return {
    channel: r.channel,
    day: r.day,
    storeId: r.store_id,
    sha256: r.bill_sha256,
    source: r.source,
    runAt: Number(r.run_at),
    runBy: r.run_by,
    matched: Number(r.matched),
    discrepancies: Number(r.discrepancies),
    totals: t.ok ? (t.value as ReconcileTotals) : null,
  };
};

/**
 * Runs newest day first. A store manager sees the card runs of their stores and the wallet runs (which cover every
 * store; the page then shows only their stores' items and no chain-wide totals).
 */
export async function listRuns(db: Pick<IngestDb, 'read'>, scope: StoreScope, filter: { channel?: string; day?: string } = {}, limit = 200): Promise<RunRow[]> {
  const where = scopeWhere(scope, 'store_id');
  const cond = [`(store_id = '' OR ${where.sql})`];
  const params: (string | number)[] = [...where.params];
  if (filter.channel) {
    cond.push('channel = ?');
    params.push(filter.channel);
  }
  if (filter.day) {
    cond.push('day = ?');
    params.push(filter.day);
  }
  const rows = await db.read.all<RunDbRow>(`SELECT * FROM reconcile_runs WHERE ${cond.join(' AND ')} ORDER BY day DESC, channel, store_id LIMIT ?`, [...params, limit]);
  return rows.map(toRun);
}

export async function getRun(db: Pick<IngestDb, 'read'>, channel: string, day: string, storeId: string): Promise<RunRow | null> {
  const r = await db.read.get<RunDbRow>('SELECT * FROM reconcile_runs WHERE channel = ? AND day = ? AND store_id = ?', [channel, day, storeId]);
  return r ? toRun(r) : null;
}

/** A run's items within the scope (a store manager: only their stores' rows; a channel-only row has no store: all-store users only). */
export async function runItems(db: Pick<IngestDb, 'read'>, run: Pick<RunRow, 'channel' | 'day' | 'storeId'>, scope: StoreScope, kind?: DiscrepancyKind): Promise<(ReconcileItem & { idx: number })[]> {
  const where = scopeWhere(scope, 'store_id');
  const rows = await db.read.all<Record<string, unknown>>(
    `SELECT * FROM reconcile_items WHERE channel = ? AND day = ? AND run_store = ? AND ${where.sql}${kind ? ' AND kind = ?' : ''} ORDER BY idx`,
    [run.channel, run.day, run.storeId, ...where.params, ...(kind ? [kind] : [])],
  );
  return rows.map((r) => {
    const it: Record<string, unknown> = { idx: Number(r.idx) };
    for (const [c, k] of ITEM_COLS) if (r[c] !== null && r[c] !== undefined) it[k] = NUMERIC.has(c) ? Number(r[c]) : r[c];
    return it as unknown as ReconcileItem & { idx: number };
  });
}
