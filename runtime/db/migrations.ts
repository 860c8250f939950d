import type { KioskDb } from '../../kernel/sqlite/database';
import { applyMigrations, latestMigration, type Migration } from '../../kernel/sqlite/migrate';

export { schemaNewer, type Migration } from '../../kernel/sqlite/migrate';

/** Versioned schema changes, applied in order at boot. Never edit a released migration: add a new one. */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'orders, journal, outbox, counters, price book, members',
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO counters (name, value) VALUES ('receipt', 0);

      CREATE TABLE orders (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        version INTEGER NOT NULL,
        snapshot TEXT NOT NULL,
        total INTEGER NOT NULL,
        receipt_no INTEGER UNIQUE,
        member_id TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_seq INTEGER NOT NULL
      );
      CREATE INDEX orders_state ON orders (state);

      -- Append-only, hash-chained. seq is gap-free per device (one database per device).
      CREATE TABLE journal (
        seq INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        order_id TEXT,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX journal_order ON journal (order_id, seq);
      CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
      CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;

      -- What HQ sync still has to deliver; a row leaves only when HQ acknowledges its seq.
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY REFERENCES journal (seq),
        created_at INTEGER NOT NULL
      );

      CREATE TABLE items (
        sku TEXT PRIMARY KEY,
        names TEXT NOT NULL,
        unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
        tax_class TEXT NOT NULL,
        age_limit INTEGER,
        sold_by_weight INTEGER NOT NULL CHECK (sold_by_weight IN (0, 1))
      );
      CREATE TABLE item_barcodes (
        barcode TEXT PRIMARY KEY,
        sku TEXT NOT NULL REFERENCES items (sku) ON DELETE CASCADE
      );
      CREATE INDEX item_barcodes_sku ON item_barcodes (sku);

      CREATE TABLE members (
        id TEXT PRIMARY KEY,
        points INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'print jobs (a receipt is printed at most once per job id)',
    sql: `
      CREATE TABLE print_jobs (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'printed', 'failed')),
        printer_id TEXT,
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'payment attempts as rows of their own',
    sql: `
      CREATE TABLE payment_attempts (
        id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL REFERENCES orders (id),
        method TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'declined', 'unknown')),
        approved_amount INTEGER NOT NULL DEFAULT 0,
        reference TEXT,
        reason TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        seq INTEGER NOT NULL
      );
      CREATE INDEX payment_attempts_order ON payment_attempts (order_id);
      CREATE INDEX payment_attempts_state ON payment_attempts (state);
      -- orders written by version 2 and earlier: their attempts, from the order snapshots
      INSERT INTO payment_attempts (id, order_id, method, amount, state, approved_amount, reference, reason, created_at, updated_at, seq)
        SELECT p.value ->> '$.attemptId', o.id, p.value ->> '$.method', p.value ->> '$.amount',
               CASE p.value ->> '$.status' WHEN 'pending' THEN 'requested' ELSE p.value ->> '$.status' END,
               p.value ->> '$.approvedAmount', json(p.value -> '$.reference'), p.value ->> '$.reason',
               o.updated_at, o.updated_at, o.last_seq
        FROM orders o, json_each(o.snapshot, '$.payments') p;
    `,
  },
  {
    version: 4,
    name: 'signed config bundles per scope level, their reports, remote commands executed at most once',
    sql: `
      -- at most one applied and one pending bundle per level; the pending one replaces the applied one between orders
      CREATE TABLE config_bundles (
        level TEXT NOT NULL CHECK (level IN ('fleet', 'store', 'device')),
        state TEXT NOT NULL CHECK (state IN ('applied', 'pending')),
        version INTEGER NOT NULL CHECK (version > 0),
        key_id TEXT NOT NULL,
        body TEXT NOT NULL,
        envelope TEXT NOT NULL,
        accepted_at INTEGER NOT NULL,
        applied_at INTEGER,
        PRIMARY KEY (level, state)
      );
      -- the last outcome per level, for config/reported
      CREATE TABLE config_reports (
        level TEXT PRIMARY KEY CHECK (level IN ('fleet', 'store', 'device')),
        version INTEGER,
        status TEXT NOT NULL CHECK (status IN ('applied', 'pending', 'rejected')),
        reason TEXT,
        detail TEXT,
        at INTEGER NOT NULL
      );
      -- a command id is recorded before it runs and never runs again
      CREATE TABLE executed_commands (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        key_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running', 'ok', 'failed')),
        result TEXT,
        error TEXT,
        received_at INTEGER NOT NULL,
        finished_at INTEGER
      );
    `,
  },
  {
    version: 5,
    name: 'price-book sync: verified manifests and the chunks received for them',
    sql: `
      -- one row per manifest version seen; chunks are kept only while 'receiving'
      CREATE TABLE pricebook_transfers (
        version TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('full', 'delta')),
        base_version TEXT,
        manifest TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('receiving', 'applied', 'rejected')),
        reason TEXT,
        detail TEXT,
        received_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE pricebook_chunks (
        version TEXT NOT NULL REFERENCES pricebook_transfers (version) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (version, idx)
      );
    `,
  },
  {
    version: 6,
    name: 'payment attempts: sent state with recovery context, reversal and refund states',
    sql: `
      CREATE TABLE payment_attempts_v6 (
        id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL REFERENCES orders (id),
        method TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        state TEXT NOT NULL CHECK (state IN ('requested', 'sent', 'approved', 'declined', 'unknown', 'reversed', 'captured', 'partially_refunded', 'refunded')),
        approved_amount INTEGER NOT NULL DEFAULT 0,
        refunded_amount INTEGER NOT NULL DEFAULT 0,
        reference TEXT,
        context TEXT,
        reason TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        seq INTEGER NOT NULL
      );
      INSERT INTO payment_attempts_v6 (id, order_id, method, amount, state, approved_amount, reference, reason, created_at, updated_at, seq)
        SELECT id, order_id, method, amount, state, approved_amount, reference, reason, created_at, updated_at, seq FROM payment_attempts;
      DROP TABLE payment_attempts;
      ALTER TABLE payment_attempts_v6 RENAME TO payment_attempts;
      CREATE INDEX payment_attempts_order ON payment_attempts (order_id);
      CREATE INDEX payment_attempts_state ON payment_attempts (state);
    `,
  },
  {
    version: 7,
    name: 'print jobs: in_doubt state (sent, not confirmed), send count, kept until printed (runtime/printing)',
    sql: `
      CREATE TABLE print_jobs_v7 (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'in_doubt', 'printed', 'failed')),
        printer_id TEXT,
        error TEXT,
        sends INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      INSERT INTO print_jobs_v7 (id, state, printer_id, error, sends, created_at, updated_at)
        SELECT id, CASE state WHEN 'sending' THEN 'in_doubt' ELSE state END, printer_id, error,
          CASE WHEN state IN ('sending', 'printed') THEN 1 ELSE 0 END, created_at, updated_at FROM print_jobs;
      DROP TABLE print_jobs;
      ALTER TABLE print_jobs_v7 RENAME TO print_jobs;
      CREATE INDEX print_jobs_state ON print_jobs (state);
    `,
  },
  {
    version: 8,
    name: "journal: partial index over the entries that carry a terminal trace number (payments' lastRecordedTraceNumber)",
    sql: `
      CREATE INDEX journal_terminal_trace ON journal (seq)
        WHERE type IN ('payment_approved', 'payment_resolved', 'payment_declined', 'refund_issued', 'terminal_end_of_day');
    `,
  },
  {
    version: 9,
    name: 'journal: store_id, covered by the hash of new entries; NULL marks the entries before, which keep their hash (protocol/journal/entry.ts)',
    sql: `
      ALTER TABLE journal ADD COLUMN store_id TEXT;
    `,
  },
  {
    version: 10,
    name: "members: HQ's member snapshot (runtime/members) and the kiosk's own points entries per completed order (seq = its order_completed entry)",
    sql: `
      CREATE TABLE member_snapshot (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        digest TEXT NOT NULL,
        own_counted INTEGER,
        members INTEGER NOT NULL,
        applied_at INTEGER NOT NULL
      );
      CREATE TABLE member_records (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        points INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE member_points_local (
        seq INTEGER PRIMARY KEY,
        member_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        earned INTEGER NOT NULL,
        redeemed INTEGER NOT NULL,
        ts INTEGER NOT NULL
      );
      CREATE INDEX member_points_local_member ON member_points_local (member_id, seq);
    `,
  },
  {
    version: 11,
    name: 'items: customer-type prices (JSON {"business"?, "group"?} in minor units; NULL = none), protocol/pricebook/price-item.ts',
    sql: `
      ALTER TABLE items ADD COLUMN type_prices TEXT;
    `,
  },
  {
    version: 12,
    name: "recalls: HQ's signed recall list for the store (runtime/recalls): the list in force, its recalls and their GTIN / lot / serial entries",
    sql: `
      CREATE TABLE recall_list (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        digest TEXT NOT NULL,
        recalls INTEGER NOT NULL,
        entries INTEGER NOT NULL,
        applied_at INTEGER NOT NULL
      );
      CREATE TABLE recalls (
        id TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        since INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE recall_entries (
        gtin14 TEXT NOT NULL,
        lot TEXT NOT NULL DEFAULT '',
        serial TEXT NOT NULL DEFAULT '',
        recall_id TEXT NOT NULL,
        PRIMARY KEY (gtin14, lot, serial, recall_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 13,
    name: 'refund attempts as rows of their own, recorded before the provider hears of them (runtime/payments/refund-attempts.ts)',
    sql: `
      -- requested → sent → refunded | declined | unknown; unknown → refunded | declined (the provider's lookup)
      CREATE TABLE refund_attempts (
        id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL REFERENCES orders (id),
        payment_attempt_id TEXT NOT NULL,
        method TEXT NOT NULL,
        -- the refund request this part belongs to (return:<return id> or refund:<uuid>) and its number at the channel
        request_key TEXT NOT NULL,
        return_id TEXT,
        request_no TEXT NOT NULL,
        request_n INTEGER NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        state TEXT NOT NULL CHECK (state IN ('requested', 'sent', 'refunded', 'declined', 'unknown')),
        -- what the provider recorded before sending (card: the terminal's last trace number the kiosk knew of)
        context TEXT,
        -- the provider request and the refund input (attendant, reason, lines, the request's total), as JSON
        request TEXT NOT NULL,
        input TEXT NOT NULL,
        -- the journal head when it was marked sent: anything the terminal ran after it has a higher seq
        sent_seq INTEGER,
        via TEXT,
        reference TEXT,
        reason TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        -- the journal seq that settled it (its refund_issued), if any
        seq INTEGER
      );
      CREATE INDEX refund_attempts_order ON refund_attempts (order_id);
      CREATE INDEX refund_attempts_state ON refund_attempts (state);
      CREATE INDEX refund_attempts_payment ON refund_attempts (payment_attempt_id);
    `,
  },
];

export const latestVersion = (migrations: Migration[] = MIGRATIONS): number => latestMigration(migrations);

/** Applies the kiosk's migrations (see kernel/sqlite/migrate.ts). Returns the version. */
export const migrate = (db: KioskDb, migrations: Migration[] = MIGRATIONS): Promise<number> => applyMigrations(db, migrations);
