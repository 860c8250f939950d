/**
 * The shopper's screen at retail grade (issue 10, points 12 and 13), in real headless Chromium (Debian's
 * /usr/bin/chromium via playwright-core) against a kiosk booted in this process with simulated devices, set up as
 * test/screen.test.ts does. Layout is measured with bounding boxes and hit tests at 1024×768, 1280×800, 1920×1080
 * and portrait 1080×1920; the store's branding comes from config `screen.branding`. Screenshots (both languages,
 * portrait included) go to test-output/screenshots/ — the README's are copied from there to docs/screenshots/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startScreen, type RunningScreen } from '../device/screen';
import { LOGO_MAX_BYTES } from '../runtime/screen/server';
import { tempDir } from './support/engine-fixture';
import { buildScreenUi, launchChromium, newScreenPage } from './support/screen-browser';
import { waitFor } from './support/wait';

const ROOT = path.resolve(__dirname, '..');
const SHOTS = path.join(ROOT, 'test-output', 'screenshots');
const T = 30_000; // generous: two shared cores
const SIZES = [
  { width: 1024, height: 768 },
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
  { width: 1080, height: 1920 },
] as const;
const PRIMARY = '#1a5fb4';
const ACCENT = '#e66100';
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 60"><rect width="200" height="60" rx="10" fill="${ACCENT}"/><text x="100" y="40" font-size="28" text-anchor="middle" fill="#fff" font-family="sans-serif">HARBOUR</text></svg>`;

interface Box {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

describe('shopper screen polish in headless Chromium', () => {
  let dir: string;
  let k: Kiosk;
  let screen: RunningScreen;
  let browser: Browser;
  let page: Page;
  const failed: string[] = [];
  const hw = () => k.hardware!;

  beforeAll(async () => {
    buildScreenUi();
    fs.mkdirSync(SHOTS, { recursive: true });
    dir = tempDir('kiosk-screen-polish-');
    fs.mkdirSync(path.join(dir, 'brand'));
    fs.writeFileSync(path.join(dir, 'brand', 'logo.svg'), LOGO);
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: dir,
        // no card payments here: the lane runs without waiting for the terminal
        devices: { required: ['scanner', 'printer'] },
        screen: { port: 0, branding: { storeName: 'Harbour Market', logo: 'brand/logo.svg', primaryColor: PRIMARY, accentColor: ACCENT } },
      },
    });
    k = await bootKiosk(config, { devices: true });
    await waitFor('lane in service', () => hw().supervisor.condition().inService, T).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(hw().supervisor.condition())}`);
    });
    screen = await startScreen(k, { port: 0, thankYouMs: 600_000 });
    browser = await launchChromium();
    page = await newScreenPage(browser, T);
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(screen.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await screen?.close();
    await k?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    if (await page.locator('[data-test="pin-close"]').count()) await tap('pin-close');
  });

  /** Back to the welcome screen: an order left open (by a test that failed half way, or on purpose) is cancelled. */
  async function fresh() {
    const open = await k.engine.openOrder();
    if (open && ['idle', 'shopping', 'needs_attendant', 'idle_prompt', 'awaiting_payment'].includes(open.state)) {
      await k.engine.dispatch(open.id, { type: 'order_cancelled', reason: 'test cleanup', attendantId: 'att-1' });
    }
    await onScreen('welcome');
  }

  const onScreen = (name: string) => page.waitForSelector(`body[data-screen="${name}"]`, { timeout: T });
  const tap = (test: string) => page.locator(`[data-test="${test}"]`).click();
  const seqNow = async () => Number(await page.evaluate("document.body.dataset.seq || '0'"));
  const lineCount = (n: number) => page.waitForFunction(`document.querySelectorAll('[data-test="line"]').length === ${n}`, undefined, { timeout: T });

  async function language(lang: 'zh-CN' | 'en') {
    await tap(`lang-${lang}`);
    await page.waitForSelector(`body[data-lang="${lang}"]`, { timeout: T });
  }

  async function scan(code: string) {
    const seq = await seqNow();
    await hw().sim.scanner!.scan(code);
    await page.waitForFunction(`Number(document.body.dataset.seq || '0') > ${seq}`, undefined, { timeout: T });
  }

  /** Resizes and waits two frames for layout (and the page's resize handler). */
  async function size(s: { width: number; height: number }) {
    await page.setViewportSize(s);
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  }

  /** The element's box, and whether a tap at its centre reaches it (not something drawn over it). */
  async function visible(selector: string): Promise<Box & { hit: boolean; vw: number; vh: number }> {
    return (await page.evaluate(`(() => {
      const el = document.querySelector(${JSON.stringify(selector)});
      if (!el) return null;
      const r = el.getBoundingClientRect();
      const at = document.elementFromPoint(r.left + r.width / 2, r.top + Math.min(r.height / 2, 10));
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, hit: !!at && (el === at || el.contains(at)), vw: innerWidth, vh: innerHeight };
    })()`)) as Box & { hit: boolean; vw: number; vh: number };
  }

  /** The bottom of the fixed chrome above the content: the header and the progress strip. */
  async function chromeBottom(): Promise<number> {
    return (await page.evaluate(`Math.max(...[...document.querySelectorAll('#app > header, #app > .progress')].map((e) => e.getBoundingClientRect().bottom))`)) as number;
  }

  /** The smallest font size of any visible text on the page, with where it is. */
  async function smallestText(): Promise<{ px: number; where: string }> {
    return (await page.evaluate(`(() => {
      let min = { px: Infinity, where: '' };
      const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        if (!n.textContent.trim()) continue;
        const el = n.parentElement;
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        const px = parseFloat(getComputedStyle(el).fontSize);
        if (px < min.px) min = { px, where: el.className + ' "' + n.textContent.trim().slice(0, 30) + '"' };
      }
      return min;
    })()`)) as { px: number; where: string };
  }

  async function shoot(name: string) {
    for (const lang of ['en', 'zh-CN'] as const) {
      await language(lang);
      await page.screenshot({ path: path.join(SHOTS, `${name}-${lang}.png`) });
    }
  }

  it('serves the favicon and the configured logo; an unknown file is 404, not 500; the page loads without a failed request', async () => {
    await onScreen('welcome');
    const base = `http://127.0.0.1:${screen.port}`;
    for (const p of ['/favicon.ico', '/favicon.svg']) {
      const r = await fetch(base + p);
      expect([p, r.status, r.headers.get('content-type')]).toEqual([p, 200, 'image/svg+xml']);
      expect(await r.text()).toMatch(/^<svg /);
    }
    expect((await fetch(`${base}/x.js`)).status).toBe(404);
    expect((await fetch(`${base}/nothing-here.js`)).status).toBe(404);
    const logo = await fetch(`${base}/logo`);
    expect([logo.status, logo.headers.get('content-type'), await logo.text()]).toEqual([200, 'image/svg+xml', LOGO]);
    // a logo file larger than the bound is not served (and does not break the page)
    const file = path.join(dir, 'brand', 'logo.svg');
    fs.writeFileSync(file, Buffer.alloc(LOGO_MAX_BYTES + 1, 0x20));
    expect((await fetch(`${base}/logo`)).status).toBe(404);
    fs.writeFileSync(file, LOGO);
    expect((await fetch(`${base}/logo`)).status).toBe(200);
    await page.reload();
    await onScreen('welcome');
    expect(failed).toEqual([]);
  }, 60_000);

  it('the store name, logo and colours from config reach the page', async () => {
    await onScreen('welcome');
    expect((await page.locator('[data-test="store-name"]').textContent())?.trim()).toBe('Harbour Market');
    await page.waitForFunction(`(() => { const i = document.querySelector('[data-test="logo"]'); return i && i.complete && i.naturalWidth > 0; })()`);
    const colours = (await page.evaluate(`(() => ({
      start: getComputedStyle(document.querySelector('[data-test="start"]')).backgroundColor,
      header: getComputedStyle(document.querySelector('header')).borderBottomColor,
      step: getComputedStyle(document.querySelector('.progress li.current')).backgroundColor,
    }))()`)) as Record<string, string>;
    expect(colours).toEqual({ start: 'rgb(26, 95, 180)', header: 'rgb(230, 97, 0)', step: 'rgb(230, 97, 0)' });

    // the same under the screen's own Content-Security-Policy (the test page above bypasses it): nothing refused
    const strict = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    const refused: string[] = [];
    strict.on('console', (m) => {
      if (/Content Security Policy|Refused/i.test(m.text())) refused.push(m.text());
    });
    try {
      await strict.goto(screen.url);
      await strict.waitForSelector('[data-test="start"]', { timeout: T });
      await strict.waitForSelector('img[data-test="logo"]', { timeout: T });
      // a string expression (DevTools evaluation): not subject to the page's CSP, unlike Playwright's string predicates
      const strictColours = await strict.evaluate(`({
        start: getComputedStyle(document.querySelector('[data-test="start"]')).backgroundColor,
        header: getComputedStyle(document.querySelector('header')).borderBottomColor,
        logo: document.querySelector('img[data-test="logo"]').naturalWidth > 0,
      })`);
      expect(strictColours).toEqual({ start: 'rgb(26, 95, 180)', header: 'rgb(230, 97, 0)', logo: true });
      expect(refused).toEqual([]);
    } finally {
      await strict.close();
    }
  }, 60_000);

  it('a bare PLU scan asks the shopper to weigh the item; "item not found" calls the attendant (light blinks yellow)', async () => {
    await fresh();
    await language('en');
    const [weighed] = await k.catalog.sample('weighed', 1);
    await scan(weighed.barcodes.find((b) => /^\d{4,5}$/.test(b))!);
    await page.waitForSelector('[data-test="message"][data-code="WEIGHT_REQUIRED"]');
    expect(await page.locator('[data-test="message"]').textContent()).toBe('Please weigh this item and scan its label.');
    expect(await k.engine.openOrder()).toBeNull();

    await language('zh-CN');
    await scan('4006381333931');
    await onScreen('attendant_wait');
    await page.waitForSelector('[data-test="message"][data-code="ITEM_NOT_FOUND"]');
    expect(await page.locator('[data-test="message"]').textContent()).toBe('未找到该商品，请联系工作人员');
    expect(await page.locator('[data-test="wait-attendant"]').textContent()).toBe('请稍候，工作人员马上就到');
    await waitFor('light blinking yellow', () => {
      const s = hw().sim.light!.state();
      return s?.color === 'yellow' && s.mode === 'blink';
    }, T);
    const open = (await k.engine.openOrder())!;
    expect(open.pending).toEqual([{ kind: 'help' }]);
    await k.engine.dispatch(open.id, { type: 'order_cancelled', reason: 'attendant came', attendantId: 'att-1' });
    await onScreen('welcome');
    await waitFor('light green again', () => hw().sim.light!.state()?.color === 'green', T);
  }, 120_000);

  /** 22 different items in the basket (scanned unless they already are), in English, at 1024×768. */
  async function longBasket(): Promise<{ items: Awaited<ReturnType<Kiosk['catalog']['sample']>>; lastId: string; firstId: string }> {
    await size(SIZES[0]);
    await language('en');
    const items = await k.catalog.sample('plain', 22);
    expect(new Set(items.map((i) => i.sku)).size).toBe(22);
    if ((await k.engine.openOrder())?.lines.length !== 22) {
      await fresh();
      for (const i of items) await scan(i.barcodes[0]);
    }
    await lineCount(22);
    await onScreen('scanning');
    const open = (await k.engine.openOrder())!;
    return { items, lastId: open.lines[open.lines.length - 1].lineId, firstId: open.lines[0].lineId };
  }

  it('after 22 lines the last scanned line is in view at every size (Pay too); portrait stacks the basket over the totals; labels ≥ 16 px', async () => {
    const { lastId } = await longBasket();
    for (const s of SIZES) {
      await size(s);
      const last = await visible(`[data-test="line"][data-line="${lastId}"]`);
      const pay = await visible('[data-test="checkout"]');
      expect({ size: s, lastInView: last.top >= (await chromeBottom()) - 1 && last.bottom <= last.vh + 1 && last.hit, payInView: pay.bottom <= pay.vh + 1 && pay.hit }).toEqual({
        size: s,
        lastInView: true,
        payInView: true,
      });
      const small = await smallestText();
      expect({ size: s, ok: small.px >= 16, small }).toMatchObject({ size: s, ok: true });
      if (s.height > s.width) {
        // portrait: the basket over the totals, each the full width, the basket taking most of the height
        const left = await visible('main.split .left');
        const right = await visible('main.split .right');
        expect({ stacked: right.top >= left.bottom - 1, leftWide: left.right - left.left > 0.9 * left.vw, rightWide: right.right - right.left > 0.9 * left.vw }).toEqual({
          stacked: true,
          leftWide: true,
          rightWide: true,
        });
        expect(left.bottom - left.top).toBeGreaterThan(0.45 * left.vh);
        expect(right.bottom).toBeGreaterThan(0.9 * left.vh); // the screen's height is used to the bottom
        await shoot('20-scanning-portrait');
        await language('en');
      }
    }
    await size(SIZES[0]);
    await tap('checkout');
    await onScreen('payment_method');
    expect((await smallestText()).px).toBeGreaterThanOrEqual(16);
    await tap('back');
    await onScreen('scanning');
  }, 240_000);

  it('the last scanned line is highlighted (a repeat scan highlights its line), with the item count, the progress strip and "scan here"', async () => {
    const { items, lastId, firstId } = await longBasket();
    expect(await page.locator('[data-test="line"][data-last="true"]').count()).toBe(1);
    expect(await page.locator('[data-test="line"][data-last="true"]').getAttribute('data-line')).toBe(lastId);
    expect(await page.locator('[data-test="item-count"]').textContent()).toBe('22');
    expect(await page.locator('[data-test="progress"]').getAttribute('data-step')).toBe('scan');
    expect(await page.locator('[data-test="scan-here"]').count()).toBe(1);
    await shoot('21-long-basket');
    await language('en');

    // scanning the first item again: its line (far up the list) becomes the highlighted one and comes into view
    await scan(items[0].barcodes[0]);
    await page.waitForSelector(`[data-test="line"][data-last="true"][data-line="${firstId}"]`);
    expect(await page.locator('[data-test="item-count"]').textContent()).toBe('23');
    const first = await visible('[data-test="line"][data-last="true"]');
    expect(first.top >= (await chromeBottom()) - 1 && first.bottom <= first.vh + 1 && first.hit).toBe(true);

    await tap('checkout');
    await onScreen('payment_method');
    expect(await page.locator('[data-test="progress"]').getAttribute('data-step')).toBe('pay');
    await fresh();
    expect(await page.locator('[data-test="scan-here"]').count()).toBe(1); // on the welcome screen too
  }, 240_000);

  it('dialogs: role=dialog, drawn above the header, and the header cannot be tapped while one is open', async () => {
    await size(SIZES[0]);
    await fresh();
    await tap('attendant-open');
    await page.waitForSelector('[data-test="pin-pad"]');
    for (const s of SIZES) {
      await size(s);
      const d = (await page.evaluate(`(() => {
        const dlg = document.querySelector('[data-test="pin-pad"]');
        const panel = dlg.querySelector('.panel').getBoundingClientRect();
        const help = document.querySelector('header [data-test="help"]').getBoundingClientRect();
        const onHelp = document.elementFromPoint(help.left + help.width / 2, help.top + help.height / 2);
        const onPanelTop = document.elementFromPoint(panel.left + panel.width / 2, panel.top + 4);
        return {
          role: dlg.getAttribute('role'),
          modal: dlg.getAttribute('aria-modal'),
          helpCovered: !!onHelp && dlg.contains(onHelp),
          panelOnTop: !!onPanelTop && dlg.contains(onPanelTop),
          panelInView: panel.top >= 0 && panel.bottom <= innerHeight,
        };
      })()`)) as Record<string, unknown>;
      expect({ size: s, ...d }).toEqual({ size: s, role: 'dialog', modal: 'true', helpCovered: true, panelOnTop: true, panelInView: true });
    }
    // a real tap where the Help button is: nothing happens behind the dialog
    await size(SIZES[0]);
    const help = (await page.locator('header [data-test="help"]').boundingBox())!;
    await page.mouse.click(help.x + help.width / 2, help.y + help.height / 2);
    // Close goes over the same socket after anything that tap could have sent: once it is through, look
    await tap('pin-close');
    await page.waitForSelector('[data-test="pin-pad"]', { state: 'detached' });
    expect(await k.engine.openOrder()).toBeNull(); // no help call was made
    expect(await page.evaluate('document.body.dataset.screen')).toBe('welcome');
  }, 120_000);

  it("merchant QR: heading below the header, the code and Cancel within the screen at every size", async () => {
    await size(SIZES[0]);
    await fresh();
    await language('en');
    const [item] = await k.catalog.sample('plain', 1);
    await scan(item.barcodes[0]);
    await lineCount(1);
    await tap('checkout');
    await onScreen('payment_method');
    await tap('pay-qr_merchant');
    await page.waitForSelector('[data-test="merchant-qr"] svg');
    for (const s of SIZES) {
      await size(s);
      const top = await chromeBottom();
      const h1 = await visible('main[data-screen="paying"] h1');
      const qr = await visible('[data-test="merchant-qr"]');
      const cancel = await visible('[data-test="cancel-payment"]');
      expect({
        size: s,
        heading: h1.top >= top - 1 && h1.bottom <= h1.vh && h1.hit,
        qr: qr.top >= top - 1 && qr.bottom <= qr.vh && qr.left >= 0 && qr.right <= qr.vw,
        cancel: cancel.top >= top - 1 && cancel.bottom <= cancel.vh && cancel.hit,
      }).toEqual({ size: s, heading: true, qr: true, cancel: true });
      if (s.width === 1024) await shoot('22-merchant-qr-1024');
      if (s.height > s.width) await shoot('23-merchant-qr-portrait');
    }
    await size(SIZES[0]);
    const gw = hw().wallets!.sims.alipay!;
    const waiting = gw.ledger().filter((t) => t.status === 'WAIT_BUYER_PAY' && t.qrCode);
    expect(await gw.payQr(waiting[0].qrCode!)).toBe(true);
    await onScreen('receipt_choice');
    expect(await page.locator('[data-test="progress"]').getAttribute('data-step')).toBe('receipt');
    await tap('receipt-none');
    await tap('done');
    await onScreen('welcome');
    expect(await page.evaluate('document.body.dataset.lang')).toBe('zh-CN'); // the next shopper starts in the store's language
    await size({ width: 1080, height: 1920 });
    await page.screenshot({ path: path.join(SHOTS, '24-welcome-portrait-zh-CN.png') });
    await size(SIZES[0]);
  }, 180_000);
});
