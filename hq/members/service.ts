import type { EventMessage } from '../../protocol/sync/messages';
import type { AcceptResult } from '../ingest/outcome';
import type { ConsoleService } from '../console/types';
import { signedListService } from '../console/signed-list-service';
import { memberChanges } from './changes';
import { MEMBERS_REPORTED_FILTER, parseReportedTopic, recordMembersReported } from './reported';
import { publishAllMembers } from './snapshot';

/** A burst of changes (an ingest batch, an import) is published once, this long after the last. */
export const MEMBERS_DEBOUNCE_MS = 2_000;
/** How often the publisher looks anyway (an import by `hq members import` in another process, a renewal). */
export const MEMBERS_CHECK_EVERY_MS = 60_000;

/**
 * `hq serve`'s member service (hq/console/signed-list-service.ts): records every kiosk's `members/reported`; publishes
 * each store's signed member snapshot when its member rows changed (hq/members/snapshot.ts), debounced on the clock
 * after ingest stored an `order_completed` or `refund_issued` entry, after a console import or adjustment, and every minute (an import
 * made by the CLI, a snapshot due for renewal). Needs `--key` and a broker.
 */
export function membersService(opts: { debounceMs?: number; everyMs?: number } = {}): ConsoleService {
  return signedListService({
    name: 'members',
    reportedFilter: MEMBERS_REPORTED_FILTER,
    isReportedTopic: (topic) => parseReportedTopic(topic) !== null,
    recordReported: recordMembersReported,
    publishChanged: async (ctx) => void (await publishAllMembers(ctx, { user: 'system', onlyIfChanged: true })),
    changes: (ctx) => memberChanges(ctx.store),
    // a member's balance moves with every completed order HQ stores, and with every refund (points taken back)
    triggers: (ctx, soon) => {
      const onAccepted = (e: EventMessage, r: AcceptResult): void => {
        if (r.status === 'stored' && (e.type === 'order_completed' || e.type === 'refund_issued')) soon();
      };
      ctx.ingest?.on('accepted', onAccepted);
      return () => ctx.ingest?.off('accepted', onAccepted);
    },
    debounceMs: opts.debounceMs ?? MEMBERS_DEBOUNCE_MS,
    everyMs: opts.everyMs ?? MEMBERS_CHECK_EVERY_MS,
  });
}

export const MEMBERS_SERVICE: ConsoleService = membersService();
