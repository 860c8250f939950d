import type { Migration } from '../../kernel/sqlite/migrate';

/**
 * Ingest schema v4 — projections of the stored journal for the console's searches and statistics, written in the
 * same transaction as the events they come from (only events newly stored, so each is projected once), and
 * rebuildable from `sales_events`. Money in minor units; times are the kiosk's `ts` (epoch ms).
 *
 * - orders: one row per (store, device, order): status = the order's state after its newest entry (`shopping`,
 *   `awaiting_payment`, …, `completed`, `cancelled`, `partially_refunded`, `refunded`); receipt_no, totals, tax,
 *   discount, items (sum of line quantities: the basket size) and member from the `order_completed` snapshot;
 *   methods = the channels of its approved payments, comma-separated, sorted (`card`, `qr`, `alipay`, `wechat`, …);
 *   refunded = sum of refunds; training = 1 for a training-mode order (never in statistics).
 * - order_lines: the completed order's priced lines (from the `order_completed` snapshot's `priced.lines`).
 * - payments: one row per attempt: channel (as in orders.methods), status `pending` | `approved` | `declined` |
 *   `unknown` (timed out, not resolved yet) | `cancelled`; reference = JSON of the approval's reference without
 *   anything card-number-like (masked PAN only, as the kiosk journals it).
 * - refunds: one row per `refund_issued` entry.
 *
 * Written by hq/orders/projector.ts (each touched order recomputed from all its stored entries: hq/orders/fold.ts);
 * `hq orders rebuild` recomputes them all. A training order's receipt_no is its training series number. The order
 * search (hq/orders/search.ts) filters and sorts by opened_at (index orders_store_opened for a store's orders).
 */
export const ORDERS_MIGRATIONS: Migration[] = [
  {
    version: 4,
    name: 'order, line, payment and refund projections for the console',
    sql: `
      CREATE INDEX sales_events_order ON sales_events (store_id, device_id, order_id);
      CREATE TABLE orders (
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        receipt_no INTEGER,
        status TEXT NOT NULL,
        training INTEGER NOT NULL DEFAULT 0,
        opened_at INTEGER NOT NULL,
        completed_at INTEGER,
        updated_at INTEGER NOT NULL,
        total INTEGER NOT NULL DEFAULT 0,
        tax_total INTEGER NOT NULL DEFAULT 0,
        discount_total INTEGER NOT NULL DEFAULT 0,
        refunded INTEGER NOT NULL DEFAULT 0,
        items INTEGER NOT NULL DEFAULT 0,
        methods TEXT NOT NULL DEFAULT '',
        member_id TEXT,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        PRIMARY KEY (store_id, device_id, order_id)
      ) WITHOUT ROWID;
      CREATE INDEX orders_completed ON orders (completed_at);
      CREATE INDEX orders_store_completed ON orders (store_id, completed_at);
      CREATE INDEX orders_opened ON orders (opened_at);
      CREATE INDEX orders_store_opened ON orders (store_id, opened_at);
      CREATE INDEX orders_receipt ON orders (receipt_no);
      CREATE TABLE order_lines (
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        line_id TEXT NOT NULL,
        sku TEXT,
        barcode TEXT,
        name_en TEXT,
        name_zh TEXT,
        quantity INTEGER NOT NULL,
        weight_grams INTEGER,
        tax_class TEXT,
        tax_rate REAL,
        gross INTEGER NOT NULL,
        discount INTEGER NOT NULL,
        net INTEGER NOT NULL,
        tax INTEGER NOT NULL,
        completed_at INTEGER NOT NULL,
        training INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (store_id, device_id, order_id, line_id)
      ) WITHOUT ROWID;
      CREATE INDEX order_lines_completed ON order_lines (completed_at);
      CREATE TABLE payments (
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        attempt_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined', 'unknown', 'cancelled')),
        amount INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        resolved_at INTEGER,
        reason TEXT,
        reference TEXT,
        training INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (store_id, device_id, attempt_id)
      ) WITHOUT ROWID;
      CREATE INDEX payments_started ON payments (started_at);
      CREATE INDEX payments_order ON payments (store_id, device_id, order_id);
      CREATE TABLE refunds (
        store_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        order_id TEXT NOT NULL,
        amount INTEGER NOT NULL,
        channel TEXT,
        ts INTEGER NOT NULL,
        attendant_id TEXT,
        training INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (store_id, device_id, seq)
      ) WITHOUT ROWID;
      CREATE INDEX refunds_ts ON refunds (ts);
    `,
  },
];

/**
 * Ingest schema v10 — refunds.allocations: JSON of the refund's allocations (hq/orders/fold.ts RefundAllocationRow:
 * attempt, channel, amount, the channel's order and refund numbers) for reconciliation with the channels' bills
 * (hq/reconcile). Refund rows projected before v10 have none until `hq orders rebuild`.
 */
export const REFUND_ALLOCATIONS_MIGRATIONS: Migration[] = [
  {
    version: 10,
    name: 'refund allocations kept for reconciliation',
    sql: `ALTER TABLE refunds ADD COLUMN allocations TEXT;`,
  },
];

/** The same on PostgreSQL (idempotent: run at every open). */
export const PG_ORDERS_SCHEMA = `
  CREATE INDEX IF NOT EXISTS sales_events_order ON sales_events (store_id, device_id, order_id);
  CREATE TABLE IF NOT EXISTS orders (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    receipt_no BIGINT,
    status TEXT NOT NULL,
    training INTEGER NOT NULL DEFAULT 0,
    opened_at BIGINT NOT NULL,
    completed_at BIGINT,
    updated_at BIGINT NOT NULL,
    total BIGINT NOT NULL DEFAULT 0,
    tax_total BIGINT NOT NULL DEFAULT 0,
    discount_total BIGINT NOT NULL DEFAULT 0,
    refunded BIGINT NOT NULL DEFAULT 0,
    items BIGINT NOT NULL DEFAULT 0,
    methods TEXT NOT NULL DEFAULT '',
    member_id TEXT,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (store_id, device_id, order_id)
  );
  CREATE INDEX IF NOT EXISTS orders_completed ON orders (completed_at);
  CREATE INDEX IF NOT EXISTS orders_store_completed ON orders (store_id, completed_at);
  CREATE INDEX IF NOT EXISTS orders_opened ON orders (opened_at);
  CREATE INDEX IF NOT EXISTS orders_store_opened ON orders (store_id, opened_at);
  CREATE INDEX IF NOT EXISTS orders_receipt ON orders (receipt_no);
  CREATE TABLE IF NOT EXISTS order_lines (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    line_id TEXT NOT NULL,
    sku TEXT,
    barcode TEXT,
    name_en TEXT,
    name_zh TEXT,
    quantity BIGINT NOT NULL,
    weight_grams BIGINT,
    tax_class TEXT,
    tax_rate DOUBLE PRECISION,
    gross BIGINT NOT NULL,
    discount BIGINT NOT NULL,
    net BIGINT NOT NULL,
    tax BIGINT NOT NULL,
    completed_at BIGINT NOT NULL,
    training INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, device_id, order_id, line_id)
  );
  CREATE INDEX IF NOT EXISTS order_lines_completed ON order_lines (completed_at);
  CREATE TABLE IF NOT EXISTS payments (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    attempt_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined', 'unknown', 'cancelled')),
    amount BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    resolved_at BIGINT,
    reason TEXT,
    reference TEXT,
    training INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, device_id, attempt_id)
  );
  CREATE INDEX IF NOT EXISTS payments_started ON payments (started_at);
  CREATE INDEX IF NOT EXISTS payments_order ON payments (store_id, device_id, order_id);
  CREATE TABLE IF NOT EXISTS refunds (
    store_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    order_id TEXT NOT NULL,
    amount BIGINT NOT NULL,
    channel TEXT,
    ts BIGINT NOT NULL,
    attendant_id TEXT,
    training INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, device_id, seq)
  );
  CREATE INDEX IF NOT EXISTS refunds_ts ON refunds (ts);
  ALTER TABLE refunds ADD COLUMN IF NOT EXISTS allocations TEXT;
`;
