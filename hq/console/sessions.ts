import { createHash, randomBytes } from 'node:crypto';
import { writeBesideIngest, type IngestDb } from '../ingest/pg-db';
import { ROLES, type ConsoleUser, type Role } from './types';

/**
 * Console sessions (table `sessions`, schema v5). The cookie carries 32 random bytes (base64url); the table keeps
 * only their sha256, so a copy of the database opens no session. A session ends 30 minutes after its last request
 * (idle) or 12 hours after login (absolute), at logout, or when its user is disabled or gets a new password.
 * Session writes run beside the ingest batches on PostgreSQL (no batch writes `sessions`): a page view's touch
 * must not wait for, nor hold back, a reconnect burst's batches.
 */
export const IDLE_MS = 30 * 60_000;
export const ABSOLUTE_MS = 12 * 3_600_000;
/** last_seen_at is written at most this often (a request is not a write). */
const TOUCH_MS = 15_000;

export const SESSION_COOKIE = 'hq_session';

export const hashSessionId = (cookie: string): string => createHash('sha256').update(cookie).digest('hex');
export const randomToken = (): string => randomBytes(32).toString('base64url');

export interface Session {
  idHash: string;
  user: ConsoleUser;
  csrfToken: string;
}

export async function createSession(db: IngestDb, username: string, ip: string, now: number): Promise<{ cookie: string; csrfToken: string }> {
  const cookie = randomToken();
  const csrfToken = randomToken();
  await writeBesideIngest(db, (tx) =>
    tx.run('INSERT INTO sessions (id_hash, username, csrf_token, created_at, last_seen_at, expires_at, ip) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      hashSessionId(cookie),
      username,
      csrfToken,
      now,
      now,
      now + ABSOLUTE_MS,
      ip.slice(0, 64),
    ]),
  );
  return { cookie, csrfToken };
}

interface Row {
  id_hash: string;
  csrf_token: string;
  last_seen_at: number;
  expires_at: number;
  username: string;
  role: string;
  stores: string;
  disabled: number;
}

/** The live session of a cookie value, with its user as the users table says now; undefined when there is none. */
export async function findSession(db: IngestDb, cookie: string | undefined, now: number): Promise<Session | undefined> {
  if (!cookie || cookie.length > 100) return undefined;
  const idHash = hashSessionId(cookie);
  const r = await db.read.get<Row>(
    `SELECT s.id_hash, s.csrf_token, s.last_seen_at, s.expires_at, u.username, u.role, u.stores, u.disabled
       FROM sessions s JOIN users u ON u.username = s.username WHERE s.id_hash = ?`,
    [idHash],
  );
  if (!r) return undefined;
  const lastSeen = Number(r.last_seen_at);
  if (Number(r.disabled) === 1 || now >= Number(r.expires_at) || now >= lastSeen + IDLE_MS || !(ROLES as readonly string[]).includes(r.role)) {
    await endSession(db, idHash);
    return undefined;
  }
  if (now - lastSeen >= TOUCH_MS) await writeBesideIngest(db, (tx) => tx.run('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?', [now, idHash]));
  const role = r.role as Role;
  let stores: string[] = [];
  if (role === 'store_manager') {
    try {
      const v: unknown = JSON.parse(r.stores);
      if (Array.isArray(v)) stores = v.filter((s): s is string => typeof s === 'string');
    } catch {
      stores = [];
    }
  }
  return { idHash, user: { username: r.username, role, stores }, csrfToken: r.csrf_token };
}

export async function endSession(db: IngestDb, idHash: string): Promise<void> {
  await writeBesideIngest(db, (tx) => tx.run('DELETE FROM sessions WHERE id_hash = ?', [idHash]));
}

/** Ends sessions past their idle or absolute limit (housekeeping; findSession refuses them anyway). */
export async function purgeSessions(db: IngestDb, now: number): Promise<void> {
  await writeBesideIngest(db, (tx) => tx.run('DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?', [now, now - IDLE_MS]));
}
