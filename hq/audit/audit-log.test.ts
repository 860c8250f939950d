import { SimulatedClock } from '../../kernel/clock';
import { closeConsoleBackends, INGEST_TARGETS, type ConsoleBackend } from '../../test/support/console-fixture';
import { IngestStore } from '../ingest/store';
import { SqlAuditLog } from './audit-log';
import { AUDIT_GENESIS, auditHash } from './chain';
import { csvCell, csvRow, jsonlRow } from './export';

/** The audit log against both ingest dialects: a SQLite file and a real PostgreSQL server (the shared HQ test targets). */
afterAll(closeConsoleBackends, 60_000);

/** What lifts the append-only guard, per dialect (hq/audit/schema.ts names the triggers). */
const DROP_TRIGGERS: Record<ConsoleBackend['name'], string> = {
  SQLite: 'DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;',
  PostgreSQL: 'DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log;',
};

describe.each(INGEST_TARGETS)('SqlAuditLog on %s', (name, fresh) => {
  const dropTriggers = DROP_TRIGGERS[name];
  let where: string;
  let store: IngestStore;
  let clock: SimulatedClock;
  let log: SqlAuditLog;
  beforeEach(async () => {
    where = await fresh();
    store = await IngestStore.open(where);
    clock = new SimulatedClock(Date.UTC(2026, 5, 1, 8, 0, 0));
    log = new SqlAuditLog(store.db, clock);
  }, 60_000);
  afterEach(async () => {
    await store.close();
  });

  /** Runs raw SQL as someone with the database's rights would (the triggers dropped first). */
  const tamper = async (sql: string, params: unknown[] = []) => {
    await store.db.transaction(async (tx) => {
      await tx.exec(dropTriggers);
      await tx.run(sql, params);
    });
  };

  const fill = async (n: number) => {
    for (let i = 1; i <= n; i++) {
      await log.record({ actor: `user${i % 2}`, action: i % 3 === 0 ? 'user.add' : 'login', target: `t${i}`, detail: { i }, ip: '10.0.0.1' });
      clock.advance(1_000);
    }
  };

  it('chains entries from the genesis, with seq, time from the clock and the hash over every field', async () => {
    await log.record({ actor: 'alice', action: 'login', ip: '127.0.0.1' });
    clock.advance(5_000);
    await log.record({ actor: 'alice', action: 'user.add', target: 'bob', detail: { role: 'support', stores: [] } });
    const [second, first] = await log.list();
    expect(first).toMatchObject({ seq: 1, ts: Date.UTC(2026, 5, 1, 8, 0, 0), actor: 'alice', action: 'login', target: null, detail: 'null', ip: '127.0.0.1', prevHash: AUDIT_GENESIS });
    expect(second).toMatchObject({ seq: 2, ts: Date.UTC(2026, 5, 1, 8, 0, 5), target: 'bob', detail: '{"role":"support","stores":[]}', prevHash: first.hash });
    expect(first.hash).toBe(auditHash(AUDIT_GENESIS, first));
    expect(second.hash).toBe(auditHash(first.hash, second));
    expect(await log.verify()).toMatchObject({ ok: true, entries: 2 });
  });

  it('never keeps a password or a card number put in a detail', async () => {
    await log.record({ actor: 'cli:root', action: 'user.passwd', target: 'bob', detail: { password: 'hunter2', nested: { pan: '4111111111111111', cardNumber: '5500' }, role: 'admin' } });
    const [e] = await log.list();
    expect(e.detail).not.toMatch(/hunter2|4111|5500/);
    expect(JSON.parse(e.detail)).toEqual({ password: '[redacted]', nested: { pan: '[redacted]', cardNumber: '[redacted]' }, role: 'admin' });
    expect((await log.verify()).ok).toBe(true);
  });

  it('refuses UPDATE and DELETE in the database itself', async () => {
    await fill(2);
    await expect(store.db.transaction((tx) => tx.run("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1"))).rejects.toThrow(/append-only/);
    await expect(store.db.transaction((tx) => tx.run('DELETE FROM audit_log WHERE seq = 2'))).rejects.toThrow(/append-only/);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 2 });
  });

  it('detects an edited row', async () => {
    await fill(5);
    await tamper("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3");
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 3, reason: expect.stringMatching(/changed/) });
  });

  it('detects an edited detail, even one that parses to the same value', async () => {
    await fill(3);
    await tamper(`UPDATE audit_log SET detail = '{ "i":2}' WHERE seq = 2`);
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('detects a deleted row in the middle', async () => {
    await fill(5);
    await tamper('DELETE FROM audit_log WHERE seq = 2');
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringMatching(/missing/) });
  });

  it('detects a deleted row renumbered to close the gap', async () => {
    await fill(4);
    await tamper('DELETE FROM audit_log WHERE seq = 2');
    await tamper('UPDATE audit_log SET seq = seq - 1 WHERE seq > 2');
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringMatching(/link/) });
  });

  it('detects deleted newest rows against the head, and a later append does not hide it', async () => {
    await fill(5);
    await tamper('DELETE FROM audit_log WHERE seq >= 4');
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 4, reason: expect.stringMatching(/4\.\.5 are missing/) });
    await log.record({ actor: 'alice', action: 'login' });
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 4 });
  });

  it('verifies from a checkpoint: only newer rows are walked, an edit of the checkpoint row or after it still shows', async () => {
    await fill(4);
    const first = await log.verify();
    expect(first).toEqual({ ok: true, entries: 4, last: { seq: 4, hash: (await log.list({ limit: 1 }))[0].hash } });
    await fill(2);
    expect(await log.verify(first.last)).toMatchObject({ ok: true, entries: 6, last: { seq: 6 } });
    await tamper("UPDATE audit_log SET target = 'x' WHERE seq = 5");
    expect(await log.verify(first.last)).toMatchObject({ ok: false, brokenAt: 5 });
    await tamper("UPDATE audit_log SET target = 'x' WHERE seq = 4");
    expect(await log.verify(first.last)).toMatchObject({ ok: false, brokenAt: 4 }); // the checkpoint row changed: the whole chain is walked
  });

  it('detects reordered rows', async () => {
    await fill(4);
    await tamper('UPDATE audit_log SET seq = 100 WHERE seq = 2');
    await tamper('UPDATE audit_log SET seq = 2 WHERE seq = 3');
    await tamper('UPDATE audit_log SET seq = 3 WHERE seq = 100');
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('keeps one chain when two store handles on one database record at the same time', async () => {
    const other = await IngestStore.open(where);
    try {
      const log2 = new SqlAuditLog(other.db, clock);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? log : log2).record({ actor: i % 2 === 0 ? 'one' : 'two', action: 'login', detail: { i } })),
      );
      expect(await log.verify()).toMatchObject({ ok: true, entries: 40 });
      const all: number[] = [];
      await log.forEach({}, (page) => all.push(...page.map((e) => e.seq)));
      expect(all).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect((await log.list({ actor: 'two', limit: 1000 })).length).toBe(20);
    } finally {
      await other.close();
    }
  }, 60_000);

  it('lists newest first, filtered by actor, action and time, paged by seq', async () => {
    await fill(9); // ts: 08:00:00 + (i-1) s
    expect((await log.list()).map((e) => e.seq)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect((await log.list({ action: 'user.add' })).map((e) => e.seq)).toEqual([9, 6, 3]);
    expect((await log.list({ actor: 'user1', action: 'login' })).map((e) => e.seq)).toEqual([7, 5, 1]);
    const t0 = Date.UTC(2026, 5, 1, 8, 0, 0);
    expect((await log.list({ from: t0 + 2_000, to: t0 + 5_000 })).map((e) => e.seq)).toEqual([5, 4, 3]);
    const page1 = await log.list({ limit: 4 });
    const page2 = await log.list({ limit: 4, before: page1[3].seq });
    expect(page2.map((e) => e.seq)).toEqual([5, 4, 3, 2]);
    expect(await log.facets()).toEqual({ actors: ['user0', 'user1'], actions: ['login', 'user.add'] });
  });

  it("filters are parameters: a quote in a filter is data, not SQL", async () => {
    await fill(3);
    expect(await log.list({ actor: "x' OR '1'='1" })).toEqual([]);
  });

  it('exports JSONL lines that re-hash to the chain without the database', async () => {
    await fill(3);
    let out = '';
    await log.forEach({}, (page) => (out += page.map(jsonlRow).join('')));
    const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l) as { seq: number; ts: number; actor: string; action: string; target: string | null; detail: unknown; ip: string | null; prevHash: string; hash: string });
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3]);
    let prev = AUDIT_GENESIS;
    for (const l of lines) {
      expect(l.prevHash).toBe(prev);
      expect(auditHash(prev, { ...l, detail: JSON.stringify(l.detail) })).toBe(l.hash);
      prev = l.hash;
    }
  });

  it('exports CSV rows a spreadsheet cannot run', async () => {
    await log.record({ actor: '=HYPERLINK("http://evil")', action: 'login', target: '+1', detail: { note: 'a,b' } });
    const [e] = await log.list();
    const line = csvRow(e);
    expect(line.endsWith('\r\n')).toBe(true);
    expect(line).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(line).toContain(",'+1,");
    expect(line).toContain('"{""note"":""a,b""}"');
  });
});

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['=1+2', "'=1+2"],
    ['+SUM(A1)', "'+SUM(A1)"],
    ['-2', "'-2"],
    ['@cmd', "'@cmd"],
    ['\tx', "'\tx"],
    ['a"b', '"a""b"'],
    ['a\nb', '"a\nb"'],
    ['=a,b', `"'=a,b"`],
  ])('%j → %j', (input, output) => {
    expect(csvCell(input)).toBe(output);
  });
});
