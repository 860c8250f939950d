import { randomBytes } from 'node:crypto';
import type { Tx } from '../../kernel/sqlite/database';

/** One row of `pricebook_schedules` (schema v15, ./schema.ts). */
export interface ScheduleRow {
  id: string;
  store_id: string;
  version: string;
  csv: string;
  items: number;
  start_at: number;
  status: 'pending' | 'published' | 'failed' | 'cancelled';
  detail: string | null;
  created_by: string;
  created_at: number;
  done_by: string | null;
  done_at: number | null;
  /** The optional end (HQ's clock, ms): the book before this one is published again then (./scheduler.ts). */
  end_at: number | null;
  /** The store's book in force when this one was published (null: none, or not published yet). */
  previous_version: string | null;
  /** null without an end; pending → restored (as end_version) | skipped (another book came after) | failed (end_detail). */
  end_status: 'pending' | 'restored' | 'skipped' | 'failed' | null;
  end_version: string | null;
  end_detail: string | null;
  end_done_at: number | null;
}

const COLUMNS = 'id, store_id, version, csv, items, start_at, status, detail, created_by, created_at, done_by, done_at, end_at, previous_version, end_status, end_version, end_detail, end_done_at';
const num = (v: number | null): number | null => (v === null ? null : Number(v));
/** PostgreSQL hands BIGINT back as text: numbers made numbers again. */
const row = (r: ScheduleRow): ScheduleRow => ({ ...r, items: Number(r.items), start_at: Number(r.start_at), created_at: Number(r.created_at), done_at: num(r.done_at), end_at: num(r.end_at), end_done_at: num(r.end_done_at) });

/** Price books scheduled from the console for a start time (either dialect: `?` placeholders only). */
export class ScheduleRegistry {
  constructor(private readonly db: Tx) {}

  /** The store's schedules: pending first (soonest first), then the others (latest start first). */
  async forStore(store: string, limit = 20): Promise<ScheduleRow[]> {
    const rows = await this.db.all<ScheduleRow>(
      `SELECT ${COLUMNS} FROM pricebook_schedules WHERE store_id = ? ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END, CASE WHEN status = 'pending' THEN start_at ELSE -start_at END, id LIMIT ?`,
      [store, limit],
    );
    return rows.map(row);
  }

  async get(store: string, id: string): Promise<ScheduleRow | undefined> {
    const r = await this.db.get<ScheduleRow>(`SELECT ${COLUMNS} FROM pricebook_schedules WHERE store_id = ? AND id = ?`, [store, id]);
    return r ? row(r) : undefined;
  }

  /** Every pending schedule due at `now` (start_at ≤ now), soonest first. */
  async due(now: number): Promise<ScheduleRow[]> {
    const rows = await this.db.all<ScheduleRow>(`SELECT ${COLUMNS} FROM pricebook_schedules WHERE status = 'pending' AND start_at <= ? ORDER BY start_at, id`, [now]);
    return rows.map(row);
  }

  /** Every published schedule whose end is pending and due at `now` (end_at ≤ now), soonest first. */
  async endsDue(now: number): Promise<ScheduleRow[]> {
    const rows = await this.db.all<ScheduleRow>(`SELECT ${COLUMNS} FROM pricebook_schedules WHERE end_status = 'pending' AND status = 'published' AND end_at <= ? ORDER BY end_at, id`, [now]);
    return rows.map(row);
  }

  static async insert(tx: Tx, r: Pick<ScheduleRow, 'store_id' | 'version' | 'csv' | 'items' | 'start_at' | 'end_at' | 'created_by' | 'created_at'>): Promise<string> {
    const id = randomBytes(8).toString('hex');
    await tx.run(`INSERT INTO pricebook_schedules (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'pending', NULL, ?, ?, NULL, NULL, ?, NULL, ?, NULL, NULL, NULL)`, [
      id,
      r.store_id,
      r.version,
      r.csv,
      r.items,
      r.start_at,
      r.created_by,
      r.created_at,
      r.end_at,
      r.end_at === null ? null : 'pending',
    ]);
    return id;
  }

  /** Records the store's book in force before this schedule's book was published (what its end publishes again). */
  static async recordPrevious(tx: Tx, id: string, previous: string | null): Promise<void> {
    await tx.run(`UPDATE pricebook_schedules SET previous_version = ? WHERE id = ?`, [previous, id]);
  }

  /** Ends a PENDING end (restored as `version`, skipped or failed: detail says why); false when not pending (any more). */
  static async finishEnd(tx: Tx, id: string, status: 'restored' | 'skipped' | 'failed', at: number, version: string | null, detail: string | null): Promise<boolean> {
    const r = await tx.run(`UPDATE pricebook_schedules SET end_status = ?, end_version = ?, end_detail = ?, end_done_at = ? WHERE id = ? AND end_status = 'pending'`, [status, version, detail, at, id]);
    return r.changes === 1;
  }

  /** Ends a PENDING schedule (published, failed or cancelled); false when it was not pending (any more). */
  static async finish(tx: Tx, id: string, status: 'published' | 'failed' | 'cancelled', at: number, by: string | null, detail: string | null = null): Promise<boolean> {
    const r = await tx.run(`UPDATE pricebook_schedules SET status = ?, detail = ?, done_by = ?, done_at = ? WHERE id = ? AND status = 'pending'`, [status, detail, by, at, id]);
    return r.changes === 1;
  }
}

/**
 * `YYYY-MM-DDTHH:MM` (an `<input type="datetime-local">`) read as a wall-clock time in `timeZone` → epoch ms, or null
 * when malformed. The zone's offset at that instant comes from Intl (guess as UTC, correct by the offset there, check
 * once more for a DST edge).
 */
export function parseLocalTime(value: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59) return null;
  const offset = (at: number): number => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
        .formatToParts(new Date(at))
        .map((p) => [p.type, p.value]),
    );
    return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)) - at;
  };
  let at = wall - offset(wall);
  at = wall - offset(at);
  return at;
}
