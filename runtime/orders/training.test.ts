import { verifyJournal } from '../../protocol/journal/verify';
import { engineFixture, line, type Fixture } from '../../test/support/engine-fixture';
import { textReceipt } from '../../protocol/receipts/text-receipt';
import { extractText } from '../../test/support/pdf';
import { renderReceiptPdf } from '../receipts/receipt-pdf';
import { receiptBlocks } from '../receipts/receipt-blocks';
import { receiptModel, TRAINING_BANNER } from '../../protocol/receipts/receipt-model';
import { businessDayOf, endOfDayReport } from '../reports/eod-query';
import type { Order } from './order';

const HEADER = { storeName: 'Test store', storeId: 's1', deviceId: 'd1', currency: 'CNY', minorUnits: 2, locale: 'en', timeZone: 'UTC' };
const UTC = { timeZone: 'UTC', dayStartHour: 0 };

describe('training mode (order engine)', () => {
  let f: Fixture;
  beforeEach(async () => {
    f = await engineFixture();
  });
  afterEach(() => f.close());

  const sell = async (price: number, member?: string): Promise<Order> => {
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', price) });
    if (member) o = await f.engine.dispatch(o.id, { type: 'member_attached', memberId: member });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: `p-${o.id}`, method: 'card', amount: o.priced.total });
    o = await f.engine.dispatch(o.id, { type: 'payment_approved', attemptId: `p-${o.id}`, amount: o.priced.total });
    return f.engine.dispatch(o.id, { type: 'order_completed' });
  };

  const entriesOf = (orderId: string) =>
    f.db.read.all<{ type: string; payload: string }>('SELECT type, payload FROM journal WHERE order_id = ? ORDER BY seq', [orderId]);

  it('marks every journal entry of a training order, keeps it out of the fiscal receipt series, and the chain verifies', async () => {
    const real1 = await sell(1000, 'M1');
    f.engine.setTraining(true);
    const t1 = await sell(500, 'M1');
    const t2 = await sell(700);
    f.engine.setTraining(false);
    const real2 = await sell(300);

    expect(real1).toMatchObject({ receiptNo: 1 });
    expect(real1.training).toBeUndefined();
    // the real sale after training sales gets the next fiscal number: no gap, no number taken by training
    expect(real2).toMatchObject({ receiptNo: 2 });
    expect(t1).toMatchObject({ training: true, receiptNo: null, trainingNo: 1, pointsEarned: 0 });
    expect(t2).toMatchObject({ training: true, receiptNo: null, trainingNo: 2 });
    const counters = await f.db.read.all<{ name: string; value: number }>('SELECT name, value FROM counters ORDER BY name');
    expect(counters).toEqual([
      { name: 'receipt', value: 2 },
      { name: 'training_receipt', value: 2 },
    ]);
    // the training order's member earned no points (only the real sale's 10)
    expect(await f.db.read.get('SELECT points FROM members WHERE id = ?', ['M1'])).toEqual({ points: 10 });

    const t1Entries = await entriesOf(t1.id);
    expect(t1Entries.length).toBeGreaterThan(4);
    for (const e of t1Entries) expect(JSON.parse(e.payload)).toMatchObject({ training: true });
    const done = JSON.parse(t1Entries.find((e) => e.type === 'order_completed')!.payload) as { order: Order };
    expect(done.order).toMatchObject({ training: true, trainingNo: 1 });
    // a real order's entries are as before: no training field at all
    for (const e of await entriesOf(real2.id)) expect(JSON.parse(e.payload)).not.toHaveProperty('training');
    expect(await verifyJournal(f.db.read)).toMatchObject({ ok: true });
  });

  it('excludes training orders from the Z report and counts them apart', async () => {
    await sell(1000);
    f.engine.setTraining(true);
    await sell(500);
    const cancelled = await f.engine.dispatch(null, { type: 'item_added', line: line('B', 5) });
    await f.engine.dispatch(cancelled.id, { type: 'order_cancelled', reason: 'trainee left' });
    const r = await endOfDayReport(f.db, businessDayOf(f.clock.now(), UTC), { storeId: 's1', deviceId: 'd1', ...UTC });
    expect(r.model).toMatchObject({
      sales: { count: 1, amount: 1000 },
      net: 1000,
      cancelledCount: 0,
      trainingCount: 2,
      payments: { attempts: 1, approved: 1 },
      card: { local: { count: 1, amount: 1000 } },
    });
    expect(r.model.byMethod).toEqual([expect.objectContaining({ method: 'card', count: 1, amount: 1000 })]);
  });

  it('prints "TRAINING — NOT A RECEIPT" at the head and foot of a training receipt, with its own T number', async () => {
    f.engine.setTraining(true);
    const t = await sell(500);
    const text = textReceipt(t, HEADER);
    const lines = text.split('\n').map((l) => l.trim());
    expect(lines[0]).toBe(TRAINING_BANNER);
    expect(lines[lines.length - 2]).toBe(TRAINING_BANNER);
    expect(text).toContain('No. T000001');
    const blocks = receiptBlocks(receiptModel(t, HEADER, 'zh-CN'), { reprint: 1 });
    const texts = blocks.flatMap((b) => (b.kind === 'text' ? [b.text] : []));
    const banners = blocks.filter((b) => b.kind === 'text' && b.text === TRAINING_BANNER);
    expect(banners).toHaveLength(2);
    expect(banners.every((b) => b.kind === 'text' && b.bold === true && b.size === undefined)).toBe(true);
    // the reprint marker still sits right under the receipt number line
    const at = texts.findIndex((x) => x.startsWith('单号 T000001'));
    expect(texts[at + 1]).toBe('*** REPRINT 1 ***');
    // the e-receipt PDF: the banner first and last of its text, and in its title
    const pdfText = extractText(await renderReceiptPdf(receiptModel(t, HEADER, 'en'), { compress: false }));
    expect(pdfText[0]).toBe(TRAINING_BANNER);
    expect(pdfText.filter((x) => x === TRAINING_BANNER)).toHaveLength(2);
    f.engine.setTraining(false);
    const real = await sell(500);
    expect(textReceipt(real, HEADER)).not.toContain('TRAINING');
    expect(extractText(await renderReceiptPdf(receiptModel(real, HEADER, 'en'), { compress: false }))).not.toContain(TRAINING_BANNER);
  });
});
