/**
 * A return at the lane through the attendant's screen (issue 15, after-sales), in real headless Chromium against a
 * kiosk booted in this process with simulated devices: a card sale through the ZVT terminal simulator, then the
 * attendant opens the Return form on that past order, picks a line and a reason, sees the refund amount and where it
 * goes, and confirms with a double tap. The refund is journaled once (reason, return id, attendant), the terminal
 * simulator's own ledger shows one refund of that line's amount, and the return slip prints on the printer
 * simulator. Screenshots in en and zh-CN go to test-output/screenshots/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startScreen, type RunningScreen } from '../device/screen';
import type { Order } from '../runtime/orders/order';
import { hashPin } from '../runtime/screen/pin';
import { bootAttendantKiosk, completedCardSale } from './support/attendant-kiosk';
import { tempDir } from './support/engine-fixture';
import { buildScreenUi, launchChromium, newScreenPage } from './support/screen-browser';
import { waitFor } from './support/wait';

const ROOT = path.resolve(__dirname, '..');
const SHOTS = path.join(ROOT, 'test-output', 'screenshots');
const PIN = '2468';
const T = 30_000; // generous: two shared cores

describe('returns at the lane in headless Chromium', () => {
  let dir: string;
  let k: Kiosk;
  let screen: RunningScreen;
  let browser: Browser;
  let page: Page;
  const hw = () => k.hardware!;

  beforeAll(async () => {
    buildScreenUi();
    fs.mkdirSync(SHOTS, { recursive: true });
    dir = tempDir('kiosk-screen-returns-');
    k = await bootAttendantKiosk(dir, PIN, T);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await screen?.close();
    await k?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function language(lang: 'zh-CN' | 'en') {
    // a dialog is open: the header is behind it, so switch through the kiosk as the tap would
    await screen.session.command({ kind: 'language', lang });
    await page.waitForSelector(`body[data-lang="${lang}"]`, { timeout: T });
  }

  async function shoot(name: string) {
    for (const lang of ['zh-CN', 'en'] as const) {
      await language(lang);
      await page.screenshot({ path: path.join(SHOTS, `${name}-${lang}.png`) });
    }
  }

  const tap = (test: string) => page.locator(`[data-test="${test}"]`).click();

  it('card: pick a line and a reason, see amount and method, double-tap confirm → one terminal refund, journaled once, the slip prints', async () => {
    const order = await completedCardSale(k); // before the screen runs
    screen = await startScreen(k, { port: 0, thankYouMs: 600_000 });
    browser = await launchChromium();
    page = await newScreenPage(browser, T);
    await page.goto(screen.url);
    await page.waitForSelector('body[data-screen]');

    await tap('attendant-open');
    await page.waitForSelector('[data-test="pin-pad"]');
    for (const d of PIN) await tap(`key-${d}`);
    await tap('key-OK');
    await page.waitForSelector('[data-test="attendant-panel"]');
    await tap('att-tab-orders');
    const card = page.locator(`[data-test="past-order"][data-order="${order.id}"]`);
    await card.waitFor();
    await language('en');
    await card.locator('[data-test="att-return"]').click();
    const form = card.locator('[data-test="return-form"]');
    await form.waitFor();
    const returnId = (await form.getAttribute('data-return-id'))!;
    expect(returnId).toMatch(/^lane-[0-9a-f-]{36}$/);

    // nothing picked: the whole order, to the card; confirm waits for a reason
    expect((await form.locator('[data-test="ret-amount"]').textContent())!.trim()).toBe(`¥${(order.paid / 100).toFixed(2)}`);
    expect((await form.locator('[data-test="ret-methods"]').textContent())!.trim()).toBe('Card');
    expect(await form.locator('[data-test="ret-confirm"]').isDisabled()).toBe(true);
    // the reasons are the store's, in the screen's language
    expect(await form.locator('[data-test="ret-reasons"] button').allTextContents()).toEqual(['Defective', 'Wrong item', 'Changed mind']);

    const line = order.priced.lines.find((l) => l.net > 0)!;
    await form.locator(`[data-test="ret-pick-${line.lineId}"]`).click();
    await form.locator('[data-test="ret-reason-defective"]').click();
    expect((await form.locator('[data-test="ret-amount"]').textContent())!.trim()).toBe(`¥${(line.net / 100).toFixed(2)}`);
    expect(await form.locator('[data-test="ret-confirm"]').isDisabled()).toBe(false);
    await shoot('30-return-form');
    await language('zh-CN');
    expect(await form.locator('[data-test="ret-reasons"] button').allTextContents()).toEqual(['质量问题', '商品不符', '不想要了']);
    expect((await form.locator('[data-test="ret-methods"]').textContent())!.trim()).toBe('银行卡');

    const terminalBefore = hw().sim.terminal!.transactions().length;
    const printedBefore = hw().sim.printer!.receipts();
    // a double tap: both taps send the same return id
    await form.locator('[data-test="ret-confirm"]').dblclick();
    await page.waitForSelector(`[data-test="att-notice"][data-action="return"][data-ok="true"]`);
    await shoot('31-return-done');
    expect((await page.locator('[data-test="att-notice"]').textContent())!.trim()).toBe(`Returned: ¥${(line.net / 100).toFixed(2)} refunded to Card (reason: Defective)`);
    await page.waitForSelector(`[data-test="past-order"][data-order="${order.id}"] [data-test="past-refunded"]`);
    expect(await page.locator('[data-test="return-form"]').count()).toBe(0);

    // the journal: one refund_issued for this return, with reason, return id and the PIN'd attendant
    const rows = await k.db.read.all<{ payload: string }>("SELECT payload FROM journal WHERE order_id = ? AND type = 'refund_issued'", [order.id]);
    expect(rows.map((r) => (JSON.parse(r.payload) as { event: unknown }).event)).toEqual([
      expect.objectContaining({ amount: line.net, attendantId: 'att-42', reason: 'defective', returnId, lineIds: [line.lineId], allocations: [expect.objectContaining({ method: 'card', amount: line.net, via: 'refund' })] }),
    ]);
    expect(await k.engine.get(order.id)).toMatchObject({ state: 'partially_refunded', refunded: line.net });
    // the terminal simulator's own ledger: exactly one approved refund, of the line's amount
    const terminal = hw().sim.terminal!.transactions().slice(terminalBefore);
    expect(terminal.filter((e) => e.kind === 'refund' && e.result === 'approved').map((e) => e.amount)).toEqual([line.net]);
    expect(terminal.filter((e) => e.kind !== 'refund')).toEqual([]);
    // the return slip printed once, in the store's language, with the return id
    await waitFor('the return slip printed', () => hw().sim.printer!.receipts() === printedBefore + 1, T);
    const slip = hw().sim.printer!.last()!.text;
    expect(slip).toContain(k.config.locales.default === 'en' ? 'Return' : '退货单');
    expect(slip).toContain(returnId);
    expect(slip).toContain((line.net / 100).toFixed(2));

    // the rest of the order with the printer out of paper: the money goes back, the notice says the slip did not print
    hw().sim.printer!.paperOut();
    await card.locator('[data-test="att-return"]').click();
    await form.waitFor();
    const secondId = (await form.getAttribute('data-return-id'))!;
    expect(secondId).not.toBe(returnId); // a new form, a new return
    const rest = order.paid - line.net;
    expect((await form.locator('[data-test="ret-amount"]').textContent())!.trim()).toBe(`¥${(rest / 100).toFixed(2)}`);
    await form.locator('[data-test="ret-reason-changed-mind"]').click();
    await form.locator('[data-test="ret-confirm"]').click();
    await page.waitForSelector(`[data-test="att-notice"][data-action="return"][data-ok="true"]:has-text("slip did not print")`);
    expect(await k.engine.get(order.id)).toMatchObject({ state: 'refunded', refunded: order.paid });
    expect(
      hw()
        .sim.terminal!.transactions()
        .slice(terminalBefore)
        .filter((e) => e.kind === 'refund' && e.result === 'approved')
        .map((e) => e.amount),
    ).toEqual([line.net, rest]);
    // no Return button on an order with nothing left to pay back
    expect(await card.locator('[data-test="att-return"]').count()).toBe(0);
    hw().sim.printer!.paperOk();
  }, 240_000);
});

describe('a supervisor store: the Return form takes a supervisor\'s PIN (headless Chromium)', () => {
  let dir: string;
  let k: Kiosk;
  let screen: RunningScreen;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    buildScreenUi();
    fs.mkdirSync(SHOTS, { recursive: true });
    dir = tempDir('kiosk-screen-returns-sup-');
    const pins = [
      { attendantId: 'att-42', hash: await hashPin(PIN, { N: 1024, r: 8, p: 1 }) },
      { attendantId: 'sup-1', hash: await hashPin('8642', { N: 1024, r: 8, p: 1 }) },
    ];
    const returns = { days: 7, reasons: [{ id: 'defective', label: { 'zh-CN': '质量问题', en: 'Defective' } }], approval: 'supervisor' as const, supervisors: ['sup-1'], originalMethodOnly: true as const };
    k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir, screen: { port: 0 }, attendant: { pins, maxPinAttempts: 5, lockoutMs: 60_000 }, returns } }), { devices: true });
    await waitFor('lane in service', () => k.hardware!.supervisor.condition().inService, T);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await screen?.close();
    await k?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the attendant opens the form, the supervisor types their PIN on it, the card is refunded once and the journal names the supervisor', async () => {
    let o: Order | null = null;
    const [item] = await k.catalog.sample('plain', 1);
    const scanned = await k.lane.scan(item.barcodes[0]);
    if (!scanned.ok || scanned.action !== 'item_added') throw new Error(`scan: ${JSON.stringify(scanned)}`);
    o = await k.engine.dispatch(scanned.order.id, { type: 'checkout_started' });
    o = await k.checkout.pay(o.id, 'card');
    const order = await k.engine.dispatch(o.id, { type: 'order_completed' });
    screen = await startScreen(k, { port: 0, thankYouMs: 600_000 });
    browser = await launchChromium();
    page = await newScreenPage(browser, T);
    await page.goto(screen.url);
    const tap = (test: string) => page.locator(`[data-test="${test}"]`).click();
    await tap('attendant-open');
    for (const d of PIN) await tap(`key-${d}`);
    await tap('key-OK');
    await tap('att-tab-orders');
    await screen.session.command({ kind: 'language', lang: 'en' });
    await page.waitForSelector('body[data-lang="en"]');
    const card = page.locator(`[data-test="past-order"][data-order="${order.id}"]`);
    await card.locator('[data-test="att-return"]').click();
    const form = card.locator('[data-test="return-form"]');
    await form.waitFor();
    expect(await form.locator('[data-test="ret-why"]').textContent()).toContain('att-42 is not a supervisor');
    await form.locator('[data-test="ret-reason-defective"]').click();
    expect(await form.locator('[data-test="ret-confirm"]').isDisabled()).toBe(true); // no supervisor PIN yet
    for (const d of '8642') await form.locator(`[data-test="sup-key-${d}"]`).click();
    expect((await form.locator('[data-test="sup-dots"]').textContent())!.trim()).toBe('●●●●');
    // the PIN is never written into the page
    expect(await page.content()).not.toContain('8642');
    for (const lang of ['zh-CN', 'en'] as const) {
      await screen.session.command({ kind: 'language', lang });
      await page.waitForSelector(`body[data-lang="${lang}"]`);
      await page.screenshot({ path: path.join(SHOTS, `32-return-supervisor-${lang}.png`) });
    }
    const before = k.hardware!.sim.terminal!.transactions().length;
    await form.locator('[data-test="ret-confirm"]').click();
    await page.waitForSelector('[data-test="att-notice"][data-action="return"][data-ok="true"]');
    const rows = await k.db.read.all<{ payload: string }>("SELECT payload FROM journal WHERE order_id = ? AND type = 'refund_issued'", [order.id]);
    expect(rows.map((r) => (JSON.parse(r.payload) as { event: unknown }).event)).toEqual([expect.objectContaining({ amount: order.paid, attendantId: 'sup-1', reason: 'defective' })]);
    const moved = k.hardware!.sim.terminal!.transactions().slice(before);
    // the whole of an unsettled card payment goes back as a reversal: one, of the order's amount
    expect(moved.filter((e) => e.kind !== 'payment').map((e) => ({ kind: e.kind, amount: e.amount, result: e.result }))).toEqual([{ kind: 'reversal', amount: order.paid, result: 'approved' }]);
    expect(await k.engine.get(order.id)).toMatchObject({ state: 'refunded', refunded: order.paid });
  }, 240_000);
});
