import type { EventEmitter } from 'node:events';
import type { TimerHandle } from '../../kernel/clock';
import type { Tx } from '../../kernel/sqlite/database';
import { writeBesideIngest } from '../ingest/pg-db';
import type { ConsoleContext, ConsoleService } from './types';

/** What a store-wide signed list published by `hq serve` (member snapshot, recall list …) is made of. */
export interface SignedListSpec {
  /** For error lines: `hq console: <name>: …`. */
  name: string;
  /** The kiosks' reports, e.g. `kiosk/v1/+/+/members/reported`. */
  reportedFilter: string;
  isReportedTopic(topic: string): boolean;
  /** Records one report; returns the store whose console pages changed, or null. */
  recordReported(tx: Tx, topic: string, payload: Buffer, now: number): Promise<string | null>;
  /** Publishes every store's list whose content changed (or is due for renewal). */
  publishChanged(ctx: ConsoleContext): Promise<void>;
  /** Changes made in this process (console import, adjustment, add …). */
  changes(ctx: ConsoleContext): EventEmitter;
  /** Further triggers of a publish: calls `soon` when they fire; returns how to detach them. */
  triggers?(ctx: ConsoleContext, soon: () => void): () => void;
  debounceMs: number;
  everyMs: number;
}

/**
 * `hq serve`'s service for one signed, retained, per-store list:
 * - records every kiosk's report on `reportedFilter` (with a broker);
 * - publishes each store's list when it changed, debounced on the clock after a change in this process (or another
 *   trigger), and every `everyMs` anyway (a change made by the CLI in another process, a list due for renewal). Needs
 *   HQ's signing key and a broker.
 */
export function signedListService(spec: SignedListSpec): ConsoleService {
  return (ctx) => {
    const client = ctx.mqtt;
    let stopped = false;
    let timer: TimerHandle | null = null;
    let pending: Promise<unknown> = Promise.resolve();
    const queue = (fn: () => Promise<void>): void => {
      pending = pending.then(fn).catch((e: unknown) => console.error(`hq console: ${spec.name}: ${(e as Error).message}`));
    };
    const onMessage = (topic: string, payload: Buffer): void => {
      if (!spec.isReportedTopic(topic)) return;
      queue(async () => {
        // beside the ingest batches (no batch writes a `*_reported` table): a fleet's births bring one report per kiosk
        const store = await writeBesideIngest(ctx.store.db, (tx) => spec.recordReported(tx, topic, payload, ctx.clock.now()));
        if (store) ctx.live.publish('config', store);
      });
    };
    const subscribe = (): void => {
      client?.subscribe(spec.reportedFilter, { qos: 1 }, (err) => err && console.error(`hq console: subscribe ${spec.reportedFilter}: ${err.message}`));
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
        if (canPublish) await spec.publishChanged(ctx);
      });
      queue(async () => {
        if (!stopped && timer === null) timer = ctx.clock.setTimeout(run, spec.everyMs);
      });
    };
    const soon = (): void => {
      if (stopped || !canPublish) return;
      if (timer) ctx.clock.clearTimeout(timer);
      timer = ctx.clock.setTimeout(run, spec.debounceMs);
    };
    const changes = spec.changes(ctx);
    changes.on('changed', soon);
    const detach = spec.triggers?.(ctx, soon);
    timer = ctx.clock.setTimeout(run, spec.debounceMs);
    return {
      async stop() {
        stopped = true;
        if (timer) ctx.clock.clearTimeout(timer);
        changes.off('changed', soon);
        detach?.();
        if (client) {
          client.off('message', onMessage);
          client.off('connect', subscribe);
        }
        await pending;
      },
    };
  };
}
