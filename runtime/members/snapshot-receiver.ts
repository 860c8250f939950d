import { createHash } from 'node:crypto';
import type { Clock } from '../../kernel/clock';
import type { KioskDb } from '../../kernel/sqlite/database';
import { tryParseJson } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import { checkMemberSnapshot, type MemberSnapshot, type MembersReported } from '../../protocol/members/member-snapshot';
import { verifyEnvelope, type TrustedKeys } from '../../protocol/signed-envelope';
import { replaceSnapshot, snapshotInForce } from './member-store';

export interface MembersReceiverDeps {
  db: KioskDb;
  trust: TrustedKeys;
  clock: Clock;
  /** This kiosk: the snapshot must be addressed to its store; its own `counted` seq is kept. */
  identity: { store: string; device: string };
  /** Every outcome but a repeat of the snapshot in force: for the retained `members/reported` topic and the log. */
  onReport?: (report: MembersReported) => void;
}

/** The version an envelope claims (unverified), for the report of a refused one; null when it cannot be read. */
function claimedVersion(raw: Buffer): number | null {
  const j = tryParseJson(raw, { maxBytes: JSON_LIMITS.envelope });
  const v = j.ok && j.value !== null && typeof j.value === 'object' ? (j.value as { version?: unknown }).version : null;
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null;
}

/**
 * Takes HQ's member snapshot for this store (protocol/members/member-snapshot.ts) as it arrives on
 * `membersTopic(store)`. Rules:
 *
 * - Accepted only when it is a `members` envelope signed by a trusted key, scoped to this kiosk's store
 *   (`wrong_scope` otherwise), not expired, newer than the snapshot in force (`not_newer`: replays and rollbacks)
 *   and its body passes `checkMemberSnapshot` (`invalid_body`).
 * - An accepted snapshot replaces the stored one in ONE transaction (records, version, this kiosk's `counted` seq);
 *   a refused one changes nothing. Either outcome is reported ({@link MembersReported}).
 * - The retained message of the snapshot in force, delivered again (a reconnect), is a repeat: nothing happens and
 *   nothing is reported, even if it has expired since.
 * - Offers are serialized. Never throws for bad input; a database failure rejects the returned promise (nothing stored).
 */
export class MembersReceiver {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: MembersReceiverDeps) {}

  /** Offers a snapshot message exactly as received. Resolves to the report, or null for a repeat. */
  offer(raw: Buffer): Promise<MembersReported | null> {
    const next = this.queue.then(() => this.accept(raw));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async accept(raw: Buffer): Promise<MembersReported | null> {
    const { db, clock, identity } = this.deps;
    const now = clock.now();
    const digest = createHash('sha256').update(raw).digest('hex');
    const current = await snapshotInForce(db.read);
    if (current && current.digest === digest) return null;
    const v = verifyEnvelope<MemberSnapshot>(raw, this.deps.trust, now, {
      kind: 'members',
      scope: (s) => (s.kind === 'store' && s.store === identity.store ? null : `a member snapshot must be scoped to store ${identity.store}`),
      appliedVersion: current?.version ?? null,
      body: checkMemberSnapshot,
    });
    let report: MembersReported;
    if (!v.ok) {
      report = { v: 1, version: claimedVersion(raw), status: 'rejected', reason: v.reason, detail: v.detail, ts: now };
    } else {
      const { version, body } = v.envelope;
      await db.transaction((tx) => replaceSnapshot(tx, version, body, identity, now, digest));
      report = { v: 1, version, status: 'applied', members: body.members.length, ts: now };
    }
    this.deps.onReport?.(report);
    return report;
  }
}
