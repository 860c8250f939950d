import * as fs from 'node:fs';
import * as path from 'node:path';
import { SimulatedClock } from '../kernel/clock';
import { KioskError } from '../kernel/errors';
import { KioskDb } from '../kernel/sqlite/database';
import { rowToEntry, type JournalRow } from '../protocol/journal/row';
import type { EventMessage } from '../protocol/sync/messages';
import { translator } from '../hq/console/i18n';
import { LANGS, type Lang } from '../hq/console/types';
import { addUser } from '../hq/console/users';
import type { IngestStore } from '../hq/ingest/store';
import { rebuildProjections } from '../hq/orders/rebuild';
import { refundDoubts } from '../hq/orders/refund-doubts';
import { migrate } from '../runtime/db/migrations';
import { OrderEngine } from '../runtime/orders/engine';
import type { PaymentProvider, RefundLookupResult } from '../runtime/payments/provider';
import { Refunds } from '../runtime/payments/refunds';
import { priceCart } from '../runtime/pricing/price-cart';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from './support/console-fixture';
import { tempDir } from './support/engine-fixture';
import { sell, type JournalKiosk } from './support/kiosk-journals';

/**
 * HQ's order page shows a lane's refund in doubt from the journal HQ ingested: the kiosk's real Refunds (its journal
 * entries refund_in_doubt / refund_doubt_settled / refund_issued as it writes them) against a card provider whose
 * refunds lose their answer and whose lookup answers as each case needs; the journal is ingested in two batches
 * (before and after the settlements) into the real console, on SQLite and PostgreSQL, in both languages.
 */

const PW = 'refund doubt password';
const T0 = Date.UTC(2026, 11, 6, 9, 0);

/** A card terminal whose refunds never answer; its lookup answers `next` (then unknown again). */
class LostAnswerCard implements PaymentProvider {
  readonly method = 'card';
  next: RefundLookupResult = { outcome: 'unknown' };
  pay(): never {
    throw new Error('no payments through this terminal in this test');
  }
  lookup(): Promise<never> {
    return Promise.reject(new Error('no payment lookups in this test'));
  }
  refund(): Promise<never> {
    return Promise.reject(new Error('terminal did not answer within 60 s'));
  }
  lookupRefund(): Promise<RefundLookupResult> {
    const r = this.next;
    this.next = { outcome: 'unknown' };
    return Promise.resolve(r);
  }
}

interface Case {
  orderId: string;
  /** Refund attempt ids in the order they went into doubt. */
  attempts: string[];
}

let before: EventMessage[] = [];
let after: EventMessage[] = [];
/** A: decided refunded by attendant sup-9; then another found not done by the terminal. B: decided not refunded by sup-7; then another found done by the terminal. C: still in doubt. */
const cases: Record<'A' | 'B' | 'C', Case> = { A: { orderId: '', attempts: [] }, B: { orderId: '', attempts: [] }, C: { orderId: '', attempts: [] } };
const TS: Record<string, number> = {};

beforeAll(async () => {
  const dir = tempDir('hq-refund-doubt-');
  const db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
  try {
    await migrate(db);
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1, 9, 0));
    const engine = new OrderEngine({
      db,
      clock,
      deviceId: 'K1',
      price: (lines, memberAttached) => priceCart(lines, { promotions: [], taxRates: { standard: 0.13, reduced: 0.09 }, taxMode: 'inclusive', memberAttached, now: clock.now() }),
      points: (paid) => Math.floor(paid / 100),
    });
    const k: JournalKiosk = { storeId: 'S1', deviceId: 'K1', clock, engine, events: async () => [], close: async () => undefined };
    const card = new LostAnswerCard();
    const refunds = new Refunds(engine, db, [card], { clock, deviceId: 'K1' });
    const events = async () => (await db.read.all<JournalRow>('SELECT * FROM journal ORDER BY seq')).map((r) => ({ v: 1, storeId: 'S1', ...rowToEntry(r) }) as EventMessage);
    /** A refund whose answer is lost: the refund attempt id the kiosk answers PAYMENT_UNRESOLVED with. */
    const lost = async (c: Case, amount: number, returnId: string) => {
      clock.advance(60_000);
      TS[returnId] = clock.now();
      const err = await refunds.refund(c.orderId, { attendantId: 'att-1', amount, reason: 'damaged', returnId }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(KioskError);
      expect((err as KioskError).code).toBe('PAYMENT_UNRESOLVED');
      const id = ((err as KioskError).details.refundAttemptIds as string[])[0];
      c.attempts.push(id);
      clock.advance(60_000);
    };
    for (const c of Object.values(cases)) c.orderId = (await sell(k, { items: [{ sku: 'A', price: 1000 }] })).id;

    // the first of each: in doubt, then settled — the settlements are the second batch HQ ingests
    await lost(cases.A, 400, 'ret-a1');
    before = await events();
    await refunds.decide(cases.A.attempts[0], 'refunded', 'sup-9');
    await lost(cases.A, 300, 'ret-a2');
    card.next = { outcome: 'not_done', reason: 'trace unmoved' };
    expect(await refunds.settleCardInDoubt()).toBe(0);
    await lost(cases.B, 500, 'ret-b1');
    await refunds.decide(cases.B.attempts[0], 'not_refunded', 'sup-7');
    await lost(cases.B, 200, 'ret-b2');
    card.next = { outcome: 'refunded', via: 'refund' };
    expect(await refunds.settleCardInDoubt()).toBe(0);
    await lost(cases.C, 250, 'ret-c1');
    after = (await events()).slice(before.length);
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
afterAll(closeConsoleBackends, 60_000);

/** The rows of the refunds-in-doubt table: refund attempt id → [state, the row's cells as text]. */
function doubtRows(body: string): Map<string, { state: string; cells: string[] }> {
  const table = /<table id="refund-doubts-table">(.*?)<\/table>/s.exec(body)?.[1] ?? '';
  const out = new Map<string, { state: string; cells: string[] }>();
  for (const m of table.matchAll(/<tr data-refund-attempt="([^"]+)" data-state="([^"]+)">(.*?)<\/tr>/gs)) {
    out.set(m[1], { state: m[2], cells: [...m[3].matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((c) => c[1].replace(/<[^>]+>/g, '').trim()) });
  }
  return out;
}

describe('refundDoubts (the derivation from the stored journal)', () => {
  it('pairs each refund in doubt with what settled it, whatever order the entries come in', () => {
    const mine = [...before, ...after].filter((e) => e.orderId === cases.A.orderId).map((e) => ({ seq: e.seq, ts: e.ts, type: e.type, payload: e.payload }));
    const inOrder = refundDoubts(mine);
    expect(inOrder.map((d) => [d.refundAttemptId, d.state, d.method, d.amount, d.decidedBy])).toEqual([
      [cases.A.attempts[0], 'refunded', 'card', 400, 'sup-9'],
      [cases.A.attempts[1], 'not_refunded', 'card', 300, null],
    ]);
    expect(inOrder[0]).toMatchObject({ since: TS['ret-a1'], returnId: 'ret-a1', attendantId: 'att-1' });
    expect(inOrder[0].settledAt).toBeGreaterThan(TS['ret-a1']);
    expect(refundDoubts([...mine].reverse())).toEqual(inOrder);
    // only what HQ had before the settlements arrived: in doubt
    expect(refundDoubts(mine.filter((e) => e.seq <= before[before.length - 1].seq)).map((d) => d.state)).toEqual(['in_doubt']);
  });
});

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('refunds in doubt on the order page, on %s', (_name, backend) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  let browser: InjectBrowser;
  beforeAll(async () => {
    store = await backend.open();
    await addUser(store.db, { username: 'admin', password: PW, role: 'admin', stores: [] }, T0);
    fx = await consoleFixture(store, {}, T0);
    browser = new InjectBrowser(fx.app);
    expect((await browser.login('admin', PW)).statusCode).toBe(303);
  }, 60_000);
  afterAll(async () => {
    await fx.app.close();
    await store.db.close();
  });
  const page = async (c: Case, lang: Lang) => {
    const r = await browser.get(`/orders/S1/K1/${c.orderId}`, { 'accept-language': lang });
    expect(r.statusCode).toBe(200);
    return r.body;
  };

  it.each(LANGS.map((l) => [l]))('a refund in doubt shows amount, method, since when, its attempt id and who settles it (%s)', async (lang) => {
    if ((await store.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM sales_events'))?.n === 0) await store.acceptBatch(before);
    const t = translator(lang);
    const body = await page(cases.A, lang);
    expect(body).toContain(t('orders.doubt.title'));
    expect(body).toContain(t('orders.doubt.open'));
    const rows = doubtRows(body);
    expect([...rows.keys()]).toEqual([cases.A.attempts[0]]);
    const row = rows.get(cases.A.attempts[0])!;
    expect(row.state).toBe('in_doubt');
    expect(row.cells).toEqual([
      expect.stringContaining(new Date(TS['ret-a1']).toISOString().slice(11, 16)),
      expect.stringMatching(/4\.00/),
      t('orders.method.card'),
      cases.A.attempts[0],
      t('orders.doubt.inDoubt'),
      '',
      'terminal did not answer within 60 s',
      'att-1',
      'ret-a1',
    ]);
    // the order is not shown refunded: the refund's outcome is not known
    expect(new RegExp(`<dt>${t('orders.detail.refunded')}</dt><dd>([^<]*)</dd>`).exec(body)?.[1]).toMatch(/0\.00/);
    // orders without a refund in doubt show no such section
    expect(await page(cases.B, lang)).not.toContain('refund-doubts-table');
  });

  it.each(LANGS.map((l) => [l]))('once settled, the outcome and who decided it; a refund still in doubt stays so (%s)', async (lang) => {
    if (!(await store.db.read.get<{ n: number }>('SELECT 1 AS n FROM sales_events WHERE seq = ?', [after[after.length - 1].seq]))) await store.acceptBatch(after);
    const t = translator(lang);
    const a = await page(cases.A, lang);
    expect(a).not.toContain(t('orders.doubt.open'));
    const ra = doubtRows(a);
    expect([...ra.keys()]).toEqual(cases.A.attempts);
    expect(ra.get(cases.A.attempts[0])).toMatchObject({ state: 'refunded' });
    expect(ra.get(cases.A.attempts[0])!.cells[4]).toBe(t('orders.doubt.refundedByAttendant', { attendant: 'sup-9' }));
    expect(ra.get(cases.A.attempts[0])!.cells[5]).not.toBe('');
    expect(ra.get(cases.A.attempts[1])).toMatchObject({ state: 'not_refunded' });
    expect(ra.get(cases.A.attempts[1])!.cells[4]).toBe(t('orders.doubt.notRefundedByLane'));
    const b = doubtRows(await page(cases.B, lang));
    expect([...b.keys()]).toEqual(cases.B.attempts);
    expect(b.get(cases.B.attempts[0])!.cells[4]).toBe(t('orders.doubt.notRefundedByAttendant', { attendant: 'sup-7' }));
    expect(b.get(cases.B.attempts[1])!.cells[4]).toBe(t('orders.doubt.refundedByLane'));
    const cBody = await page(cases.C, lang);
    expect(cBody).toContain(t('orders.doubt.open'));
    expect(doubtRows(cBody).get(cases.C.attempts[0])).toMatchObject({ state: 'in_doubt', cells: expect.arrayContaining([t('orders.doubt.inDoubt'), 'ret-c1']) });
    // the texts differ per language (each language has its own)
    expect(t('orders.doubt.inDoubt')).not.toBe(translator(lang === 'en' ? 'zh-CN' : 'en')('orders.doubt.inDoubt'));
  });

  it('hq orders rebuild changes nothing of it (derived from the stored journal, not a projection)', async () => {
    const pages = async () => Promise.all(Object.values(cases).map(async (c) => [...doubtRows(await page(c, 'en')).entries()]));
    const was = await pages();
    expect(was.flat().length).toBe(5);
    await rebuildProjections(store);
    expect(await pages()).toEqual(was);
  });
});
