import type { Tx } from '../../kernel/sqlite/database';
import { isCustomerType, type CustomerType } from '../../protocol/members/customer-type';
import { kioskKey, type MemberSnapshot } from '../../protocol/members/member-snapshot';
import { redeemable } from '../../protocol/members/points-ledger';

/** What the kiosk knows of a member when a card is scanned or points are used. */
export interface MemberStanding {
  /** In HQ's last snapshot (false: registered after the last sync, or no snapshot yet). */
  known: boolean;
  /** From the snapshot; `personal` for a member it does not list. */
  customerType: CustomerType;
  /**
   * The kiosk's estimate of the balance (protocol/members/member-snapshot.ts): the snapshot's points + this kiosk's
   * own earned − redeemed of completed orders, − points its refunds took back, that HQ had not counted in it. May be
   * negative.
   */
  balance: number;
  /** What the shopper may redeem: the balance, never below 0. */
  redeemable: number;
}

/** Rows per `INSERT … SELECT … FROM json_each(?)` (one binding per chunk: the per-call cost dominates, FIELD-NOTES). */
const CHUNK = 5000;

/**
 * The member snapshot HQ published for this store, in SQLite (tables of migration v10), and the kiosk's own points
 * entries (`member_points_local`, one row per completed order with points, keyed by its `order_completed` seq, and
 * one per refund that took points back, keyed by its `refund_issued` seq with a negative `earned`).
 */

/** The snapshot in force (its envelope version and the sha256 of the message it came in), or null before the first. */
export async function snapshotInForce(q: Tx): Promise<{ version: number; digest: string; members: number } | null> {
  return (await q.get<{ version: number; digest: string; members: number }>('SELECT version, digest, members FROM member_snapshot WHERE id = 1')) ?? null;
}

/**
 * Replaces the snapshot in force with `snapshot` (inside the caller's transaction). `own` is this kiosk's
 * `"<store>/<device>"`: its `counted` seq is kept so the balance estimate skips the entries HQ already counted.
 */
export async function replaceSnapshot(
  tx: Tx,
  version: number,
  snapshot: MemberSnapshot,
  own: { store: string; device: string },
  now: number,
  digest = '',
): Promise<void> {
  await tx.run('DELETE FROM member_records');
  for (let i = 0; i < snapshot.members.length; i += CHUNK) {
    await tx.run(
      `INSERT INTO member_records (id, type, points)
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)`,
      [JSON.stringify(snapshot.members.slice(i, i + CHUNK))],
    );
  }
  const counted = snapshot.counted[kioskKey(own.store, own.device)];
  await tx.run(
    `INSERT INTO member_snapshot (id, version, digest, own_counted, members, applied_at) VALUES (1, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET version = excluded.version, digest = excluded.digest, own_counted = excluded.own_counted,
       members = excluded.members, applied_at = excluded.applied_at`,
    [version, digest, counted ?? null, snapshot.members.length, now],
  );
}

/** The member's type and balance estimate (see {@link MemberStanding}); works inside a transaction or on the reader. */
export async function memberStanding(q: Tx, memberId: string): Promise<MemberStanding> {
  const rec = await q.get<{ type: string; points: number }>('SELECT type, points FROM member_records WHERE id = ?', [memberId]);
  const counted = (await q.get<{ own_counted: number | null }>('SELECT own_counted FROM member_snapshot WHERE id = 1'))?.own_counted ?? 0;
  const own = await q.get<{ n: number | null }>('SELECT SUM(earned - redeemed) AS n FROM member_points_local WHERE member_id = ? AND seq > ?', [memberId, counted]);
  const balance = (rec?.points ?? 0) + (own?.n ?? 0);
  return {
    known: rec !== undefined,
    customerType: rec && isCustomerType(rec.type) ? rec.type : 'personal',
    balance,
    redeemable: redeemable(balance),
  };
}

/**
 * Records a completed order's points (inside the completing transaction; `seq` is its `order_completed` entry), or
 * the points a refund took back (`seq` its `refund_issued` entry, `earned` negative, `redeemed` 0).
 */
export async function recordOwnPoints(tx: Tx, e: { seq: number; memberId: string; orderId: string; earned: number; redeemed: number; ts: number }): Promise<void> {
  await tx.run('INSERT INTO member_points_local (seq, member_id, order_id, earned, redeemed, ts) VALUES (?, ?, ?, ?, ?, ?)', [
    e.seq,
    e.memberId,
    e.orderId,
    e.earned,
    e.redeemed,
    e.ts,
  ]);
}
