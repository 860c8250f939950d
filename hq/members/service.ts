import type { TimerHandle } from '../../kernel/clock';
import type { EventMessage } from '../../protocol/sync/messages';
import type { AcceptResult } from '../ingest/outcome';
import type { ConsoleService } from '../console/types';
import { memberChanges } from './changes';
import { MEMBERS_REPORTED_FILTER, parseReportedTopic, recordMembersReported } from './reported';
import { publishAllMembers } from './snapshot';

/** A burst of changes (an ingest batch, an import) is published once, this long after the last. */
export const MEMBERS_DEBOUNCE_MS = 2_000;
/** How often the publisher looks anyway (an import by `hq members import` in another process, a renewal). */
export const MEMBERS_CHECK_EVERY_MS = 60_000;

/**
 * `hq serve`'s member service:
 * - records every kiosk's `members/reported` (with a broker);
 * - publishes each store's signed member snapshot when its member rows changed (hq/members/snapshot.ts, only if
 *   changed), debounced on the clock: after ingest stored an `order_completed` entry, after a console import or
 *   adjustment, and every minute (an import made by the CLI, a snapshot due for renewal). Needs `--key` and a broker.
 */
export function membersService(opts: { debounceMs?: number; everyMs?: number } = {}): ConsoleService {
  return (ctx) => {
    const client = ctx.mqtt;
    const debounce = opts.debounceMs ?? MEMBERS_DEBOUNCE_MS;
    let stopped = false;
    let timer: TimerHandle | null = null;
    let pending: Promise<unknown> = Promise.resolve();
    const queue = (fn: () => Promise<void>): void => {
      pending = pending.then(fn).catch((e: unknown) => console.error(`hq console: members: ${(e as Error).message}`));
    };
    const onMessage = (topic: string, payload: Buffer): void => {
      if (!parseReportedTopic(topic)) return;
      queue(async () => {
        const store = await ctx.store.db.transaction((tx) => recordMembersReported(tx, topic, payload, ctx.clock.now()));
        if (store) ctx.live.publish('config', store);
      });
    };
    const subscribe = (): void => {
      client?.subscribe(MEMBERS_REPORTED_FILTER, { qos: 1 }, (err) => err && console.error(`hq console: subscribe ${MEMBERS_REPORTED_FILTER}: ${err.message}`));
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
        if (canPublish) await publishAllMembers(ctx, { user: 'system', onlyIfChanged: true });
      });
      queue(async () => {
        if (!stopped && timer === null) timer = ctx.clock.setTimeout(run, opts.everyMs ?? MEMBERS_CHECK_EVERY_MS);
      });
    };
    const soon = (): void => {
      if (stopped || !canPublish) return;
      if (timer) ctx.clock.clearTimeout(timer);
      timer = ctx.clock.setTimeout(run, debounce);
    };
    const onAccepted = (e: EventMessage, r: AcceptResult): void => {
      if (r.status === 'stored' && e.type === 'order_completed') soon();
    };
    const changes = memberChanges(ctx.store);
    changes.on('changed', soon);
    ctx.ingest?.on('accepted', onAccepted);
    timer = ctx.clock.setTimeout(run, debounce);
    return {
      async stop() {
        stopped = true;
        if (timer) ctx.clock.clearTimeout(timer);
        changes.off('changed', soon);
        ctx.ingest?.off('accepted', onAccepted);
        if (client) {
          client.off('message', onMessage);
          client.off('connect', subscribe);
        }
        await pending;
      },
    };
  };
}

export const MEMBERS_SERVICE: ConsoleService = membersService();
