/**
 * Issue 15, after-sales: a channel refund made by HQ itself, and a lane WeChat Pay return, reconciled end to end.
 *
 * The real kiosk (bootKiosk: engine, SQLite journal, simulated scanner) pays three orders with WeChat Pay on the
 * independent simulator (HTTPS on loopback, refunds with the merchant's client certificate: mutual TLS); its HQ link
 * publishes the journal over a real Mosquitto to HQ's ingest (SQLite file). The lane returns part of order 1
 * (runtime/payments/returns.ts, what `kiosk orders return` runs); HQ refunds part of order 2 with the merchant
 * secrets from its own encrypted registry (hq/refunds), retried with the same refund id (one refund at the channel),
 * bounded by what remains (the kiosk's own refunds counted); order 3's HQ refund meets a dropped connection → stored
 * pending, shown as such, then resolved by the refund query. Finally the simulator's daily WeChat bill is reconciled
 * at HQ: every payment and every refund matched, fees to the fen.
 */
import { beijingDayOf } from '../hq/reconcile/beijing-time';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Kiosk } from '../device/kiosk';
import { DEMO_PAYMENT_CODES } from '../device/commands/demo';
import { SqlAuditLog } from '../hq/audit/audit-log';
import type { HqSecretsKey } from '../hq/channels/secrets-key';
import { IngestStore } from '../hq/ingest/store';
import { runRefund } from '../hq/commands/refund';
import { reconcileBill } from '../hq/reconcile/reconcile';
import { rebuildProjections } from '../hq/orders/rebuild';
import { hqRefund, resolvePendingRefunds, type HqRefundDeps } from '../hq/refunds/hq-refund';
import { hqRefunds } from '../hq/refunds/refund-rows';
import { ledgerRows } from '../hq/members/registry';
import { loadChannelEndpoints } from '../hq/refunds/refunders';
import * as os from 'node:os';
import type { Browser } from 'playwright-core';
import { addUser } from '../hq/console/users';
import { SystemClock } from '../kernel/clock';
import { channelOrderNo } from '../protocol/payments/channel-numbers';
import { WechatSimulator } from '../simulators/wechat/wechat-simulator';
import { waitFor } from './support/wait';
import { startWechatRefundWorld, type WechatRefundWorld } from './support/wechat-refund-world';
import { consoleFixture, InjectBrowser } from './support/console-fixture';
import { loginInBrowser, SCREENSHOT_LANGS, SCREENSHOT_VIEWPORT } from './support/console-screenshots';
import { launchChromium } from './support/screen-browser';

// the kiosk is given a broker, so the embedded Aedes HQ is never started (aedes v1 is an ES module jest cannot load)
jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in these tests')),
}));
jest.setTimeout(180_000);

const API_KEY = 'hqrefund0123456789abcdefghijklmn';
const MCH = '1900000109';
const APP = 'wx8888888888888888';
const clock = new SystemClock();

describe('HQ channel refund (WeChat Pay) and a lane return, reconciled against the channel bill', () => {
  const store = `S${process.pid}h`;
  const device = `K${process.pid}h`;
  let w: WechatRefundWorld;
  let dir: string;
  let sim: WechatSimulator;
  let k: Kiosk;
  let hq: IngestStore;
  let deps: HqRefundDeps;
  let endpointsFile: string;
  let keyFile: string;
  let secretsKey: HqSecretsKey;

  beforeAll(async () => {
    w = await startWechatRefundWorld({ prefix: 'hq-channel-refund-', store, device, apiKey: API_KEY, mchId: MCH, appId: APP, clock, tag: 'refund' });
    ({ dir, sim, k, hq, deps, endpointsFile, keyFile, secretsKey } = w);
  });

  afterAll(() => w?.close());

  /** One lane sale of two plain items (for a member: earning points), paid with the shopper's WeChat payment code at the scanner. */
  async function wechatSale(n: number, member?: string): Promise<{ orderId: string; attemptId: string; paid: number; pointsEarned: number }> {
    const items = await k.catalog.sample('plain', 6);
    let id = '';
    for (const it of items.slice(n, n + 2)) {
      const r = await k.lane.scan(it.barcodes[0]);
      if (!r.ok || r.action !== 'item_added') throw new Error(`scan: ${JSON.stringify(r)}`);
      id = r.order.id;
    }
    if (member) await k.engine.dispatch(id, { type: 'member_attached', memberId: member });
    await k.engine.dispatch(id, { type: 'checkout_started' });
    const paying = k.checkout.pay(id, 'qr');
    await waitFor('the kiosk to ask for the payment code', () => k.hardware!.paymentCodes.waiting);
    await k.hardware!.sim.scanner!.scan(DEMO_PAYMENT_CODES.wechat);
    const o = await paying;
    expect(o.state).toBe('paid');
    const done = await k.engine.dispatch(id, { type: 'order_completed' });
    const attempt = done.payments.find((a) => a.status === 'approved')!;
    expect(attempt.reference).toMatchObject({ channel: 'wechat' });
    return { orderId: id, attemptId: attempt.attemptId, paid: done.paid, pointsEarned: done.pointsEarned };
  }

  /** Waits until HQ has ingested the kiosk's whole journal. */
  async function synced(): Promise<void> {
    const last = (await k.db.read.get<{ m: number }>('SELECT MAX(seq) AS m FROM journal'))!.m;
    await waitFor('HQ to ingest the journal', async () => (await hq.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM sales_events WHERE store_id = ? AND device_id = ?', [store, device]))!.n >= last, 60_000, 100);
  }

  it('lane return + HQ refunds (one retried, one pending then resolved) → the channel bill reconciles clean, refunds included, fees to the fen', async () => {
    // a member buys all three (the default loyalty: 1 point per 1.00 paid)
    const s1 = await wechatSale(0, 'M77');
    const s2 = await wechatSale(2, 'M77');
    const s3 = await wechatSale(4, 'M77');
    expect(s2.pointsEarned).toBe(Math.floor(s2.paid / 100));

    // the lane returns 1.00 of order 1 through WeChat Pay (the kiosk's own refund number)
    const lane = await k.returns.run(s1.orderId, { returnId: 'lane-R1', reason: 'defective', attendantId: 'att-1', by: 'lane', amount: 100 });
    expect(lane.refund).toMatchObject({ amount: 100 });
    await synced();

    // HQ refunds order 1: bounded by what the lane left (paid − 1.00)
    const ids1 = { store, device, order: s1.orderId, reason: 'defective', user: 'alice' };
    await expect(hqRefund(deps, { ...ids1, amount: s1.paid - 99, refundId: 'desk-0' })).rejects.toMatchObject({ code: 'GUARD_REJECTED', details: { rule: 'amount', remaining: s1.paid - 100 } });

    // HQ refunds 2.00 of order 2 at the channel; the same refund id again is the same refund (no second one sent)
    const first = await hqRefund(deps, { store, device, order: s2.orderId, amount: 200, reason: 'defective', refundId: 'desk-1', user: 'alice' });
    expect(first).toMatchObject({ state: 'refunded', amount: 200, channel: 'wechat', replayed: false, refundNo: expect.stringMatching(/^HQ[0-9a-f]{30}$/) });
    const again = await hqRefund(deps, { store, device, order: s2.orderId, amount: 200, reason: 'defective', refundId: 'desk-1', user: 'alice' });
    expect(again).toMatchObject({ state: 'refunded', replayed: true, refundNo: first.refundNo });
    const trade2 = sim.trade(channelOrderNo('wechat', s2.attemptId))!;
    expect(trade2.refunds.map((r) => [r.outRefundNo, r.fee])).toEqual([[first.refundNo, 200]]);
    // a refund the channel refuses: nothing recorded, nothing paid back, audited with the reason
    sim.refuseRefunds('NOTENOUGH');
    const refused = await hqRefund(deps, { store, device, order: s2.orderId, amount: 100, reason: 'defective', refundId: 'desk-9', user: 'alice' });
    sim.refuseRefunds(null);
    expect(refused).toMatchObject({ state: 'declined', reason: expect.stringContaining('NOTENOUGH') });
    expect((await hqRefunds(hq.db.read, [store, device, s2.orderId])).map((x) => x.allocation.hqRefundId)).toEqual(['desk-1']);
    expect(sim.trade(channelOrderNo('wechat', s2.attemptId))!.refunds).toHaveLength(1);
    // the kiosk's own refund numbers and HQ's never meet
    const trade1 = sim.trade(channelOrderNo('wechat', s1.attemptId))!;
    expect(trade1.refunds).toHaveLength(1);
    expect(trade1.refunds[0].outRefundNo).toBe(`${s1.attemptId}-refund-1`);

    // order 3: the connection drops before WeChat Pay reads the refund → pending (nothing known), shown as pending
    sim.networkDrop(true, 'before');
    const lost = await hqRefund(deps, { store, device, order: s3.orderId, amount: 300, reason: 'wrong-item', refundId: 'desk-2', user: 'alice' });
    expect(lost).toMatchObject({ state: 'pending', amount: 300 });
    expect((await hqRefunds(hq.db.read, [store, device, s3.orderId])).map((r) => r.allocation.state)).toEqual(['pending']);
    // pending counts against what remains: the rest of order 3 only
    await expect(hqRefund(deps, { store, device, order: s3.orderId, amount: s3.paid - 299, reason: 'defective', refundId: 'desk-3', user: 'alice' })).rejects.toMatchObject({ code: 'GUARD_REJECTED' });
    sim.networkDrop(false);
    // resolved by the refund query: WeChat never got it (REFUNDNOTEXIST) → sent again under the same number
    const resolved = await resolvePendingRefunds(deps, 'cli');
    expect(resolved).toEqual([expect.objectContaining({ refundId: 'desk-2', state: 'refunded', replayed: true })]);
    expect(sim.trade(channelOrderNo('wechat', s3.attemptId))!.refunds.map((r) => r.fee)).toEqual([300]);
    // the CLI with the same id: replayed, nothing new at the channel
    let out = '';
    const cli = await runRefund({ db: path.join(dir, 'hq.sqlite'), store, device, order: s3.orderId, amount: '300', reason: 'wrong-item', refundId: 'desk-2', channelEndpoints: endpointsFile, secretsKey: keyFile, json: true }, { out: (t) => (out += t), clock });
    expect(cli[0]).toMatchObject({ state: 'refunded', replayed: true });
    expect(JSON.parse(out)).toMatchObject({ refundId: 'desk-2', state: 'refunded' });
    expect(sim.trade(channelOrderNo('wechat', s3.attemptId))!.refunds).toHaveLength(1);

    // member points: the lane's return and each refund HQ made took back their share (the refused one, and the
    // retries, nothing); the kiosk's estimate follows HQ's entries through the snapshot
    await synced();
    const taken = (await ledgerRows(hq.db.read, 'M77')).filter((e) => e.kind === 'reverse').map((e) => [e.source === 'hq' ? 'hq' : 'kiosk', e.orderId, e.points, e.reason]);
    expect(taken.sort()).toEqual(
      [
        ['hq', s2.orderId, Math.floor((s2.pointsEarned * 200) / s2.paid), 'desk-1'],
        ['hq', s3.orderId, Math.floor((s3.pointsEarned * 300) / s3.paid), 'desk-2'],
        ['kiosk', s1.orderId, Math.floor((s1.pointsEarned * 100) / s1.paid), null],
      ]
        .filter((x) => (x[2] as number) > 0)
        .sort(),
    );
    expect(taken.filter((x) => x[0] === 'hq')).toHaveLength(2);

    // audited
    const audit = await new SqlAuditLog(hq.db, clock).list({});
    expect(audit.filter((e) => e.action === 'refund.hq').map((e) => e.actor)).toEqual(['alice', 'alice', 'alice']);
    expect(audit.filter((e) => e.action === 'refund.hq.result').length).toBeGreaterThanOrEqual(2);

    // the day's bill from the channel, reconciled at HQ: everything matched
    const day = beijingDayOf(clock.now());
    const bill = sim.bill(day)!;
    expect(bill.match(/`REFUND,/g)).toHaveLength(3);
    const r = await reconcileBill(hq.db, { channel: 'wechat', day, bill: Buffer.from(bill, 'utf8'), bps: 60 }, { by: 'test', now: clock.now() });
    expect(r.items).toEqual([]);
    expect(r.totals.matched).toBe(6); // three payments, the lane's refund, HQ's two
    const paid = s1.paid + s2.paid + s3.paid;
    expect(r.totals.journal).toEqual({ payments: 3, refunds: 3, paymentAmount: paid, refundAmount: 600 });
    expect(r.totals.channel).toMatchObject({ payments: 3, refunds: 3, paymentAmount: paid, refundAmount: 600 });
    expect(r.totals.fees.actual).toBe(r.totals.fees.expected);
    expect(r.totals.settlement.channel).toBe(r.totals.settlement.journal);

    // `hq orders rebuild` re-projects the journal: HQ's own refunds (not in any journal) survive it
    await rebuildProjections(hq);
    expect((await hqRefunds(hq.db.read, [store, device, s2.orderId])).map((x) => [x.amount, x.allocation.state])).toEqual([[200, 'refunded']]);
    const again2 = await reconcileBill(hq.db, { channel: 'wechat', day, bill: Buffer.from(bill, 'utf8'), bps: 60 }, { by: 'test', now: clock.now() });
    expect({ items: again2.items, matched: again2.totals.matched }).toEqual({ items: [], matched: 6 });
  });

  it("the order page's \"Refund at the channel\" (admins only, audited): refunded at the channel, shown on the page; screenshots en + zh-CN", async () => {
    const s4 = await wechatSale(1);
    await synced();
    const PW = 'correct horse battery';
    await addUser(hq.db, { username: 'ada', password: PW, role: 'admin', stores: [] }, clock.now());
    await addUser(hq.db, { username: 'mgr', password: PW, role: 'store_manager', stores: [store] }, clock.now());
    const fx = await consoleFixture(hq, {}, clock.now());
    fx.ctx.secretsKey = secretsKey;
    fx.ctx.channelEndpoints = loadChannelEndpoints(endpointsFile);
    const href = `/orders/${store}/${device}/${s4.orderId}`;
    const out = process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hq-refund-shots-'));
    let browser: Browser | null = null;
    try {
      // a store manager sees the order but not the form, and may not post it
      const mgr = new InjectBrowser(fx.app);
      expect((await mgr.login('mgr', PW)).statusCode).toBe(303);
      const mgrPage = await mgr.get(href);
      expect(mgrPage.statusCode).toBe(200);
      expect(mgrPage.body).not.toContain('hq-refund-form');
      expect((await mgr.post(`${href}/hq-refund`, { amount: '100', reason: 'defective' })).statusCode).toBe(403);

      await fx.app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(fx.app.server.address() as { port: number }).port}`;
      browser = await launchChromium();
      const context = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT });
      const page = await context.newPage();
      page.setDefaultTimeout(30_000);
      page.on('dialog', (d) => void d.accept());
      await loginInBrowser(page, base, 'ada', PW);
      await page.goto(`${base}${href}`);
      await page.fill('#hq-refund-form input[name="amount"]', '250');
      await page.fill('#hq-refund-form input[name="reason"]', 'defective');
      await Promise.all([page.waitForURL((u) => u.searchParams.has('hqrefund')), page.click('#hq-refund-form button[type="submit"]')]);
      expect(await page.locator('#hq-refund-result').innerText()).toMatch(/^Refund refunded: /);
      expect(await page.locator('#hq-refunds-table tbody tr').count()).toBe(1);
      expect(await page.locator('#hq-refunds-table button').count()).toBe(0); // nothing pending: nothing to ask
      expect(await page.locator('#hq-refunds-table tbody tr').innerText()).toMatch(/refunded[\s\S]*ada[\s\S]*defective/);
      // no answer from the channel: the refund is shown pending with "Ask the channel", which resolves it by the query
      sim.networkDrop(true, 'before');
      await page.fill('#hq-refund-form input[name="amount"]', '100');
      await page.fill('#hq-refund-form input[name="reason"]', 'defective');
      await Promise.all([page.waitForURL((u) => u.searchParams.get('hqrefund')?.includes('pending') === true), page.click('#hq-refund-form button[type="submit"]')]);
      const pendingRow = page.locator('#hq-refunds-table tbody tr').nth(1);
      expect(await pendingRow.innerText()).toMatch(/pending/);
      sim.networkDrop(false);
      await Promise.all([page.waitForURL((u) => u.searchParams.get('hqrefund')?.startsWith('Refund refunded') === true), pendingRow.locator('button[type="submit"]').click()]);
      expect(await page.locator('#hq-refunds-table tbody tr').nth(1).innerText()).toMatch(/refunded/);
      expect(await page.locator('#hq-refunds-table button').count()).toBe(0);
      await context.close();
      // at the channel: 2.50 and 1.00 under HQ's numbers (the second sent once more after REFUNDNOTEXIST); audited under the admin's name
      const refunds = sim.trade(channelOrderNo('wechat', s4.attemptId))!.refunds;
      expect(refunds.map((r) => r.fee)).toEqual([250, 100]);
      expect(refunds[0].outRefundNo).toMatch(/^HQ[0-9a-f]{30}$/);
      expect(fx.rec.audit).toContainEqual(expect.objectContaining({ actor: 'ada', action: 'refund.hq', target: `${store}/${device}/${s4.orderId}`, detail: expect.objectContaining({ amount: 250 }) }));

      // the page with the refund done, in both languages (the whole page: the section is below the payments)
      for (const lang of SCREENSHOT_LANGS) {
        const ctx = await browser.newContext({ viewport: SCREENSHOT_VIEWPORT, locale: lang });
        const p = await ctx.newPage();
        await loginInBrowser(p, base, 'ada', PW);
        await p.goto(`${base}${href}?lang=${encodeURIComponent(lang)}`);
        await p.locator('#hq-refunds-table').waitFor();
        const file = path.join(out, `console-order-hq-refund-${lang}.png`);
        await p.screenshot({ path: file, fullPage: true });
        expect(fs.statSync(file).size).toBeGreaterThan(10_000);
        await ctx.close();
      }
    } finally {
      await browser?.close();
      await fx.app.close();
      if (!process.env.CONSOLE_SCREENSHOTS) fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
