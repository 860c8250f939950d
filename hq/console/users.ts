import { KioskError } from '../../kernel/errors';
import { isValidId } from '../../protocol/topics';
import type { IngestDb } from '../ingest/pg-db';
import { hashPassword } from './passwords';
import { ROLES, type Role } from './types';

/**
 * Console users (table `users`, schema v5 in ./schema.ts). The one place that writes them: `hq user` and the users
 * pages call these. Rules: username /^[A-Za-z0-9._-]{2,64}$/, password at least 10 characters, a store manager has
 * at least one store (valid topic ids), the other roles none. Faults are KioskError USER_INVALID / USER_EXISTS /
 * USER_UNKNOWN. Disabling a user, or setting a password, ends the user's sessions.
 */
export interface UserRow {
  username: string;
  role: Role;
  stores: string[];
  disabled: boolean;
  lockedUntil: number | null;
  lastLoginAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export const USERNAME_RE = /^[A-Za-z0-9._-]{2,64}$/;
export const MIN_PASSWORD_LENGTH = 10;
/** Longer passwords are refused (scrypt hashes anything, but a 1 MB form field is not a password). */
export const MAX_PASSWORD_LENGTH = 1024;

interface DbUser {
  username: string;
  password_hash: string;
  role: string;
  stores: string;
  disabled: number;
  failed_logins: number;
  locked_until: number | null;
  last_login_at: number | null;
  created_at: number;
  updated_at: number;
}

export function checkUsername(username: unknown): string {
  if (typeof username !== 'string' || !USERNAME_RE.test(username))
    throw new KioskError('USER_INVALID', 'a username is 2-64 characters: letters, digits, . _ -', { field: 'username' });
  return username;
}

export function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH)
    throw new KioskError('USER_INVALID', `a password has at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'password' });
  if (password.length > MAX_PASSWORD_LENGTH)
    throw new KioskError('USER_INVALID', `a password has at most ${MAX_PASSWORD_LENGTH} characters`, { field: 'password' });
  return password;
}

export function checkRole(role: unknown, stores: unknown): { role: Role; stores: string[] } {
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role))
    throw new KioskError('USER_INVALID', `a role is one of ${ROLES.join(', ')}`, { field: 'role' });
  if (role !== 'store_manager') return { role: role as Role, stores: [] };
  if (!Array.isArray(stores) || stores.length === 0)
    throw new KioskError('USER_INVALID', 'a store manager needs at least one store', { field: 'stores' });
  const list = [...new Set(stores as unknown[])];
  for (const s of list)
    if (typeof s !== 'string' || !isValidId(s) || s.startsWith('_'))
      throw new KioskError('USER_INVALID', `not a store id: ${JSON.stringify(s)}`, { field: 'stores' });
  return { role: 'store_manager', stores: list as string[] };
}

function parseStores(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}

function toRow(u: DbUser): UserRow {
  const role = (ROLES as readonly string[]).includes(u.role) ? (u.role as Role) : 'auditor';
  return {
    username: u.username,
    role,
    // a row edited by hand with a bad role is read as the least-privileged reader, and a manager with no store sees nothing
    stores: role === 'store_manager' ? parseStores(u.stores) : [],
    disabled: Number(u.disabled) === 1,
    lockedUntil: u.locked_until === null ? null : Number(u.locked_until),
    lastLoginAt: u.last_login_at === null ? null : Number(u.last_login_at),
    createdAt: Number(u.created_at),
    updatedAt: Number(u.updated_at),
  };
}

export async function addUser(db: IngestDb, u: { username: string; password: string; role: Role; stores: string[] }, now: number): Promise<void> {
  const username = checkUsername(u.username);
  const password = checkPassword(u.password);
  const { role, stores } = checkRole(u.role, u.stores);
  const hash = await hashPassword(password);
  await db.transaction(async (tx) => {
    if (await tx.get('SELECT 1 AS x FROM users WHERE username = ?', [username]))
      throw new KioskError('USER_EXISTS', `user ${username} exists already`, { username });
    await tx.run(
      'INSERT INTO users (username, password_hash, role, stores, disabled, failed_logins, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0, ?, ?)',
      [username, hash, role, JSON.stringify(stores), now, now],
    );
  });
}

async function mustExist(db: IngestDb, username: string): Promise<void> {
  if (!(await db.read.get('SELECT 1 AS x FROM users WHERE username = ?', [username])))
    throw new KioskError('USER_UNKNOWN', `no user ${username}`, { username });
}

/** Sets a new password, clears any lockout and ends the user's sessions. */
export async function setPassword(db: IngestDb, username: string, password: string, now: number): Promise<void> {
  checkPassword(password);
  await mustExist(db, username);
  const hash = await hashPassword(password);
  await db.transaction(async (tx) => {
    const r = await tx.run('UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE username = ?', [hash, now, username]);
    if (r.changes === 0) throw new KioskError('USER_UNKNOWN', `no user ${username}`, { username });
    await tx.run('DELETE FROM sessions WHERE username = ?', [username]);
  });
}

/** Disables (and ends every session of) or re-enables a user. */
export async function setDisabled(db: IngestDb, username: string, disabled: boolean, now: number): Promise<void> {
  await db.transaction(async (tx) => {
    const r = await tx.run('UPDATE users SET disabled = ?, updated_at = ? WHERE username = ?', [disabled ? 1 : 0, now, username]);
    if (r.changes === 0) throw new KioskError('USER_UNKNOWN', `no user ${username}`, { username });
    if (disabled) await tx.run('DELETE FROM sessions WHERE username = ?', [username]);
  });
}

/** Changes a user's role and stores (takes effect at the user's next request: sessions read the user row each time). */
export async function setRole(db: IngestDb, username: string, role: Role, stores: string[], now: number): Promise<void> {
  const checked = checkRole(role, stores);
  await db.transaction(async (tx) => {
    const r = await tx.run('UPDATE users SET role = ?, stores = ?, updated_at = ? WHERE username = ?', [
      checked.role,
      JSON.stringify(checked.stores),
      now,
      username,
    ]);
    if (r.changes === 0) throw new KioskError('USER_UNKNOWN', `no user ${username}`, { username });
  });
}

export async function getUser(db: IngestDb, username: string): Promise<UserRow | undefined> {
  const u = await db.read.get<DbUser>('SELECT * FROM users WHERE username = ?', [username]);
  return u && toRow(u);
}

export async function listUsers(db: IngestDb): Promise<UserRow[]> {
  return (await db.read.all<DbUser>('SELECT * FROM users ORDER BY username')).map(toRow);
}

export async function countUsers(db: IngestDb): Promise<number> {
  const r = await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM users');
  return Number(r?.n ?? 0);
}

/** For login only: the row with its hash and failure count. */
export async function getUserForLogin(db: IngestDb, username: string): Promise<(UserRow & { passwordHash: string; failedLogins: number }) | undefined> {
  const u = await db.read.get<DbUser>('SELECT * FROM users WHERE username = ?', [username]);
  return u && { ...toRow(u), passwordHash: u.password_hash, failedLogins: Number(u.failed_logins) };
}
