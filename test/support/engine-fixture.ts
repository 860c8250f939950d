import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SimulatedClock } from '../../kernel/clock';
import { KioskDb } from '../../kernel/sqlite/database';
import { migrate } from '../../runtime/db/migrations';
import { OrderEngine } from '../../runtime/orders/engine';
import type { NewLine } from '../../runtime/orders/events';
import { priceCart } from '../../runtime/pricing/price-cart';
import type { Promotion, TaxMode } from '../../runtime/pricing/types';
import { memberStanding } from '../../runtime/members/member-store';
import type { RedeemRate } from '../../runtime/members/redemption';

export function tempDir(prefix = 'kiosk-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface Fixture {
  dir: string;
  db: KioskDb;
  clock: SimulatedClock;
  engine: OrderEngine;
  close(): Promise<void>;
}

/** A real SQLite file in a temp dir, migrated, with the real engine and pricing on a simulated clock. */
export async function engineFixture(opts: { promotions?: Promotion[]; taxMode?: TaxMode; dir?: string; redeem?: RedeemRate; points?: (paid: number) => number } = {}): Promise<Fixture> {
  const dir = opts.dir ?? tempDir();
  const db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
  await migrate(db);
  const clock = new SimulatedClock();
  const engine = new OrderEngine({
    db,
    clock,
    deviceId: 'lane-test',
    price: (lines, memberAttached, extras) =>
      priceCart(lines, {
        promotions: opts.promotions ?? [],
        taxRates: { standard: 0.13, reduced: 0.09 },
        taxMode: opts.taxMode ?? 'inclusive',
        memberAttached,
        customerType: extras.customerType,
        pointsDiscount: extras.pointsDiscount,
        now: clock.now(),
      }),
    points: opts.points ?? ((paid) => Math.floor(paid / 100)),
    // members from the stored snapshot (runtime/members); redemption only when the test sets a rate
    member: memberStanding,
    redeem: () => opts.redeem ?? null,
  });
  return {
    dir,
    db,
    clock,
    engine,
    close: async () => {
      await db.close();
      if (!opts.dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function line(sku: string, unitPrice: number, extra: Partial<NewLine> = {}): NewLine {
  return {
    sku,
    names: { 'zh-CN': `商品 ${sku}`, en: `Item ${sku}` },
    barcode: sku,
    quantity: 1,
    weightGrams: null,
    unitPrice,
    embeddedPrice: null,
    taxClass: 'standard',
    ageLimit: null,
    ...extra,
  };
}
