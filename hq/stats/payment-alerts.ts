import type { AlertInput, AlertParam, ConsoleContext, ConsoleService } from '../console/types';
import { keyParam } from '../fleet/alert-text';
import { MESSAGES } from './messages';
import { formatRate, formatThreshold, HOUR_MS, overThreshold, paymentOutcomes } from './payment-monitor';

/**
 * Payment alerts: every minute (on ctx.clock) each store's channels over the last hour are checked against
 * settings.paymentAlert; a channel whose decline rate or unknown (in doubt) rate is over its threshold, with at least
 * `minAttempts` attempts, has an open alert (one per store, channel and kind, source `payments`); once it is back
 * under, the next check clears it. Open browsers on the payment monitor are told to refresh after each check.
 * Each alert's words come in English (`message`) and as a `stats.alerts.*` text for the console's languages.
 */

export const PAYMENT_ALERT_SOURCE = 'payments';
export const CHECK_EVERY_MS = 60_000;

/** The alerts the payments of the last hour call for now. */
export async function paymentAlerts(ctx: Pick<ConsoleContext, 'store' | 'settings'>, now: number): Promise<AlertInput[]> {
  const limits = ctx.settings.paymentAlert;
  const rows = await paymentOutcomes(ctx.store.db.read, { now, windowMs: HOUR_MS, scope: { all: true }, byStore: true });
  const out: AlertInput[] = [];
  for (const r of rows) {
    const over = overThreshold(r, limits);
    const storeId = r.storeId ?? '';
    // a known channel by its name in the reader's language, any other as the kiosk named it
    const channel: AlertParam = Object.prototype.hasOwnProperty.call(MESSAGES.en, `stats.channel.${r.channel}`) ? keyParam(`stats.channel.${r.channel}`) : r.channel;
    if (over.decline) {
      out.push({
        key: `decline:${storeId}:${r.channel}`,
        kind: 'payment_decline_rate',
        severity: 'warning',
        storeId,
        message: `${r.channel}: ${formatRate(r.declined, r.attempts)} of ${r.attempts} payments declined in the last hour (threshold ${formatThreshold(limits.declineRate)})`,
        text: { key: 'stats.alerts.declineRate', params: { channel, rate: formatRate(r.declined, r.attempts), attempts: r.attempts, threshold: formatThreshold(limits.declineRate) } },
      });
    }
    if (over.unknown) {
      out.push({
        key: `unknown:${storeId}:${r.channel}`,
        kind: 'payment_unknown_rate',
        severity: 'critical',
        storeId,
        message: `${r.channel}: ${formatRate(r.unknown, r.attempts)} of ${r.attempts} payments in doubt (unknown) in the last hour (threshold ${formatThreshold(limits.unknownRate)})`,
        text: { key: 'stats.alerts.unknownRate', params: { channel, rate: formatRate(r.unknown, r.attempts), attempts: r.attempts, threshold: formatThreshold(limits.unknownRate) } },
      });
    }
  }
  return out;
}

/** One check: sync the alerts, tell the browsers. */
export async function checkPaymentAlerts(ctx: ConsoleContext): Promise<void> {
  const now = ctx.clock.now();
  await ctx.alerts.sync(PAYMENT_ALERT_SOURCE, await paymentAlerts(ctx, now), now);
  ctx.live.publish('payments');
}

/** The background service (hq/console/services.ts): a check at start, then every minute until stopped. */
export const paymentAlertService: ConsoleService = (ctx) => {
  let stopped = false;
  let timer: ReturnType<typeof ctx.clock.setTimeout> | null = null;
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    timer = null;
    running = checkPaymentAlerts(ctx)
      .catch(() => undefined) // a database hiccup: the next minute tries again
      .then(() => {
        if (!stopped) timer = ctx.clock.setTimeout(run, CHECK_EVERY_MS);
      });
  };
  run();
  return {
    async stop() {
      stopped = true;
      if (timer) ctx.clock.clearTimeout(timer);
      await running;
    },
  };
};
