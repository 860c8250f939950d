/**
 * The console's payment channels page (/channels) in Debian's Chromium against the console (in process, on loopback):
 * an admin enters WeChat Pay's merchant ids and keys in the form, lands on the page with the version, the merchant ids
 * and the fingerprints — never a value, and the secret fields empty; per kiosk its sealing key and delivery status.
 * Screenshots in English and Chinese (CONSOLE_SCREENSHOTS=docs/screenshots keeps them). A store manager gets 403.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { loadSecretsKey } from '../hq/channels/secrets-key';
import { recordSealKey } from '../hq/channels/kiosk-keys';
import { addUser } from '../hq/console/users';
import type { IngestStore } from '../hq/ingest/store';
import { fingerprint } from '../protocol/payments/channel-secrets';
import { generateSealKeyPair } from '../protocol/sealed/seal';
import { sealKeyFingerprint } from '../protocol/sealed/channel-section';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from './support/console-fixture';
import { loginInBrowser, SCREENSHOT_VIEWPORT, takeConsoleScreenshots } from './support/console-screenshots';
import { launchChromium } from './support/screen-browser';

afterAll(closeConsoleBackends, 60_000);
jest.setTimeout(180_000);

const PASSWORD = 'correct horse battery staple 15';

describe('/channels in Chromium', () => {
  let browser: Browser;
  let store: IngestStore;
  let close: () => Promise<void>;
  let base: string;
  let inject: InjectBrowser;
  let audit: { actor: string; action: string; target?: string; detail?: unknown }[];
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'channels-key-'));
  const out = process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'channels-shots-'));
  const kioskKey = generateSealKeyPair().publicKeyPem;

  beforeAll(async () => {
    store = (await CONSOLE_BACKENDS.find((b) => b.name === 'SQLite')!.open());
    const f = await consoleFixture(store);
    audit = f.rec.audit;
    f.ctx.secretsKey = loadSecretsKey(path.join(keyDir, 'hq-secrets.key'), { create: true });
    await addUser(store.db, { username: 'ada', password: PASSWORD, role: 'admin', stores: [] }, f.clock.now());
    await addUser(store.db, { username: 'sam', password: PASSWORD, role: 'store_manager', stores: ['S1'] }, f.clock.now());
    // two kiosks in the fleet: K1 announced its sealing key, K2 (older software) did not
    await store.db.transaction(async (tx) => {
      for (const d of ['K1', 'K2']) await tx.run('INSERT INTO fleet (store_id, device_id, last_seen) VALUES (?, ?, ?)', ['S1', d, f.clock.now()]);
      await recordSealKey(tx, 'S1', 'K1', kioskKey, f.clock.now());
    });
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
    close = () => f.app.close();
    inject = new InjectBrowser(f.app);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await close?.();
    await store?.close();
    fs.rmSync(keyDir, { recursive: true, force: true });
    if (!process.env.CONSOLE_SCREENSHOTS) fs.rmSync(out, { recursive: true, force: true });
  });

  it('an admin sets WeChat Pay for the chain; the page shows ids and fingerprints, never a value; screenshots; a store manager gets 403', async () => {
    const apiKey = `wxkey${randomBytes(14).toString('hex')}`;
    const clientKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const cert = `-----BEGIN CERTIFICATE-----\n${randomBytes(240).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END CERTIFICATE-----\n`;
    const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await loginInBrowser(page, base, 'ada', PASSWORD);
    await page.goto(`${base}/channels`);
    expect(await page.locator('table.channel-values').count()).toBe(0);
    const form = page.locator('form[data-channel="wechat"]');
    expect(await form.locator('input[name="apiKey"]').getAttribute('type')).toBe('password');
    await form.locator('input[name="appId"]').fill('wx2421b1c4370ec43b');
    await form.locator('input[name="mchId"]').fill('10000100');
    await form.locator('input[name="apiKey"]').fill(apiKey);
    await form.locator('textarea[name="clientCertPem"]').fill(cert);
    await form.locator('textarea[name="clientKeyPem"]').fill(clientKey);
    await Promise.all([page.waitForURL((u) => u.pathname === '/channels' && u.searchParams.has('saved')), form.locator('button[type="submit"]').click()]);
    const row = page.locator('table.channel-values tr[data-channel="wechat"]');
    expect(await row.innerText()).toContain(fingerprint(apiKey));
    expect(await row.innerText()).toContain('10000100');
    const html = await page.content();
    for (const secret of [apiKey, clientKey.split('\n')[1], cert.split('\n')[1]]) expect(html).not.toContain(secret);
    expect(await page.locator('form[data-channel="wechat"] input[name="apiKey"]').inputValue()).toBe('');
    // the form's save is audited: who, what, fingerprints — never a value
    expect(audit.filter((a) => a.action === 'channels.set')).toEqual([
      expect.objectContaining({ actor: 'ada', target: 'wechat@chain', detail: expect.objectContaining({ channel: 'wechat', scope: '*', fingerprints: expect.objectContaining({ apiKey: fingerprint(apiKey) }) }) }),
    ]);
    for (const secret of [apiKey, clientKey.split('\n')[1], cert.split('\n')[1]]) expect(JSON.stringify(audit)).not.toContain(secret);
    // per kiosk: K1's key fingerprint; nothing delivered (no broker here), K2 has no key
    expect(await page.locator('tr[data-kiosk="S1/K1"]').innerText()).toContain(sealKeyFingerprint(kioskKey));
    expect(await page.locator('tr[data-kiosk="S1/K2"]').getAttribute('data-status')).toBe('none');
    await context.close();

    const files = await takeConsoleScreenshots(browser, base, { username: 'ada', password: PASSWORD }, [{ name: 'channels', path: '/channels' }], out);
    expect(files.filter((f) => /console-channels/.test(f)).map((f) => path.basename(f)).sort()).toEqual(['console-channels-en.png', 'console-channels-zh-CN.png']);
    for (const f of files) expect(fs.statSync(f).size).toBeGreaterThan(10_000);

    await inject.login('sam', PASSWORD);
    expect((await inject.get('/channels')).statusCode).toBe(403);
    // and in the browser: the store manager's /channels is a 403, with no form and no fingerprint on it
    const samContext = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT });
    const samPage = await samContext.newPage();
    await loginInBrowser(samPage, base, 'sam', PASSWORD);
    const refused = await samPage.goto(`${base}/channels`);
    expect(refused?.status()).toBe(403);
    expect(await samPage.locator('form[data-channel="wechat"]').count()).toBe(0);
    expect(await samPage.content()).not.toContain(fingerprint(apiKey));
    await samContext.close();
    expect(audit.filter((a) => a.action === 'channels.set')).toHaveLength(1);
  });
});
