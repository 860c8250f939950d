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
}

const COLUMNS = 'id, store_id, version, csv, items, start_at, status, detail, created_by, created_at, done_by, done_at';
/** PostgreSQL hands BIGINT back as text: numbers made numbers again. */
const row = (r: ScheduleRow): ScheduleRow => ({ ...r, items: Number(r.items), start_at: Number(r.start_at), created_at: Number(r.created_at), done_at: r.done_at === null ? null : Number(r.done_at) });

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

  static async insert(tx: Tx, r: Omit<ScheduleRow, 'id' | 'status' | 'detail' | 'done_by' | 'done_at'>): Promise<string> {
    const id = randomBytes(8).toString('hex');
    await tx.run(`INSERT INTO pricebook_schedules (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'pending', NULL, ?, ?, NULL, NULL)`, [id, r.store_id, r.version, r.csv, r.items, r.start_at, r.created_by, r.created_at]);
    return id;
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
