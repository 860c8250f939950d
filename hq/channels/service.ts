import type { TimerHandle } from '../../kernel/clock';
import type { ConsoleService } from '../console/types';
import { deliverChannelSecrets } from './deliver';

/** How often the deliverer looks anyway (a kiosk's key may have arrived through another HQ process's ingest). */
export const DELIVER_EVERY_MS = 60_000;
/** A burst of fleet changes (births) is handled once, this long after the first. */
const DEBOUNCE_MS = 2_000;

/**
 * `hq serve`'s channel-secrets deliverer: when HQ can sign, publish and decrypt (`--key`, `--broker`, secrets key),
 * it seals and sends each kiosk what it is due — a kiosk that was waiting for its key as soon as its birth brings one,
 * a re-provisioned kiosk (new key) again, a kiosk that joined after the secrets were set — at every fleet change
 * (debounced) and every minute. A kiosk already holding its due version under its current key is left alone, so a
 * quiet fleet costs one read per minute.
 */
export const channelDeliveryService: ConsoleService = (ctx) => {
  const { secretsKey, hqKey, mqtt } = ctx;
  if (!secretsKey || !hqKey || !mqtt) return { stop: async () => undefined };
  let timer: TimerHandle | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = false;
  const run = (): void => {
    timer = null;
    if (stopped || running) return;
    running = deliverChannelSecrets({ store: ctx.store, mqtt, hqKey, clock: ctx.clock, secretsKey, audit: ctx.audit, live: ctx.live }, { user: 'system' })
      .catch(() => undefined) // tried again at the next change or minute
      .finally(() => {
        running = null;
        if (!stopped && timer === null) timer = ctx.clock.setTimeout(run, DELIVER_EVERY_MS);
      });
  };
  const soon = (): void => {
    if (stopped) return;
    if (timer) ctx.clock.clearTimeout(timer);
    timer = ctx.clock.setTimeout(run, DEBOUNCE_MS);
  };
  ctx.ingest?.on('fleet', soon);
  timer = ctx.clock.setTimeout(run, DEBOUNCE_MS);
  return {
    stop: async () => {
      stopped = true;
      ctx.ingest?.off('fleet', soon);
      if (timer) ctx.clock.clearTimeout(timer);
      await running;
    },
  };
};
