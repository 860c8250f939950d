/**
 * The store's local time on receipts and in the Z report (issue 13): a store in Shanghai around midnight UTC, and a
 * Berlin day with a daylight-saving change — real SQLite, the real order engine, the injected clock.
 */
import { appendJournal } from '../journal/append';
import type { Order } from '../orders/order';
import { engineFixture, line, type Fixture } from '../../test/support/engine-fixture';
import { HEADER } from '../../test/support/test-orders';
import { pdftotext } from '../../test/support/pdf';
import { receiptModel } from '../../protocol/receipts/receipt-model';
import { renderReceiptPdf } from '../receipts/receipt-pdf';
import { textReceipt } from '../../protocol/receipts/text-receipt';
import { businessDayOf, endOfDayReport } from './eod-query';
import { renderEodPdf } from './eod-report';

const at = (iso: string) => Date.parse(iso);
const ids = { storeId: 'S1', deviceId: 'D1', currency: 'CNY', minorUnits: 2 };

describe('local time: receipts and the Z report', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await engineFixture();
  });
  afterEach(() => f.close());

  /** A paid, completed card sale at the instant `iso` (the injected clock). */
  const sellAt = async (iso: string, price: number): Promise<Order> => {
    f.clock.set(at(iso));
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', price) });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: `p-${o.id}`, method: 'card', amount: o.priced.total });
    o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: `p-${o.id}`, amount: o.priced.total });
    return f.engine.dispatch(o.id, { type: 'order_completed' });
  };

  describe('Asia/Shanghai, around midnight UTC', () => {
    const shanghai = { ...HEADER, timeZone: 'Asia/Shanghai' };

    it('prints the local wall time on the receipt, the text receipt and the e-receipt PDF', async () => {
      const late = await sellAt('2026-12-06T15:30:00Z', 1000);
      const early = await sellAt('2026-12-06T16:30:00Z', 700);
      expect(receiptModel(late, shanghai, 'zh-CN').date).toBe('2026-12-06 23:30:00');
      expect(receiptModel(early, shanghai, 'en').date).toBe('2026-12-07 00:30:00');
      expect(textReceipt(early, shanghai)).toContain('2026-12-07 00:30:00');
      expect(textReceipt(early, shanghai)).not.toContain('16:30');
      // the same order in a store in New York reads its own local time
      expect(receiptModel(early, { ...HEADER, timeZone: 'America/New_York' }, 'en').date).toBe('2026-12-06 11:30:00');
      expect(pdftotext(await renderReceiptPdf(receiptModel(early, shanghai, 'en')))).toContain('2026-12-07 00:30:00');
    });

    it('puts 23:30 and 00:30 local on different business days with dayStartHour 0, on the same one with 4', async () => {
      await sellAt('2026-12-06T15:30:00Z', 1000);
      await sellAt('2026-12-06T16:30:00Z', 700);
      const midnight = { timeZone: 'Asia/Shanghai', dayStartHour: 0 };
      const four = { timeZone: 'Asia/Shanghai', dayStartHour: 4 };
      expect(businessDayOf(at('2026-12-06T16:30:00Z'), midnight)).toBe('2026-12-07');
      expect(businessDayOf(at('2026-12-06T16:30:00Z'), four)).toBe('2026-12-06');

      const sixth = await endOfDayReport(f.db, '2026-12-06', { ...ids, ...midnight });
      const seventh = await endOfDayReport(f.db, '2026-12-07', { ...ids, ...midnight });
      expect(sixth.model.sales).toEqual({ count: 1, amount: 1000 });
      expect(seventh.model.sales).toEqual({ count: 1, amount: 700 });
      expect(sixth.model.period).toEqual({
        timeZone: 'Asia/Shanghai',
        dayStartHour: 0,
        from: '2026-12-05T16:00:00.000Z',
        to: '2026-12-06T16:00:00.000Z',
        localFrom: '2026-12-06 00:00',
        localTo: '2026-12-07 00:00',
        hours: 24,
      });

      const both = await endOfDayReport(f.db, '2026-12-06', { ...ids, ...four });
      expect(both.model.sales).toEqual({ count: 2, amount: 1700 });
      expect(both.model.period).toMatchObject({ from: '2026-12-05T20:00:00.000Z', to: '2026-12-06T20:00:00.000Z', localFrom: '2026-12-06 04:00', localTo: '2026-12-07 04:00' });
      expect((await endOfDayReport(f.db, '2026-12-07', { ...ids, ...four })).model.sales).toEqual({ count: 0, amount: 0 });
      // the PDF says which local hours and which zone it covers
      const text = pdftotext(await renderEodPdf({ ...both.model, locale: 'en' })).replace(/\s+/g, ' ');
      expect(text).toContain('2026-12-06 04:00 – 2026-12-07 04:00 Asia/Shanghai (24 h)');
    });
  });

  it('Europe/Berlin: the day the clocks go back is a 25-hour business day, sales and terminal totals by local bounds', async () => {
    const berlin = { timeZone: 'Europe/Berlin', dayStartHour: 0 };
    await sellAt('2026-10-24T21:59:00Z', 100); // 23:59 CEST on the 24th
    await sellAt('2026-10-24T22:30:00Z', 1000); // 00:30 CEST on the 25th
    await sellAt('2026-10-25T00:30:00Z', 2000); // 02:30 CEST, the first of the two 02:30s
    await sellAt('2026-10-25T01:30:00Z', 4000); // 02:30 CET, the second
    await sellAt('2026-10-25T22:30:00Z', 8000); // 23:30 CET on the 25th
    f.clock.set(at('2026-10-25T22:45:00Z'));
    await f.db.transaction((tx) => appendJournal(tx, { deviceId: 'D1', ts: f.clock.now(), orderId: null, type: 'terminal_end_of_day', payload: { amount: 15000 } }));
    await sellAt('2026-10-25T23:00:00Z', 16000); // 00:00 CET on the 26th

    const r = await endOfDayReport(f.db, '2026-10-25', { ...ids, ...berlin });
    expect(r.model.sales).toEqual({ count: 4, amount: 15000 });
    expect(r.model.period).toMatchObject({ from: '2026-10-24T22:00:00.000Z', to: '2026-10-25T23:00:00.000Z', localFrom: '2026-10-25 00:00', localTo: '2026-10-26 00:00', hours: 25 });
    expect(r.model.card).toMatchObject({ local: { count: 4, amount: 15000 }, terminal: { amount: 15000 }, matches: true });
    expect((await endOfDayReport(f.db, '2026-10-24', { ...ids, ...berlin })).model.sales).toEqual({ count: 1, amount: 100 });
    expect((await endOfDayReport(f.db, '2026-10-26', { ...ids, ...berlin })).model.sales).toEqual({ count: 1, amount: 16000 });
    expect(pdftotext(await renderEodPdf({ ...r.model, locale: 'en' })).replace(/\s+/g, ' ')).toContain('2026-10-25 00:00 – 2026-10-26 00:00 Europe/Berlin (25 h)');
  });
});
