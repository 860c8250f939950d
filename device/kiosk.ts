import * as fs from 'node:fs';
import * as path from 'node:path';
import { taxRates } from '../config/load';
import type { KioskConfig } from '../config/schema';
import { importPriceBook } from '../runtime/catalog/import';
import { Catalog } from '../runtime/catalog/catalog';
import { SystemClock, type Clock } from '../runtime/clock';
import { KioskDb } from '../runtime/db/database';
import { migrate } from '../runtime/db/migrations';
import { Lane } from '../runtime/lane/lane';
import { OrderEngine } from '../runtime/orders/engine';
import { IdleWatch } from '../runtime/orders/idle-watch';
import { AttendantCashProvider } from '../runtime/payments/attendant-cash';
import { Checkout } from '../runtime/payments/checkout';
import type { PaymentRequest } from '../runtime/payments/provider';
import { readPriceBookFile } from '../runtime/pricebook';
import { priceCart } from '../runtime/pricing';
import type { Promotion } from '../runtime/pricing/types';

export interface BootOptions {
  clock?: Clock;
  /** How the attendant confirms a cash payment; the demo plays the attendant. */
  confirmCash?: (req: PaymentRequest) => Promise<boolean>;
  /** Errors from background work (timers, recovery) that must not crash the lane. */
  onBackgroundError?: (e: unknown) => void;
}

export interface Kiosk {
  config: KioskConfig;
  clock: Clock;
  db: KioskDb;
  engine: OrderEngine;
  catalog: Catalog;
  checkout: Checkout;
  lane: Lane;
  idle: IdleWatch;
  dbFile: string;
  close(): Promise<void>;
}

export const dbPath = (dataDir: string) => path.join(dataDir, 'kiosk.sqlite');

/** Opens the data dir (creating it), applies migrations, and loads the starter price book on first start. */
export async function openDatabase(config: KioskConfig, clock: Clock): Promise<{ db: KioskDb; file: string }> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const file = dbPath(config.dataDir);
  const db = await KioskDb.open(file);
  try {
    await migrate(db);
    const catalog = new Catalog(db);
    if (config.pricebook.starter && (await catalog.count()) === 0 && (await catalog.version()) === null) {
      await importPriceBook(db, readPriceBookFile(config.pricebook.starter), {
        clock,
        deviceId: config.device.deviceId,
        source: path.basename(config.pricebook.starter),
        version: 'starter',
      });
    }
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
  return { db, file };
}

/** The one composition root: wires the runtime from config. Devices are added here by later issues. */
export async function bootKiosk(config: KioskConfig, opts: BootOptions = {}): Promise<Kiosk> {
  const clock = opts.clock ?? new SystemClock();
  const { db, file } = await openDatabase(config, clock);
  const promotions = config.promotions as Promotion[];
  const rates = taxRates(config);
  const engine = new OrderEngine({
    db,
    clock,
    deviceId: config.device.deviceId,
    price: (lines, memberAttached) =>
      priceCart(lines, { promotions, taxRates: rates, taxMode: config.tax.mode, memberAttached, now: clock.now() }),
    points: (paid) => (config.loyalty.enabled ? Math.floor(paid / config.loyalty.per) * config.loyalty.points : 0),
  });
  const catalog = new Catalog(db);
  const providers = opts.confirmCash ? [new AttendantCashProvider(opts.confirmCash)] : [];
  const checkout = new Checkout(engine, clock, { currency: config.currency.code, timeoutMs: config.timeouts.paymentMs }, providers);
  const lane = new Lane(engine, catalog, config);
  const onError = opts.onBackgroundError ?? (() => undefined);
  const idle = new IdleWatch(engine, clock, config.timeouts, onError);
  await idle.start();
  // A payment that was in flight when the kiosk stopped is settled before anything else.
  const open = await engine.openOrder();
  if (open && (open.state === 'payment_pending' || open.state === 'payment_unknown')) {
    await checkout.recover(open.id).catch(onError);
  }
  return {
    config,
    clock,
    db,
    engine,
    catalog,
    checkout,
    lane,
    idle,
    dbFile: file,
    async close() {
      idle.stop();
      await db.close();
    },
  };
}
