/**
 * The shopper's touchscreen end to end, in real headless Chromium (Debian's /usr/bin/chromium via playwright-core)
 * against a kiosk booted in this process with simulated devices: scanner bytes → lane → order engine → WebSocket →
 * page; taps → WebSocket → engine/checkout; card payments through the ZVT simulator, QR through the gateway
 * simulator, receipts through the ESC/POS printer simulator. Screenshots of the main screens in both languages go
 * to docs/screenshots/.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startScreen, type RunningScreen } from '../device/screen';
import { gtinCheckDigit } from '../runtime/barcodes';
import type { PriceItem } from '../runtime/pricing/types';
import { hashPin } from '../runtime/screen/pin';
import { PROMPTS } from '../screen-ui/i18n';
import { tempDir } from './support/engine-fixture';
import { buildScreenUi, launchChromium, newScreenPage } from './support/screen-browser';
import { waitFor } from './support/wait';

const ROOT = path.resolve(__dirname, '..');
const SHOTS = path.join(ROOT, 'test-output', 'screenshots'); // a few are copied to docs/screenshots for the README
const PIN = '2468';
const T = 30_000; // generous: two shared cores

describe('shopper screen in headless Chromium', () => {
  let dir: string;
  let k: Kiosk;
  let screen: RunningScreen;
  let browser: Browser;
  let page: Page;
  const hw = () => k.hardware!;

  beforeAll(async () => {
    buildScreenUi();
    fs.mkdirSync(SHOTS, { recursive: true });
    dir = tempDir('kiosk-screen-');
    const hash = await hashPin(PIN, { N: 1024, r: 8, p: 1 });
    const config = loadConfig({
      env: {},
      overrides: { dataDir: dir, screen: { port: 0 }, attendant: { pins: [{ attendantId: 'att-42', hash }], maxPinAttempts: 5, lockoutMs: 60_000 } },
    });
    k = await bootKiosk(config, { devices: true });
    await waitFor('lane in service', () => hw().supervisor.condition().inService, T);
    screen = await startScreen(k, { port: 0, thankYouMs: 600_000 });
    browser = await launchChromium();
    page = await newScreenPage(browser, T);
    await page.goto(screen.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await screen?.close();
    await k?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const onScreen = (name: string) =>
    page.waitForSelector(`body[data-screen="${name}"]`, { timeout: T }).catch(async (e: Error) => {
      const o = await k.engine.openOrder();
      throw new Error(`${e.message}\nwanted screen ${name}, showing ${await screenNow()}; open order: ${o ? `${o.id} ${o.state}` : 'none'}`);
    });
  const tap = (test: string) => page.locator(`[data-test="${test}"]`).click();
  const text = async (test: string) => ((await page.locator(`[data-test="${test}"]`).first().textContent()) ?? '').trim();
  const lineCount = (n: number) =>
    page.waitForFunction(`document.querySelectorAll('[data-test="line"]').length === ${n}`, undefined, { timeout: T }).catch(async (e: Error) => {
      const shown = await page.locator('[data-test="line"]').count();
      throw new Error(`${e.message}\nwanted ${n} lines, screen ${await screenNow()} shows ${shown}; open order: ${JSON.stringify((await k.engine.openOrder())?.lines.map((l) => l.sku))}`);
    });
  const screenNow = async () => String(await page.evaluate('document.body.dataset.screen'));
  const seqNow = async () => Number(await page.evaluate("document.body.dataset.seq || '0'"));

  async function language(lang: 'zh-CN' | 'en') {
    // with a dialog open the header is behind it and cannot be tapped: switch through the kiosk, as the tap would
    if (await page.locator('[role="dialog"]').count()) await screen.session.command({ kind: 'language', lang });
    else await tap(`lang-${lang}`);
    await page.waitForSelector(`body[data-lang="${lang}"]`, { timeout: T });
  }

  /** Screenshots of what is on screen now, in both languages (file names `<name>-<lang>.png`); ends in `end`. */
  async function shoot(name: string, end: 'zh-CN' | 'en' = 'zh-CN') {
    for (const lang of end === 'zh-CN' ? (['en', 'zh-CN'] as const) : (['zh-CN', 'en'] as const)) {
      await language(lang);
      await page.screenshot({ path: path.join(SHOTS, `${name}-${lang}.png`) });
    }
  }

  /** At 1024×768 and at 1920×1080 the screen fits without scrolling sideways and every button is a large touch target. */
  async function fitsBothSizes(name: string) {
    for (const size of [{ width: 1920, height: 1080 }, { width: 1024, height: 768 }]) {
      await page.setViewportSize(size);
      const layout = (await page.evaluate(`(() => {
        const small = [...document.querySelectorAll('button')].filter((b) => { const r = b.getBoundingClientRect(); return r.width > 0 && (r.height < 44 || r.width < 44); });
        return { overflow: document.documentElement.scrollWidth - window.innerWidth, small: small.map((b) => b.dataset.test || b.textContent) };
      })()`)) as { overflow: number; small: string[] };
      expect(layout).toEqual({ overflow: 0, small: [] });
      if (size.width === 1920) await page.screenshot({ path: path.join(SHOTS, `${name}-1920.png`) });
    }
  }

  async function scan(code: string) {
    const seq = await seqNow();
    await hw().sim.scanner!.scan(code);
    // the screen hears of the scan (a new view) — the order change or the refusal message
    await page.waitForFunction(`Number(document.body.dataset.seq || '0') > ${seq}`, undefined, { timeout: T });
  }

  function weightLabel(item: PriceItem, grams: number): string {
    const ref = item.barcodes.map((b) => (/^\d{5}$/.test(b) ? b : /^22\d{5}$/.test(b) ? b.slice(2) : null)).find((b) => b !== null)!;
    const body = `22${ref}${String(grams).padStart(5, '0')}`;
    return body + String(gtinCheckDigit(body));
  }

  /** In English, one plain item scanned and the shopper at the payment choice. */
  async function oneItemAtPaymentChoice() {
    await language('en');
    const [item] = await k.catalog.sample('plain', 1);
    await scan(item.barcodes[0]);
    await lineCount(1);
    await tap('checkout');
    await onScreen('payment_method');
  }

  async function attendantLogin(pin: string) {
    await tap('attendant-open');
    await page.waitForSelector('[data-test="pin-pad"]');
    for (const d of pin) await tap(`key-${d}`);
    await tap('key-OK');
  }

  it('flow 1: promotion + age check approved by the attendant on screen, card, printed receipt matching the screen', async () => {
    await onScreen('welcome');
    await shoot('01-welcome');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.screenshot({ path: path.join(SHOTS, '01-welcome-zh-CN-1920.png') });
    await page.setViewportSize({ width: 1024, height: 768 });

    // an unknown barcode (told, nothing added, the attendant called): test/screen-polish.test.ts

    const multi = k.config.promotions.find((p) => (p.kind === 'x_for_price' || p.kind === 'buy_x_pay_y') && !p.memberOnly)!;
    let promoItem: PriceItem | null = null;
    for (const sku of multi.skus) {
      promoItem = await k.catalog.bySku(sku);
      if (promoItem && !promoItem.soldByWeight && promoItem.ageLimit === null) break;
    }
    const n = multi.kind === 'x_for_price' ? multi.quantity : multi.kind === 'buy_x_pay_y' ? multi.buy : 1;
    await scan('M0000000001');
    for (let i = 0; i < n; i++) await scan(promoItem!.barcodes[0]);
    const [plain] = await k.catalog.sample('plain', 1);
    const [weighed] = await k.catalog.sample('weighed', 1);
    const [age] = await k.catalog.sample('age', 1);
    await scan(plain.barcodes[0]);
    await scan(weightLabel(weighed, 347));
    await onScreen('scanning');
    await lineCount(3); // repeated scans of one item add to its line's quantity
    expect(await page.locator('[data-test="promotion"]').count()).toBeGreaterThan(0);
    expect(await text('member')).toContain('0001');
    await shoot('02-scanning');
    await fitsBothSizes('02-scanning');

    await scan(age.barcodes[0]);
    await onScreen('attendant_wait');
    await shoot('03-age-check');

    // a wrong PIN is refused; the right one opens attendant mode, journaled as att-42
    await attendantLogin('1111');
    await page.waitForFunction(`(document.querySelector('[data-test="pin-error"]')?.textContent ?? '') !== ''`);
    expect(await text('pin-error')).toBe('密码错误');
    for (const d of PIN) await tap(`key-${d}`);
    await tap('key-OK');
    await page.waitForSelector('[data-test="attendant-panel"]');
    expect(await text('attendant-id')).toBe('att-42');
    await shoot('04-attendant');
    await tap('att-approve');
    await onScreen('scanning');
    // approving ends the attendant's task: attendant mode closes by itself, back to the shopper's screen
    await page.waitForSelector('[data-test="attendant-panel"]', { state: 'detached' });
    const approvedBy = await k.db.read.get<{ payload: string }>("SELECT payload FROM journal WHERE type = 'attendant_approved' ORDER BY seq DESC LIMIT 1");
    expect(JSON.parse(approvedBy!.payload).event.attendantId).toBe('att-42');

    await lineCount(4);
    // what the shopper sees (zh-CN, as the receipt prints): names and total, the same after a reload
    const names = await page.locator('[data-test="line-name"]').allTextContents();
    const total = await text('total');
    const order = (await k.engine.openOrder())!;
    expect(total).toBe(`¥${(order.priced.total / 100).toFixed(2)}`);
    await page.reload();
    await onScreen('scanning');
    await lineCount(4);
    expect(await page.locator('[data-test="line-name"]').allTextContents()).toEqual(names);
    expect(await text('total')).toBe(total);

    await tap('checkout');
    await onScreen('payment_method');
    await shoot('05-payment-method');
    await fitsBothSizes('05-payment-method');
    // declined first: back to the choice with the reason, nothing paid; the retry goes through
    hw().sim.terminal!.decline();
    await tap('pay-card');
    await page.waitForSelector('body[data-screen="payment_method"] [data-test="message"][data-code="DECLINED"]');
    expect((await k.engine.openOrder())!.paid).toBe(0);
    await shoot('05b-declined');
    hw().sim.terminal!.approve();
    await tap('pay-card');
    await onScreen('receipt_choice');
    expect(await text('paid-total')).toBe(total);
    await shoot('06-receipt-choice');
    const before = hw().sim.printer!.receipts();
    await tap('receipt-print');
    await onScreen('thank_you');
    await page.waitForSelector('[data-test="take-receipt"][data-printed="ok"]');
    await shoot('07-thank-you');
    expect(hw().sim.printer!.receipts()).toBe(before + 1);
    const paper = hw().sim.printer!.last()!.text;
    for (const name of new Set(names)) expect(paper).toContain(name);
    expect(paper).toMatch(new RegExp(`合计 ${total.replace(/[.$]/g, (c) => `\\${c}`)}`));
    expect(paper).toContain(`${await text('receipt-no')}`.padStart(6, '0'));
    await tap('done');
    await onScreen('welcome');
  }, 240_000);

  it('flow 2: QR pay in zh-CN with the shopper presenting a payment code, e-receipt QR', async () => {
    await language('zh-CN');
    const items = await k.catalog.sample('plain', 2);
    for (const i of items) await scan(i.barcodes[0]);
    await lineCount(2);
    const total = await text('total');
    await tap('checkout');
    await onScreen('payment_method');
    // the shopper changes their mind while the kiosk waits for the payment code: cancelled, nothing paid, choose again
    await tap('pay-qr');
    await page.waitForSelector('[data-test="prompt"][data-prompt="scan_payment_code"]');
    await tap('cancel-payment');
    await onScreen('payment_method');
    const afterCancel = (await k.engine.openOrder())!;
    expect(afterCancel.paid).toBe(0);
    expect(afterCancel.payments.map((p) => p.status)).toEqual(['declined']);
    expect(await page.locator('[data-test="message"]').count()).toBe(0); // cancelled, not "declined"
    await tap('pay-qr');
    await onScreen('paying');
    await page.waitForSelector('[data-test="prompt"][data-prompt="scan_payment_code"]');
    expect(await text('prompt')).toContain('付款码');
    await shoot('08-qr-scan-code');
    await waitFor('kiosk waits for the payment code', () => hw().paymentCodes.waiting, T);
    await hw().sim.scanner!.scan('281234567890123456');
    await onScreen('receipt_choice');
    expect(await text('paid-total')).toBe(total);
    const done = (await k.engine.list(1))[0];
    expect(done).toMatchObject({ state: 'completed' });
    expect(done.payments.filter((p) => p.status === 'approved').map((p) => p.method)).toEqual(['qr']);
    await tap('receipt-e');
    await page.waitForSelector('[data-test="e-receipt-qr"] svg');
    await shoot('09-e-receipt');
    await tap('done');
    await onScreen('welcome');
  }, 180_000);

  it('flow 3: terminal unplugged mid-payment → "checking your payment" → settled without a double charge', async () => {
    await oneItemAtPaymentChoice();
    const journalBefore = hw().sim.terminal!.transactions().length;
    hw().sim.terminal!.timeout(); // the terminal asks for a card, then hears nothing
    await tap('pay-card');
    await page.waitForSelector('[data-test="prompt"][data-prompt="insert_card"]');
    // the terminal's 04 FF 0x0A reached the page as the code `insert_card`, worded by the page itself (screen-ui/i18n.ts)
    expect(Object.values(PROMPTS.insert_card)).toContain(await text('prompt'));
    await shoot('10-card-insert', 'en');
    await hw().sim.terminal!.unplug();
    await onScreen('checking_payment');
    await shoot('11-checking-payment', 'en');
    // the attendant looks while the terminal is still away: "recheck" cannot reach it, so the payment stays in doubt
    await attendantLogin(PIN);
    await page.waitForSelector('[data-test="attendant-panel"] [data-test="att-recheck"]');
    expect(await page.locator('[data-test="request"]').allTextContents()).toEqual([expect.stringContaining('Card')]);
    await shoot('13-attendant-payment-in-doubt', 'en');
    await tap('att-recheck');
    await page.waitForSelector('[data-test="attendant-panel"] [data-test="message"][data-code="STILL_IN_DOUBT"]');
    expect((await k.engine.openOrder())!.state).toBe('payment_unknown');
    await tap('att-close');
    await page.waitForSelector('[data-test="attendant-panel"]', { state: 'detached' });
    // the terminal comes back: recovery asks it, learns nothing was charged, and the shopper may pay again
    await hw().sim.terminal!.replug();
    await onScreen('payment_method');
    // nothing was charged: the shopper is told so, not "declined"
    await page.waitForSelector('[data-test="message"][data-code="NOT_CHARGED"]');
    expect(await text('message')).toBe('Payment not completed, nothing was charged. Please try again or choose another method.');
    const order = (await k.engine.openOrder())!;
    expect(order.paid).toBe(0);
    const resolved = await k.db.read.get<{ payload: string }>("SELECT payload FROM journal WHERE type = 'payment_resolved' ORDER BY seq DESC LIMIT 1");
    expect(JSON.parse(resolved!.payload).event).toMatchObject({ outcome: 'declined', by: 'system' });
    hw().sim.terminal!.approve();
    await tap('pay-card');
    await onScreen('receipt_choice');
    const paid = await k.engine.get(order.id);
    expect(paid.state).toBe('completed');
    expect(paid.payments.filter((p) => p.status === 'approved')).toHaveLength(1);
    // the terminal's journal since this order's first attempt: the interrupted one charged nothing, the second once
    const since = hw().sim.terminal!.transactions().slice(journalBefore);
    expect(since).toHaveLength(2);
    expect(since.filter((t) => t.result === 'approved' && !t.reversed).map((t) => t.amount)).toEqual([paid.priced.total]);
    await tap('receipt-none');
    await onScreen('thank_you');
    await tap('done');
    await onScreen('welcome');
  }, 240_000);

  it('merchant QR: the screen shows the dynamic code, the shopper pays it in the app, the screen follows', async () => {
    await oneItemAtPaymentChoice();
    await tap('pay-qr_merchant');
    await page.waitForSelector('[data-test="merchant-qr"] svg');
    await shoot('14-merchant-qr', 'en');
    const gw = hw().wallets!.sims.alipay!;
    const waiting = gw.ledger().filter((t) => t.status === 'WAIT_BUYER_PAY' && t.qrCode);
    expect(waiting).toHaveLength(1);
    expect(await gw.payQr(waiting[0].qrCode!)).toBe(true);
    await onScreen('receipt_choice');
    await tap('receipt-none');
    await tap('done');
    await onScreen('welcome');
  }, 120_000);

  it('attendant back office: reprint, refund chosen lines, void a line, device health, close and reopen the lane (each journaled with the attendant id)', async () => {
    await language('en');
    const journal = async (type: string) => {
      const row = await k.db.read.get<{ payload: string; order_id: string | null }>('SELECT payload, order_id FROM journal WHERE type = ? ORDER BY seq DESC LIMIT 1', [type]);
      return row ? { ...(JSON.parse(row.payload) as Record<string, unknown>), orderId: row.order_id } : null;
    };
    // help with nothing scanned calls the attendant: the lane light blinks yellow
    await onScreen('welcome');
    await tap('help');
    await onScreen('attendant_wait');
    await waitFor('light yellow', () => hw().sim.light!.state()?.color === 'yellow', T);
    await attendantLogin(PIN);
    await page.waitForSelector('[data-test="attendant-panel"]');
    await tap('att-cancel');
    await onScreen('welcome');
    await page.waitForSelector('[data-test="attendant-panel"]', { state: 'detached' }); // cancelling ends the task
    await attendantLogin(PIN);

    // reprint the card order of flow 1 (the newest card order with a receipt)
    const cardOrder = (await k.engine.list(20)).find((o) => o.receiptNo !== null && o.payments.some((p) => p.method === 'card' && p.status === 'approved') && o.lines.length >= 3)!;
    await tap('att-tab-orders');
    await page.waitForSelector(`[data-test="past-order"][data-order="${cardOrder.id}"]`);
    await shoot('15-attendant-orders', 'en');
    const printed = hw().sim.printer!.receipts();
    await page.locator(`[data-test="past-order"][data-order="${cardOrder.id}"] [data-test="att-reprint"]`).click();
    await page.waitForSelector('[data-test="att-notice"][data-action="reprint"][data-ok="true"]');
    expect(hw().sim.printer!.receipts()).toBe(printed + 1);
    expect(hw().sim.printer!.last()!.text).toContain('REPRINT 1');
    expect(await journal('receipt_reprinted')).toMatchObject({ attendantId: 'att-42', reprint: 1, orderId: cardOrder.id });

    // refund two chosen lines of it: exactly their net amounts go back to the card
    const [l1, l2] = cardOrder.priced.lines.filter((l) => l.net > 0);
    const card = page.locator(`[data-test="past-order"][data-order="${cardOrder.id}"]`);
    await card.locator(`[data-test="pick-${l1.lineId}"]`).click();
    await card.locator(`[data-test="pick-${l2.lineId}"]`).click();
    await card.locator('[data-test="att-refund-lines"]').click();
    await page.waitForSelector('[data-test="att-notice"][data-action="refund"][data-ok="true"]');
    const refunded = await k.engine.get(cardOrder.id);
    expect(refunded.state).toBe('partially_refunded');
    expect(refunded.refunded).toBe(l1.net + l2.net);
    expect(await journal('refund_issued')).toMatchObject({ orderId: cardOrder.id });
    expect(JSON.stringify(await journal('refund_issued'))).toContain('att-42');
    await page.waitForSelector(`[data-test="past-order"][data-order="${cardOrder.id}"] [data-test="past-refunded"]`);
    // the same lines cannot be refunded twice: they are shown refunded and cannot be picked
    expect(await card.locator(`[data-test="pick-${l1.lineId}"]`).isDisabled()).toBe(true);

    // device health: the doctor's rows, all required ones passing
    await tap('att-tab-lane');
    await page.waitForSelector('[data-test="health"]');
    expect(await page.locator('[data-test="health"]').getAttribute('data-ok')).toBe('true');
    expect(await page.locator('[data-test="health-row"]').count()).toBeGreaterThan(3);
    await shoot('16-attendant-lane', 'en');

    // close the lane: journaled, the screen says so, scans are refused; it stays closed across a screen reload
    await tap('att-lane-close');
    await page.waitForSelector('[data-test="lane-state"][data-open="false"]');
    expect(await journal('lane_closed')).toMatchObject({ attendantId: 'att-42' });
    await tap('att-close');
    await onScreen('lane_closed');
    const [item, other] = await k.catalog.sample('plain', 2);
    await scan(item.barcodes[0]);
    expect(await k.engine.openOrder()).toBeNull();
    await page.reload();
    await onScreen('lane_closed');
    await attendantLogin(PIN);
    await tap('att-tab-lane');
    await tap('att-lane-open');
    await page.waitForSelector('[data-test="lane-state"][data-open="true"]');
    expect(await journal('lane_opened')).toMatchObject({ attendantId: 'att-42' });
    await tap('att-close');
    await onScreen('welcome');

    // void a line directly from attendant mode
    await scan(item.barcodes[0]);
    await scan(other.barcodes[0]);
    await lineCount(2);
    await attendantLogin(PIN);
    const open = (await k.engine.openOrder())!;
    await tap(`att-void-${open.lines[0].lineId}`);
    await tap('att-close');
    await lineCount(1);
    expect(await journal('attendant_approved')).toMatchObject({ event: { attendantId: 'att-42' } });
    await attendantLogin(PIN);
    await tap('att-cancel');
    await onScreen('welcome');
    await page.waitForSelector('[data-test="attendant-panel"]', { state: 'detached' });
  }, 240_000);

  it('out of service: a required device down shows the screen with the reason for staff; back in service after', async () => {
    await hw().sim.scanner!.unplug();
    await onScreen('out_of_service');
    expect(await text('oos-reasons')).toMatch(/scanner: offline/);
    await shoot('12-out-of-service');
    await hw().sim.scanner!.replug();
    await onScreen('welcome');
  }, 120_000);

  it('refuses malformed commands and foreign origins', async () => {
    const replies = (await page.evaluate(`(async () => {
      const ws = new WebSocket('ws://' + location.host + '/ws');
      const got = [];
      await new Promise((r) => (ws.onopen = r));
      ws.onmessage = (e) => {
        const m = JSON.parse(String(e.data));
        if (m.type === 'result') got.push(m);
      };
      ws.send('not json');
      ws.send(JSON.stringify({ type: 'command', id: 7, command: { kind: 'pay', method: 'card', extra: 1 } }));
      ws.send(JSON.stringify({ type: 'command', id: 8, command: { kind: 'attendant_approve' } }));
      while (got.length < 3) await new Promise((r) => setTimeout(r, 20));
      ws.close();
      return got;
    })()`)) as { id: number; ok: boolean; error?: string }[];
    expect(replies.find((r) => r.id === -1)).toMatchObject({ ok: false, error: 'not JSON' });
    expect(replies.find((r) => r.id === 7)).toMatchObject({ ok: false });
    expect(replies.find((r) => r.id === 8)).toMatchObject({ ok: false, error: expect.stringMatching(/^not_authorised/) });
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: screen.port, path: '/view', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
    expect(await status('evil.example')).toBe(403); // DNS rebinding: a page from elsewhere cannot read the view
    expect(await status(`127.0.0.1:${screen.port}`)).toBe(200);
    const traversal = await fetch(`http://127.0.0.1:${screen.port}/..%2fpackage.json`);
    expect(traversal.status).toBe(404);
  }, 60_000);
});
