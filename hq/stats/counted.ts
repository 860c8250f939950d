/**
 * What the statistics count as a sale: a completed order — `completed`, or refunded in part or whole afterwards (the
 * refund counts separately, on its own day) — never a training order. One definition for the raw readers, the
 * rollups' fill and their deltas.
 */
export const COUNTED_STATUSES = ['completed', 'partially_refunded', 'refunded'] as const;

/** The SQL condition on the orders table under `alias`. */
export const countedOrderSql = (alias: string): string =>
  `${alias}.training = 0 AND ${alias}.completed_at IS NOT NULL AND ${alias}.status IN (${COUNTED_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/** The same test on an order row in JavaScript. */
export const isCountedOrder = (o: { training: unknown; completed_at: unknown; status: string }): boolean =>
  Number(o.training ?? 0) === 0 && o.completed_at !== null && o.completed_at !== undefined && (COUNTED_STATUSES as readonly string[]).includes(o.status);
