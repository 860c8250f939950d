import type { Migration } from '../../kernel/sqlite/migrate';

/**
 * Ingest schema v5 — the console's users and sessions.
 *
 * users: one row per console user; `password_hash` is `scrypt$N$r$p$salt$key` (./passwords.ts); `stores` a JSON
 * array of store ids (store managers only); `failed_logins` counts consecutive wrong passwords, `locked_until` (HQ's
 * clock, ms) refuses logins until then.
 * sessions: one row per login; `id_hash` is the sha256 hex of the cookie value (the cookie itself is never stored),
 * `csrf_token` the session's CSRF token; a session ends at `expires_at` (absolute) or 30 min after `last_seen_at`.
 */
export const CONSOLE_MIGRATIONS: Migration[] = [
  {
    version: 5,
    name: 'console users and sessions',
    sql: `
      CREATE TABLE users (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        stores TEXT NOT NULL DEFAULT '[]',
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER,
        last_login_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        ip TEXT
      );
      CREATE INDEX sessions_user ON sessions (username);
    `,
  },
];

/** The same on PostgreSQL (idempotent: run at every open). */
export const PG_CONSOLE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    stores TEXT NOT NULL DEFAULT '[]',
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT,
    last_login_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ip TEXT
  );
  CREATE INDEX IF NOT EXISTS sessions_user ON sessions (username);
`;
