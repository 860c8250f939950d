/**
 * Returns at the lane from the attendant's screen (issue 15, after-sales): ScreenSession's `attendant_return` on a
 * kiosk booted without devices as device/screen.ts composes it — a real SQLite file, the real engine, checkout, cash
 * provider, refunds and returns (runtime/payments/returns.ts, the path `kiosk orders return` takes), the store's
 * returns policy from config and a SimulatedClock for the return window.
 */
import * as fs from 'node:fs';
import type { ScreenView } from '../../protocol/screen';
import { loadConfig } from '../../config/load';
import { defaultReturnsPolicy, type ReturnsPolicy } from '../../config/returns-policy';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { startScreen, type RunningScreen } from '../../device/screen';
import { tempDir } from '../../test/support/engine-fixture';
import { viewWhen } from '../../test/support/screen-view';
import { waitFor } from '../../test/support/wait';
import { SimulatedClock } from '../../kernel/clock';
import { receiptHeader } from '../../device/receipt-header';
import { hashPin } from './pin';
import { returnSlipJob } from './return-slip';
import type { ScreenSession } from './screen-session';

const PIN = '2468';
const SUPERVISOR_PIN = '8642';
const ATTENDANT = 'att-7';
const SUPERVISOR = 'sup-1';
const START = Date.UTC(2026, 2, 2, 10, 0, 0);
const DAY = 24 * 60 * 60 * 1000;
const GUARD_MS = 10_000;

interface Lane {
  dir: string;
  clock: SimulatedClock;
  kiosk: Kiosk;
  screen: RunningScreen;
  session: ScreenSession;
}

let pinHash: string;
let supervisorHash: string;
let badgeHash: string;
const running: Lane[] = [];
const errors: unknown[] = [];

beforeAll(async () => {
  pinHash = await hashPin(PIN, { N: 1024, r: 8, p: 1 });
  supervisorHash = await hashPin(SUPERVISOR_PIN, { N: 1024, r: 8, p: 1 });
  badgeHash = await hashPin('ATT1234', { N: 1024, r: 8, p: 1 });
});

afterEach(async () => {
  for (const lane of running.splice(0).reverse()) {
    await lane.screen.close();
    await lane.kiosk.close();
    fs.rmSync(lane.dir, { recursive: true, force: true });
  }
  expect(errors.splice(0)).toEqual([]);
});

async function boot(returns: Partial<ReturnsPolicy> = {}): Promise<Lane> {
  const dir = tempDir('kiosk-screen-returns-');
  const clock = new SimulatedClock(START);
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: dir,
      screen: { port: 0 },
      attendant: {
        pins: [
          { attendantId: ATTENDANT, hash: pinHash },
          { attendantId: SUPERVISOR, hash: supervisorHash },
        ],
        badges: [{ attendantId: ATTENDANT, hash: badgeHash }],
        maxPinAttempts: 5,
        lockoutMs: 60_000,
      },
      returns: { ...defaultReturnsPolicy(), ...returns },
    },
  });
  const kiosk = await bootKiosk(config, { clock, confirmCash: async () => true, onBackgroundError: (e) => errors.push(e) });
  const screen = await startScreen(kiosk, { port: 0, onError: (e) => errors.push(e) });
  const lane = { dir, clock, kiosk, screen, session: screen.session };
  running.push(lane);
  return lane;
}

/** Two items scanned, paid in cash through the screen, completed, the receipt step finished: the order id. */
async function cashSale(lane: Lane): Promise<string> {
  const { kiosk, session } = lane;
  const items = await kiosk.catalog.sample('plain', 2);
  for (const item of items) {
    const r = await kiosk.lane.scan(item.barcodes[0]);
    if (!r.ok) throw new Error(`scan ${item.sku}: ${JSON.stringify(r)}`);
  }
  await session.command({ kind: 'checkout' });
  await session.command({ kind: 'pay', method: 'cash' });
  const v = await viewWhen(session, (x) => x.screen === 'receipt_choice', 'the receipt choice', GUARD_MS);
  await session.command({ kind: 'receipt', choice: 'none' });
  await session.command({ kind: 'done' });
  return v.receipt!.orderId;
}

async function login(session: ScreenSession, pin = PIN): Promise<void> {
  await session.command({ kind: 'attendant_open' });
  await session.command({ kind: 'attendant_pin', pin });
  await session.command({ kind: 'attendant_tab', tab: 'orders' });
}

async function returnsJournal(kiosk: Kiosk, orderId: string) {
  const rows = await kiosk.db.read.all<{ payload: string }>("SELECT payload FROM journal WHERE order_id = ? AND type = 'refund_issued' ORDER BY seq", [orderId]);
  return rows.map((r) => (JSON.parse(r.payload) as { event: { amount: number; attendantId: string; reason?: string; returnId?: string; lineIds?: string[] } }).event);
}

const notice = (v: ScreenView) => v.attendant.notice;

describe('returns at the lane (attendant screen)', () => {
  it('the Return form sees the store policy; a return of one line pays back its net in cash, journaled with reason, return id and attendant; the same return id again pays nothing', async () => {
    const lane = await boot();
    const { kiosk, session } = lane;
    const orderId = await cashSale(lane);
    await login(session);
    const v = session.view();
    expect(v.attendant.returns).toEqual({
      days: 7,
      reasons: defaultReturnsPolicy().reasons.map((r) => ({ id: r.id, label: r.label })),
      approval: 'attendant',
      canApprove: true,
      why: null,
    });
    const order = await kiosk.engine.get(orderId);
    const line = order.priced.lines[0];
    expect(line.net).toBeGreaterThan(0);

    const cmd = { kind: 'attendant_return' as const, orderId, returnId: 'lane-r1', reason: 'defective', lineIds: [line.lineId] };
    await session.command(cmd);
    const done = session.view();
    const money = `¥${(line.net / 100).toFixed(2)}`;
    expect(notice(done)).toEqual({
      action: 'return',
      ok: true,
      returnId: 'lane-r1',
      text: { en: `Returned: ${money} refunded to Cash (reason: Defective)`, 'zh-CN': `已退货：退款 ${money} 已退回 现金（原因：质量问题）` },
    });
    expect(done.attendant.orders!.find((o) => o.id === orderId)).toMatchObject({ refunded: line.net, state: 'partially_refunded' });
    expect(await returnsJournal(kiosk, orderId)).toEqual([expect.objectContaining({ amount: line.net, attendantId: ATTENDANT, reason: 'defective', returnId: 'lane-r1', lineIds: [line.lineId] })]);

    // the same form sent again (a resend after the answer): answered from the journal, nothing paid again
    await session.command(cmd);
    expect(notice(session.view())).toMatchObject({ ok: true, returnId: 'lane-r1', text: { en: `This return was done already (${money}): nothing was refunded again` } });
    expect(await returnsJournal(kiosk, orderId)).toHaveLength(1);
    expect((await kiosk.engine.get(orderId)).refunded).toBe(line.net);

    // the slip a printing lane prints for it, from the journaled refund, in the store's language
    const after = await kiosk.engine.get(orderId);
    const lineName = order.lines.find((l) => l.lineId === line.lineId)!.names;
    for (const locale of ['en', 'zh-CN'] as const) {
      const job = returnSlipJob(after, 'lane-r1', { ...receiptHeader(kiosk.config), locale }, defaultReturnsPolicy());
      expect(job.id).toBe(`return:${orderId}:lane-r1`);
      const text = job.blocks.map((b) => (b.kind === 'text' ? b.text : b.kind === 'line' ? `${b.left} | ${b.right}` : b.kind === 'barcode' ? `[${b.data}]` : '')).join('\n');
      const en = locale === 'en';
      expect(text).toContain(en ? 'Return' : '退货单');
      expect(text).toContain(`${lineName[locale] ?? lineName.en} | -${money}`);
      expect(text).toContain(en ? 'Reason | Defective' : '退货原因 | 质量问题');
      expect(text).toContain(en ? `Cash | -${money}` : `现金 | -${money}`);
      expect(text).toContain(`${en ? 'Approved by' : '批准人'} | ${ATTENDANT}`);
      expect(text).toContain('[lane-r1]');
    }
    expect(() => returnSlipJob(after, 'no-such-return', receiptHeader(kiosk.config), defaultReturnsPolicy())).toThrow(/no return no-such-return/);
  });

  it('a double tap (two commands with the same return id at once) is one return: paid back once, both answered', async () => {
    const lane = await boot();
    const { kiosk, session } = lane;
    const orderId = await cashSale(lane);
    await login(session);
    const line = (await kiosk.engine.get(orderId)).priced.lines[1];
    const cmd = { kind: 'attendant_return' as const, orderId, returnId: 'lane-double', reason: 'wrong-item', lineIds: [line.lineId] };
    const results = await Promise.allSettled([session.command(cmd), session.command(cmd)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(await returnsJournal(kiosk, orderId)).toEqual([expect.objectContaining({ amount: line.net, returnId: 'lane-double' })]);
    expect((await kiosk.engine.get(orderId)).refunded).toBe(line.net);
  });

  it('the whole order when no line is picked; then the order cannot be returned again (a clear message, nothing refunded)', async () => {
    const lane = await boot();
    const { kiosk, session } = lane;
    const orderId = await cashSale(lane);
    await login(session);
    const paid = (await kiosk.engine.get(orderId)).paid;
    await session.command({ kind: 'attendant_return', orderId, returnId: 'lane-all', reason: 'changed-mind' });
    expect((await kiosk.engine.get(orderId)).state).toBe('refunded');
    expect(notice(session.view())!.text.en).toBe(`Returned: ¥${(paid / 100).toFixed(2)} refunded to Cash (reason: Changed mind)`);
    await expect(session.command({ kind: 'attendant_return', orderId, returnId: 'lane-again', reason: 'changed-mind' })).rejects.toMatchObject({ code: 'EVENT_NOT_ALLOWED' });
    expect(notice(session.view())).toEqual({
      action: 'return',
      ok: false,
      returnId: 'lane-again',
      text: { en: 'This order cannot be returned (state refunded, e.g. refunded already): nothing was refunded', 'zh-CN': '此订单不能退货（状态 refunded，例如已全部退款）：没有退款' },
    });
    expect(await returnsJournal(kiosk, orderId)).toHaveLength(1);
  });

  it('refused with the policy reason: past the window (by the kiosk clock), a reason outside the list', async () => {
    const lane = await boot({ days: 3 });
    const { kiosk, session, clock } = lane;
    const orderId = await cashSale(lane);
    clock.advance(3 * DAY + 1);
    await login(session);
    await expect(session.command({ kind: 'attendant_return', orderId, returnId: 'lane-late', reason: 'defective' })).rejects.toMatchObject({ code: 'RETURN_REFUSED', details: { rule: 'window' } });
    expect(notice(session.view())).toEqual({
      action: 'return',
      ok: false,
      returnId: 'lane-late',
      text: { en: 'Return refused: the 3-day return window has passed', 'zh-CN': '不能退货：已超过 3 天退货期限' },
    });
    await expect(session.command({ kind: 'attendant_return', orderId, returnId: 'lane-why', reason: 'no-such-reason' })).rejects.toMatchObject({ code: 'RETURN_REFUSED', details: { rule: 'reason' } });
    expect(await returnsJournal(kiosk, orderId)).toEqual([]);
    expect((await kiosk.engine.get(orderId)).refunded).toBe(0);
  });

  it('supervisor approval: the form says a supervisor must sign in; a plain attendant is refused; the supervisor with their own PIN returns it', async () => {
    const lane = await boot({ approval: 'supervisor', supervisors: [SUPERVISOR] });
    const { kiosk, session } = lane;
    const orderId = await cashSale(lane);
    await login(session);
    const policy = session.view().attendant.returns!;
    expect(policy).toMatchObject({ approval: 'supervisor', canApprove: false });
    expect(policy.why!.en).toContain('a supervisor types their own PIN below');
    await expect(session.command({ kind: 'attendant_return', orderId, returnId: 'lane-att', reason: 'defective' })).rejects.toMatchObject({ code: 'RETURN_REFUSED', details: { rule: 'approval' } });
    expect(notice(session.view())!.text.en).toBe(`Return refused: attendant ${ATTENDANT} is not a supervisor`);
    expect(await returnsJournal(kiosk, orderId)).toEqual([]);

    await session.command({ kind: 'attendant_close' });
    await login(session, SUPERVISOR_PIN);
    expect(session.view().attendant.returns).toMatchObject({ canApprove: true, why: null });
    await session.command({ kind: 'attendant_return', orderId, returnId: 'lane-sup', reason: 'defective' });
    expect(notice(session.view())).toMatchObject({ ok: true, returnId: 'lane-sup' });
    expect(await returnsJournal(kiosk, orderId)).toEqual([expect.objectContaining({ attendantId: SUPERVISOR, returnId: 'lane-sup' })]);
  });

  it('supervisor approval on the form: a supervisor\'s own PIN approves the attendant\'s return; a wrong PIN or a non-supervisor\'s PIN refunds nothing', async () => {
    const lane = await boot({ approval: 'supervisor', supervisors: [SUPERVISOR] });
    const { kiosk, session } = lane;
    const orderId = await cashSale(lane);
    await login(session);
    const base = { kind: 'attendant_return' as const, orderId, reason: 'defective' };
    await expect(session.command({ ...base, returnId: 'lane-w', supervisorPin: '0000' })).rejects.toThrow(/not_approved/);
    expect(notice(session.view())).toEqual({ action: 'return', ok: false, returnId: 'lane-w', text: { en: 'Wrong supervisor PIN: nothing was refunded', 'zh-CN': '主管密码错误：没有退款' } });
    // the attendant's own PIN is a PIN, but not a supervisor's
    await expect(session.command({ ...base, returnId: 'lane-own', supervisorPin: PIN })).rejects.toMatchObject({ code: 'RETURN_REFUSED', details: { rule: 'approval' } });
    expect(await returnsJournal(kiosk, orderId)).toEqual([]);
    // journaled by the composition root in the background: wait for the row
    await waitFor('the wrong PIN journaled', async () => (await kiosk.db.read.get("SELECT 1 FROM journal WHERE type = 'attendant_refused'")) !== undefined, GUARD_MS);
    const refused = await kiosk.db.read.all<{ payload: string }>("SELECT payload FROM journal WHERE type = 'attendant_refused'");
    expect(refused.map((r) => JSON.parse(r.payload) as unknown)).toContainEqual({ cause: 'wrong_pin', attendantId: ATTENDANT, command: 'attendant_return', suppressed: 0 });
    expect(refused.map((r) => r.payload).join()).not.toContain('0000');

    await session.command({ ...base, returnId: 'lane-sup-pin', supervisorPin: SUPERVISOR_PIN });
    expect(notice(session.view())).toMatchObject({ ok: true, returnId: 'lane-sup-pin' });
    // approved by the supervisor: the journal names them; the attendant stays signed in
    expect(await returnsJournal(kiosk, orderId)).toEqual([expect.objectContaining({ attendantId: SUPERVISOR, returnId: 'lane-sup-pin' })]);
    expect(session.view().attendant).toMatchObject({ active: true, attendantId: ATTENDANT });
  });

  it('HQ-only approval: the form says so and a lane return is refused, nothing refunded', async () => {
    const lane = await boot({ approval: 'hq' });
    const { kiosk, session } = lane;
    const orderId = await cashSale(lane);
    await login(session);
    expect(session.view().attendant.returns).toMatchObject({ approval: 'hq', canApprove: false, why: { en: expect.stringContaining('HQ console') } });
    await expect(session.command({ kind: 'attendant_return', orderId, returnId: 'lane-hq', reason: 'defective' })).rejects.toMatchObject({ code: 'RETURN_REFUSED', details: { rule: 'approval' } });
    expect(notice(session.view())!.text['zh-CN']).toBe('不能退货：本店退货须由总部批准');
    expect(await returnsJournal(kiosk, orderId)).toEqual([]);
  });

  it('a badge alone does not return money: the badge holder\'s own PIN first, then the return runs once', async () => {
    const lane = await boot();
    const { kiosk, session } = lane;
    const orderId = await cashSale(lane);
    session.scanned(await kiosk.lane.scan('ATT1234'), 'ATT1234');
    await viewWhen(session, (x) => x.attendant.active, 'attendant mode open by badge', GUARD_MS);
    const cmd = { kind: 'attendant_return' as const, orderId, returnId: 'lane-badge', reason: 'defective' };
    await expect(session.command(cmd)).rejects.toThrow(/pin_required/);
    expect(session.view().attendant).toMatchObject({ via: 'badge', pinPad: true, pinFor: 'attendant_return' });
    expect(await returnsJournal(kiosk, orderId)).toEqual([]);
    await session.command({ kind: 'attendant_pin', pin: PIN });
    expect(await returnsJournal(kiosk, orderId)).toEqual([expect.objectContaining({ attendantId: ATTENDANT, returnId: 'lane-badge' })]);
    expect(notice(session.view())).toMatchObject({ action: 'return', ok: true, returnId: 'lane-badge' });
  });

  it('a return needs attendant mode on this screen', async () => {
    const lane = await boot();
    const orderId = await cashSale(lane);
    await expect(lane.session.command({ kind: 'attendant_return', orderId, returnId: 'lane-x', reason: 'defective' })).rejects.toThrow(/not_authorised/);
    expect(await returnsJournal(lane.kiosk, orderId)).toEqual([]);
  });
});
