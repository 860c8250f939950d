/** Customer-type prices from the price book to the scanned line (the kiosk's SQLite catalog, the real lane). */
import * as fs from 'node:fs';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { SimulatedClock } from '../kernel/clock';
import { gtinCheckDigit } from '../runtime/barcodes';
import { importPriceBook } from '../runtime/pricebook/import';
import type { PriceItem } from '../runtime/pricing/types';
import { tempDir } from './support/engine-fixture';

const ean = (d12: string) => d12 + gtinCheckDigit(d12);
const COLA: PriceItem = {
  sku: 'T-COLA',
  barcodes: [ean('690100000001')],
  names: { en: 'Cola', 'zh-CN': '可乐' },
  unitPrice: 350,
  taxClass: 'standard',
  ageLimit: null,
  soldByWeight: false,
  typePrices: { business: 300, group: 320 },
};
const WATER: PriceItem = { ...COLA, sku: 'T-WATER', barcodes: [ean('690100000002')], unitPrice: 200, typePrices: undefined };
const PORK: PriceItem = { ...COLA, sku: 'T-PORK', barcodes: ['20077'], unitPrice: 2800, soldByWeight: true, typePrices: { group: 2500 } };

describe('lane: type prices on the line', () => {
  let dir: string;
  let k: Kiosk;
  beforeAll(async () => {
    dir = tempDir('kiosk-typeprices-');
    const clock = new SimulatedClock();
    k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir } }), { clock, confirmCash: async () => true });
    const { typePrices: _none, ...water } = WATER;
    async function* book() {
      yield [COLA, water, PORK];
    }
    await importPriceBook(k.db, book(), { clock, deviceId: 'K1', source: 'test' });
  });
  afterAll(async () => {
    await k.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the catalog returns the item with its typePrices; the scanned line carries them', async () => {
    expect(await k.catalog.bySku('T-COLA')).toEqual(COLA);
    const cola = await k.lane.resolve(COLA.barcodes[0]);
    expect(cola.line).toMatchObject({ sku: 'T-COLA', unitPrice: 350, typePrices: { business: 300, group: 320 } });
    const water = await k.lane.resolve(WATER.barcodes[0]);
    expect(water.line).not.toBeNull();
    expect('typePrices' in water.line!).toBe(false);
    // a weighed item's type price is per kg, like its unitPrice
    const body = `22${PORK.barcodes[0]}01250`;
    const pork = await k.lane.resolve(body + gtinCheckDigit(body));
    expect(pork.line).toMatchObject({ sku: 'T-PORK', weightGrams: 1250, unitPrice: 2800, typePrices: { group: 2500 } });
  });
});
