/**
 * The console's members pages (/members, /members/:id) in Debian's Chromium against the console (in process, on
 * loopback): the list with types and balances found by id; a member whose points two offline kiosks redeemed twice
 * shows its ledger (source, order link, earned / redeemed) and the conflict in plain words (which kiosk, the
 * shortfall); the kiosks' applied snapshot versions; an admin adjusts (audited), an auditor sees no form and a store
 * manager's POST is refused. Screenshots in English and Chinese (CONSOLE_SCREENSHOTS=docs/screenshots keeps them).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { SimulatedClock } from '../kernel/clock';
import { SqlAuditLog } from '../hq/audit/audit-log';
import { addUser } from '../hq/console/users';
import type { IngestStore } from '../hq/ingest/store';
import { importMembers } from '../hq/members/operations';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from './support/console-fixture';
import { loginInBrowser, SCREENSHOT_VIEWPORT, takeConsoleScreenshots } from './support/console-screenshots';
import { memberJournal } from './support/member-journals';
import { launchChromium } from './support/screen-browser';

afterAll(closeConsoleBackends, 60_000);
jest.setTimeout(180_000);

const PASSWORD = 'correct horse battery staple 16';
const T = Date.UTC(2026, 11, 6, 9, 0);

describe('/members in Chromium', () => {
  let browser: Browser;
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  let base: string;
  const out = process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'members-shots-'));

  beforeAll(async () => {
    store = await CONSOLE_BACKENDS.find((b) => b.name === 'SQLite')!.open();
    fx = await consoleFixture(store, {}, T);
    await addUser(store.db, { username: 'ada', password: PASSWORD, role: 'admin', stores: [] }, T);
    await addUser(store.db, { username: 'aud', password: PASSWORD, role: 'auditor', stores: [] }, T);
    await addUser(store.db, { username: 'mgr', password: PASSWORD, role: 'store_manager', stores: ['S1'] }, T);
    await importMembers(store, new SqlAuditLog(store.db, new SimulatedClock(T)), 'id,type,name,points\nM1,personal,Li Lei,100\nB7,business,Acme 有限公司,0\nG3,group,Choir,20\n', { actor: 'cli:ops', now: T - 86_400_000 });
    // two kiosks offline: k1 redeems 80, k2 redeems 100 of the same 100 points
    await store.acceptMany(memberJournal('S1', 'k1', [{ orderId: 'o-k1-1', ts: T + 4000, memberId: 'M1', pointsRedeemed: 80, pointsEarned: 2 }]), T + 60_000);
    await store.acceptMany(memberJournal('S1', 'k2', [{ orderId: 'o-k2-1', ts: T + 5000, memberId: 'M1', pointsRedeemed: 100 }, { orderId: 'o-k2-2', ts: T + 6000, memberId: 'B7', pointsEarned: 9 }]), T + 60_000);
    await store.db.transaction(async (tx) => {
      for (const d of ['k1', 'k2']) await tx.run('INSERT INTO fleet (store_id, device_id, last_seen) VALUES (?, ?, ?)', ['S1', d, T]);
      await tx.run('INSERT INTO member_snapshots (store_id, version, members, sha256, published_by, published_at) VALUES (?, ?, ?, ?, ?, ?)', ['S1', 1765011700, 3, '0'.repeat(64), 'system', T + 62_000]);
      await tx.run('INSERT INTO members_reported (store_id, device_id, payload, received_at) VALUES (?, ?, ?, ?)', ['S1', 'k1', JSON.stringify({ v: 1, version: 1765011700, status: 'applied', members: 3, ts: T + 63_000 }), T + 63_000]);
      await tx.run('INSERT INTO members_reported (store_id, device_id, payload, received_at) VALUES (?, ?, ?, ?)', ['S1', 'k2', JSON.stringify({ v: 1, version: 1765011600, status: 'applied', members: 3, ts: T + 1000 }), T + 1000]);
    });
    fx.clock.advance(120_000); // HQ's clock: after the kiosks' sales
    await fx.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(fx.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await fx?.app.close();
    await store?.close();
    if (!process.env.CONSOLE_SCREENSHOTS) fs.rmSync(out, { recursive: true, force: true });
  });

  it('list, search, the ledger with the conflict shown plainly, kiosks\' versions, an audited adjustment; screenshots', async () => {
    const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await loginInBrowser(page, base, 'ada', PASSWORD);
    await page.goto(`${base}/members`);
    expect(await page.locator('table.members-list tr[data-member]').count()).toBe(3);
    expect(await page.locator('tr[data-member="M1"]').innerText()).toMatch(/M1\s+personal\s+Li Lei\s+-78\s+1/);
    expect(await page.locator('tr[data-member="B7"]').innerText()).toMatch(/B7\s+business\s+Acme 有限公司\s+9/);
    // the kiosks' applied versions: k2 is behind the last published snapshot
    expect(await page.locator('tr[data-kiosk="S1/k1"]').getAttribute('class')).toBe('status-applied');
    expect(await page.locator('tr[data-kiosk="S1/k1"]').innerText()).toContain('applied v1765011700 (3 members)');
    expect(await page.locator('tr[data-kiosk="S1/k2"]').getAttribute('class')).toBe('status-behind');

    // search by id
    await page.locator('form.members-search input[name="q"]').fill('M');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('q') === 'M'), page.locator('form.members-search button').click()]);
    expect(await page.locator('table.members-list tr[data-member]').count()).toBe(1);

    // the member page: entries with their source and order link, the conflict in plain words
    await Promise.all([page.waitForURL((u) => u.pathname === '/members/M1'), page.locator('tr[data-member="M1"] a').click()]);
    expect(await page.locator('.member-balance').innerText()).toBe('Balance -78: earned 2, redeemed 180, adjusted 100');
    expect(await page.locator('tr[data-entry="S1/k2#1:redeem"]').innerText()).toMatch(/S1\/k2 #1\s+redeemed\s+-100\s+o-k2-1/);
    expect(await page.locator('tr[data-entry="S1/k2#1:redeem"] a').getAttribute('href')).toBe('/orders/S1/k2/o-k2-1');
    expect(await page.locator('tr[data-entry="hq#1:adjust"]').innerText()).toContain('import by cli:ops');
    expect(await page.locator('ul.members-conflicts li').count()).toBe(1);
    expect(await page.locator('ul.members-conflicts li[data-conflict="S1/k2#1"]').innerText()).toMatch(/^Kiosk S1\/k2 redeemed 100 points on .* with 22 on the balance: 78 points short\./);
    await page.screenshot({ path: path.join(out, 'console-member-en.png'), fullPage: true });

    // an admin's adjustment: audited, in the ledger, the balance moves
    await page.locator('form.members-adjust input[name="points"]').fill('+78');
    await page.locator('form.members-adjust input[name="reason"]').fill('goodwill after double redemption');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('adjusted') === '78'), page.locator('form.members-adjust button').click()]);
    expect(await page.locator('.flash').innerText()).toBe('Adjusted by 78 points.');
    expect(await page.locator('.member-balance').innerText()).toMatch(/^Balance 0:/);
    expect(await page.locator('tr[data-entry="hq#3:adjust"]').innerText()).toContain('adjusted by ada: goodwill after double redemption');
    expect(fx.rec.audit).toContainEqual(expect.objectContaining({ actor: 'ada', action: 'member.adjust', target: 'member:M1', detail: { points: 78, reason: 'goodwill after double redemption', seq: 3 } }));
    // a bad amount is refused with the reason, nothing recorded
    await page.locator('form.members-adjust input[name="points"]').evaluate((el) => el.removeAttribute('pattern'));
    await page.locator('form.members-adjust input[name="points"]').fill('1.5');
    await page.locator('form.members-adjust input[name="reason"]').fill('x');
    await page.locator('form.members-adjust button').click();
    await page.locator('.problems').waitFor();
    expect(await page.locator('.problems').innerText()).toBe('Points must be a non-zero whole number, e.g. +50 or -20.');
    expect(fx.rec.audit.filter((a) => a.action === 'member.adjust')).toHaveLength(1);
    await context.close();

    const files = await takeConsoleScreenshots(browser, base, { username: 'ada', password: PASSWORD }, [
      { name: 'members', path: '/members' },
      { name: 'member', path: '/members/M1' },
    ], out);
    expect(files.filter((f) => /console-members?-(en|zh-CN)\.png$/.test(f)).map((f) => path.basename(f)).sort()).toEqual(['console-member-en.png', 'console-member-zh-CN.png', 'console-members-en.png', 'console-members-zh-CN.png']);
    for (const f of files) expect(fs.statSync(f).size).toBeGreaterThan(10_000);
  });

  it('an auditor reads without a form, in Chinese; a store manager may not adjust', async () => {
    const aud = new InjectBrowser(fx.app);
    expect((await aud.login('aud', PASSWORD)).statusCode).toBe(303);
    const page = await aud.get('/members/M1?lang=zh-CN');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('终端 S1/k2');
    expect(page.body).toContain('不足 78 积分');
    expect(page.body).not.toContain('members-adjust');
    const mgr = new InjectBrowser(fx.app);
    expect((await mgr.login('mgr', PASSWORD)).statusCode).toBe(303);
    await mgr.get('/members/M1');
    const before = fx.rec.audit.length;
    const r = await mgr.post('/members/M1/adjust', { points: '5', reason: 'mine' });
    expect(r.statusCode).toBe(403);
    expect(fx.rec.audit.length).toBe(before);
  });
});
