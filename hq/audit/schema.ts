import type { Migration } from '../../kernel/sqlite/migrate';

/**
 * Ingest schema v7 — the console's append-only, hash-chained audit log (hq/audit/audit-log.ts writes and checks it).
 *
 * audit_log: one row per action (login, user change, config publish, command, export …), `seq` gap-free from 1,
 * `detail` the canonical JSON text of the action's details, `hash` = sha256(prev_hash + '\n' + canonical JSON of
 * {seq, ts, actor, action, target, detail, ip}), `prev_hash` the previous row's hash (64 zeros for seq 1).
 * audit_head: the newest (seq, hash), written in the same transaction as the row — `verify` compares it with the
 * table's last row, so deleting the newest rows is seen too (the chain alone cannot tell a truncated log).
 *
 * Both are append-only in the database itself: UPDATE and DELETE of audit_log are refused by triggers (an
 * attacker with the database's owner rights can drop them; the hash chain is what then tells).
 */
export const AUDIT_MIGRATIONS: Migration[] = [
  {
    version: 7,
    name: 'audit log: append-only, hash-chained',
    sql: `
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT NOT NULL,
        ip TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX audit_log_ts ON audit_log (ts);
      CREATE INDEX audit_log_actor ON audit_log (actor, seq);
      CREATE INDEX audit_log_action ON audit_log (action, seq);
      CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `,
  },
];

/** The same on PostgreSQL (idempotent: run at every open). */
export const PG_AUDIT_SCHEMA = `
  CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT PRIMARY KEY,
    ts BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL,
    ip TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS audit_log_ts ON audit_log (ts);
  CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor, seq);
  CREATE INDEX IF NOT EXISTS audit_log_action ON audit_log (action, seq);
  CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_log is append-only'; END;
  $$;
  CREATE OR REPLACE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
`;
