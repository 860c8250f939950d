import { taxRates } from '../config/load';
import type { KioskConfig } from '../config/schema';
import type { Clock } from '../kernel/clock';
import type { KioskDb } from '../kernel/sqlite/database';
import { ConfigBundleManager } from '../runtime/hq-control/config-bundles';
import { OrderEngine } from '../runtime/orders/engine';
import { priceCart } from '../runtime/pricing/price-cart';
import { earnedPointsForOrder, redeemRate } from '../runtime/members/loyalty';
import { memberStanding } from '../runtime/members/member-store';
import type { Promotion } from '../runtime/pricing/types';
import type { TrustStore } from '../runtime/trust/trust-store';
import { ChannelSecretsStore } from '../runtime/hq-control/channel-secrets';
import { identityPath } from '../runtime/trust/identity';
import { ensureSealKey } from '../runtime/trust/seal-key';
import * as fs from 'node:fs';

/**
 * The order engine priced by the config in force, and HQ's signed config bundles on top of the local config:
 * pricing, promotions, tax and loyalty follow an applied bundle at once (between orders), device bindings and
 * payment settings at the next start. `init()` loads the bundles applied so far and returns the boot config.
 */
export function liveConfigEngine(d: { db: KioskDb; clock: Clock; trust: TrustStore; base: KioskConfig }): {
  engine: OrderEngine;
  bundles: ConfigBundleManager;
  live: { config: KioskConfig };
  init(): Promise<KioskConfig>;
} {
  const { db, clock, base } = d;
  const live = { config: base };
  let pricing = { promotions: base.promotions as Promotion[], rates: taxRates(base) };
  const follow = (c: KioskConfig): void => {
    live.config = c;
    pricing = { promotions: c.promotions as Promotion[], rates: taxRates(c) };
  };
  const engine = new OrderEngine({
    db,
    clock,
    deviceId: base.device.deviceId,
    price: (lines, memberAttached, extras) =>
      priceCart(lines, {
        promotions: pricing.promotions,
        taxRates: pricing.rates,
        taxMode: live.config.tax.mode,
        memberAttached,
        customerType: extras.customerType,
        pointsDiscount: extras.pointsDiscount,
        now: clock.now(),
      }),
    // per the order's customer type (loyalty.byType), its lines weighted by the `points` promotions in force at
    // completion; redemption per loyalty.redeem, capped by HQ's member snapshot
    points: (paid, customerType, basis) => earnedPointsForOrder(live.config.loyalty, pricing.promotions, paid, customerType, basis),
    redeem: () => redeemRate(live.config.loyalty),
    member: memberStanding,
  });
  // a kiosk provisioned before sealing keys existed gets its key pair here, at boot (HQ learns it from the birth)
  if (fs.existsSync(identityPath(base.dataDir))) ensureSealKey(base.dataDir);
  const channelSecrets = new ChannelSecretsStore({ dataDir: base.dataDir, identity: { store: base.device.storeId, device: base.device.deviceId } });
  const bundles = new ConfigBundleManager({
    db,
    trust: d.trust,
    clock,
    identity: { store: base.device.storeId, device: base.device.deviceId },
    base,
    canApplyNow: async () => (await engine.openOrder()) === null,
    onApplied: follow,
    channelSecrets,
  });
  return {
    engine,
    bundles,
    live,
    async init() {
      const config = await bundles.init();
      follow(config);
      return config;
    },
  };
}
