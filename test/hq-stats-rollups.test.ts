import fc from 'fast-check';
import type { StoreScope } from '../hq/console/types';
import { INGEST_MIGRATIONS } from '../hq/ingest/schema';
import { IngestStore } from '../hq/ingest/store';
import { STATS_MIGRATIONS } from '../hq/stats/schema';
import type { KioskDb } from '../kernel/sqlite/database';
import { applyMigrations, latestMigration } from '../kernel/sqlite/migrate';
import { rebuildProjections } from '../hq/orders/rebuild';
import { ROLLUP_TABLES, ROLLUPS } from '../hq/stats/rollup-tables';
import { refillRollups } from '../hq/stats/rollup-writer';
import { salesStats, rollupsCover } from '../hq/stats/sales-stats';
import type { StatsFilter } from '../hq/stats/stats-filter';
import { addDays } from '../kernel/local-time';
import type { EventMessage } from '../protocol/sync/messages';
import { closeConsoleBackends, INGEST_TARGETS } from './support/console-fixture';
import { journalKiosk, sell, type JournalKiosk } from './support/kiosk-journals';

/**
 * The statistics rollups (hq/stats/rollup-tables.ts), kept by the orders projector as real kiosk journals are
 * ingested (in interleaved batches, some out of order, some twice), give exactly the figures the order projections
 * give when read directly — for any range of local days, in zones with daylight saving (Berlin, a 23-hour day in
 * the range) and with half- and quarter-hour offsets (Kolkata, Kathmandu), for the chain, one store and a store
 * manager's stores; and they equal a set-based refill from the projections, also after `hq orders rebuild`.
 * On SQLite and PostgreSQL.
 */

const HOUR = 3_600_000;
const ALL: StoreScope = { all: true };
const ZONES = ['Asia/Shanghai', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu', 'UTC', 'America/St_Johns'];
const START = Date.UTC(2026, 2, 26, 20, 0); // Berlin goes to summer time on 29 March 2026
const ITEMS = [
  { sku: 'COLA', price: 350, taxClass: 'standard', name: 'Cola' },
  { sku: 'BREAD', price: 629, taxClass: 'reduced', name: 'Bread 面包' },
  { sku: 'APPLE', price: 199, taxClass: 'reduced', name: 'Apple' },
  { sku: 'TEA', price: 1250, taxClass: 'standard', name: 'Tea' },
  { sku: 'SOAP', price: 480, taxClass: 'standard', name: 'Soap' },
  { sku: 'RICE', price: 2399, taxClass: 'reduced', name: 'Rice 大米' },
];

/** A small deterministic generator (mulberry32): the same journals at every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Three lanes in two stores selling for about two weeks (whole epoch weeks begin on Thursdays: 26 March, 2 April): card and QR (Alipay, WeChat), declines, training, refunds, cancellations. */
async function makeJournals(): Promise<EventMessage[][]> {
  const rnd = prng(20261206);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const kiosks: JournalKiosk[] = [await journalKiosk('S1', 'K1', START), await journalKiosk('S1', 'K2', START + 7 * 60_000), await journalKiosk('S2', 'K1', START + 13 * 60_000)];
  try {
    for (const k of kiosks) {
      for (let i = 0; i < 36; i++) {
        k.clock.advance(Math.floor(rnd() * 16 * HOUR) + 60_000);
        const r = rnd();
        if (r < 0.08) {
          const o = await k.engine.dispatch(null, { type: 'item_added', line: { sku: 'GUM', names: { en: 'Gum', 'zh-CN': '口香糖' }, barcode: 'GUM', quantity: 1, weightGrams: null, unitPrice: 99, embeddedPrice: null, taxClass: 'standard', ageLimit: null } });
          await k.engine.dispatch(o.id, { type: 'order_cancelled', reason: 'shopper left' });
          continue;
        }
        const training = r > 0.93;
        if (training) k.engine.setTraining(true);
        const items = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => ({ ...pick(ITEMS), qty: 1 + Math.floor(rnd() * 3) }));
        const qr = rnd() < 0.45;
        const channel = pick(['alipay', 'wechat']);
        const o = await sell(k, {
          items,
          method: qr ? 'qr' : 'card',
          declines: rnd() < 0.15 ? 1 : 0,
          timeout: rnd() < 0.05,
          ...(qr ? { reference: { gateway: 'qr', channel, tradeNo: `T${i}` } } : {}),
        });
        if (training) k.engine.setTraining(false);
        if (!training && rnd() < 0.12) {
          k.clock.advance(Math.floor(rnd() * 30 * HOUR));
          await k.engine.dispatch(o.id, { type: 'refund_issued', amount: Math.max(1, Math.floor(o.priced.total * rnd())), attendantId: 'att-1' });
        }
      }
    }
    return await Promise.all(kiosks.map((k) => k.events()));
  } finally {
    for (const k of kiosks) await k.close();
  }
}

/** Interleaved batches of 1–9 entries, a batch now and then delivered after the next one, and some again. */
async function deliver(store: IngestStore, journals: EventMessage[][]): Promise<void> {
  const rnd = prng(7);
  const batches: EventMessage[][] = [];
  const pos = journals.map(() => 0);
  while (pos.some((p, i) => p < journals[i].length)) {
    const i = Math.floor(rnd() * journals.length);
    if (pos[i] >= journals[i].length) continue;
    const n = 1 + Math.floor(rnd() * 9);
    batches.push(journals[i].slice(pos[i], pos[i] + n));
    pos[i] += n;
  }
  for (let b = 0; b + 1 < batches.length; b += 5) [batches[b], batches[b + 1]] = [batches[b + 1], batches[b]];
  for (let b = 0; b < batches.length; b++) {
    await store.acceptBatch(batches[b], START);
    if (b % 11 === 0) await store.acceptBatch(batches[b], START);
  }
}

/** Every rollup table, rows sorted, numbers as numbers. */
async function dumpRollups(store: IngestStore): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of ROLLUP_TABLES) {
    const rows = await store.db.read.all<Record<string, unknown>>(`SELECT * FROM ${t}`);
    const count = ROLLUPS[t].sums[0];
    out[t] = rows
      // a row whose count went back to 0 is what a refill never writes: not a difference
      .filter((r) => Number(r[count]) !== 0)
      .map((r) => JSON.stringify(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' || v === null ? v : Number(v)])))
      .sort();
  }
  return out;
}

let journals: EventMessage[][];
beforeAll(async () => {
  journals = await makeJournals();
}, 120_000);
afterAll(closeConsoleBackends, 60_000);

describe.each(INGEST_TARGETS)('statistics rollups on %s', (name, fresh) => {
  let store: IngestStore;
  let target: string;
  beforeAll(async () => {
    target = await fresh();
    store = await IngestStore.open(target);
    await deliver(store, journals);
  }, 120_000);
  afterAll(() => store.close());

  const scopes: { name: string; scope: StoreScope; storeId?: string }[] = [
    { name: 'chain', scope: ALL },
    { name: 'store S2', scope: ALL, storeId: 'S2' },
    { name: 'manager of S1', scope: { all: false, stores: ['S1'] } },
    { name: 'manager of S1, S2', scope: { all: false, stores: ['S1', 'S2'] } },
    { name: 'manager of no store', scope: { all: false, stores: [] } },
  ];

  it('has sold what the figures are made of (orders, refunds, training, both channels, several days)', async () => {
    const s = await salesStats(store.db, { from: '2026-03-26', to: '2026-04-12', timezone: 'UTC', scope: ALL }, 'en', 'raw');
    expect(s.totals.orders).toBeGreaterThan(60);
    expect(s.totals.refundCount).toBeGreaterThan(2);
    expect(s.byMethod.map((m) => m.method).sort()).toEqual(['alipay', 'card', 'wechat']);
    expect(s.byDay.filter((d) => d.orders > 0).length).toBeGreaterThan(6);
    expect(s.byTaxClass.map((t) => t.taxClass)).toEqual(['reduced', 'standard']);
  });

  it('gives the figures the projections give, for any local days, zone and scope', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ZONES),
        fc.integer({ min: 0, max: 16 }),
        fc.integer({ min: 0, max: 15 }),
        fc.constantFrom(...scopes),
        fc.constantFrom<'en' | 'zh-CN'>('en', 'zh-CN'),
        async (timezone, start, length, sc, lang) => {
          const from = addDays('2026-03-26', start);
          const f: StatsFilter = { from, to: addDays(from, length), timezone, scope: sc.scope, storeId: sc.storeId };
          expect(rollupsCover(f)).toBe(true);
          const raw = await salesStats(store.db, f, lang, 'raw');
          expect(await salesStats(store.db, f, lang, 'rollups')).toEqual(raw);
        },
      ),
      { numRuns: 60, seed: 14 },
    );
  }, 120_000);

  it('covers the Berlin spring-forward day (23 hours) and whole weeks in Kathmandu (+5:45) and Kolkata (+5:30) exactly', async () => {
    for (const f of [
      { from: '2026-03-29', to: '2026-03-29', timezone: 'Europe/Berlin' },
      { from: '2026-03-27', to: '2026-04-09', timezone: 'Asia/Kathmandu' },
      { from: '2026-03-26', to: '2026-04-08', timezone: 'Asia/Kolkata' },
    ]) {
      const raw = await salesStats(store.db, { ...f, scope: ALL }, 'en', 'raw');
      expect(raw.totals.orders).toBeGreaterThan(0);
      expect(await salesStats(store.db, { ...f, scope: ALL }, 'en', 'rollups')).toEqual(raw);
    }
  });

  it('answers from the projections when a range is not on quarter hours (a zone offset before 1986)', async () => {
    // Kathmandu was +5:30 until 1986: still quarter hours. Monrovia was −0:44:30 until 1972: not.
    const f: StatsFilter = { from: '1971-05-01', to: '1971-05-02', timezone: 'Africa/Monrovia', scope: ALL };
    expect(rollupsCover(f)).toBe(false);
    expect((await salesStats(store.db, f, 'en')).totals.orders).toBe(0);
  });

  it('equals a set-based refill from the projections, and again after hq orders rebuild', async () => {
    const kept = await dumpRollups(store);
    expect(kept.stats_sales.length).toBeGreaterThan(20);
    await store.db.transaction((tx) => refillRollups(tx));
    expect(await dumpRollups(store)).toEqual(kept);
    await rebuildProjections(store);
    expect(await dumpRollups(store)).toEqual(kept);
  }, 60_000);

  it('fills the rollups from the projections when an existing store is upgraded to them (schema v8)', async () => {
    const kept = await dumpRollups(store);
    await store.db.transaction(async (tx) => {
      for (const t of ROLLUP_TABLES) await tx.run(`DROP TABLE ${t}`);
    });
    if (name === 'SQLite') {
      // a v7 store: the v8 migration itself runs (later migrations are already in place)
      const db = store.db as unknown as KioskDb;
      await db.transaction((tx) => tx.exec('PRAGMA user_version = 7'));
      expect(await applyMigrations(db, STATS_MIGRATIONS)).toBe(8);
      await db.transaction((tx) => tx.exec(`PRAGMA user_version = ${latestMigration(INGEST_MIGRATIONS)}`));
    }
    // PostgreSQL: the tables are missing at open, so the open creates and fills them
    await store.close();
    store = await IngestStore.open(target);
    expect(await dumpRollups(store)).toEqual(kept);
    // and a second open leaves them as they are
    await store.close();
    store = await IngestStore.open(target);
    expect(await dumpRollups(store)).toEqual(kept);
  }, 60_000);
});
