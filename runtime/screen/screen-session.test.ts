/**
 * The shopper's screen state (ScreenSession) on a kiosk booted without devices, composed exactly as the lane runs
 * it (`startScreen` from device/screen.ts): a real SQLite file in a temp dir, the real engine, lane, checkout,
 * refunds and attendant gate, and a SimulatedClock for every timer. Restarts boot a second kiosk on the same folder.
 */
import * as fs from 'node:fs';
import type { ScreenCommand, ScreenView } from '../../protocol/screen';
import { loadConfig } from '../../config/load';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { startScreen, type RunningScreen } from '../../device/screen';
import { tempDir } from '../../test/support/engine-fixture';
import { viewWhen as sharedViewWhen } from '../../test/support/screen-view';
import { waitFor } from '../../test/support/wait';
import { SimulatedClock } from '../../kernel/clock';
import type { PriceItem } from '../pricing/types';
import { setLaneOpen } from '../lane/lane-control';
import { hashPin } from './pin';
import { ScreenCommandError, type ScreenSession } from './screen-session';

const PIN = '2468';
const WRONG_PIN = '1111';
const ATTENDANT = 'att-7';
const LOCKOUT_MS = 60_000;
const START = Date.UTC(2026, 2, 2, 10, 0, 0);
/** Upper bound for waiting on background work (a payment run): only a guard against hanging, nothing is timed. */
const GUARD_MS = 10_000;

interface RunningLane {
  dir: string;
  clock: SimulatedClock;
  kiosk: Kiosk;
  screen: RunningScreen;
  session: ScreenSession;
  errors: unknown[];
}

let pinHash: string;
let badgeHash: string;
const running: RunningLane[] = [];
const dirs: string[] = [];
const errors: unknown[] = [];

beforeAll(async () => {
  pinHash = await hashPin(PIN, { N: 1024, r: 8, p: 1 });
  badgeHash = await hashPin('ATT1234', { N: 1024, r: 8, p: 1 });
});

/** Boots a kiosk on `dir` (new temp dir unless given) and starts its screen as device/screen.ts composes it. */
async function boot(dir?: string, clock = new SimulatedClock(START)): Promise<RunningLane> {
  const d = dir ?? tempDir('kiosk-screen-session-');
  if (!dirs.includes(d)) dirs.push(d);
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: d,
      screen: { port: 0 },
      attendant: { pins: [{ attendantId: ATTENDANT, hash: pinHash }], badges: [{ attendantId: 'att-badge', hash: badgeHash }], maxPinAttempts: 3, lockoutMs: LOCKOUT_MS, badgePattern: '^ATT\\d{4}$' },
    },
  });
  const kiosk = await bootKiosk(config, { clock, confirmCash: async () => true, onBackgroundError: (e) => errors.push(e) });
  let screen: RunningScreen;
  try {
    screen = await startScreen(kiosk, { port: 0, onError: (e) => errors.push(e) });
  } catch (e) {
    await kiosk.close();
    throw e;
  }
  const lane: RunningLane = { dir: d, clock, kiosk, screen, session: screen.session, errors };
  running.push(lane);
  return lane;
}

/** Closes the screen and the kiosk (as a shutdown before a restart does). */
async function shutdown(lane: RunningLane): Promise<void> {
  const i = running.indexOf(lane);
  if (i >= 0) running.splice(i, 1);
  await lane.screen.close();
  await lane.kiosk.close();
}

afterEach(async () => {
  for (const lane of running.splice(0).reverse()) {
    await lane.screen.close();
    await lane.kiosk.close();
  }
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  const seen = errors.splice(0);
  expect(seen).toEqual([]); // no background errors (payment runs, completion, timers)
});

const viewWhen = (session: ScreenSession, pred: (v: ScreenView) => boolean, what: string): Promise<ScreenView> => sharedViewWhen(session, pred, what, GUARD_MS);

/** What must survive a restart: the screen, the order, its lines (names, quantities) and total. */
function essentials(v: ScreenView) {
  return {
    screen: v.screen,
    orderId: v.order?.id ?? null,
    state: v.order?.state ?? null,
    lines: (v.order?.lines ?? []).map((l) => ({ lineId: l.lineId, name: l.name, quantity: l.quantity, approved: l.approved })),
    pending: v.order?.pending ?? [],
    subtotal: v.order?.subtotal ?? null,
    discountTotal: v.order?.discountTotal ?? null,
    total: v.order?.total ?? null,
  };
}

async function scanItem(kiosk: Kiosk, item: PriceItem): Promise<void> {
  const r = await kiosk.lane.scan(item.barcodes[0]);
  if (!r.ok || r.action !== 'item_added') throw new Error(`scan ${item.sku}: ${JSON.stringify(r).slice(0, 500)}`);
}

async function login(session: ScreenSession): Promise<void> {
  await session.command({ kind: 'attendant_open' });
  await session.command({ kind: 'attendant_pin', pin: PIN });
  expect(session.view().attendant).toMatchObject({ active: true, attendantId: ATTENDANT });
}

async function lastJournal<T>(kiosk: Kiosk, type: string): Promise<T> {
  const row = await kiosk.db.read.get<{ payload: string }>('SELECT payload FROM journal WHERE type = ? ORDER BY seq DESC LIMIT 1', [type]);
  if (!row) throw new Error(`no ${type} journal row`);
  return JSON.parse(row.payload) as T;
}

describe('ScreenSession', () => {
  describe('a kiosk restart restores the screen', () => {
    it('scanning: the same order, lines (a repeated item as quantity 2), names and total', async () => {
      const a = await boot();
      const items = await a.kiosk.catalog.sample('plain', 3);
      expect(items).toHaveLength(3);
      await scanItem(a.kiosk, items[0]);
      await scanItem(a.kiosk, items[1]);
      await scanItem(a.kiosk, items[1]);
      await scanItem(a.kiosk, items[2]);
      const before = a.session.view();
      expect(before.screen).toBe('scanning');
      expect(before.order!.lines.map((l) => [l.name, l.quantity])).toEqual([
        [items[0].names, 1],
        [items[1].names, 2],
        [items[2].names, 1],
      ]);
      // the starter promotions apply: the gross is the shelf prices, the total what is left after discounts
      expect(before.order!.lines.reduce((s, l) => s + l.gross, 0)).toBe(items[0].unitPrice + 2 * items[1].unitPrice + items[2].unitPrice);
      expect(before.order!.total).toBe(before.order!.lines.reduce((s, l) => s + l.net, 0));
      expect(before.order!.total).toBeGreaterThan(0);
      await shutdown(a);

      const b = await boot(a.dir);
      const after = b.session.view();
      expect(essentials(after)).toEqual(essentials(before));
      expect(after.screen).toBe('scanning');
      // and the restored order goes on: the next scan adds to it
      await scanItem(b.kiosk, items[0]);
      const more = b.session.view();
      expect(more.order!.id).toBe(before.order!.id);
      expect(more.order!.lines[0].quantity).toBe(2);
    });

    it('awaiting_payment: back on the payment method screen with the same order', async () => {
      const a = await boot();
      const [item] = await a.kiosk.catalog.sample('plain', 1);
      await scanItem(a.kiosk, item);
      await a.session.command({ kind: 'checkout' });
      const before = a.session.view();
      expect(before.screen).toBe('payment_method');
      expect(before.order!.state).toBe('awaiting_payment');
      await shutdown(a);

      const b = await boot(a.dir);
      const after = b.session.view();
      expect(after.screen).toBe('payment_method');
      expect(essentials(after)).toEqual(essentials(before));
      expect(after.methods).toContain('cash');
    });

    it('needs_attendant (age-restricted item): back on the attendant wait screen with the check pending', async () => {
      const a = await boot();
      const [age] = await a.kiosk.catalog.sample('age', 1);
      expect(age.ageLimit).not.toBeNull();
      await scanItem(a.kiosk, age);
      const before = a.session.view();
      expect(before.screen).toBe('attendant_wait');
      expect(before.order!.pending).toEqual([expect.objectContaining({ kind: 'age_check' })]);
      await shutdown(a);

      const b = await boot(a.dir);
      const after = b.session.view();
      expect(after.screen).toBe('attendant_wait');
      expect(essentials(after)).toEqual(essentials(before));
      expect(after.order!.lines[0].approved).toBe(false);
    });
  });

  it('a lane closed by the attendant stays closed across a restart, and reopens journaled', async () => {
    const a = await boot();
    const [item] = await a.kiosk.catalog.sample('plain', 1);
    await expect(a.session.command({ kind: 'attendant_lane', open: false })).rejects.toThrow(ScreenCommandError); // not logged in
    expect(a.session.view().laneClosed).toBeNull();
    await login(a.session);
    await a.session.command({ kind: 'attendant_lane', open: false });
    const closed = a.session.view();
    expect(closed.laneClosed).not.toBeNull();
    expect(closed.laneClosed!.reason).toContain(ATTENDANT);
    expect(closed.screen).toBe('lane_closed');
    expect(await lastJournal<{ attendantId: string }>(a.kiosk, 'lane_closed')).toMatchObject({ attendantId: ATTENDANT });
    await shutdown(a);

    const b = await boot(a.dir);
    const v = b.session.view();
    expect(v.screen).toBe('lane_closed');
    expect(v.laneClosed).toEqual(closed.laneClosed);
    expect(await b.kiosk.lane.scan(item.barcodes[0])).toMatchObject({ ok: false, code: 'LANE_CLOSED' });
    expect(await b.kiosk.engine.openOrder()).toBeNull();

    await login(b.session);
    await b.session.command({ kind: 'attendant_lane', open: true });
    expect(await lastJournal<{ attendantId: string }>(b.kiosk, 'lane_opened')).toMatchObject({ attendantId: ATTENDANT });
    await b.session.command({ kind: 'attendant_close' });
    const open = b.session.view();
    expect(open.laneClosed).toBeNull();
    expect(open.screen).toBe('welcome');
    expect(await b.kiosk.lane.scan(item.barcodes[0])).toMatchObject({ ok: true, action: 'item_added' });
  });

  it('a lane closed by HQ reaches the screen at once (no command from the screen needed), with the reason', async () => {
    const { kiosk, session } = await boot();
    const views: ScreenView[] = [];
    session.on('view', (v) => views.push(v));
    await setLaneOpen(kiosk.db, kiosk.lane, { open: false, reason: 'stocktake', actor: { by: 'hq' } }, { clock: kiosk.clock, deviceId: kiosk.config.device.deviceId });
    expect(views.at(-1)).toMatchObject({ screen: 'lane_closed', laneClosed: { reason: 'stocktake' } });
    expect(await lastJournal<{ by: string; reason: string }>(kiosk, 'lane_closed')).toMatchObject({ by: 'hq', reason: 'stocktake' });
    await setLaneOpen(kiosk.db, kiosk.lane, { open: true, actor: { by: 'hq' } }, { clock: kiosk.clock, deviceId: kiosk.config.device.deviceId });
    expect(views.at(-1)).toMatchObject({ screen: 'welcome', laneClosed: null });
  });

  describe('attendant badge', () => {
    it('an enrolled badge opens attendant mode as its enrolled attendant id (never the badge code)', async () => {
      const { kiosk, session } = await boot();
      const outcome = await kiosk.lane.scan('ATT1234');
      expect(outcome.ok).toBe(false);
      session.scanned(outcome, 'ATT1234');
      const v = await viewWhen(session, (x) => x.attendant.active, 'attendant mode open');
      expect(v.attendant).toMatchObject({ active: true, attendantId: 'att-badge', pinPad: false, error: null, via: 'badge' });
      expect(v.message).toBeNull();
      // the enrolled id is the one journaled for the attendant's actions
      await session.command({ kind: 'attendant_lane', open: false });
      expect(await lastJournal<{ attendantId: string }>(kiosk, 'lane_closed')).toMatchObject({ attendantId: 'att-badge' });
    });

    it('a badge-shaped code that is not enrolled opens nothing: refused on screen and journaled with the cause', async () => {
      const { kiosk, session } = await boot();
      const outcome = await kiosk.lane.scan('ATT9999');
      session.scanned(outcome, 'ATT9999');
      const v = await viewWhen(session, (x) => x.message?.code === 'BADGE_REFUSED', 'badge refused');
      expect(v.attendant).toMatchObject({ active: false, attendantId: null });
      await waitFor('refusal journaled', async () => (await kiosk.db.read.get("SELECT 1 FROM journal WHERE type = 'attendant_refused'")) !== undefined, GUARD_MS);
      const refusal = await kiosk.db.read.get<{ payload: string }>("SELECT payload FROM journal WHERE type = 'attendant_refused'");
      expect(JSON.parse(refusal!.payload)).toEqual({ cause: 'unknown_badge', attendantId: null, command: 'badge', suppressed: 0 });
      expect(refusal!.payload).not.toContain('ATT9999');
      await expect(session.command({ kind: 'attendant_cancel_order' })).rejects.toThrow(/not_authorised/);
    });

    it.each(['ATT12345', 'XATT1234', 'ATT123'])('an unknown code that is not a badge (%s) is a shopper message; attendant mode stays closed', async (raw) => {
      const { kiosk, session } = await boot();
      const outcome = await kiosk.lane.scan(raw);
      expect(outcome.ok).toBe(false);
      session.scanned(outcome, raw);
      const v = session.view();
      expect(v.attendant.active).toBe(false);
      expect(v.attendant.attendantId).toBeNull();
      if (outcome.ok) throw new Error('unreachable');
      expect(v.message).toEqual({ code: outcome.code, text: outcome.message });
      await expect(session.command({ kind: 'attendant_cancel_order' })).rejects.toThrow(/attendant mode is not open/);
    });
  });

  it('PIN lockout: maxPinAttempts wrong PINs lock the keypad until lockoutMs has passed on the clock', async () => {
    const { clock, session } = await boot();
    await session.command({ kind: 'attendant_open' });
    for (let i = 1; i <= 2; i++) {
      await expect(session.command({ kind: 'attendant_pin', pin: WRONG_PIN })).rejects.toThrow(ScreenCommandError);
      expect(session.view().attendant).toMatchObject({ active: false, pinPad: true, error: 'wrong_pin', lockedUntil: null });
    }
    const lockedAt = clock.now();
    const third = session.command({ kind: 'attendant_pin', pin: WRONG_PIN });
    await expect(third).rejects.toThrow(ScreenCommandError);
    await expect(third).rejects.toThrow('keypad locked');
    expect(session.view().attendant).toMatchObject({ active: false, error: 'locked', lockedUntil: lockedAt + LOCKOUT_MS });

    // the right PIN is refused while locked
    await expect(session.command({ kind: 'attendant_pin', pin: PIN })).rejects.toThrow('keypad locked');
    expect(session.view().attendant).toMatchObject({ active: false, attendantId: null, lockedUntil: lockedAt + LOCKOUT_MS });

    clock.advance(LOCKOUT_MS - 1);
    await expect(session.command({ kind: 'attendant_pin', pin: PIN })).rejects.toThrow('keypad locked');
    clock.advance(1);
    expect(session.view().attendant.lockedUntil).toBeNull();
    await session.command({ kind: 'attendant_pin', pin: PIN });
    expect(session.view().attendant).toMatchObject({ active: true, attendantId: ATTENDANT, error: null, lockedUntil: null });
  });

  describe('idle back to welcome', () => {
    it('a started screen with nothing scanned goes back to welcome after timeouts.idlePromptMs', async () => {
      const { kiosk, clock, session } = await boot();
      const idleMs = kiosk.config.timeouts.idlePromptMs;
      expect(session.view().screen).toBe('welcome');
      await session.command({ kind: 'start' });
      expect(session.view()).toMatchObject({ screen: 'scanning', order: null });
      clock.advance(idleMs - 1);
      expect(session.view().screen).toBe('scanning');
      clock.advance(1);
      expect(session.view()).toMatchObject({ screen: 'welcome', order: null });
      // and it can start again, with a fresh timer
      await session.command({ kind: 'start' });
      clock.advance(idleMs);
      expect(session.view().screen).toBe('welcome');
    });

    it('a scan before the timeout keeps the screen on scanning (an order exists)', async () => {
      const { kiosk, clock, session } = await boot();
      const idleMs = kiosk.config.timeouts.idlePromptMs;
      const [item] = await kiosk.catalog.sample('plain', 1);
      await session.command({ kind: 'start' });
      clock.advance(idleMs / 2);
      await scanItem(kiosk, item);
      clock.advance(idleMs / 2); // when the screen's own timer would have fired
      const v = session.view();
      expect(v.screen).toBe('scanning');
      expect(v.order!.lines).toHaveLength(1);
      expect(v.order!.state).toBe('shopping');
    });
  });

  it('a refund of an earlier order does not disturb the shopper of the open order', async () => {
    const { kiosk, session } = await boot();
    const [first, second] = await kiosk.catalog.sample('plain', 2);

    // order 1: scanned, paid in cash through the screen, completed, receipt step finished
    await scanItem(kiosk, first);
    await session.command({ kind: 'checkout' });
    await session.command({ kind: 'pay', method: 'cash' });
    const receipt = await viewWhen(session, (v) => v.screen === 'receipt_choice', 'the receipt choice');
    const firstId = receipt.receipt!.orderId;
    expect((await kiosk.engine.get(firstId)).state).toBe('completed');
    await session.command({ kind: 'receipt', choice: 'none' });
    await session.command({ kind: 'done' });
    expect(session.view().screen).toBe('welcome');

    // order 2: one item scanned
    await scanItem(kiosk, second);
    const shopping = session.view();
    expect(shopping.screen).toBe('scanning');
    expect(shopping.order!.id).not.toBe(firstId);

    await login(session);
    await session.command({ kind: 'attendant_refund', orderId: firstId });
    const v = session.view();
    expect(v.screen).toBe('scanning');
    expect(v.order!.id).toBe(shopping.order!.id);
    expect(v.order!.lines.map((l) => ({ name: l.name, quantity: l.quantity }))).toEqual([{ name: second.names, quantity: 1 }]);
    expect(v.order!.total).toBe(shopping.order!.total);
    expect(v.receipt).toBeNull();
    expect(v.message).toBeNull();
    expect(v.attendant.notice).toMatchObject({ action: 'refund', ok: true });
    const refunded = await kiosk.engine.get(firstId);
    expect(refunded.state).toBe('refunded');
    expect(refunded.refunded).toBe(receipt.receipt!.total);
    expect(refunded.refunded).toBeGreaterThan(0);
    expect(v.attendant.notice!.text.en).toBe(`Refunded CNY ${(receipt.receipt!.total / 100).toFixed(2)}`);
    expect(v.attendant.orders!.find((o) => o.id === firstId)).toMatchObject({ state: 'refunded', refunded: receipt.receipt!.total });
    expect(await lastJournal<{ event: { attendantId: string } }>(kiosk, 'refund_issued')).toMatchObject({ event: { attendantId: ATTENDANT } });
    // the open order is untouched in the database too
    expect((await kiosk.engine.openOrder())!.id).toBe(shopping.order!.id);
  });

  it('attendant void: the line is gone and the approval is journaled with the attendant id', async () => {
    const { kiosk, session } = await boot();
    const [one, two] = await kiosk.catalog.sample('plain', 2);
    await scanItem(kiosk, one);
    await scanItem(kiosk, two);
    const before = session.view();
    const [l1, l2] = before.order!.lines;
    const voidLine: ScreenCommand = { kind: 'attendant_void_line', lineId: l1.lineId };
    await expect(session.command(voidLine)).rejects.toThrow(/attendant mode is not open/);

    await login(session);
    await session.command(voidLine);
    const v = session.view();
    expect(v.screen).toBe('scanning');
    expect(v.order!.state).toBe('shopping');
    expect(v.order!.lines.map((l) => l.lineId)).toEqual([l2.lineId]);
    expect(v.order!.lines[0].name).toEqual(two.names);
    expect(v.order!.total).toBe(v.order!.lines[0].net);
    expect(v.order!.total).toBeLessThan(before.order!.total);
    expect(v.order!.pending).toEqual([]);
    const approved = await lastJournal<{ event: { type: string; attendantId: string } }>(kiosk, 'attendant_approved');
    expect(approved.event).toEqual({ type: 'attendant_approved', attendantId: ATTENDANT });
    expect(await lastJournal<{ event: { lineId: string } }>(kiosk, 'void_requested')).toMatchObject({ event: { lineId: l1.lineId } });
    await expect(session.command({ kind: 'attendant_void_line', lineId: 'L999' })).rejects.toThrow(/no line L999/);
  });

  it('voiding the age-restricted line does not count as an age check', async () => {
    const { kiosk, session } = await boot();
    const ages = await kiosk.catalog.sample('age', 2);
    await scanItem(kiosk, ages[0]);
    const line = session.view().order!.lines[0];
    await login(session);
    await session.command({ kind: 'attendant_void_line', lineId: line.lineId });
    await session.command({ kind: 'attendant_close' });
    expect((await kiosk.engine.openOrder())!.ageVerified).toBe(0);
    const r = await kiosk.lane.scan(ages[1].barcodes[0]);
    expect(r).toMatchObject({ ok: true, action: 'item_added', needsAttendant: true });
    expect(session.view().screen).toBe('attendant_wait');
  });

  it('voiding a plain line while another line waits for its age check is refused: that check needs its own decision', async () => {
    const { kiosk, session } = await boot();
    const [plain] = await kiosk.catalog.sample('plain', 1);
    const [age] = await kiosk.catalog.sample('age', 1);
    await scanItem(kiosk, plain);
    await scanItem(kiosk, age);
    const [l1, l2] = session.view().order!.lines;
    await login(session);
    await expect(session.command({ kind: 'attendant_void_line', lineId: l1.lineId })).rejects.toThrow(/age check first/);
    const o = (await kiosk.engine.openOrder())!;
    expect(o.lines.map((l) => l.lineId)).toEqual([l1.lineId, l2.lineId]);
    expect(o.lines.find((l) => l.lineId === l2.lineId)!.approved).toBe(false);
    expect(o.ageVerified).toBe(0);
  });
});
