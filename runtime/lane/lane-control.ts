import type { Clock } from '../../kernel/clock';
import type { KioskDb } from '../../kernel/sqlite/database';
import { appendJournal } from '../journal/append';
import type { Lane } from './lane';

/** Who opened or closed the lane: an attendant at the screen, or HQ by a signed command. */
export type LaneActor = { attendantId: string } | { by: 'hq' };

/**
 * Opens or closes the lane for new shoppers, journaled (`lane_closed` / `lane_opened`, with who and why) in one
 * transaction before the lane changes, so a restart restores it (`restoreLaneState`) and HQ sees it. An order
 * already open may still finish on a closed lane.
 */
export async function setLaneOpen(
  db: KioskDb,
  lane: Lane,
  change: { open: boolean; reason?: string; actor: LaneActor },
  opts: { clock: Clock; deviceId: string },
): Promise<void> {
  const reason = change.open ? null : (change.reason ?? ('attendantId' in change.actor ? `closed by attendant ${change.actor.attendantId}` : 'closed by HQ'));
  await db.transaction(async (tx) => {
    await appendJournal(tx, {
      deviceId: opts.deviceId,
      ts: opts.clock.now(),
      orderId: null,
      type: change.open ? 'lane_opened' : 'lane_closed',
      payload: { ...change.actor, ...(reason !== null ? { reason } : {}) },
    });
  });
  if (change.open) lane.unlock();
  else lane.lock(reason!);
}

/** Applies the last journaled lane open/close (at boot): a lane closed before a restart stays closed. */
export async function restoreLaneState(db: KioskDb, lane: Lane): Promise<void> {
  const last = await db.read.get<{ type: string; payload: string }>(
    "SELECT type, payload FROM journal WHERE type IN ('lane_opened', 'lane_closed') ORDER BY seq DESC LIMIT 1",
  );
  if (last?.type === 'lane_closed') lane.lock((JSON.parse(last.payload) as { reason?: string }).reason ?? 'closed');
  else lane.unlock();
}
