import type { TimerHandle } from '../../kernel/clock';
import type { ConsoleService } from '../console/types';
import { recallChanges } from './changes';
import { publishAllRecalls } from './publish';
import { parseRecallsReportedTopic, RECALLS_REPORTED_FILTER, recordRecallsReported } from './reported';

/** A burst of changes (several adds) is published once, this long after the last. */
export const RECALLS_DEBOUNCE_MS = 2_000;
/** How often the publisher looks anyway (a recall added by `hq recall add` in another process, a renewal). */
export const RECALLS_CHECK_EVERY_MS = 60_000;

/**
 * `hq serve`'s recall service:
 * - records every kiosk's `recalls/reported` (with a broker);
 * - publishes each store's signed recall list when it changed (hq/recalls/publish.ts, only if changed), debounced on
 *   the clock after a console add / remove, and every minute (a change made by the CLI, a list due for renewal).
 *   Needs `--key` and a broker.
 */
export function recallsService(opts: { debounceMs?: number; everyMs?: number } = {}): ConsoleService {
  return (ctx) => {
    const client = ctx.mqtt;
    const debounce = opts.debounceMs ?? RECALLS_DEBOUNCE_MS;
    let stopped = false;
    let timer: TimerHandle | null = null;
    let pending: Promise<unknown> = Promise.resolve();
    const queue = (fn: () => Promise<void>): void => {
      pending = pending.then(fn).catch((e: unknown) => console.error(`hq console: recalls: ${(e as Error).message}`));
    };
    const onMessage = (topic: string, payload: Buffer): void => {
      if (!parseRecallsReportedTopic(topic)) return;
      queue(async () => {
        const store = await ctx.store.db.transaction((tx) => recordRecallsReported(tx, topic, payload, ctx.clock.now()));
        if (store) ctx.live.publish('config', store);
      });
    };
    const subscribe = (): void => {
      client?.subscribe(RECALLS_REPORTED_FILTER, { qos: 1 }, (err) => err && console.error(`hq console: subscribe ${RECALLS_REPORTED_FILTER}: ${err.message}`));
    };
    if (client) {
      client.on('message', onMessage);
      client.on('connect', subscribe);
      if (client.connected) subscribe();
    }
    const canPublish = ctx.hqKey !== null && client !== null;
    const run = (): void => {
      timer = null;
      if (stopped) return;
      queue(async () => {
        if (canPublish) {
          for (const r of await publishAllRecalls(ctx, { user: 'system', onlyIfChanged: true })) if (!r.ok) console.error(`hq console: recalls: ${r.store}: ${r.problem}`);
        }
      });
      queue(async () => {
        if (!stopped && timer === null) timer = ctx.clock.setTimeout(run, opts.everyMs ?? RECALLS_CHECK_EVERY_MS);
      });
    };
    const soon = (): void => {
      if (stopped || !canPublish) return;
      if (timer) ctx.clock.clearTimeout(timer);
      timer = ctx.clock.setTimeout(run, debounce);
    };
    const changes = recallChanges(ctx.store);
    changes.on('changed', soon);
    timer = ctx.clock.setTimeout(run, debounce);
    return {
      async stop() {
        stopped = true;
        if (timer) ctx.clock.clearTimeout(timer);
        changes.off('changed', soon);
        if (client) {
          client.off('message', onMessage);
          client.off('connect', subscribe);
        }
        await pending;
      },
    };
  };
}

export const RECALLS_SERVICE: ConsoleService = recallsService();
