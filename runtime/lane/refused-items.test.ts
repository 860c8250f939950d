/**
 * What the lane makes of the data a 2D code carries, on a kiosk booted as the lane composes it (real SQLite, engine,
 * lane, screen session; the store in Asia/Shanghai, the clock at 00:30 local on 2 March = 1 March 16:30 UTC):
 * - a use-by / sell-by / best-before date before the store's today: not added, the attendant is called, the screen
 *   says why (en + zh-CN), the log and the order's journal say which AI, date and GTIN;
 * - a recalled GTIN / lot / serial: not added, attendant called, recall id and reason logged; approving the call does
 *   not sell it; a 1D scan of a GTIN with a lot recall is added but waits for the attendant to check the pack;
 * - weight (310n) and price (392n / 393n) AIs price the line.
 */
import * as fs from 'node:fs';
import { loadConfig } from '../../config/load';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { startScreen, type RunningScreen } from '../../device/screen';
import { tempDir } from '../../test/support/engine-fixture';
import { captureLog } from '../../test/support/capture-log';
import { viewWhen } from '../../test/support/screen-view';
import { SimulatedClock } from '../../kernel/clock';
import { addTestItem, gtin13 } from '../../test/support/test-items';
import type { RecallList } from '../../protocol/recalls/recall-list';
import { replaceRecallList } from '../recalls/recall-store';
import { SHOPPER_MESSAGES } from './messages';

const GS = '\x1d';
const PLAIN = gtin13('690000000001');
const WEIGHED = gtin13('690000000002');
const RECALLED = gtin13('690000000003');
const LOTTED = gtin13('690000000004');
const SERIALED = gtin13('690000000005');
const g14 = (g13: string) => `0${g13}`;

let dir: string;
let kiosk: Kiosk;
let screen: RunningScreen;
let logged: ReturnType<typeof captureLog>;
const errors: unknown[] = [];

const addItem = (sku: string, barcode: string, unitPrice: number, soldByWeight = false) => addTestItem(kiosk.db, { sku, barcode, unitPrice, soldByWeight });

const LIST: RecallList = {
  v: 1,
  recalls: [
    { id: 'RC-1', reason: 'Listeria: supplier notice 2026-02-28', since: 1 },
    { id: 'RC-2', reason: 'Foreign body in lot L42', since: 2 },
    { id: 'RC-3', reason: 'Battery overheats (serial range)', since: 3 },
  ],
  entries: [
    [g14(RECALLED), null, null, 'RC-1'],
    [g14(LOTTED), 'L42', null, 'RC-2'],
    [g14(SERIALED), null, 'SN0001', 'RC-3'],
  ],
};

beforeEach(async () => {
  dir = tempDir('kiosk-refused-');
  const config = loadConfig({ env: {}, overrides: { dataDir: dir, screen: { port: 0 }, timezone: 'Asia/Shanghai' } });
  logged = captureLog();
  kiosk = await bootKiosk(config, { clock: new SimulatedClock(Date.UTC(2026, 2, 1, 16, 30)), log: logged.log, confirmCash: async () => true, onBackgroundError: (e) => errors.push(e) });
  screen = await startScreen(kiosk, { port: 0, onError: (e) => errors.push(e) });
  await addItem('T-PLAIN', PLAIN, 1250);
  await addItem('T-WEIGHED', WEIGHED, 2000, true);
  await addItem('T-RECALLED', RECALLED, 500);
  await addItem('T-LOTTED', LOTTED, 700);
  await addItem('T-SERIALED', SERIALED, 9900);
  await kiosk.db.transaction((tx) => replaceRecallList(tx, 5, LIST, 0, 'test'));
});

afterEach(async () => {
  await screen.close();
  await kiosk.close();
  fs.rmSync(dir, { recursive: true, force: true });
  expect(errors.splice(0)).toEqual([]);
});

async function scan(code: string) {
  const outcome = await kiosk.lane.scan(code);
  screen.session.scanned(outcome, code);
  return outcome;
}

const helpReasons = async () =>
  (await kiosk.db.read.all<{ payload: string }>("SELECT payload FROM journal WHERE type = 'help_requested' ORDER BY seq")).map((r) => (JSON.parse(r.payload) as { event: { reason?: string } }).event.reason);

describe('dates on 2D codes', () => {
  it('a use-by of yesterday (store time) is refused, the attendant called, the screen, log and journal say why', async () => {
    expect(await scan(`]d201${g14(PLAIN)}17260302`)).toMatchObject({ ok: true, action: 'item_added' }); // today: still good
    const outcome = await scan(`]d201${g14(PLAIN)}17260301${'10'}B1`);
    expect(outcome).toMatchObject({ ok: false, code: 'ITEM_EXPIRED', message: SHOPPER_MESSAGES.ITEM_EXPIRED });
    expect(!outcome.ok && outcome.detail).toBe(`date passed: use-by / expiry date (AI 17) 2026-03-01 is before the store's today 2026-03-02 (GTIN ${g14(PLAIN)})`);
    expect(logged.lines.filter((l) => l.code === 'ITEM_EXPIRED')).toEqual([
      expect.objectContaining({ level: 40, ai: '17', date: '2026-03-01', today: '2026-03-02', gtin14: g14(PLAIN), attendantCalled: true }),
    ]);
    const open = (await kiosk.engine.openOrder())!;
    expect(open).toMatchObject({ state: 'needs_attendant', pending: [{ kind: 'help' }] });
    expect(open.lines.map((l) => l.sku)).toEqual(['T-PLAIN']);
    expect(await helpReasons()).toEqual([expect.stringMatching(/AI 17\) 2026-03-01/)]);
    const v = await viewWhen(screen.session, (x) => x.screen === 'attendant_wait', 'the attendant wait screen', 10_000);
    expect(v.message).toEqual({ code: 'ITEM_EXPIRED', text: SHOPPER_MESSAGES.ITEM_EXPIRED });
    expect(v.message!.text['zh-CN']).toMatch(/已过期/);

    // the attendant answers the call: the item is still not sold
    await kiosk.lane.attendant('approve', 'att-1');
    expect((await kiosk.engine.openOrder())!.lines.map((l) => l.sku)).toEqual(['T-PLAIN']);
  });

  it('sell-by (16) and best-before (15) refuse too by default; DD 00 is the end of the month', async () => {
    expect(await scan(`]d201${g14(PLAIN)}16260228`)).toMatchObject({ ok: false, code: 'ITEM_EXPIRED', detail: expect.stringMatching(/sell-by date \(AI 16\) 2026-02-28/) });
    expect(await scan(`]d201${g14(PLAIN)}15260200`)).toMatchObject({ ok: false, code: 'ITEM_EXPIRED', detail: expect.stringMatching(/best-before date \(AI 15\) 2026-02-28/) });
    expect(await scan(`]d201${g14(PLAIN)}15260300`)).toMatchObject({ ok: false, code: 'NEEDS_ATTENDANT' }); // good till 31 March, but the lane waits
  });
});

describe('weight and price AIs', () => {
  it('310n weight prices a weighed item; 392n / 393n prices a line', async () => {
    const w = await scan(`]d201${g14(WEIGHED)}3103001250`);
    expect(w).toMatchObject({ ok: true, action: 'item_added' });
    let lines = (await kiosk.engine.openOrder())!.lines;
    expect(lines[0]).toMatchObject({ sku: 'T-WEIGHED', weightGrams: 1250 });
    expect((await kiosk.engine.openOrder())!.priced.subtotal).toBe(2500); // 1.250 kg × 20.00 / kg

    await scan(`]Q3${'01'}${g14(PLAIN)}3922899${GS}10ABC`);
    await scan(`]d201${g14(PLAIN)}39321561234`); // 12.34 in CNY (ISO 4217 156)
    lines = (await kiosk.engine.openOrder())!.lines;
    expect(lines.map((l) => [l.sku, l.embeddedPrice])).toEqual([
      ['T-WEIGHED', null],
      ['T-PLAIN', 899],
      ['T-PLAIN', 1234],
    ]);
    expect((await kiosk.engine.openOrder())!.priced.subtotal).toBe(2500 + 899 + 1234);
  });
});

describe('the recall list at the lane', () => {
  it('a recalled GTIN is stopped whatever the code; approving the call does not sell it', async () => {
    const outcome = await scan(RECALLED);
    expect(outcome).toMatchObject({ ok: false, code: 'ITEM_RECALLED', message: SHOPPER_MESSAGES.ITEM_RECALLED });
    expect(!outcome.ok && outcome.detail).toBe(`recalled: GTIN ${g14(RECALLED)} is under recall RC-1: Listeria: supplier notice 2026-02-28`);
    expect(logged.lines.filter((l) => l.code === 'ITEM_RECALLED')).toEqual([expect.objectContaining({ level: 40, gtin14: g14(RECALLED), attendantCalled: true, recall: expect.objectContaining({ recallId: 'RC-1' }) })]);
    const v = await viewWhen(screen.session, (x) => x.screen === 'attendant_wait', 'the attendant wait screen', 10_000);
    expect(v.message).toEqual({ code: 'ITEM_RECALLED', text: SHOPPER_MESSAGES.ITEM_RECALLED });
    await kiosk.lane.attendant('approve', 'att-1');
    expect((await kiosk.engine.openOrder())!.lines).toEqual([]);
    // scanned again (and as a 2D code with a lot): stopped again
    expect(await scan(`]d201${g14(RECALLED)}10ANY`)).toMatchObject({ ok: false, code: 'ITEM_RECALLED' });
    expect(await helpReasons()).toEqual([expect.stringMatching(/recall RC-1/), expect.stringMatching(/recall RC-1/)]);
  });

  it('a lot recall stops that lot, not another; a 1D scan is added but waits for the attendant to check the pack', async () => {
    expect(await scan(`]d201${g14(LOTTED)}10L43`)).toMatchObject({ ok: true, action: 'item_added', needsAttendant: false });
    expect(await scan(`]d201${g14(LOTTED)}10L42`)).toMatchObject({ ok: false, code: 'ITEM_RECALLED', detail: expect.stringMatching(/lot L42 is under recall RC-2: Foreign body/) });
    await kiosk.lane.attendant('reject', 'att-1');
    // the same lot in a GS1 Digital Link QR code (the consumer-pack format): stopped too
    expect(await scan(`]Q1https://id.gs1.org/01/${g14(LOTTED)}/10/L42`)).toMatchObject({ ok: false, code: 'ITEM_RECALLED', detail: expect.stringMatching(/RC-2/) });
    await kiosk.lane.attendant('reject', 'att-1');

    const oneD = await scan(LOTTED);
    expect(oneD).toMatchObject({ ok: true, action: 'item_added', needsAttendant: true, notice: { code: 'ITEM_LOT_CHECK', message: SHOPPER_MESSAGES.ITEM_LOT_CHECK } });
    const open = (await kiosk.engine.openOrder())!;
    expect(open).toMatchObject({ state: 'needs_attendant', pending: [{ kind: 'help' }] });
    expect(open.lines.map((l) => [l.sku, l.quantity])).toEqual([['T-LOTTED', 2]]); // merged with the L43 unit
    expect(logged.lines.filter((l) => l.code === 'ITEM_LOT_CHECK')).toEqual([expect.objectContaining({ sku: 'T-LOTTED', attendantCalled: true })]);
    const v = await viewWhen(screen.session, (x) => x.message?.code === 'ITEM_LOT_CHECK', 'the lot check message', 10_000);
    expect(v.message!.text).toEqual(SHOPPER_MESSAGES.ITEM_LOT_CHECK);
    // checkout waits for the attendant's answer
    await expect(kiosk.engine.dispatch(open.id, { type: 'checkout_started' })).rejects.toThrow();
  });

  it('a serial recall stops that serial only', async () => {
    expect(await scan(`]d201${g14(SERIALED)}21SN0002`)).toMatchObject({ ok: true, action: 'item_added' });
    expect(await scan(`]d201${g14(SERIALED)}21SN0001`)).toMatchObject({ ok: false, code: 'ITEM_RECALLED', detail: expect.stringMatching(/serial SN0001 is under recall RC-3/) });
  });
});
