/**
 * The shopper screen with a member attached, in real headless Chromium: the member's customer type and available
 * points (HQ's snapshot in the kiosk's SQLite), "Use points" → the order's points discount, "Don't use points" → back.
 * Screenshots in en and zh-CN go to test-output/screenshots/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../config/load';
import { bootKiosk, type Kiosk } from '../device/kiosk';
import { startScreen, type RunningScreen } from '../device/screen';
import { SimulatedClock } from '../kernel/clock';
import { replaceSnapshot } from '../runtime/members/member-store';
import { tempDir } from './support/engine-fixture';
import { buildScreenUi, launchChromium, newScreenPage } from './support/screen-browser';
import { waitFor } from './support/wait';

const SHOTS = path.join(path.resolve(__dirname, '..'), 'test-output', 'screenshots');
const T = 30_000;

describe('member points on the shopper screen (headless Chromium)', () => {
  let dir: string;
  let k: Kiosk;
  let screen: RunningScreen;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    buildScreenUi();
    fs.mkdirSync(SHOTS, { recursive: true });
    dir = tempDir('kiosk-members-screen-');
    const config = loadConfig({
      env: {},
      overrides: { dataDir: dir, screen: { port: 0 }, loyalty: { enabled: true, points: 1, per: 100, redeem: { points: 10, value: 100 } } },
    });
    k = await bootKiosk(config, { clock: new SimulatedClock(), confirmCash: async () => true });
    await k.db.transaction((tx) =>
      replaceSnapshot(tx, 1, { v: 1, members: [['M0000000042', 'business', 300]], counted: {} }, { store: config.device.storeId, device: config.device.deviceId }, 0),
    );
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

  const sel = (test: string) => page.locator(`[data-test="${test}"]`);

  it('shows the type and points, uses them on a tap and takes them back (en + zh-CN screenshots)', async () => {
    const [item] = (await k.catalog.sample('plain', 10)).filter((i) => i.unitPrice >= 500);
    expect(item).toBeDefined();
    for (let i = 0; i < 3; i++) expect(await k.lane.scan(item.barcodes[0])).toMatchObject({ ok: true });
    expect(await k.lane.scan('M0000000042')).toMatchObject({ ok: true, action: 'member_attached' });
    expect((await k.engine.openOrder())?.customerType).toBe('business');

    await page.waitForSelector('body[data-screen="scanning"]', { timeout: T });
    await sel('use-points').waitFor({ timeout: T });
    expect(await sel('member-type').getAttribute('data-type')).toBe('business');
    expect((await sel('points-available').textContent())?.trim()).toBe('300');
    const before = (await k.engine.openOrder())!.priced.total;

    if (!(await page.locator('body[data-lang="en"]').count())) await page.locator('[data-test="lang-en"]').click();
    await page.waitForSelector('body[data-lang="en"]', { timeout: T });
    await sel('use-points').click();
    await sel('points-used').waitFor({ timeout: T });
    const o = (await k.engine.openOrder())!;
    // 300 points = 30.00, capped below the total
    const expected = Math.min(30, Math.floor((before - 1) / 100)) * 10;
    expect(o).toMatchObject({ pointsRedeemed: expected, pointsDiscount: expected * 10 });
    expect(o.priced.total).toBe(before - expected * 10);
    expect(await sel('member-points').first().textContent()).toContain('Business');
    await page.screenshot({ path: path.join(SHOTS, 'members-points-en.png') });

    await page.locator('[data-test="lang-zh-CN"]').click();
    await page.waitForSelector('body[data-lang="zh-CN"]', { timeout: T });
    expect(await sel('member-points').first().textContent()).toContain('企业会员');
    expect(await sel('dont-use-points').textContent()).toContain('不使用积分');
    await page.screenshot({ path: path.join(SHOTS, 'members-points-zh-CN.png') });

    await sel('dont-use-points').click();
    await sel('use-points').waitFor({ timeout: T });
    await waitFor('points taken back', async () => ((await k.engine.openOrder())?.pointsRedeemed === 0 ? true : null), T);
    expect((await k.engine.openOrder())!.priced.total).toBe(before);
  }, 120_000);
});
