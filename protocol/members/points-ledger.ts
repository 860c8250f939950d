/**
 * The members' points ledger, shared by HQ (the ledger of record) and the kiosk (its offline estimate).
 *
 * Entries come from kiosk journals (a completed order's `pointsEarned` / `pointsRedeemed`, keyed by the kiosk and the
 * seq of its `order_completed` entry; the points a refund takes back, `reverse`, keyed by the seq of its
 * `refund_issued` entry — protocol/members/points-taken-back.ts) and from HQ (an import's opening balance, an
 * adjustment, the points an HQ channel refund takes back). Kiosks work offline,
 * so two of them may redeem the same points before either reaches HQ. The balance is therefore a pure function of the
 * SET of entries, whatever order they arrived in:
 *
 * 1. duplicates (same source, seq and kind) count once;
 * 2. entries are applied in the total order (ts, source, seq, kind);
 * 3. a redemption larger than the balance before it is still honoured — the sale is committed and the goods are gone —
 *    the balance goes below zero by the shortfall and the entry is reported as a conflict (`overdrawn`), shown at HQ;
 *    later earnings pay the debt back. A `reverse` (points taken back by a refund, after the member may already have
 *    spent them) is the same: honoured, and an `overdrawn` conflict when the balance did not cover it.
 *
 * Because the order is total and the rule has no choice in it, every replica that holds the same entries computes the
 * same balances and the same conflicts (protocol/members/points-ledger.test.ts checks permutations and duplicates).
 */

export type PointsKind = 'earn' | 'redeem' | 'adjust' | 'reverse';

export interface PointsEntry {
  memberId: string;
  /** `"<store>/<device>"` (protocol/members/member-snapshot.ts kioskKey) of the kiosk whose journal holds it, or `hq`. */
  source: string;
  /** The kiosk's journal seq, or HQ's adjustment number: unique per source and kind. */
  seq: number;
  /** When it happened (ms since the epoch, the writer's clock). */
  ts: number;
  kind: PointsKind;
  /** earn / redeem / reverse: points > 0 (a reverse subtracts them); adjust: any integer (an import's opening balance, a correction). */
  points: number;
  orderId?: string | null;
}

export interface PointsConflict {
  kind: 'overdrawn';
  entry: PointsEntry;
  /** The balance just before the redemption (or the points taken back: `entry.kind` reverse). */
  balanceBefore: number;
  /** How many of the redeemed (taken back) points the balance did not cover. */
  shortfall: number;
}

export interface MemberBalance {
  memberId: string;
  balance: number;
  earned: number;
  redeemed: number;
  adjusted: number;
  /** Points refunds took back (`reverse` entries). */
  reversed: number;
  conflicts: PointsConflict[];
}

const KIND_ORDER: Record<PointsKind, number> = { adjust: 0, earn: 1, redeem: 2, reverse: 3 };

/** The ledger's total order: ts, then source, then seq, then kind (adjust, earn, redeem, reverse). */
export function comparePointsEntries(a: PointsEntry, b: PointsEntry): number {
  return a.ts - b.ts || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0) || a.seq - b.seq || KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
}

const identity = (e: PointsEntry): string => `${e.source}\u0000${e.seq}\u0000${e.kind}\u0000${e.memberId}`;

/** Balances and conflicts of every member that has entries (see the rules above). */
export function resolvePoints(entries: Iterable<PointsEntry>): Map<string, MemberBalance> {
  const unique = new Map<string, PointsEntry>();
  for (const e of entries) {
    const k = identity(e);
    const had = unique.get(k);
    // a duplicate is the same fact; if a buggy writer sent two different ones under one key, keep one deterministically
    if (!had || comparePointsEntries(e, had) < 0 || (comparePointsEntries(e, had) === 0 && e.points < had.points)) unique.set(k, e);
  }
  const sorted = [...unique.values()].sort(comparePointsEntries);
  const out = new Map<string, MemberBalance>();
  for (const e of sorted) {
    let m = out.get(e.memberId);
    if (!m) out.set(e.memberId, (m = { memberId: e.memberId, balance: 0, earned: 0, redeemed: 0, adjusted: 0, reversed: 0, conflicts: [] }));
    if (e.kind === 'earn') {
      m.earned += e.points;
      m.balance += e.points;
    } else if (e.kind === 'adjust') {
      m.adjusted += e.points;
      m.balance += e.points;
    } else {
      const before = m.balance;
      if (e.points > before) m.conflicts.push({ kind: 'overdrawn', entry: e, balanceBefore: before, shortfall: e.points - Math.max(before, 0) });
      if (e.kind === 'reverse') m.reversed += e.points;
      else m.redeemed += e.points;
      m.balance -= e.points;
    }
  }
  return out;
}

/** What a kiosk lets a shopper redeem: its estimate of the balance, never below 0. */
export const redeemable = (balance: number): number => Math.max(0, balance);
