import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { rebuildOrders } from '../hq/commands/orders';
import { IngestStore } from '../hq/ingest/store';
import { orderDetail } from '../hq/orders/detail';
import { PROJECTION_TABLES } from '../hq/orders/projector-sql';
import { rebuildProjections } from '../hq/orders/rebuild';
import { parseAmount, parseOrderQuery, searchOrders, type OrderFilter } from '../hq/orders/search';
import type { StoreScope } from '../hq/console/types';
import type { EventMessage } from '../protocol/sync/messages';
import { textReceipt } from '../protocol/receipts/text-receipt';
import type { Order } from '../runtime/orders/order';
import { CONSOLE_BACKENDS, closeConsoleBackends } from './support/console-fixture';
import { journalKiosk, sell, type JournalKiosk } from './support/kiosk-journals';
import { tmpDir } from './support/sync-fixtures';

/**
 * Order projections, search and detail from REAL kiosk journals (the order engine on SQLite), ingested with
 * IngestStore.acceptBatch, on SQLite and PostgreSQL.
 */

const HOUR = 3_600_000;
const XSS = '<img src=x onerror=alert(1)>';
const ALL: StoreScope = { all: true };
const S1_ONLY: StoreScope = { all: false, stores: ['S1'] };
const INJECTIONS = ["' OR 1=1 --", '%', '_', '\\', "'); DROP TABLE orders; --"];

interface Journals {
  k1: EventMessage[];
  k2: EventMessage[];
  orders: Record<string, Order>;
}

/** Two lanes' journals: K1 of S1 (card, declined-then-alipay, cancelled, in-doubt + refund, training, XSS name, open) and K2 of S2. */
async function makeJournals(): Promise<Journals> {
  const k1: JournalKiosk = await journalKiosk('S1', 'K1', Date.UTC(2026, 0, 1, 9, 0));
  const k2: JournalKiosk = await journalKiosk('S2', 'K2', Date.UTC(2026, 0, 1, 10, 0));
  try {
    const orders: Record<string, Order> = {};
    orders.o1 = await sell(k1, {
      items: [{ sku: 'A', price: 350, qty: 2 }],
      member: 'M1',
      // a kiosk that (wrongly) journals a full card number: HQ must never keep it
      reference: { maskedPan: '6799********0016', traceNumber: 1, authCode: '100001', pan: '4111111111111111', note: 'card 4111 1111 1111 1111' },
    });
    k1.clock.advance(8.5 * HOUR); // 17:30 UTC = 01:30 on 2 January in Shanghai
    orders.o2 = await sell(k1, { items: [{ sku: 'B', price: 1234 }], method: 'qr', declines: 1, reference: { gateway: 'qr', channel: 'alipay', tradeNo: '2026010122001' } });
    k1.clock.advance(HOUR);
    const c = await k1.engine.dispatch(null, { type: 'item_added', line: { sku: 'C', names: { en: 'C', 'zh-CN': 'C' }, barcode: 'C', quantity: 1, weightGrams: null, unitPrice: 99, embeddedPrice: null, taxClass: 'standard', ageLimit: null } });
    orders.o3 = await k1.engine.dispatch(c.id, { type: 'order_cancelled', reason: 'shopper left' });
    k1.clock.advance(24 * HOUR);
    const o4 = await sell(k1, { items: [{ sku: 'D', price: 2000 }], timeout: true });
    orders.o4 = await k1.engine.dispatch(o4.id, { type: 'refund_issued', amount: 500, attendantId: 'att-9' });
    k1.clock.advance(60_000);
    k1.engine.setTraining(true);
    orders.o5 = await sell(k1, { items: [{ sku: 'E', price: 500 }] });
    k1.engine.setTraining(false);
    k1.clock.advance(60_000);
    orders.o6 = await sell(k1, { items: [{ sku: 'X', price: 1, name: XSS }] });
    k1.clock.advance(60_000);
    orders.o7 = await k1.engine.dispatch(null, { type: 'item_added', line: { sku: 'F', names: { en: 'F', 'zh-CN': 'F' }, barcode: 'F', quantity: 1, weightGrams: null, unitPrice: 300, embeddedPrice: null, taxClass: 'standard', ageLimit: null } });
    orders.o8 = await sell(k2, { items: [{ sku: 'G', price: 999 }] });
    return { k1: await k1.events(), k2: await k2.events(), orders };
  } finally {
    await k1.close();
    await k2.close();
  }
}

/** Every projection table, rows sorted: what "the same projection" means. */
async function dump(store: IngestStore): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of PROJECTION_TABLES) {
    const rows = await store.db.read.all<Record<string, unknown>>(`SELECT * FROM ${t}`);
    out[t] = rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' || v === null ? v : Number(v)])))).sort();
  }
  return out;
}

let J: Journals;
beforeAll(async () => {
  J = await makeJournals();
}, 60_000);
afterAll(closeConsoleBackends, 60_000);

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('order projections and search on %s', (_name, backend) => {
  let store: IngestStore;
  beforeAll(async () => {
    store = await backend.open();
    // delivered as a live fleet does: interleaved, in batches
    const all = [...J.k1, ...J.k2];
    for (let i = 0; i < all.length; i += 7) await store.acceptBatch(all.slice(i, i + 7), Date.UTC(2026, 0, 3));
  }, 60_000);
  afterAll(() => store.db.close());

  const search = (f: OrderFilter, scope: StoreScope = ALL, tz = 'UTC', page = 1) => searchOrders(store.db.read, scope, f, page, tz);
  const ids = async (f: OrderFilter, scope: StoreScope = ALL, tz = 'UTC') => (await search(f, scope, tz)).rows.map((r) => r.order_id).sort();
  const idsOf = (...names: string[]) => names.map((n) => J.orders[n].id).sort();

  it('projects orders, lines, payments and refunds from the kiosk journals', async () => {
    const o = (n: string) => store.db.read.get<Record<string, unknown>>('SELECT * FROM orders WHERE order_id = ?', [J.orders[n].id]);
    expect(await o('o1')).toMatchObject({ store_id: 'S1', device_id: 'K1', status: 'completed', receipt_no: 1, training: 0, items: 2, methods: 'card', member_id: 'M1' });
    expect(Number((await o('o1'))!.total)).toBe(700);
    expect(Number((await o('o1'))!.tax_total)).toBe(J.orders.o1.priced.taxTotal);
    expect(await o('o2')).toMatchObject({ status: 'completed', receipt_no: 2, methods: 'alipay' });
    expect(await o('o3')).toMatchObject({ status: 'cancelled', receipt_no: null, completed_at: null });
    expect(await o('o4')).toMatchObject({ status: 'partially_refunded', receipt_no: 3, methods: 'card' });
    expect(Number((await o('o4'))!.refunded)).toBe(500);
    expect(await o('o5')).toMatchObject({ status: 'completed', training: 1, receipt_no: 1 });
    expect(await o('o7')).toMatchObject({ status: 'shopping', completed_at: null });
    expect(Number((await o('o7'))!.total)).toBe(300);

    const pays = await store.db.read.all<{ attempt_id: string; channel: string; status: string; amount: number; reason: string | null }>(
      'SELECT attempt_id, channel, status, amount, reason FROM payments WHERE order_id = ? ORDER BY status',
      [J.orders.o2.id],
    );
    expect(pays.map((p) => [p.channel, p.status, Number(p.amount), p.reason])).toEqual([
      ['alipay', 'approved', 1234, null],
      ['qr', 'declined', 1234, 'insufficient funds'],
    ]);
    const p4 = await store.db.read.get<{ status: string; channel: string }>('SELECT status, channel FROM payments WHERE order_id = ?', [J.orders.o4.id]);
    expect(p4).toEqual({ status: 'approved', channel: 'card' }); // timed out, then resolved by the attendant
    const refunds = await store.db.read.all<{ amount: number; attendant_id: string }>('SELECT amount, attendant_id FROM refunds');
    expect(refunds.map((r) => [Number(r.amount), r.attendant_id])).toEqual([[500, 'att-9']]);
    const lines = await store.db.read.all<{ name_en: string; quantity: number; gross: number }>('SELECT name_en, quantity, gross FROM order_lines WHERE order_id = ?', [J.orders.o6.id]);
    expect(lines.map((l) => [l.name_en, Number(l.quantity), Number(l.gross)])).toEqual([[XSS, 1, 1]]);
  });

  it('never keeps a card number: the masked PAN is kept, a full one dropped or masked', async () => {
    const ref = await store.db.read.get<{ reference: string }>("SELECT reference FROM payments WHERE order_id = ? AND status = 'approved'", [J.orders.o1.id]);
    expect(JSON.parse(ref!.reference)).toEqual({ maskedPan: '6799********0016', traceNumber: 1, authCode: '100001', note: 'card ****1111' });
    for (const t of PROJECTION_TABLES) expect(JSON.stringify(await store.db.read.all(`SELECT * FROM ${t}`))).not.toMatch(/4111 ?1111 ?1111 ?1111/);
  });

  it('rebuilds the same projections from sales_events', async () => {
    const before = await dump(store);
    await store.db.transaction((tx) => tx.run("UPDATE orders SET status = 'tampered'"));
    expect(await rebuildProjections(store)).toEqual({ devices: 2, orders: 8 });
    expect(await dump(store)).toEqual(before);
  });

  it('filters by store, lane, status, payment method, receipt, amount (to the fen) and training', async () => {
    expect(await ids({})).toEqual(idsOf('o1', 'o2', 'o3', 'o4', 'o6', 'o7', 'o8'));
    expect(await ids({ includeTraining: true })).toEqual(idsOf('o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7', 'o8'));
    expect(await ids({ store: 'S2' })).toEqual(idsOf('o8'));
    expect(await ids({ device: 'K1' })).toEqual(idsOf('o1', 'o2', 'o3', 'o4', 'o6', 'o7'));
    expect(await ids({ status: 'completed' })).toEqual(idsOf('o1', 'o2', 'o6', 'o8'));
    expect(await ids({ status: 'partially_refunded' })).toEqual(idsOf('o4'));
    expect(await ids({ method: 'alipay' })).toEqual(idsOf('o2'));
    expect(await ids({ method: 'card' })).toEqual(idsOf('o1', 'o4', 'o6', 'o8'));
    expect(await ids({ receipt: '2' })).toEqual(idsOf('o2'));
    expect(await ids({ receipt: '000001' })).toEqual(idsOf('o1', 'o8'));
    expect(await ids({ receipt: 'T000001', includeTraining: true })).toEqual(idsOf('o5'));
    expect(await ids({ amount: parseAmount('12.34')! })).toEqual(idsOf('o2'));
    expect(await ids({ amount: parseAmount('0.01')! })).toEqual(idsOf('o6'));
    expect(await ids({ amount: parseAmount('12.35')! })).toEqual([]);
    expect(await ids({ minAmount: parseAmount('12.34')!, maxAmount: parseAmount('20')! })).toEqual(idsOf('o2', 'o4'));
    expect(await ids({ minAmount: parseAmount('12.35')!, maxAmount: parseAmount('19.99')! })).toEqual([]);
    // newest first
    expect((await search({})).rows[0].order_id).toBe(J.orders.o7.id);
  });

  it('filters by local days in the console time zone', async () => {
    expect(await ids({ from: '2026-01-01', to: '2026-01-01' }, ALL, 'UTC')).toEqual(idsOf('o1', 'o2', 'o3', 'o8'));
    // 17:30 UTC on 1 January is 01:30 on 2 January in Shanghai
    expect(await ids({ from: '2026-01-01', to: '2026-01-01' }, ALL, 'Asia/Shanghai')).toEqual(idsOf('o1', 'o8'));
    expect(await ids({ from: '2026-01-02', to: '2026-01-02' }, ALL, 'Asia/Shanghai')).toEqual(idsOf('o2', 'o3'));
    expect(await ids({ from: '2026-01-03' }, ALL, 'Asia/Shanghai')).toEqual(idsOf('o4', 'o6', 'o7'));
  });

  it('applies the scope always: a store manager of S1 never sees S2, whatever the filter', async () => {
    expect(await ids({}, S1_ONLY)).toEqual(idsOf('o1', 'o2', 'o3', 'o4', 'o6', 'o7'));
    expect(await ids({ store: 'S2' }, S1_ONLY)).toEqual([]);
    expect(await ids({ receipt: '1' }, S1_ONLY)).toEqual(idsOf('o1'));
    expect(await ids({}, { all: false, stores: [] })).toEqual([]);
    const view = { lang: 'en' as const, timeZone: 'UTC' };
    const o8 = { storeId: 'S2', deviceId: 'K2', orderId: J.orders.o8.id };
    expect(await orderDetail(store.db.read, S1_ONLY, o8, view)).toBeNull();
    // guessing the URL with the manager's own store and the other store's order id finds nothing either
    expect(await orderDetail(store.db.read, S1_ONLY, { ...o8, storeId: 'S1' }, view)).toBeNull();
    expect(await orderDetail(store.db.read, ALL, o8, view)).not.toBeNull();
  });

  it('takes SQL injection strings in every search field as literal values, and the table survives', async () => {
    for (const s of INJECTIONS) {
      for (const field of ['store', 'device', 'receipt', 'status', 'method'] as const) {
        const parsed = parseOrderQuery({ [field]: s });
        expect('filter' in parsed).toBe(true);
        if ('filter' in parsed) expect(await ids(parsed.filter)).toEqual([]);
      }
      for (const field of ['amount', 'minAmount', 'maxAmount', 'from', 'to'] as const) expect(parseOrderQuery({ [field]: s })).toEqual({ error: field });
    }
    expect((await search({})).total).toBe(7);
    expect(Number((await store.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM orders'))!.n)).toBe(8);
  });

  it('shows the journal timeline, payments and the receipt exactly as the kiosk printed it', async () => {
    const view = { lang: 'zh-CN' as const, timeZone: 'Asia/Shanghai' };
    const d = (await orderDetail(store.db.read, ALL, { storeId: 'S1', deviceId: 'K1', orderId: J.orders.o1.id }, view))!;
    const printed = textReceipt(J.orders.o1, { storeName: 'S1', storeId: 'S1', deviceId: 'K1', currency: 'CNY', minorUnits: 2, locale: 'zh-CN', timeZone: 'Asia/Shanghai' }, 42);
    expect(d.receipt).toBe(printed);
    expect(d.receipt).toContain('6799********0016');
    expect(d.timeline.map((e) => e.type)).toEqual(['item_added', 'item_added', 'member_attached', 'checkout_started', 'payment_started', 'payment_approved', 'order_completed']);
    expect(d.timeline.every((e) => e.verified)).toBe(true);
    expect(d.timeline[4]).toMatchObject({ from: 'awaiting_payment', to: 'payment_pending', amount: 700 });
    const open = (await orderDetail(store.db.read, ALL, { storeId: 'S1', deviceId: 'K1', orderId: J.orders.o7.id }, view))!;
    expect(open.receipt).toBeNull();
    const training = (await orderDetail(store.db.read, ALL, { storeId: 'S1', deviceId: 'K1', orderId: J.orders.o5.id }, view))!;
    expect(training.training).toBe(true);
    expect(training.receipt).toContain('TRAINING — NOT A RECEIPT');
    expect(training.receipt).toContain('T000001');
  });
});

describe('projection of out-of-order and repeated delivery', () => {
  const sqlite = CONSOLE_BACKENDS.find((b) => b.name === 'SQLite')!;
  const pgb = CONSOLE_BACKENDS.find((b) => b.name === 'PostgreSQL')!;
  let inOrder: Record<string, unknown[]>;
  beforeAll(async () => {
    const s = await sqlite.open();
    await s.acceptBatch([...J.k1, ...J.k2]);
    inOrder = await dump(s);
    await s.db.close();
    expect(inOrder.orders).toHaveLength(8);
    expect(inOrder.payments).toHaveLength(7);
  }, 60_000);

  /** Shuffled, some entries twice, cut into batches of random sizes. */
  const delivery = fc
    .tuple(fc.array(fc.nat(), { minLength: 100, maxLength: 100 }), fc.array(fc.nat(), { maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 20 }))
    .map(([keys, dups, sizes]) => {
      const all = [...J.k1, ...J.k2];
      const shuffled = all.map((e, i) => ({ e, k: keys[i % keys.length] })).sort((a, b) => a.k - b.k).map((x) => x.e);
      for (const d of dups) shuffled.splice(d % (shuffled.length + 1), 0, all[d % all.length]);
      const batches: EventMessage[][] = [];
      for (let i = 0, j = 0; i < shuffled.length; j++) {
        const n = sizes[j % sizes.length];
        batches.push(shuffled.slice(i, i + n));
        i += n;
      }
      return batches;
    });

  it('gives the in-order projection for any shuffled, duplicated delivery (SQLite)', async () => {
    await fc.assert(
      fc.asyncProperty(delivery, async (batches) => {
        const s = await sqlite.open();
        try {
          for (const b of batches) await s.acceptBatch(b);
          expect(await dump(s)).toEqual(inOrder);
        } finally {
          await s.db.close();
        }
      }),
      { numRuns: 12 },
    );
  }, 120_000);

  it('gives the in-order projection for reversed delivery, one entry a batch (PostgreSQL)', async () => {
    const s = await pgb.open();
    try {
      const all = [...J.k1, ...J.k2].reverse();
      for (const e of all) await s.acceptBatch([e, e]);
      expect(await dump(s)).toEqual(inOrder);
    } finally {
      await s.db.close();
    }
  }, 60_000);
});


describe('paging, the bounded count and `hq orders rebuild` (SQLite file)', () => {
  it('pages by 50, stops counting at 10 000, and the rebuild command recomputes from the journal', async () => {
    const dir = tmpDir('hq-orders-paging-');
    const file = path.join(dir, 'hq.sqlite');
    const store = await IngestStore.open(file);
    try {
      await store.db.transaction((tx) =>
        tx.run(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10060)
          INSERT INTO orders (store_id, device_id, order_id, status, opened_at, updated_at, first_seq, last_seq, total)
          SELECT 'S1', 'K1', printf('o%05d', i), 'completed', i, i, i, i, i FROM n`),
      );
      const p1 = await searchOrders(store.db.read, ALL, {}, 1, 'UTC');
      expect(p1).toMatchObject({ total: 10_000, more: true, page: 1, pages: 200 });
      expect(p1.rows.map((r) => r.order_id).slice(0, 2)).toEqual(['o10060', 'o10059']);
      const p2 = await searchOrders(store.db.read, ALL, {}, 2, 'UTC');
      expect(p2.rows).toHaveLength(50);
      expect(p2.rows[0].order_id).toBe('o10010');
      expect((await searchOrders(store.db.read, ALL, {}, 9999, 'UTC')).page).toBe(200);
      expect(await searchOrders(store.db.read, ALL, { minAmount: 10_001 }, 1, 'UTC')).toMatchObject({ total: 60, more: false, pages: 2 });
      // the rows above have no journal behind them: a rebuild from sales_events leaves only what the journal holds
      await store.acceptBatch(J.k2);
      await store.close();
      const out: string[] = [];
      expect(await rebuildOrders({ db: file, json: true }, { out: (t) => out.push(t), err: () => undefined })).toEqual({ devices: 1, orders: 1 });
      expect(JSON.parse(out.join(''))).toEqual({ devices: 1, orders: 1 });
      const again = await IngestStore.open(file);
      expect((await searchOrders(again.db.read, ALL, {}, 1, 'UTC')).rows.map((r) => r.order_id)).toEqual([J.orders.o8.id]);
      await again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('entries moved from the journal to quarantine', () => {
  it('takes their order out of the projections (SQLite and PostgreSQL)', async () => {
    // another kiosk under K2's identity (a reused identity): two sales of its own, a chain conflicting with K2's
    const impostor = await journalKiosk('S2', 'K2', Date.UTC(2026, 0, 5, 9, 0));
    let other: EventMessage[];
    let second: string;
    try {
      await sell(impostor, { items: [{ sku: 'Z', price: 111 }] });
      second = (await sell(impostor, { items: [{ sku: 'Z', price: 222 }] })).id;
      other = await impostor.events();
    } finally {
      await impostor.close();
    }
    const n = J.k2.length;
    expect(other.length).toBeGreaterThan(n + 2);
    for (const backend of CONSOLE_BACKENDS) {
      const store = await backend.open();
      try {
        await store.acceptBatch(J.k2);
        // its tail first, above a gap: stored, and its second order projected from what is there
        await store.acceptBatch(other.slice(n + 1));
        const has = async (id: string) => (await store.db.read.get('SELECT 1 AS x FROM orders WHERE order_id = ?', [id])) !== undefined;
        expect(await has(second)).toBe(true);
        // the statistics rollups follow the projections both ways (hq/stats/rollup-writer.ts)
        const rolled = async () => {
          const r = await store.db.read.get<{ n: unknown; g: unknown }>(`SELECT SUM(orders) AS n, SUM(gross) AS g FROM stats_sales WHERE store_id = '*'`);
          const o = await store.db.read.get<{ n: unknown; g: unknown }>(
            `SELECT COUNT(*) AS n, SUM(total) AS g FROM orders WHERE training = 0 AND completed_at IS NOT NULL AND status IN ('completed', 'partially_refunded', 'refunded')`,
          );
          expect([Number(r?.n), Number(r?.g)]).toEqual([Number(o?.n), Number(o?.g)]);
          return Number(r?.g);
        };
        const withSecond = await rolled();
        // then its head, which conflicts with K2's stored chain: the tail leaves the journal, and the projection with it
        const head = await store.acceptBatch(other.slice(0, n + 1));
        expect(head.results.every((r) => r.status === 'rejected')).toBe(true);
        expect(await has(second)).toBe(false);
        expect(await has(J.orders.o8.id)).toBe(true);
        expect(await rolled()).toBe(withSecond - 222);
      } finally {
        await store.db.close();
      }
    }
  }, 60_000);
});
