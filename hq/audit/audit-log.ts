import { canonicalJson } from '../../kernel/canonical-json';
import type { Clock } from '../../kernel/clock';
import type { Tx } from '../../kernel/sqlite/database';
import type { AuditLog, LiveHub } from '../console/types';
import { writeBesideIngest, type IngestDb } from '../ingest/pg-db';
import { AUDIT_GENESIS, auditHash, type AuditFields } from './chain';

/**
 * Action names written by the console and the `hq` CLI (features may add their own, dotted like these).
 */
export const AUDIT_ACTIONS = [
  'login',
  'login.failed',
  'logout',
  'user.add',
  'user.passwd',
  'user.disable',
  'user.enable',
  'user.role',
  'config.publish',
  'config.rollback',
  'command.send',
  'kiosk.retire',
  'alert.ack',
  'audit.export',
] as const;

/** One audit log row as read back. */
export interface AuditEntry extends AuditFields {
  prevHash: string;
  hash: string;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** Entries at or after this time (ms). */
  from?: number;
  /** Entries before this time (ms). */
  to?: number;
  /** Newest-first paging: entries with seq below this. */
  before?: number;
  /** At most this many (default 50, at most 1 000). */
  limit?: number;
}

/** The chain check: `entries` in the chain; on a break the first seq that does not hold and why. */
export interface AuditVerdict {
  ok: boolean;
  entries: number;
  brokenAt?: number;
  reason?: string;
  /** When ok: the newest entry (a checkpoint a later `verify(since)` may start from). */
  last?: { seq: number; hash: string };
}

/** Stored text bounds: an entry is written whatever a caller passes. */
const MAX_TEXT = 1_000;
const MAX_DETAIL = 16 * 1024;
const PAGE = 2_000;
/** Detail members never kept, whatever a caller passes (a password or a card number must not reach the log). */
const SECRET_KEY = /pass(word)?|secret|token|^pan$|card_?number|cvv/i;

const clip = (s: string | undefined | null): string | null => (s === undefined || s === null ? null : s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);

function redact(v: unknown, depth = 0): unknown {
  if (depth > 20) return '[too deep]';
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(x, depth + 1);
    return out;
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

/** The detail as stored: canonical JSON, secrets redacted, at most 16 KiB (else a note of its size). */
export function auditDetailText(detail: unknown): string {
  let text: string;
  try {
    text = canonicalJson(redact(detail ?? null));
  } catch (e) {
    text = canonicalJson({ unserialisable: e instanceof Error ? e.message : String(e) });
  }
  return text.length > MAX_DETAIL ? canonicalJson({ truncated: true, chars: text.length }) : text;
}

type Row = AuditFields & { prev_hash: string; hash: string };

const toEntry = (r: Row): AuditEntry => ({
  seq: Number(r.seq),
  ts: Number(r.ts),
  actor: r.actor,
  action: r.action,
  target: r.target,
  detail: r.detail,
  ip: r.ip,
  prevHash: r.prev_hash,
  hash: r.hash,
});

function where(f: AuditFilter): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    parts.push(sql);
    params.push(value);
  };
  if (f.actor) add('actor = ?', f.actor);
  if (f.action) add('action = ?', f.action);
  if (f.from !== undefined) add('ts >= ?', f.from);
  if (f.to !== undefined) add('ts < ?', f.to);
  return { sql: parts.length ? parts.join(' AND ') : '1 = 1', params };
}

/**
 * The audit log on the ingest store (SQLite or PostgreSQL; schema in ./schema.ts). `record` appends inside one
 * write transaction — serialized across processes on both dialects (SQLite `BEGIN IMMEDIATE`, PostgreSQL's
 * advisory lock) — so every writer extends the one chain: seq = head + 1, prev_hash = head's hash. Given a live
 * hub, each record tells open audit pages (topic `audit`).
 */
export class SqlAuditLog implements AuditLog {
  constructor(
    private readonly db: IngestDb,
    private readonly clock: Clock,
    private readonly live?: LiveHub,
  ) {}

  async record(entry: { actor: string; action: string; target?: string; detail?: unknown; ip?: string }): Promise<void> {
    const detail = auditDetailText(entry.detail);
    const actor = clip(entry.actor) ?? '';
    const action = clip(entry.action) ?? '';
    const target = clip(entry.target);
    const ip = clip(entry.ip);
    await writeBesideIngest(this.db, async (tx) => {
      const head = await headOf(tx);
      const seq = head.seq + 1;
      const ts = this.clock.now();
      const hash = auditHash(head.hash, { seq, ts, actor, action, target, detail, ip });
      await tx.run('INSERT INTO audit_log (seq, ts, actor, action, target, detail, ip, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        seq,
        ts,
        actor,
        action,
        target,
        detail,
        ip,
        head.hash,
        hash,
      ]);
      await tx.run('INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash', [seq, hash]);
    });
    this.live?.publish('audit');
  }

  /**
   * Walks the whole chain: seqs gap-free from 1 (a deleted row), each prev_hash the previous hash (a deleted or
   * reordered row), each hash recomputed (an edited row), and the last row against the head (deleted newest rows).
   * With `since` (a checkpoint an earlier verify returned as `last`) only the rows after it are walked, once the
   * checkpoint row itself is found unchanged (else the whole chain is walked, to say where it breaks).
   */
  async verify(since?: { seq: number; hash: string }): Promise<AuditVerdict> {
    const read = this.db.read;
    let prev = AUDIT_GENESIS;
    let expected = 1;
    let entries = 0;
    if (since && since.seq > 0) {
      const at = await read.get<Row>('SELECT * FROM audit_log WHERE seq = ?', [since.seq]);
      if (at && at.hash === since.hash && auditHash(at.prev_hash, toEntry(at)) === at.hash) {
        prev = at.hash;
        expected = since.seq + 1;
        entries = since.seq;
      }
    }
    for (;;) {
      const rows = await read.all<Row>('SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?', [expected, PAGE]);
      for (const raw of rows) {
        const r = toEntry(raw);
        entries++;
        if (r.seq !== expected) return { ok: false, entries, brokenAt: expected, reason: `seq ${expected} is missing (deleted or renumbered)` };
        if (r.prevHash !== prev) return { ok: false, entries, brokenAt: r.seq, reason: `seq ${r.seq} does not link to seq ${r.seq - 1} (a row deleted or reordered)` };
        if (auditHash(prev, r) !== r.hash) return { ok: false, entries, brokenAt: r.seq, reason: `seq ${r.seq} was changed (its hash does not match)` };
        prev = r.hash;
        expected++;
      }
      if (rows.length < PAGE) break;
    }
    const below = await read.get<{ n: number }>('SELECT COUNT(*) AS n FROM audit_log WHERE seq < 1');
    if (Number(below?.n ?? 0) > 0) return { ok: false, entries, brokenAt: 1, reason: 'rows with a seq below 1' };
    const head = await read.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1');
    const last = expected - 1;
    if (!head) {
      return last === 0 ? { ok: true, entries } : { ok: false, entries, brokenAt: last, reason: 'the chain head is missing' };
    }
    if (Number(head.seq) !== last || head.hash !== prev) {
      return Number(head.seq) > last
        ? { ok: false, entries, brokenAt: last + 1, reason: `entries ${last + 1}..${Number(head.seq)} are missing (the newest rows were deleted)` }
        : { ok: false, entries, brokenAt: last, reason: `seq ${last} does not match the chain head` };
    }
    return { ok: true, entries, last: { seq: last, hash: prev } };
  }

  /** Newest first, filtered, one page (`before` = the smallest seq of the previous page). */
  async list(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const w = where(filter);
    const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? 50)), 1_000);
    const params = [...w.params];
    let sql = `SELECT * FROM audit_log WHERE ${w.sql}`;
    if (filter.before !== undefined) {
      sql += ' AND seq < ?';
      params.push(filter.before);
    }
    sql += ' ORDER BY seq DESC LIMIT ?';
    params.push(limit);
    return (await this.db.read.all<Row>(sql, params)).map(toEntry);
  }

  /** Every entry matching the filter (paging and limit ignored), oldest first, handed over in pages. */
  async forEach(filter: AuditFilter, visit: (page: AuditEntry[]) => void): Promise<number> {
    const w = where(filter);
    let after = 0;
    let n = 0;
    for (;;) {
      const rows = (await this.db.read.all<Row>(`SELECT * FROM audit_log WHERE ${w.sql} AND seq > ? ORDER BY seq LIMIT ?`, [...w.params, after, PAGE])).map(toEntry);
      if (rows.length > 0) visit(rows);
      n += rows.length;
      if (rows.length < PAGE) return n;
      after = rows[rows.length - 1].seq;
    }
  }

  /** The distinct actors and actions (for the filter lists). */
  async facets(): Promise<{ actors: string[]; actions: string[] }> {
    const actors = await this.db.read.all<{ actor: string }>('SELECT DISTINCT actor FROM audit_log ORDER BY actor LIMIT 500');
    const actions = await this.db.read.all<{ action: string }>('SELECT DISTINCT action FROM audit_log ORDER BY action LIMIT 500');
    return { actors: actors.map((r) => r.actor), actions: actions.map((r) => r.action) };
  }
}

/** The newest (seq, hash): the head row, else the last row (a head deleted by hand), else the genesis. */
async function headOf(tx: Tx): Promise<{ seq: number; hash: string }> {
  const head = await tx.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1');
  if (head) return { seq: Number(head.seq), hash: head.hash };
  const last = await tx.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  return last ? { seq: Number(last.seq), hash: last.hash } : { seq: 0, hash: AUDIT_GENESIS };
}
