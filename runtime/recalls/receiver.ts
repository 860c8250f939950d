import { createHash } from 'node:crypto';
import type { Clock } from '../../kernel/clock';
import type { KioskDb } from '../../kernel/sqlite/database';
import { tryParseJson } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import { checkRecallList, type RecallList, type RecallsReported } from '../../protocol/recalls/recall-list';
import { verifyEnvelope, type TrustedKeys } from '../../protocol/signed-envelope';
import { recallListInForce, replaceRecallList } from './recall-store';

export interface RecallsReceiverDeps {
  db: KioskDb;
  trust: TrustedKeys;
  clock: Clock;
  /** This kiosk: the list must be addressed to its store. */
  identity: { store: string; device: string };
  /** Every outcome but a repeat of the list in force: for the retained `recalls/reported` topic and the log. */
  onReport?: (report: RecallsReported) => void;
}

/** The version an envelope claims (unverified), for the report of a refused one; null when it cannot be read. */
function claimedVersion(raw: Buffer): number | null {
  const j = tryParseJson(raw, { maxBytes: JSON_LIMITS.envelope });
  const v = j.ok && j.value !== null && typeof j.value === 'object' ? (j.value as { version?: unknown }).version : null;
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null;
}

/**
 * Takes HQ's recall list for this store (protocol/recalls/recall-list.ts) as it arrives on `recallsTopic(store)`:
 *
 * - Accepted only when it is a `recalls` envelope signed by a trusted key, scoped to this kiosk's store
 *   (`wrong_scope` otherwise), not expired, newer than the list in force (`not_newer`: replays and rollbacks) and its
 *   body passes `checkRecallList` (`invalid_body`).
 * - An accepted list replaces the stored one in ONE transaction; a refused one changes nothing (the list in force
 *   keeps stopping what it stops). Either outcome is reported ({@link RecallsReported}).
 * - The retained message of the list in force, delivered again (a reconnect), is a repeat: nothing happens and nothing
 *   is reported, even if it has expired since.
 * - Offers are serialized. Never throws for bad input; a database failure rejects the returned promise (nothing stored).
 */
export class RecallsReceiver {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: RecallsReceiverDeps) {}

  /** Offers a recall-list message exactly as received. Resolves to the report, or null for a repeat. */
  offer(raw: Buffer): Promise<RecallsReported | null> {
    const next = this.queue.then(() => this.accept(raw));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async accept(raw: Buffer): Promise<RecallsReported | null> {
    const { db, clock, identity } = this.deps;
    const now = clock.now();
    const digest = createHash('sha256').update(raw).digest('hex');
    const current = await recallListInForce(db.read);
    if (current && current.digest === digest) return null;
    const v = verifyEnvelope<RecallList>(raw, this.deps.trust, now, {
      kind: 'recalls',
      scope: (s) => (s.kind === 'store' && s.store === identity.store ? null : `a recall list must be scoped to store ${identity.store}`),
      appliedVersion: current?.version ?? null,
      body: checkRecallList,
    });
    let report: RecallsReported;
    if (!v.ok) {
      report = { v: 1, version: claimedVersion(raw), status: 'rejected', reason: v.reason, detail: v.detail, ts: now };
    } else {
      const { version, body } = v.envelope;
      await db.transaction((tx) => replaceRecallList(tx, version, body, now, digest));
      report = { v: 1, version, status: 'applied', entries: body.entries.length, ts: now };
    }
    this.deps.onReport?.(report);
    return report;
  }
}
