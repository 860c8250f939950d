import type { ConsoleService } from '../console/types';
import { signedListService } from '../console/signed-list-service';
import { recallChanges } from './changes';
import { publishAllRecalls } from './publish';
import { parseRecallsReportedTopic, RECALLS_REPORTED_FILTER, recordRecallsReported } from './reported';

/** A burst of changes (several adds) is published once, this long after the last. */
export const RECALLS_DEBOUNCE_MS = 2_000;
/** How often the publisher looks anyway (a recall added by `hq recall add` in another process, a renewal). */
export const RECALLS_CHECK_EVERY_MS = 60_000;

/**
 * `hq serve`'s recall service (hq/console/signed-list-service.ts): records every kiosk's `recalls/reported`; publishes
 * each store's signed recall list when it changed (hq/recalls/publish.ts), debounced on the clock after a console add
 * / remove, and every minute (a change made by the CLI, a list due for renewal). Needs `--key` and a broker.
 */
export function recallsService(opts: { debounceMs?: number; everyMs?: number } = {}): ConsoleService {
  return signedListService({
    name: 'recalls',
    reportedFilter: RECALLS_REPORTED_FILTER,
    isReportedTopic: (topic) => parseRecallsReportedTopic(topic) !== null,
    recordReported: recordRecallsReported,
    publishChanged: async (ctx) => {
      for (const r of await publishAllRecalls(ctx, { user: 'system', onlyIfChanged: true })) if (!r.ok) console.error(`hq console: recalls: ${r.store}: ${r.problem}`);
    },
    changes: (ctx) => recallChanges(ctx.store),
    debounceMs: opts.debounceMs ?? RECALLS_DEBOUNCE_MS,
    everyMs: opts.everyMs ?? RECALLS_CHECK_EVERY_MS,
  });
}

export const RECALLS_SERVICE: ConsoleService = recallsService();
