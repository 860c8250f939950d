/**
 * Attendant mode bound to the screen connection that authenticated (issue 10/11): on a kiosk booted without
 * devices and composed as the lane runs it (`startScreen`), with a SimulatedClock for the idle timeout. Connections
 * are named as the WebSocket server names them (`ScreenSession.connect`); a real SQLite journal records refusals.
 */
import * as fs from 'node:fs';
import type { ScreenView } from '../../protocol/screen';
import { loadConfig } from '../../config/load';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { startScreen, type RunningScreen } from '../../device/screen';
import { tempDir } from '../../test/support/engine-fixture';
import { waitFor } from '../../test/support/wait';
import { SimulatedClock } from '../../kernel/clock';
import { AttendantGate } from './attendant-gate';
import { AttendantSession, type AttendantRefusal } from './attendant-session';
import { hashBadge, hashPin } from './pin';
import type { ScreenSession } from './screen-session';

const FAST = { N: 1024, r: 8, p: 1 } as const;
const PIN = '2468'; // att-7's PIN
const BADGE_PIN = '1357'; // att-9's PIN (att-9 also has a badge)
const BADGE = 'ATT0042'; // att-9's enrolled badge
const IDLE_MS = 60_000;
const GUARD_MS = 10_000;

let pins: { attendantId: string; hash: string }[];
let badges: { attendantId: string; hash: string }[];
const open: { kiosk: Kiosk; screen: RunningScreen; dir: string }[] = [];
const errors: unknown[] = [];

beforeAll(async () => {
  pins = [
    { attendantId: 'att-7', hash: await hashPin(PIN, FAST) },
    { attendantId: 'att-9', hash: await hashPin(BADGE_PIN, FAST) },
  ];
  badges = [{ attendantId: 'att-9', hash: await hashBadge(BADGE, FAST) }];
});

afterEach(async () => {
  for (const l of open.splice(0).reverse()) {
    await l.screen.close();
    await l.kiosk.close();
    fs.rmSync(l.dir, { recursive: true, force: true });
  }
  expect(errors.splice(0)).toEqual([]);
});

async function boot(): Promise<{ kiosk: Kiosk; session: ScreenSession; clock: SimulatedClock }> {
  const dir = tempDir('kiosk-attendant-session-');
  const clock = new SimulatedClock(Date.UTC(2026, 2, 2, 10, 0, 0));
  const config = loadConfig({
    env: {},
    overrides: { dataDir: dir, screen: { port: 0 }, attendant: { pins, badges, idleTimeoutMs: IDLE_MS, maxPinAttempts: 3, lockoutMs: 60_000 } },
  });
  const kiosk = await bootKiosk(config, { clock, confirmCash: async () => true, onBackgroundError: (e) => errors.push(e) });
  const screen = await startScreen(kiosk, { port: 0, onError: (e) => errors.push(e) });
  open.push({ kiosk, screen, dir });
  return { kiosk, session: screen.session, clock };
}

async function refusals(kiosk: Kiosk): Promise<AttendantRefusal[]> {
  const rows = await kiosk.db.read.all<{ payload: string }>("SELECT payload FROM journal WHERE type = 'attendant_refused' ORDER BY seq");
  return rows.map((r) => JSON.parse(r.payload) as AttendantRefusal);
}

/** A badge scan as the scanner feed delivers it (the lane refuses the code as an item first). */
async function scanBadge(kiosk: Kiosk, session: ScreenSession, code: string): Promise<void> {
  const outcome = await kiosk.lane.scan(code);
  const seen = new Promise<void>((resolve) => session.once('view', () => resolve()));
  session.scanned(outcome, code);
  await seen;
}

async function pinLogin(session: ScreenSession, conn: string, pin = PIN): Promise<void> {
  await session.command({ kind: 'attendant_open' }, conn);
  await session.command({ kind: 'attendant_pin', pin }, conn);
}

/** A completed cash order (through the screen), the receipt step finished. */
async function completedOrder(kiosk: Kiosk, session: ScreenSession): Promise<string> {
  const [item] = await kiosk.catalog.sample('plain', 1);
  const r = await kiosk.lane.scan(item.barcodes[0]);
  if (!r.ok) throw new Error(JSON.stringify(r));
  await session.command({ kind: 'checkout' });
  await session.command({ kind: 'pay', method: 'cash' });
  const v = await new Promise<ScreenView>((resolve) => {
    const on = (x: ScreenView) => {
      if (x.screen !== 'receipt_choice') return;
      session.off('view', on);
      resolve(x);
    };
    session.on('view', on);
    if (session.view().screen === 'receipt_choice') resolve(session.view());
  });
  await session.command({ kind: 'receipt', choice: 'none' });
  await session.command({ kind: 'done' });
  return v.receipt!.orderId;
}

describe('attendant session bound to its connection', () => {
  it('only the connection that typed the PIN sees attendant controls; commands from another connection are refused (not_authorised) and journaled', async () => {
    const { kiosk, session } = await boot();
    session.connect('ws-1');
    session.connect('ws-2');
    await pinLogin(session, 'ws-1');
    expect(session.view('ws-1').attendant).toMatchObject({ active: true, attendantId: 'att-7', via: 'pin' });
    expect(session.view('ws-2').attendant).toMatchObject({ active: false, attendantId: null, pinPad: false });

    await expect(session.command({ kind: 'attendant_lane', open: false }, 'ws-2')).rejects.toThrow(/not_authorised/);
    await expect(session.command({ kind: 'attendant_tab', tab: 'orders' }, 'ws-2')).rejects.toThrow(/not_authorised/);
    expect(kiosk.lane.closed).toBeNull();
    expect(session.view('ws-1').attendant.tab).toBe('order'); // nothing of the refused command happened
    await waitFor('refusals journaled', async () => (await refusals(kiosk)).length === 2, GUARD_MS);
    expect(await refusals(kiosk)).toEqual([
      { cause: 'not_authorised', attendantId: 'att-7', command: 'attendant_lane', suppressed: 0 },
      { cause: 'not_authorised', attendantId: 'att-7', command: 'attendant_tab', suppressed: 0 },
    ]);
    // the session's own connection still works
    await session.command({ kind: 'attendant_lane', open: false }, 'ws-1');
    expect(kiosk.lane.closed).not.toBeNull();
  });

  it('closes after attendant.idleTimeoutMs without an attendant command (injected clock); each command restarts the wait', async () => {
    const { session, clock } = await boot();
    session.connect('ws-1');
    await pinLogin(session, 'ws-1');
    clock.advance(IDLE_MS - 1);
    expect(session.view('ws-1').attendant.active).toBe(true);
    await session.command({ kind: 'attendant_tab', tab: 'orders' }, 'ws-1');
    clock.advance(IDLE_MS - 1);
    expect(session.view('ws-1').attendant.active).toBe(true);
    clock.advance(1);
    expect(session.view('ws-1').attendant).toMatchObject({ active: false, attendantId: null, tab: 'order' });
    await expect(session.command({ kind: 'attendant_tab', tab: 'orders' }, 'ws-1')).rejects.toThrow(/not_authorised/);
  });

  it('closes when its connection closes, on an explicit close, and after the task-ending approve', async () => {
    const { kiosk, session } = await boot();
    session.connect('ws-1');
    session.connect('ws-2');
    await pinLogin(session, 'ws-1');
    session.disconnect('ws-1');
    expect(session.view('ws-1').attendant.active).toBe(false);
    await expect(session.command({ kind: 'attendant_health' }, 'ws-1')).rejects.toThrow(/not_authorised/);

    await pinLogin(session, 'ws-2');
    await session.command({ kind: 'attendant_close' }, 'ws-2');
    expect(session.view('ws-2').attendant.active).toBe(false);

    await session.command({ kind: 'help' }, 'ws-2');
    expect((await kiosk.engine.openOrder())!.state).toBe('needs_attendant');
    await pinLogin(session, 'ws-2');
    await session.command({ kind: 'attendant_approve' }, 'ws-2');
    expect(session.view('ws-2').attendant.active).toBe(false);
  });

  it('a PIN typed on another page takes attendant mode over: the first page loses it', async () => {
    const { session } = await boot();
    session.connect('ws-1');
    session.connect('ws-2');
    await pinLogin(session, 'ws-1');
    await pinLogin(session, 'ws-2', BADGE_PIN);
    expect(session.view('ws-1').attendant.active).toBe(false);
    expect(session.view('ws-2').attendant).toMatchObject({ active: true, attendantId: 'att-9' });
    await expect(session.command({ kind: 'attendant_health' }, 'ws-1')).rejects.toThrow(/not_authorised/);
  });
});

describe('badges', () => {
  it('an enrolled badge binds to the page with the keypad open, not to the other pages', async () => {
    const { kiosk, session } = await boot();
    session.connect('ws-1');
    session.connect('ws-2');
    await session.command({ kind: 'attendant_open' }, 'ws-2');
    await scanBadge(kiosk, session, BADGE);
    expect(session.view('ws-2').attendant).toMatchObject({ active: true, attendantId: 'att-9', via: 'badge' });
    expect(session.view('ws-1').attendant.active).toBe(false);
  });

  it('with two pages and no keypad open a badge is ambiguous: refused on screen and journaled, nothing opens', async () => {
    const { kiosk, session } = await boot();
    session.connect('ws-1');
    session.connect('ws-2');
    await scanBadge(kiosk, session, BADGE);
    expect(session.view('ws-1').message?.code).toBe('BADGE_AMBIGUOUS');
    expect(session.view('ws-1').attendant.active || session.view('ws-2').attendant.active).toBe(false);
    await waitFor('journaled', async () => (await refusals(kiosk)).length === 1, GUARD_MS);
    expect(await refusals(kiosk)).toEqual([{ cause: 'badge_ambiguous', attendantId: 'att-9', command: 'badge', suppressed: 0 }]);
  });

  it('unenrolled badge-shaped codes open nothing, are journaled without the code, and lock badge scanning after maxPinAttempts', async () => {
    const { kiosk, session } = await boot();
    session.connect('ws-1');
    for (const code of ['ATT9999', 'ATT9998', 'ATT9997']) {
      await scanBadge(kiosk, session, code);
      expect(session.view('ws-1')).toMatchObject({ message: { code: 'BADGE_REFUSED' }, attendant: { active: false } });
    }
    // locked now: even the enrolled badge is refused
    await scanBadge(kiosk, session, BADGE);
    expect(session.view('ws-1').attendant.active).toBe(false);
    await waitFor('journaled', async () => (await refusals(kiosk)).length === 4, GUARD_MS);
    expect((await refusals(kiosk)).map((r) => r.cause)).toEqual(['unknown_badge', 'unknown_badge', 'badge_locked', 'badge_locked']);
    const journal = await kiosk.db.read.all<{ payload: string }>('SELECT payload FROM journal');
    expect(journal.map((r) => r.payload).join('\n')).not.toMatch(/ATT99|ATT0042/);
  });

  it('a refund from a badge-only session asks for the badge holder\'s PIN; the refund runs once it is given (not another attendant\'s PIN)', async () => {
    const { kiosk, session } = await boot();
    session.connect('ws-1');
    const orderId = await completedOrder(kiosk, session);
    await scanBadge(kiosk, session, BADGE);
    expect(session.view('ws-1').attendant).toMatchObject({ active: true, attendantId: 'att-9', via: 'badge' });

    await expect(session.command({ kind: 'attendant_refund', orderId }, 'ws-1')).rejects.toThrow(/pin_required/);
    expect((await kiosk.engine.get(orderId)).refunded).toBe(0);
    expect(session.view('ws-1').attendant).toMatchObject({ active: true, pinPad: true, error: 'pin_required', pinFor: 'attendant_refund' });
    // settling a payment in doubt is a money action too
    await expect(session.command({ kind: 'attendant_resolve', outcome: 'approved' }, 'ws-1')).rejects.toThrow(/pin_required/);

    await expect(session.command({ kind: 'attendant_pin', pin: PIN }, 'ws-1')).rejects.toThrow('wrong PIN'); // att-7's PIN
    expect((await kiosk.engine.get(orderId)).refunded).toBe(0);
    await session.command({ kind: 'attendant_refund', orderId }, 'ws-1').catch(() => undefined); // pending again
    await session.command({ kind: 'attendant_pin', pin: BADGE_PIN }, 'ws-1');
    const after = await kiosk.engine.get(orderId);
    expect(after.refunded).toBe(after.priced.total);
    expect(JSON.stringify(after.refunds)).toContain('att-9');
    expect(session.view('ws-1').attendant).toMatchObject({ active: true, pinPad: false, error: null, pinFor: null });
    await waitFor('refusals journaled', async () => (await refusals(kiosk)).length === 4, GUARD_MS);
    expect((await refusals(kiosk)).map((r) => r.cause)).toEqual(['pin_required', 'pin_required', 'wrong_pin', 'pin_required']);
  });

  it('a badge-only session does non-money work without a PIN (approve a help call)', async () => {
    const { kiosk, session } = await boot();
    session.connect('ws-1');
    await session.command({ kind: 'help' }, 'ws-1');
    await scanBadge(kiosk, session, BADGE);
    await session.command({ kind: 'attendant_approve' }, 'ws-1');
    expect((await kiosk.engine.openOrder())?.state ?? 'none').not.toBe('needs_attendant');
  });
});

describe('AttendantSession refusal reports', () => {
  it('are bounded per minute (on the clock); the rest are counted into the next report', async () => {
    const clock = new SimulatedClock(0);
    const reports: AttendantRefusal[] = [];
    const s = new AttendantSession({ gate: new AttendantGate({ pins: [], maxAttempts: 3, lockoutMs: 0, clock }), clock, idleMs: IDLE_MS, onEnded: () => undefined, onRefused: (r) => reports.push(r) });
    for (let i = 0; i < 100; i++) expect(s.authorise('ws-x', 'attendant_health')).toBe(false);
    expect(reports).toHaveLength(30);
    clock.advance(60_000);
    s.authorise('ws-x', 'attendant_health');
    expect(reports.at(-1)).toEqual({ cause: 'not_authorised', attendantId: null, command: 'attendant_health', suppressed: 70 });
  });
});
