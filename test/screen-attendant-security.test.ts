/**
 * Staff functions only for staff (issue 10, points 10 and 11), end to end in real headless Chromium against a kiosk
 * booted in this process with simulated devices (badges are read by the simulated scanner on its pty): only an
 * enrolled badge opens attendant mode, a money action opened by a badge asks for the badge holder's PIN, attendant
 * mode belongs to the page (WebSocket) that opened it, and it closes by itself after `attendant.idleTimeoutMs`.
 */
import * as fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startScreen, type RunningScreen } from '../device/screen';
import { hashBadge, hashPin } from '../runtime/screen/pin';
import { tempDir } from './support/engine-fixture';
import { buildScreenUi, launchChromium, newScreenPage } from './support/screen-browser';
import { waitFor } from './support/wait';

const T = 30_000; // generous: two shared cores
const FAST = { N: 1024, r: 8, p: 1 } as const;
const PIN_42 = '2468'; // att-42: PIN only
const PIN_9 = '1357'; // att-9: badge ATT0042 and this PIN
const BADGE_9 = 'ATT0042';

interface Lane {
  dir: string;
  k: Kiosk;
  screen: RunningScreen;
}

let browser: Browser;
let pins: { attendantId: string; hash: string }[];
let badges: { attendantId: string; hash: string }[];

beforeAll(async () => {
  buildScreenUi();
  pins = [
    { attendantId: 'att-42', hash: await hashPin(PIN_42, FAST) },
    { attendantId: 'att-9', hash: await hashPin(PIN_9, FAST) },
  ];
  badges = [{ attendantId: 'att-9', hash: await hashBadge(BADGE_9, FAST) }];
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

async function bootLane(idleTimeoutMs: number): Promise<Lane> {
  const dir = tempDir('kiosk-attendant-sec-');
  const config = loadConfig({
    env: {},
    overrides: { dataDir: dir, screen: { port: 0 }, attendant: { pins, badges, idleTimeoutMs, maxPinAttempts: 5, lockoutMs: 60_000 } },
  });
  const k = await bootKiosk(config, { devices: true });
  try {
    await waitFor('lane in service', () => k.hardware!.supervisor.condition().inService, T).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(k.hardware!.supervisor.condition())}`);
    });
    const screen = await startScreen(k, { port: 0, thankYouMs: 600_000 });
    return { dir, k, screen };
  } catch (e) {
    await k.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function closeLane(l: Lane | undefined): Promise<void> {
  if (!l) return;
  await l.screen.close();
  await l.k.close();
  fs.rmSync(l.dir, { recursive: true, force: true });
}

async function newPage(l: Lane): Promise<Page> {
  const page = await newScreenPage(browser, T);
  await page.goto(l.screen.url);
  await page.waitForSelector('body[data-screen]');
  return page;
}

const tap = (page: Page, test: string) => page.locator(`[data-test="${test}"]`).click();
const panel = (page: Page) => page.locator('[data-test="attendant-panel"]');

async function typePin(page: Page, pin: string) {
  await page.waitForSelector('[data-test="pin-pad"]');
  for (const d of pin) await tap(page, `key-${d}`);
  await tap(page, 'key-OK');
}

async function journalRows(k: Kiosk, type: string): Promise<Record<string, unknown>[]> {
  const rows = await k.db.read.all<{ payload: string }>('SELECT payload FROM journal WHERE type = ? ORDER BY seq', [type]);
  return rows.map((r) => JSON.parse(r.payload) as Record<string, unknown>);
}

/** Sends attendant commands on a WebSocket of its own from `page`, returns the results. */
async function rawCommands(page: Page, commands: unknown[]): Promise<{ id: number; ok: boolean; error?: string }[]> {
  return (await page.evaluate(`(async () => {
    const ws = new WebSocket('ws://' + location.host + '/ws');
    const got = [];
    await new Promise((r) => (ws.onopen = r));
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data));
      if (m.type === 'result') got.push(m);
    };
    const cmds = ${JSON.stringify(commands)};
    cmds.forEach((command, i) => ws.send(JSON.stringify({ type: 'command', id: i + 1, command })));
    while (got.length < cmds.length) await new Promise((r) => setTimeout(r, 20));
    // closed before returning: a socket still open would count as a second page (a badge scan is then ambiguous)
    await new Promise((r) => { ws.onclose = r; ws.close(); });
    return got;
  })()`)) as { id: number; ok: boolean; error?: string }[];
}

describe('attendant mode is for staff only (headless Chromium)', () => {
  let lane: Lane;
  let page: Page;
  const sim = () => lane.k.hardware!.sim;

  beforeAll(async () => {
    lane = await bootLane(600_000);
    page = await newPage(lane);
  }, 120_000);

  afterAll(async () => {
    await page?.close();
    await closeLane(lane);
  });

  it('a self-printed badge-shaped code (ATT9999) opens nothing: refused on screen, journaled without the code', async () => {
    await page.waitForSelector('body[data-screen="welcome"]');
    await sim().scanner!.scan('ATT9999');
    await page.waitForSelector('[data-test="message"][data-code="BADGE_REFUSED"]');
    expect(await panel(page).count()).toBe(0);
    await waitFor('refusal journaled', async () => (await journalRows(lane.k, 'attendant_refused')).length > 0, T);
    expect(await journalRows(lane.k, 'attendant_refused')).toEqual([{ cause: 'unknown_badge', attendantId: null, command: 'badge', suppressed: 0 }]);
    const all = await lane.k.db.read.all<{ payload: string }>('SELECT payload FROM journal');
    expect(all.map((r) => r.payload).join('\n')).not.toContain('ATT9999');
    // and nothing an attendant does is possible from this page now
    const [r] = await rawCommands(page, [{ kind: 'attendant_lane', open: false }]);
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/^not_authorised/) });
    expect(lane.k.lane.closed).toBeNull();
  }, 90_000);

  it('an enrolled badge opens attendant mode as its enrolled attendant (not the badge code)', async () => {
    // the previous test's extra socket is gone once the server has seen it close: only this page is connected
    await waitFor('one page connected', () => lane.screen.clients() === 1, T);
    await sim().scanner!.scan(BADGE_9);
    await panel(page).waitFor();
    expect((await page.locator('[data-test="attendant-id"]').textContent())?.trim()).toBe('att-9');
    await tap(page, 'att-close');
    await panel(page).waitFor({ state: 'detached' });
  }, 90_000);

  it('a refund from a badge-opened session asks for the PIN first; the refund runs after the badge holder\'s PIN', async () => {
    // a completed card order to refund
    const [item] = await lane.k.catalog.sample('plain', 1);
    await sim().scanner!.scan(item.barcodes[0]);
    await page.waitForSelector('[data-test="checkout"]');
    await tap(page, 'checkout');
    await page.waitForSelector('body[data-screen="payment_method"]');
    sim().terminal!.approve();
    await tap(page, 'pay-card');
    await page.waitForSelector('body[data-screen="receipt_choice"]');
    await tap(page, 'receipt-none');
    await tap(page, 'done');
    await page.waitForSelector('body[data-screen="welcome"]');
    const order = (await lane.k.engine.list(5)).find((o) => o.receiptNo !== null && o.state === 'completed')!;

    await sim().scanner!.scan(BADGE_9);
    await panel(page).waitFor();
    await tap(page, 'att-tab-orders');
    const past = page.locator(`[data-test="past-order"][data-order="${order.id}"]`);
    await past.locator('[data-test="att-refund-all"]').click();
    // the keypad asks for the PIN; nothing was refunded
    await page.waitForSelector('[data-test="pin-error"][data-error="pin_required"]');
    expect((await lane.k.engine.get(order.id)).refunded).toBe(0);
    // another attendant's PIN is not the badge holder's second factor
    await typePin(page, PIN_42);
    await page.waitForSelector('[data-test="pin-error"][data-error="wrong_pin"]');
    expect((await lane.k.engine.get(order.id)).refunded).toBe(0);
    await typePin(page, PIN_9);
    await page.waitForSelector('[data-test="att-notice"][data-action="refund"][data-ok="true"]');
    const refunded = await lane.k.engine.get(order.id);
    expect(refunded.refunded).toBe(refunded.priced.total);
    expect(JSON.stringify(await journalRows(lane.k, 'refund_issued'))).toContain('att-9');
    expect((await journalRows(lane.k, 'attendant_refused')).map((r) => r.cause)).toEqual(['unknown_badge', 'not_authorised', 'pin_required', 'wrong_pin']);
    await tap(page, 'att-close');
    await panel(page).waitFor({ state: 'detached' });
  }, 120_000);

  it('a second page cannot see or use attendant mode while the first page has it open (PIN login)', async () => {
    const other = await newPage(lane);
    try {
      await tap(page, 'attendant-open');
      await typePin(page, PIN_42);
      await panel(page).waitFor();
      // the other page is shown the shopper's screen with the Staff button, never the attendant's controls
      await other.reload();
      await other.waitForSelector('[data-test="attendant-open"]');
      expect(await panel(other).count()).toBe(0);
      expect(await other.locator('[data-test="pin-pad"]').count()).toBe(0);
      // and its WebSocket commands are refused: the lane stays open, nothing is refunded or closed
      const replies = await rawCommands(other, [{ kind: 'attendant_lane', open: false }, { kind: 'attendant_tab', tab: 'orders' }]);
      expect(replies).toEqual([
        { type: 'result', id: 1, ok: false, error: expect.stringMatching(/^not_authorised/) },
        { type: 'result', id: 2, ok: false, error: expect.stringMatching(/^not_authorised/) },
      ]);
      expect(lane.k.lane.closed).toBeNull();
      // the first page still has it
      expect(await panel(page).count()).toBe(1);
      await tap(page, 'att-close');
      await panel(page).waitFor({ state: 'detached' });
    } finally {
      await other.close();
    }
  }, 120_000);
});

describe('attendant mode closes by itself after attendant.idleTimeoutMs (headless Chromium)', () => {
  let lane: Lane;
  let page: Page;

  beforeAll(async () => {
    lane = await bootLane(2_000);
    page = await newPage(lane);
  }, 120_000);

  afterAll(async () => {
    await page?.close();
    await closeLane(lane);
  });

  it('opened with the PIN, left alone: the panel goes away and its commands are refused', async () => {
    await tap(page, 'attendant-open');
    await typePin(page, PIN_42);
    await panel(page).waitFor();
    await panel(page).waitFor({ state: 'detached', timeout: T });
    await page.waitForSelector('[data-test="attendant-open"]');
    // a control still on screen from before (a tap racing the close) is refused, and the page says so
    await page.evaluate(`document.getElementById('app').insertAdjacentHTML('beforeend', '<button data-test="stale" data-cmd=\\'{"kind":"attendant_lane","open":false}\\'>x</button>')`);
    await tap(page, 'stale');
    await page.waitForSelector('[data-test="not-authorised"]');
    const [r] = await rawCommands(page, [{ kind: 'attendant_lane', open: false }]);
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/^not_authorised/) });
    expect(lane.k.lane.closed).toBeNull();
  }, 90_000);
});
