import type { ConsoleService } from './types';
import { paymentAlertService } from '../stats/payment-alerts';
import { configRenewer } from '../config/renew';
import { FLEET_ALERTS_SERVICE } from '../fleet/fleet-alerts';
import { COMMAND_RESULTS_SERVICE } from '../fleet/commands';
import { channelDeliveryService } from '../channels/service';
import { MEMBERS_SERVICE } from '../members/service';
import { RECALLS_SERVICE } from '../recalls/service';
import { RELEASES_SERVICE } from '../releases/service';
import { pricebookScheduler } from '../pricebook-console/scheduler';
import { HQ_REFUND_NOTICE_SERVICE } from '../refunds/kiosk-notice';

/** Background services of the features, started by `hq serve` (a feature adds its own line here). */
export const FEATURE_SERVICES: readonly ConsoleService[] = [
  paymentAlertService, // hq/stats: payment decline / unknown rate alerts, every minute
  FLEET_ALERTS_SERVICE, // hq/fleet: offline, payment in doubt, paper out, backlog growing, config rejected, journal gap; every 15 s
  COMMAND_RESULTS_SERVICE, // hq/fleet: records cmd/result on the console's commands, marks unanswered ones timeout after 2 min
  configRenewer, // hq/config: publishes a config bundle again 7 days before it expires (or raises an alert), every hour
  channelDeliveryService, // hq/channels: seals and sends payment channel secrets to kiosks due them (a key arrived, a new kiosk); on fleet changes and every minute
  MEMBERS_SERVICE, // hq/members: records kiosks' members/reported; publishes each store's signed member snapshot when it changed (debounced after ingest / adjustments, every minute)
  RECALLS_SERVICE, // hq/recalls: records kiosks' recalls/reported; publishes each store's signed recall list when it changed (debounced after console changes, every minute)
  RELEASES_SERVICE, // hq/releases: records kiosks' release/reported on their rollout; drives rollouts (canaries, then the rest; auto-abort; withdraws), on each report and every 30 s
  HQ_REFUND_NOTICE_SERVICE, // hq/refunds: sends hq_refund to kiosks whose journal lacks an HQ channel refund (outbox, retried with backoff), every 30 s
  pricebookScheduler, // hq/pricebook-console: publishes price books scheduled on /pricebook when due (a pass at start catches up), every 30 s
];
