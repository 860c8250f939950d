/** Which HQ refunds the kiosk has, and when a copy of the `hq_refund` command is due (SQLite and PostgreSQL). */
import { IngestStore } from '../ingest/store';
import { closeConsoleBackends, INGEST_TARGETS } from '../../test/support/console-fixture';
import { SimulatedClock } from '../../kernel/clock';
import type { ConsoleContext } from '../console/types';
import { COMMAND_TTL_MS } from '../signing';
import { hqRefundCommandArgs, kioskNotices, sendHqRefundNotices } from './kiosk-notice';
import { hqRefunds, insertHqRefund, type HqRefundAllocation } from './refund-rows';

afterAll(() => closeConsoleBackends());

describe.each(INGEST_TARGETS)('HQ refund notices on %s', (_name, fresh) => {
  let store: IngestStore;
  const clock = new SimulatedClock(Date.UTC(2026, 11, 7, 9, 0));
  beforeAll(async () => {
    store = await IngestStore.open(await fresh());
  });
  afterAll(() => store.close());

  const alloc = (id: string, state: 'pending' | 'refunded'): HqRefundAllocation => ({
    attemptId: 'att-1',
    channel: 'wechat',
    amount: 100,
    outTradeNo: 'wx-att-1',
    refundNo: `HQ${'0'.repeat(29)}${id.slice(-1)}`,
    refundId: state === 'refunded' ? `ch-${id}` : null,
    via: 'hq',
    state,
    hqRefundId: id,
    reason: 'defective',
    requestedBy: 'alice',
    ...(id === 'r-lines' ? { lineIds: ['L1', 'L2'] } : {}),
  });
  const command = (id: string, refundId: string, sentAt: number, status: string, result: unknown = null) =>
    store.db.transaction((tx) =>
      tx.run("INSERT INTO commands (id, store_id, device_id, name, args, sent_by, sent_at, status, result) VALUES (?, 'S1', 'K1', 'hq_refund', ?, 'alice', ?, ?, ?)", [
        id,
        JSON.stringify({ orderId: 'O1', refundId }),
        sentAt,
        status,
        result === null ? null : JSON.stringify(result),
      ]),
    );

  it('recorded / sent / waiting (backoff, or at once after "expired") / failed / not sent; pending refunds are not sent', async () => {
    const t0 = clock.now();
    const ids = ['S1', 'K1', 'O1'] as const;
    for (const [id, state] of [['r-ok', 'refunded'], ['r-fresh', 'refunded'], ['r-timeout', 'refunded'], ['r-expired', 'refunded'], ['r-failed', 'refunded'], ['r-lines', 'refunded'], ['r-pending', 'pending']] as const) {
      await store.db.transaction((tx) => insertHqRefund(tx, ids, { ts: t0, amount: 100, allocation: alloc(id, state) }));
    }
    await command('c1', 'r-ok', t0 - 60_000, 'ok', { status: 'ok', result: { recorded: true } });
    await command('c2', 'r-fresh', t0 - 60_000, 'sent');
    await command('c3', 'r-timeout', t0 - 3 * COMMAND_TTL_MS, 'timeout');
    await command('c4', 'r-timeout', t0 - 5 * 60_000, 'timeout');
    await command('c5', 'r-expired', t0 - 3_600_000, 'rejected', { status: 'rejected', reason: 'expired' });
    await command('c6', 'r-failed', t0 - 60_000, 'failed', { status: 'failed', error: 'GUARD_REJECTED (amount): more than is left' });
    const rows = (await hqRefunds(store.db.read, ids)).filter((r) => r.allocation.state === 'refunded');
    const n = await kioskNotices(store.db.read, rows, t0);
    expect(Object.fromEntries(n)).toEqual({
      'r-ok': { state: 'recorded' },
      'r-fresh': { state: 'sent', at: t0 - 60_000, copies: 1 },
      // the second copy got no answer either: the third waits 2 × 10 min after it
      'r-timeout': { state: 'waiting', detail: 'timeout', copies: 2, dueAt: t0 - 5 * 60_000 + 2 * COMMAND_TTL_MS },
      // the kiosk is back and said the copy had expired: the next one goes now
      'r-expired': { state: 'waiting', detail: 'rejected: expired', copies: 1, dueAt: t0 - 3_600_000 },
      'r-failed': { state: 'failed', error: 'GUARD_REJECTED (amount): more than is left', copies: 1 },
      'r-lines': { state: 'not_sent' },
    });
    // the args the kiosk gets (schema-checked by the signer at sending)
    expect(hqRefundCommandArgs(rows.find((r) => r.allocation.hqRefundId === 'r-lines')!)).toEqual({
      orderId: 'O1',
      refundId: 'r-lines',
      amount: 100,
      channel: 'wechat',
      attemptId: 'att-1',
      channelRefundNo: `HQ${'0'.repeat(29)}s`,
      channelRefundId: 'ch-r-lines',
      lineIds: ['L1', 'L2'],
      reason: 'defective',
      requestedBy: 'alice',
    });

    // without a broker nothing is sent (the first due one answers 503; the next pass tries again)
    const ctx = { store, clock, mqtt: null, hqKey: null } as unknown as ConsoleContext;
    const sent = await sendHqRefundNotices(ctx, 'hq');
    expect(sent).toHaveLength(1);
    expect(sent[0].outcome).toMatchObject({ ok: false, status: 503 });
    expect(['r-expired', 'r-lines']).toContain(sent[0].refundId);
  });
});
