/**
 * HQ's members points ledger fed from kiosk journals as they are ingested (hq/members/ledger-projection.ts, hooked into
 * hq/ingest/accept-batch.ts), on SQLite and PostgreSQL: two kiosks that were offline redeem the same points; their
 * journals arrive in either order (and again) and HQ ends with the same balances and the same conflict. Imports are
 * idempotent (they set the difference), adjustments audited, training orders and malformed payloads earn nothing.
 */
import { SimulatedClock } from '../kernel/clock';
import { SqlAuditLog } from '../hq/audit/audit-log';
import type { IngestStore } from '../hq/ingest/store';
import { adjustPoints, importMembers } from '../hq/members/operations';
import { balances, ledgerRows } from '../hq/members/registry';
import { snapshotBody } from '../hq/members/snapshot';
import { CONSOLE_BACKENDS, closeConsoleBackends } from './support/console-fixture';
import { journalKiosk, sell } from './support/kiosk-journals';
import { memberJournal } from './support/member-journals';

jest.setTimeout(120_000);
afterAll(closeConsoleBackends, 60_000);

const T = Date.UTC(2026, 11, 6, 9, 0);
const CSV = 'id,type,name,points\nM1,personal,Li Lei,100\nB7,business,Acme Ltd,0\n';

// k1 (offline) redeems 80 of M1's 100 at T+4 s; k2 (also offline) redeems 100 at T+5 s and M1 earns 7 there at T+6 s
const K1 = memberJournal('S1', 'k1', [
  { orderId: 'o-k1-1', ts: T + 1000, type: 'item_added' },
  { orderId: 'o-k1-1', ts: T + 4000, memberId: 'M1', pointsRedeemed: 80, pointsEarned: 2 },
  { orderId: 'o-k1-2', ts: T + 4500, memberId: 'M1', pointsEarned: 50, training: true },
]);
const K2 = memberJournal('S1', 'k2', [
  { orderId: 'o-k2-1', ts: T + 5000, memberId: 'M1', pointsRedeemed: 100 },
  { orderId: 'o-k2-2', ts: T + 6000, memberId: 'M1', pointsEarned: 7 },
  { orderId: 'o-k2-3', ts: T + 7000, memberId: 'B7', pointsEarned: 3 },
]);

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('members points ledger on %s', (_name, backend) => {
  const stores: IngestStore[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
  });

  async function hqWith(order: 'k1-first' | 'k2-first'): Promise<IngestStore> {
    const store = await backend.open();
    stores.push(store);
    const clock = new SimulatedClock(T);
    const r = await importMembers(store, new SqlAuditLog(store.db, clock), CSV, { actor: 'cli:test', now: T - 60_000 });
    expect(r).toMatchObject({ ok: true, created: 2, adjusted: 1, points: 100 });
    const [first, second] = order === 'k1-first' ? [K1, K2] : [K2, K1];
    // the second kiosk's journal arrives out of order (its last entry first) and the first is resent afterwards
    await store.acceptMany(first, T + 60_000);
    await store.acceptMany([...second].reverse(), T + 61_000);
    await store.acceptMany(first, T + 62_000);
    return store;
  }

  it('two kiosks offline redeeming the same points: either arrival order gives the same balances and the same conflict', async () => {
    const a = await hqWith('k1-first');
    const b = await hqWith('k2-first');
    const ba = (await balances(a.db.read)).get('M1')!;
    const bb = (await balances(b.db.read)).get('M1')!;
    expect(ba).toEqual(bb);
    // 100 − 80 + 2 − 100 + 7 = −71: both redemptions honoured; k2's (the later) overdrew by 78
    expect(ba).toMatchObject({ balance: -71, earned: 9, redeemed: 180, adjusted: 100 });
    expect(ba.conflicts).toHaveLength(1);
    expect(ba.conflicts[0]).toMatchObject({ kind: 'overdrawn', balanceBefore: 22, shortfall: 78, entry: { source: 'S1/k2', seq: 1, kind: 'redeem', points: 100, orderId: 'o-k2-1' } });
    // one ledger row per fact: resends and the training order added nothing
    const rows = await ledgerRows(a.db.read, 'M1');
    expect(rows.map((r) => `${r.source}#${r.seq}:${r.kind}:${r.points}`).sort()).toEqual(['S1/k1#2:earn:2', 'S1/k1#2:redeem:80', 'S1/k2#1:redeem:100', 'S1/k2#2:earn:7', 'hq#1:adjust:100']);
    expect((await balances(a.db.read)).get('B7')).toMatchObject({ balance: 3 });
  });

  it('re-importing sets the difference, not a second opening balance; an adjustment is audited', async () => {
    const store = await hqWith('k1-first');
    const clock = new SimulatedClock(T + 120_000);
    const audit = new SqlAuditLog(store.db, clock);
    expect(await importMembers(store, audit, CSV, { actor: 'cli:test', now: clock.now() })).toMatchObject({ ok: true, created: 0, unchanged: 2, adjusted: 0, points: 0 });
    expect((await balances(store.db.read)).get('M1')!.balance).toBe(-71);
    // the file now says 150: +50 on the opening balance, kiosk points untouched
    expect(await importMembers(store, audit, CSV.replace(',100', ',150'), { actor: 'cli:test', now: clock.now() })).toMatchObject({ ok: true, adjusted: 1, points: 50 });
    expect((await balances(store.db.read)).get('M1')!.balance).toBe(-21);
    const adj = await adjustPoints(store, audit, { memberId: 'M1', points: 21, reason: 'goodwill', actor: 'ada', now: clock.now() });
    expect(adj).toMatchObject({ ok: true, entry: { source: 'hq', seq: 3, points: 21, origin: 'adjust' } });
    expect((await balances(store.db.read)).get('M1')!.balance).toBe(0);
    expect(await adjustPoints(store, audit, { memberId: 'NOPE', points: 5, reason: 'x', actor: 'ada', now: clock.now() })).toEqual({ ok: false, problem: 'unknown_member' });
    const logged = await store.db.read.all<{ action: string; target: string }>("SELECT action, target FROM audit_log WHERE action LIKE 'member.%' ORDER BY seq");
    expect(logged.map((l) => `${l.action} ${l.target}`)).toEqual(['member.import members', 'member.import members', 'member.import members', 'member.adjust member:M1']);
  });

  it('refuses a bad import by line and imports nothing', async () => {
    const store = await backend.open();
    stores.push(store);
    const r = await importMembers(store, new SqlAuditLog(store.db, new SimulatedClock(T)), 'id,type,name,points\nA1,vip,X,1\nA 2,personal,Y,1\nA3,group,Z,1.5\n', { actor: 'cli:test', now: T });
    expect(r).toEqual({
      ok: false,
      problems: [
        { line: 2, field: 'type', reason: 'expected one of personal, business, group' },
        { line: 3, field: 'id', reason: 'expected 1-64 letters, digits, - or _' },
        { line: 4, field: 'points', reason: 'expected an integer, got "1.5"' },
      ],
    });
    expect(await store.db.read.all('SELECT id FROM members')).toEqual([]);
  });

  it('an entry that leaves the journal for quarantine (another chain) leaves the ledger too', async () => {
    const store = await backend.open();
    stores.push(store);
    await importMembers(store, new SqlAuditLog(store.db, new SimulatedClock(T)), CSV, { actor: 'cli:test', now: T });
    const ours = memberJournal('S1', 'k9', [{ orderId: 'x1', ts: T + 1, memberId: 'M1', pointsEarned: 1 }]);
    // a forked chain of the same kiosk: its seq 1 differs, so its seq 2 does not follow HQ's seq 1
    const fork = memberJournal('S1', 'k9', [
      { orderId: 'y1', ts: T + 1, memberId: 'M1', pointsEarned: 2 },
      { orderId: 'y2', ts: T + 2 },
      { orderId: 'y3', ts: T + 3, memberId: 'M1', pointsEarned: 40 },
    ]);
    await store.acceptMany([ours[0], fork[2]], T + 60_000); // fork's seq 3 waits above the gap: in the ledger for now
    expect((await balances(store.db.read)).get('M1')!.balance).toBe(141);
    const r = await store.acceptMany([fork[1]], T + 61_000); // seq 2 breaks the chain: rejected, seq 3 evicted with it
    expect(r[0].status).toBe('rejected');
    expect((await store.quarantine('S1', 'k9')).map((q) => q.seq)).toEqual([2, 3]);
    expect((await ledgerRows(store.db.read, 'M1')).map((e) => `${e.source}#${e.seq}:${e.points}`).sort()).toEqual(['S1/k9#1:1', 'hq#1:100']);
    expect((await balances(store.db.read)).get('M1')!.balance).toBe(101);
  });

  it('the snapshot of a store counts its kiosks\' entries up to HQ\'s contiguous seq only', async () => {
    const store = await backend.open();
    stores.push(store);
    await importMembers(store, new SqlAuditLog(store.db, new SimulatedClock(T)), CSV, { actor: 'cli:test', now: T });
    // k2's seq 1 (the 100-point redemption) is missing: seq 2 (earn 7) waits above a gap
    await store.acceptMany([K2[1], K2[2]], T + 60_000);
    const s1 = await snapshotBody(store.db.read, 'S1');
    expect(s1.counted).toEqual({ 'S1/k2': 0 });
    expect(s1.members).toEqual([['B7', 'business', 0], ['M1', 'personal', 100]]);
    // another store's snapshot counts every S1 entry HQ holds (its kiosks never count S1's)
    expect((await snapshotBody(store.db.read, 'S2')).members).toEqual([['B7', 'business', 3], ['M1', 'personal', 107]]);
    await store.acceptMany([K2[0]], T + 61_000);
    const s1b = await snapshotBody(store.db.read, 'S1');
    expect(s1b).toEqual({ v: 1, members: [['B7', 'business', 3], ['M1', 'personal', 7]], counted: { 'S1/k2': 3 } });
  });
});

it('reads what the real kiosk engine journals: a member\'s sale earns its pointsEarned at the order_completed seq', async () => {
  const k = await journalKiosk('S5', 'k1', T);
  const store = await CONSOLE_BACKENDS.find((b) => b.name === 'SQLite')!.open();
  try {
    const member = await sell(k, { items: [{ sku: 'A', price: 1250, qty: 2 }], member: 'M5' });
    await sell(k, { items: [{ sku: 'B', price: 900 }] }); // no member: no entry
    expect(member.pointsEarned).toBe(25);
    const events = await k.events();
    await store.acceptMany(events, T + 60_000);
    const completed = events.find((e) => e.type === 'order_completed' && e.orderId === member.id)!;
    expect(await ledgerRows(store.db.read)).toEqual([
      { memberId: 'M5', source: 'S5/k1', seq: completed.seq, ts: completed.ts, kind: 'earn', points: 25, orderId: member.id, origin: 'kiosk', actor: null, reason: null },
    ]);
  } finally {
    await store.close();
    await k.close();
  }
});
