import type { Tx } from '../../kernel/sqlite/database';
import { isCustomerType, type CustomerType } from '../../protocol/members/customer-type';
import { MAX_ABS_POINTS, MEMBER_ID_RE } from '../../protocol/members/member-snapshot';
import { resolvePoints, type MemberBalance, type PointsEntry, type PointsKind } from '../../protocol/members/points-ledger';

/** A member record (hq/members/schema.ts `members`). */
export interface MemberRecord {
  id: string;
  type: CustomerType;
  name: string;
  created_at: number;
  updated_at: number;
}

/** A ledger row as stored, with where it came from. */
export interface LedgerRow extends PointsEntry {
  /** kiosk: from a journal; import / adjust: `hq members`; refund: points an HQ channel refund took back (./refund-points.ts). */
  origin: 'kiosk' | 'import' | 'adjust' | 'refund';
  actor: string | null;
  reason: string | null;
}

/** Longest member name kept. */
export const MAX_NAME = 100;

/** What something with a database handle can do: read (`db.read`) or write (inside a transaction). */
type Db = Pick<Tx, 'get' | 'all' | 'run'>;
type ReadDb = Pick<Tx, 'get' | 'all'>;

const num = (v: unknown): number => Number(v);

const memberOf = (r: { id: string; type: string; name: string; created_at: unknown; updated_at: unknown }): MemberRecord => ({
  id: r.id,
  type: isCustomerType(r.type) ? r.type : 'personal',
  name: r.name,
  created_at: num(r.created_at),
  updated_at: num(r.updated_at),
});

interface LedgerDbRow {
  member_id: string;
  source: string;
  seq: unknown;
  kind: string;
  ts: unknown;
  points: unknown;
  order_id: string | null;
  origin: string;
  actor: string | null;
  reason: string | null;
}

const ledgerOf = (r: LedgerDbRow): LedgerRow => ({
  memberId: r.member_id,
  source: r.source,
  seq: num(r.seq),
  kind: r.kind as PointsKind,
  ts: num(r.ts),
  points: num(r.points),
  orderId: r.order_id,
  origin: r.origin === 'import' || r.origin === 'adjust' || r.origin === 'refund' ? r.origin : 'kiosk',
  actor: r.actor,
  reason: r.reason,
});

/** Checks a member id (what a member card carries). */
export const isMemberId = (id: string): boolean => MEMBER_ID_RE.test(id);

/** One member's record, if HQ has it. */
export async function getMember(db: ReadDb, id: string): Promise<MemberRecord | undefined> {
  const r = await db.get<{ id: string; type: string; name: string; created_at: unknown; updated_at: unknown }>('SELECT * FROM members WHERE id = ?', [id]);
  return r ? memberOf(r) : undefined;
}

/** Members whose id starts with `prefix` (all when empty), by id, at most `limit`. */
export async function listMembers(db: ReadDb, prefix = '', limit = 200): Promise<MemberRecord[]> {
  const rows = await db.all<{ id: string; type: string; name: string; created_at: unknown; updated_at: unknown }>(
    'SELECT * FROM members WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT ?',
    [prefix.length, prefix, limit],
  );
  return rows.map(memberOf);
}

/** Every member's [id, type], by id (the snapshot's rows). */
export async function allMemberTypes(db: ReadDb): Promise<[string, CustomerType][]> {
  const rows = await db.all<{ id: string; type: string }>('SELECT id, type FROM members ORDER BY id');
  return rows.map((r) => [r.id, isCustomerType(r.type) ? r.type : 'personal']);
}

/** Creates or updates a member record; true when something changed. */
export async function upsertMember(tx: Db, m: { id: string; type: CustomerType; name: string }, now: number): Promise<'created' | 'updated' | 'same'> {
  const had = await getMember(tx, m.id);
  if (!had) {
    await tx.run('INSERT INTO members (id, type, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [m.id, m.type, m.name, now, now]);
    return 'created';
  }
  if (had.type === m.type && had.name === m.name) return 'same';
  await tx.run('UPDATE members SET type = ?, name = ?, updated_at = ? WHERE id = ?', [m.type, m.name, now, m.id]);
  return 'updated';
}

/** The ledger entries of one member (all when omitted), in the ledger's order of storage. */
export async function ledgerRows(db: ReadDb, memberId?: string): Promise<LedgerRow[]> {
  const rows =
    memberId === undefined
      ? await db.all<LedgerDbRow>('SELECT * FROM member_points')
      : await db.all<LedgerDbRow>('SELECT * FROM member_points WHERE member_id = ?', [memberId]);
  return rows.map(ledgerOf);
}

/** Balances and conflicts (protocol/members/points-ledger.ts resolvePoints) of one member or of all. */
export async function balances(db: ReadDb, memberId?: string): Promise<Map<string, MemberBalance>> {
  return resolvePoints(await ledgerRows(db, memberId));
}

/** The next seq of source `hq` (one numbering for HQ's adjust and reverse entries). */
export async function nextHqSeq(tx: ReadDb): Promise<number> {
  const last = await tx.get<{ seq: unknown }>("SELECT MAX(seq) AS seq FROM member_points WHERE source = 'hq'");
  return (last?.seq === null || last?.seq === undefined ? 0 : num(last.seq)) + 1;
}

/** Adds an HQ entry (`adjust`): seq is the next of source `hq`. Returns it. */
export async function addHqEntry(
  tx: Db,
  e: { memberId: string; points: number; origin: 'import' | 'adjust'; actor: string; reason: string },
  now: number,
): Promise<LedgerRow> {
  if (!Number.isSafeInteger(e.points) || e.points === 0 || Math.abs(e.points) > MAX_ABS_POINTS) throw new RangeError(`bad points ${e.points}: a non-zero integer`);
  const seq = await nextHqSeq(tx);
  const row: LedgerRow = { memberId: e.memberId, source: 'hq', seq, kind: 'adjust', ts: now, points: e.points, orderId: null, origin: e.origin, actor: e.actor, reason: e.reason };
  await tx.run('INSERT INTO member_points (member_id, source, seq, kind, ts, points, order_id, origin, actor, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
    row.memberId,
    'hq',
    seq,
    'adjust',
    now,
    row.points,
    null,
    row.origin,
    row.actor,
    row.reason,
  ]);
  return row;
}

/** The sum of a member's `import` entries: what the imports so far set as its opening balance. */
export async function importedPoints(db: ReadDb, memberId: string): Promise<number> {
  const r = await db.get<{ total: unknown }>("SELECT COALESCE(SUM(points), 0) AS total FROM member_points WHERE member_id = ? AND origin = 'import'", [memberId]);
  return num(r?.total ?? 0);
}
