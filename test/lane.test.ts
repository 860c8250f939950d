/** A scan, from raw scanner text to what the shopper sees — through the real composition root and SQLite file. */
import fc from 'fast-check';
import * as fs from 'node:fs';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { gtinCheckDigit } from '../runtime/barcodes';
import { SimulatedClock } from '../kernel/clock';
import { verifyJournal } from '../protocol/journal/verify';
import type { PriceItem } from '../runtime/pricing/types';
import { tempDir } from './support/engine-fixture';

describe('lane scanning', () => {
  let dir: string;
  let k: Kiosk;
  let plain: PriceItem;
  let weighed: PriceItem;
  let age: PriceItem;
  beforeAll(async () => {
    dir = tempDir('kiosk-lane-');
    k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir } }), { clock: new SimulatedClock(), confirmCash: async () => true });
    [plain] = await k.catalog.sample('plain', 1);
    [weighed] = await k.catalog.sample('weighed', 1);
    [age] = await k.catalog.sample('age', 1);
  });
  afterAll(async () => {
    await k.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    const open = await k.engine.openOrder();
    if (open && open.state === 'needs_attendant') await k.lane.attendant('reject', 'a1');
    const again = await k.engine.openOrder();
    if (again && ['shopping', 'awaiting_payment', 'needs_attendant', 'idle_prompt'].includes(again.state))
      await k.engine.dispatch(again.id, { type: 'order_cancelled', reason: 'test' });
  });

  it('adds a price-book item, with AIM prefix and CR/LF as a serial scanner sends it', async () => {
    const r = await k.lane.scan(`]E0${plain.barcodes[0]}\r\n`);
    expect(r).toMatchObject({ ok: true, action: 'item_added', item: { sku: plain.sku } });
    if (r.ok && r.action === 'item_added') expect(r.order.priced.total).toBeGreaterThan(0);
  });

  it('an unknown item, a bad check digit and garbled bytes are shopper messages, not crashes', async () => {
    const unknown = await k.lane.scan('4006381333931');
    expect(unknown).toMatchObject({ ok: false, code: 'ITEM_NOT_FOUND' });
    if (!unknown.ok) expect(unknown.message['zh-CN']).toBeTruthy();
    const b = plain.barcodes[0];
    expect(await k.lane.scan(b.slice(0, -1) + String((Number(b.slice(-1)) + 3) % 10))).toMatchObject({ ok: false, code: 'BAD_BARCODE' });
    expect(await k.lane.scan('\x00\x1b[2J\xff\xfe')).toMatchObject({ ok: false, code: 'BAD_BARCODE' });
    expect(await k.lane.scan('')).toMatchObject({ ok: false, code: 'BAD_BARCODE' });
    expect(await k.engine.openOrder()).toBeNull(); // none of it started an order
  });

  it('a weighed item is sold through its scale label (item reference + grams)', async () => {
    // the bare 5-digit item reference (its PLU) sells nothing: the shopper is asked to weigh it
    expect(await k.lane.scan(weighed.barcodes[0])).toMatchObject({ ok: false, code: 'WEIGHT_REQUIRED' });
    const body = `22${weighed.barcodes[0]}01250`;
    const r = await k.lane.scan(body + gtinCheckDigit(body));
    expect(r).toMatchObject({ ok: true, action: 'item_added' });
    if (r.ok && r.action === 'item_added') {
      const l = r.order.priced.lines[0];
      expect(l.weightGrams).toBe(1250);
      expect(l.gross).toBe(Math.round((weighed.unitPrice * 1250) / 1000)); // exact .5 cannot occur at 1250 g
    }
  });

  it('an age-restricted item calls the attendant; further scans wait for the decision', async () => {
    const r = await k.lane.scan(age.barcodes[0]);
    expect(r).toMatchObject({ ok: true, action: 'item_added', needsAttendant: true });
    expect(await k.lane.scan(plain.barcodes[0])).toMatchObject({ ok: false, code: 'NEEDS_ATTENDANT' });
    const o = await k.lane.attendant('approve', 'att-3');
    expect(o.state).toBe('shopping');
    expect(await k.lane.scan(plain.barcodes[0])).toMatchObject({ ok: true, action: 'item_added' });
  });

  it('a member card attaches the member; a payment code is handed on masked', async () => {
    expect(await k.lane.scan('M0000000042')).toMatchObject({ ok: true, action: 'member_attached', memberId: 'M0000000042' });
    const pay = await k.lane.scan('134567890123456789');
    expect(pay).toMatchObject({ ok: true, action: 'payment_code', channel: 'wechat_pay', masked: expect.stringMatching(/^1345\*+6789$/) });
  });

  it('scans while a payment is in progress are refused with "checking your payment"', async () => {
    let o = (await k.lane.scan(plain.barcodes[0])) as { ok: true; action: 'item_added'; order: { id: string } };
    const id = o.order.id;
    await k.engine.dispatch(id, { type: 'checkout_started' });
    const order = await k.engine.get(id);
    await k.engine.dispatch(id, { type: 'payment_started', attemptId: 'x1', method: 'cash', amount: order.priced.total });
    expect(await k.lane.scan(plain.barcodes[0])).toMatchObject({ ok: false, code: 'PAYMENT_UNRESOLVED' });
    await k.engine.dispatch(id, { type: 'payment_declined', attemptId: 'x1', reason: 'test' });
    o = o as never;
  });

  it('random scanner garbage never throws and never breaks the journal (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 60 }), fc.stringMatching(/^[0-9]{6,20}$/), fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a).toString('latin1'))), async (raw) => {
        const r = await k.lane.scan(raw);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
    expect((await verifyJournal(k.db.read)).ok).toBe(true);
  });
});
