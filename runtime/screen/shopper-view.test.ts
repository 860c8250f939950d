/**
 * What the shopper's screen says (the ScreenView built by ScreenSession), on a kiosk booted without devices as the
 * lane composes it (device/screen.ts): real SQLite in a temp dir, the real engine, lane and checkout, a simulated
 * clock. Covers issue 10 point 12's view-model defects: the price of a line awaiting its age check, the language
 * of the next shopper, "declined" only for a real decline, "item not found" calling the attendant, a bare PLU scan.
 */
import * as fs from 'node:fs';
import type { ScreenView } from '../../protocol/screen';
import { loadConfig } from '../../config/load';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { startScreen, type RunningScreen } from '../../device/screen';
import { tempDir } from '../../test/support/engine-fixture';
import { viewWhen as sharedViewWhen } from '../../test/support/screen-view';
import { SimulatedClock } from '../../kernel/clock';
import type { ScreenSession } from './screen-session';

const START = Date.UTC(2026, 2, 2, 10, 0, 0);
/** Only a guard against hanging: nothing is timed. */
const GUARD_MS = 10_000;

let dir: string;
let kiosk: Kiosk;
let screen: RunningScreen;
let session: ScreenSession;
let clock: SimulatedClock;
const errors: unknown[] = [];

beforeEach(async () => {
  dir = tempDir('kiosk-shopper-view-');
  const config = loadConfig({ env: {}, overrides: { dataDir: dir, screen: { port: 0 } } });
  expect(config.locales.default).toBe('zh-CN');
  clock = new SimulatedClock(START);
  kiosk = await bootKiosk(config, { clock, confirmCash: async () => true, onBackgroundError: (e) => errors.push(e) });
  screen = await startScreen(kiosk, { port: 0, onError: (e) => errors.push(e) });
  session = screen.session;
});

afterEach(async () => {
  await screen.close();
  await kiosk.close();
  fs.rmSync(dir, { recursive: true, force: true });
  expect(errors.splice(0)).toEqual([]);
});

const viewWhen = (pred: (v: ScreenView) => boolean, what: string): Promise<ScreenView> => sharedViewWhen(session, pred, what, GUARD_MS);

/** A scan as the scanner feed delivers it: the lane's outcome handed to the screen. */
async function scan(code: string) {
  const outcome = await kiosk.lane.scan(code);
  session.scanned(outcome, code);
  return outcome;
}

/** Lets the screen's background help call (two engine round trips) finish before looking. */
async function settle() {
  for (let i = 0; i < 5; i++) {
    await kiosk.engine.openOrder();
    await new Promise((r) => setImmediate(r));
  }
}

async function oneItemAwaitingPayment(): Promise<string> {
  const [item] = await kiosk.catalog.sample('plain', 1);
  await scan(item.barcodes[0]);
  const o = (await kiosk.engine.openOrder())!;
  await session.command({ kind: 'checkout' });
  return o.id;
}

describe('shopper view', () => {
  it('a line waiting for its age check shows its real price (not 0.00), though it is not billed until approved', async () => {
    const [plain] = await kiosk.catalog.sample('plain', 1);
    const [age] = await kiosk.catalog.sample('age', 1);
    await scan(plain.barcodes[0]);
    await scan(age.barcodes[0]);
    const v = await viewWhen((x) => x.screen === 'attendant_wait', 'the age check');
    const line = v.order!.lines.find((l) => !l.approved)!;
    expect(line.ageLimit).toBe(age.ageLimit);
    expect(line.gross).toBe(age.unitPrice);
    expect(line.net).toBe(age.unitPrice);
    expect(age.unitPrice).toBeGreaterThan(0);
    // the total still counts only what is approved
    expect(v.order!.total).toBe(plain.unitPrice);
  });

  it('the next shopper starts in the store default language: after the receipt, after a cancel, after the idle return', async () => {
    // 1. a completed sale (cash) in English, receipt "none", done → welcome in zh-CN
    await session.command({ kind: 'language', lang: 'en' });
    const id = await oneItemAwaitingPayment();
    expect(session.view().lang).toBe('en');
    await session.command({ kind: 'pay', method: 'cash' });
    await viewWhen((x) => x.screen === 'receipt_choice', 'the receipt choice');
    expect((await kiosk.engine.get(id)).state).toBe('completed');
    expect(session.view().lang).toBe('en'); // the shopper who paid keeps their language to the end
    await session.command({ kind: 'receipt', choice: 'none' });
    await session.command({ kind: 'done' });
    expect(session.view()).toMatchObject({ screen: 'welcome', lang: 'zh-CN' });

    // 2. an order cancelled by the attendant path (engine) while in English
    await session.command({ kind: 'language', lang: 'en' });
    const [item] = await kiosk.catalog.sample('plain', 1);
    await scan(item.barcodes[0]);
    const open = (await kiosk.engine.openOrder())!;
    await kiosk.engine.dispatch(open.id, { type: 'order_cancelled', reason: 'test', attendantId: 'att-1' });
    expect(session.view()).toMatchObject({ screen: 'welcome', lang: 'zh-CN' });

    // 3. a shopper who tapped Start and English, then walked away: back to welcome in zh-CN
    await session.command({ kind: 'start' });
    await session.command({ kind: 'language', lang: 'en' });
    expect(session.view()).toMatchObject({ screen: 'scanning', lang: 'en' });
    clock.advance(kiosk.config.timeouts.idlePromptMs + 1);
    expect(session.view()).toMatchObject({ screen: 'welcome', lang: 'zh-CN' });

    // 4. English picked on the welcome screen, nothing else: the welcome screen returns to zh-CN after the same time
    await session.command({ kind: 'language', lang: 'en' });
    clock.advance(kiosk.config.timeouts.idlePromptMs - 1);
    expect(session.view()).toMatchObject({ screen: 'welcome', lang: 'en' });
    clock.advance(2);
    expect(session.view()).toMatchObject({ screen: 'welcome', lang: 'zh-CN' });
  });

  it('"declined" only when the terminal declined: a payment settled as not charged after a disconnect says nothing was charged', async () => {
    const id = await oneItemAwaitingPayment();
    const due = (await kiosk.engine.get(id)).priced.total;
    // the card attempt reached the terminal, then the terminal was unplugged: in doubt, then recovery learns it never ran
    await kiosk.engine.dispatch(id, { type: 'payment_started', attemptId: 'a1', method: 'card', amount: due });
    await kiosk.engine.dispatch(id, { type: 'payment_sent', attemptId: 'a1' });
    await kiosk.engine.dispatch(id, { type: 'payment_timed_out', attemptId: 'a1' });
    expect(session.view().screen).toBe('checking_payment');
    await kiosk.engine.dispatch(id, { type: 'payment_resolved', attemptId: 'a1', outcome: 'declined', by: 'system' });
    let v = session.view();
    expect(v.screen).toBe('payment_method');
    expect(v.message?.code).toBe('NOT_CHARGED');
    expect(v.message?.text.en).toMatch(/nothing was charged/);
    expect(v.message?.text.en).not.toMatch(/declined/i);

    // never sent (the terminal was not ready): nothing charged either
    await kiosk.engine.dispatch(id, { type: 'payment_started', attemptId: 'a2', method: 'card', amount: due });
    await kiosk.engine.dispatch(id, { type: 'payment_declined', attemptId: 'a2', reason: 'card not ready: terminal offline', notSent: true });
    expect(session.view().message?.code).toBe('NOT_CHARGED');

    // the attendant marks an in-doubt payment "not paid": nothing charged
    await kiosk.engine.dispatch(id, { type: 'payment_started', attemptId: 'a3', method: 'card', amount: due });
    await kiosk.engine.dispatch(id, { type: 'payment_sent', attemptId: 'a3' });
    await kiosk.engine.dispatch(id, { type: 'payment_timed_out', attemptId: 'a3' });
    await kiosk.engine.dispatch(id, { type: 'payment_resolved', attemptId: 'a3', outcome: 'declined', by: 'attendant', attendantId: 'att-1' });
    expect(session.view().message?.code).toBe('NOT_CHARGED');

    // the terminal itself declined the card: that is "declined"
    await kiosk.engine.dispatch(id, { type: 'payment_started', attemptId: 'a4', method: 'card', amount: due });
    await kiosk.engine.dispatch(id, { type: 'payment_sent', attemptId: 'a4' });
    await kiosk.engine.dispatch(id, { type: 'payment_declined', attemptId: 'a4', reason: 'declined (result code 5)' });
    v = session.view();
    expect(v.message?.code).toBe('DECLINED');
    expect(v.message?.text.en).toMatch(/declined/i);
  });

  it('"item not found, please see an attendant" calls one: the order waits for the attendant with a help request', async () => {
    await session.command({ kind: 'start' });
    const outcome = await scan('4006381333931');
    expect(outcome).toMatchObject({ ok: false, code: 'ITEM_NOT_FOUND' });
    const v = await viewWhen((x) => x.screen === 'attendant_wait', 'the help call');
    expect(v.message?.code).toBe('ITEM_NOT_FOUND');
    expect(v.order!.pending).toEqual([{ kind: 'help' }]);
    expect((await kiosk.engine.openOrder())!.state).toBe('needs_attendant');
    // a second unknown item does not stack a second request
    await scan('4006381333931');
    await settle();
    expect((await kiosk.engine.openOrder())!.pending).toEqual([{ kind: 'help' }]);
  });

  it('an unknown item during a running payment keeps the message but does not interrupt the payment', async () => {
    const id = await oneItemAwaitingPayment();
    const due = (await kiosk.engine.get(id)).priced.total;
    await kiosk.engine.dispatch(id, { type: 'payment_started', attemptId: 'p1', method: 'card', amount: due });
    await scan('4006381333931');
    await settle();
    expect((await kiosk.engine.get(id)).state).toBe('payment_pending');
    expect(session.view().message?.code).toBe('ITEM_NOT_FOUND');
  });

  it('a bare PLU of a weighed item (its shelf code, not the scale label) asks the shopper to weigh it', async () => {
    const [weighed] = await kiosk.catalog.sample('weighed', 1);
    const plu = weighed.barcodes.find((b) => /^\d{4,5}$/.test(b))!;
    expect(plu).toBeDefined();
    const outcome = await scan(plu);
    expect(outcome).toMatchObject({ ok: false, code: 'WEIGHT_REQUIRED' });
    expect(session.view().message).toMatchObject({ code: 'WEIGHT_REQUIRED' });
    expect(session.view().message!.text.en).toMatch(/weigh this item/);
    expect(await kiosk.engine.openOrder()).toBeNull();
    // a 4-5 digit code that is nobody's PLU is still "couldn't read"
    expect(await kiosk.lane.scan('99999')).toMatchObject({ ok: false, code: 'BAD_BARCODE' });
  });
});
