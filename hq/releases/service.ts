import type { TimerHandle } from '../../kernel/clock';
import type { ConsoleContext, ConsoleService } from '../console/types';
import { writeBesideIngest } from '../ingest/pg-db';
import { parseReleaseReportedTopic, RELEASE_REPORTED_FILTER, recordReleaseReported } from './reported';
import { driveRollout, rolloutsToDrive } from './rollouts';

/** How often the service drives every rollout anyway (a rollout made, paused or aborted by the CLI in another process). */
export const RELEASES_CHECK_EVERY_MS = 30_000;

/**
 * `hq serve`'s release service: records every kiosk's retained `release/reported` (QoS 1, non-shared, so this one
 * process sees every kiosk's latest step, again after a restart) on its rollout, and drives the rollout it names at
 * once (a canary's `healthy` opens the rest, a `failed` past the limit aborts); drives every rollout every 30 s.
 *
 * Why `hq serve` and not `hq ingest`: the stages need HQ's signing key (only `hq serve --key` holds it) and ONE
 * decider; ingest workers are many (a shared subscription splits the kiosks between them) and key-less. `hq serve`
 * already records the kiosks' other retained reports for the console the same way (members/reported,
 * recalls/reported: hq/console/signed-list-service.ts), beside its in-process ingest's fleet view of
 * config/pricebook reports. Without `--key` or a broker it records nothing it cannot act on: reports still recorded
 * (with a broker), offers not sent (the CLI with `--key --broker` sends them).
 */
export function releasesService(opts: { everyMs?: number } = {}): ConsoleService {
  const everyMs = opts.everyMs ?? RELEASES_CHECK_EVERY_MS;
  return (ctx: ConsoleContext) => {
    const client = ctx.mqtt;
    let stopped = false;
    let timer: TimerHandle | null = null;
    let pending: Promise<unknown> = Promise.resolve();
    const queue = (fn: () => Promise<void>): void => {
      pending = pending.then(fn).catch((e: unknown) => console.error(`hq console: releases: ${(e as Error).message}`));
    };
    const canDrive = (): boolean => ctx.hqKey !== null && client !== null && client.connected;
    const drive = async (id: string): Promise<void> => {
      if (stopped || !canDrive()) return;
      await driveRollout({ db: ctx.store.db, mqtt: client!, hqKey: ctx.hqKey!, clock: ctx.clock, audit: ctx.audit }, id);
      ctx.live.publish('fleet');
    };
    const onMessage = (topic: string, payload: Buffer): void => {
      if (parseReleaseReportedTopic(topic) === null) return;
      queue(async () => {
        const rollout = await writeBesideIngest(ctx.store.db, (tx) => recordReleaseReported(tx, topic, payload, ctx.clock.now()));
        if (rollout === null) return;
        ctx.live.publish('fleet');
        await drive(rollout);
      });
    };
    const onConnect = (): void => {
      client?.subscribe(RELEASE_REPORTED_FILTER, { qos: 1 }, (err) => err && console.error(`hq console: subscribe ${RELEASE_REPORTED_FILTER}: ${err.message}`));
      // (re)connected: a pass now, not at the next tick of the 30 s timer (nothing could be sent while it was down)
      if (!stopped && timer !== null) {
        ctx.clock.clearTimeout(timer);
        timer = ctx.clock.setTimeout(pass, 0);
      }
    };
    const pass = (): void => {
      timer = null;
      if (stopped) return;
      queue(async () => {
        for (const id of await rolloutsToDrive(ctx.store.db.read)) await drive(id);
      });
      queue(async () => {
        if (!stopped && timer === null) timer = ctx.clock.setTimeout(pass, everyMs);
      });
    };
    if (client) {
      client.on('message', onMessage);
      client.on('connect', onConnect);
      if (client.connected) onConnect();
    }
    timer = ctx.clock.setTimeout(pass, 0);
    return {
      async stop() {
        stopped = true;
        if (timer) ctx.clock.clearTimeout(timer);
        if (client) {
          client.off('message', onMessage);
          client.off('connect', onConnect);
        }
        await pending;
      },
    };
  };
}

export const RELEASES_SERVICE: ConsoleService = releasesService();
