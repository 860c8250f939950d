import { CONSOLE_BACKENDS, closeConsoleBackends } from '../../test/support/console-fixture';
import { consoleRequest, handlerContext, pageHtml, routeOf } from '../../test/support/console-request';
import { can, ROLES, type ConsoleUser } from '../console/types';
import type { IngestStore } from '../ingest/store';
import { SqlAuditLog } from './audit-log';
import { ROUTES } from './routes';

afterAll(closeConsoleBackends, 60_000);

const EVE: ConsoleUser = { username: 'eve', role: 'auditor', stores: [] };
const PAGE = routeOf(ROUTES, 'GET', '/audit');
const CSV = routeOf(ROUTES, 'GET', '/audit/export.csv');
const JSONL = routeOf(ROUTES, 'GET', '/audit/export.jsonl');

describe.each(CONSOLE_BACKENDS)('audit pages on $name', (backend) => {
  let store: IngestStore;
  let ctx: ReturnType<typeof handlerContext>;
  let log: SqlAuditLog;

  beforeAll(async () => {
    store = await backend.open();
    ctx = handlerContext(store);
    log = new SqlAuditLog(store.db, ctx.clock, ctx.live);
    ctx.audit = log;
  }, 120_000);
  afterAll(async () => {
    await store.close();
  });

  it('are for admins and auditors only (audit.view), and the page is live on `audit`', () => {
    for (const r of ROUTES) expect(r.permission).toBe('audit.view');
    expect(ROLES.filter((role) => can(role, 'audit.view'))).toEqual(['admin', 'auditor']);
  });

  it('shows the chain verified, newest first, every value escaped; a record tells live pages', async () => {
    await log.record({ actor: 'eve', action: 'login', ip: '192.0.2.7' });
    await log.record({ actor: 'anonymous', action: 'login.failed', target: '<img src=x onerror=alert(1)>', detail: { reason: '"><script>alert(2)</script>' } });
    expect(ctx.published.map((p) => p.topic)).toEqual(['audit', 'audit']);
    const reply = await PAGE.handler(consoleRequest(EVE), ctx);
    expect('page' in reply && reply.page.live).toEqual(['audit']);
    const body = pageHtml(reply);
    expect(body).toContain('<p class="notice" id="audit-chain" data-ok="1">Chain verified: 2 entries</p>');
    expect(body).not.toMatch(/<img src=x|<script>/);
    expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect([...body.matchAll(/<tr data-seq="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([2, 1]);
  });

  it('filters by actor, action and date, and pages back with "older"', async () => {
    for (let i = 0; i < 55; i++) await log.record({ actor: 'bulk', action: 'alert.ack', target: `a${i}` });
    ctx.clock.advance(2 * 86_400_000);
    await log.record({ actor: 'bulk', action: 'alert.ack', target: 'later' });
    await log.record({ actor: 'other', action: 'alert.ack', target: 'not bulk' });
    const first = pageHtml(await PAGE.handler(consoleRequest(EVE, { query: { actor: 'bulk', action: 'alert.ack' } }), ctx));
    const rows = [...first.matchAll(/<tr data-seq="(\d+)"><td class="num">\d+<\/td><td>[^<]*<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>/g)];
    expect(rows.length).toBe(50);
    expect(rows.every((m) => m[2] === 'bulk' && m[3] === 'alert.ack')).toBe(true);
    const older = /<a href="\/audit\?([^"]+)" rel="next">Older entries<\/a>/.exec(first);
    expect(older).not.toBeNull();
    const query = Object.fromEntries(new URLSearchParams(older![1].replace(/&amp;/g, '&')));
    expect(query).toEqual({ actor: 'bulk', action: 'alert.ack', before: rows[49][1] });
    const second = pageHtml(await PAGE.handler(consoleRequest(EVE, { query }), ctx));
    expect([...second.matchAll(/<tr data-seq=/g)].length).toBe(6);
    expect(second).toContain('Newest entries');
    const day = new Date(ctx.clock.now()).toISOString().slice(0, 10);
    const today = pageHtml(await PAGE.handler(consoleRequest(EVE, { query: { actor: 'bulk', from: day, to: day } }), ctx));
    expect([...today.matchAll(/<tr data-seq=/g)].length).toBe(1);
    expect(today).toContain('<td>later</td>');
    // the filter lists offer what the log holds
    expect(first).toContain('<option value="bulk" selected>bulk</option>');
    expect(first).toContain('<option value="other">other</option>');
  });

  it('refuses a bad date or page with 400', async () => {
    expect(await PAGE.handler(consoleRequest(EVE, { query: { from: '2026-13-01' } }), ctx)).toEqual({ error: { status: 400, message: 'A date is written YYYY-MM-DD.' } });
    expect(await PAGE.handler(consoleRequest(EVE, { query: { before: '1 OR 1=1' } }), ctx)).toMatchObject({ error: { status: 400 } });
    expect(await CSV.handler(consoleRequest(EVE, { query: { to: 'yesterday' } }), ctx)).toMatchObject({ error: { status: 400 } });
  });

  it('exports CSV and JSON Lines, and the export is itself audited with the acting user', async () => {
    const reply = await CSV.handler(consoleRequest(EVE, { query: { action: 'alert.ack', actor: 'bulk' } }), ctx);
    if (!('file' in reply)) throw new Error('not a file');
    expect(reply.file.type).toMatch(/^text\/csv/);
    expect(reply.file.name).toMatch(/^audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = String(reply.file.data).replace(/^\ufeff/, '').split('\r\n');
    expect(lines[0]).toBe('seq,time,actor,action,target,detail,ip,prev_hash,hash');
    expect(lines.filter((l) => /^\d+,[^,]+,bulk,alert\.ack,/.test(l)).length).toBe(56);
    const exported = await log.list({ action: 'audit.export' });
    expect(exported[0]).toMatchObject({ actor: 'eve', action: 'audit.export', ip: '192.0.2.7' });
    expect(JSON.parse(exported[0].detail)).toEqual({ entries: 56, filter: { action: 'alert.ack', actor: 'bulk' }, format: 'csv' });

    const j = await JSONL.handler(consoleRequest(EVE), ctx);
    if (!('file' in j)) throw new Error('not a file');
    expect(j.file.type).toMatch(/^application\/x-ndjson/);
    const entries = String(j.file.data).trimEnd().split('\n').map((l) => JSON.parse(l) as { seq: number; action: string });
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1)); // the whole chain, oldest first
    expect(entries[entries.length - 1].action).toBe('audit.export'); // the CSV export, before this one
    expect((await log.list({ action: 'audit.export' })).length).toBe(2);
  });

  it('speaks zh-CN', async () => {
    const body = pageHtml(await PAGE.handler(consoleRequest(EVE, { lang: 'zh-CN' }), ctx));
    expect(body).toMatch(/哈希链校验通过：共 \d+ 条/);
    expect(body).toContain('审计日志');
  });

  it('shows a broken chain in red, naming the entry', async () => {
    await store.db.transaction(async (tx) => {
      await tx.exec(store.db.dialect === 'sqlite' ? 'DROP TRIGGER IF EXISTS audit_log_no_update' : 'DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log');
      await tx.run("UPDATE audit_log SET actor = 'nobody' WHERE seq = 3");
    });
    // within 5 minutes of the last full check the page walks only new entries: ?verify=full walks them all
    const body = pageHtml(await PAGE.handler(consoleRequest(EVE, { query: { before: '4', verify: 'full' } }), ctx));
    expect(body).toContain('<p class="error" id="audit-chain" data-ok="0" role="alert"><strong>Chain broken at entry 3: seq 3 was changed (its hash does not match)</strong></p>');
    expect(body).toContain('<tr data-seq="3" class="error">');
    // and every view after it checks the whole chain again (no checkpoint is kept from a broken chain)
    expect(pageHtml(await PAGE.handler(consoleRequest(EVE), ctx))).toContain('data-ok="0"');
  });

  it('checks the whole chain again at least every 5 minutes', async () => {
    await store.db.transaction(async (tx) => {
      await tx.exec(store.db.dialect === 'sqlite' ? 'DROP TRIGGER IF EXISTS audit_log_no_update' : 'DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log');
      await tx.run("UPDATE audit_log SET actor = 'bulk' WHERE seq = 3"); // repaired: the chain verifies again
    });
    expect(pageHtml(await PAGE.handler(consoleRequest(EVE), ctx))).toContain('data-ok="1"');
    await store.db.transaction((tx) => tx.run("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2"));
    expect(pageHtml(await PAGE.handler(consoleRequest(EVE), ctx))).toContain('data-ok="1"'); // from the checkpoint
    ctx.clock.advance(5 * 60_000);
    expect(pageHtml(await PAGE.handler(consoleRequest(EVE), ctx))).toMatch(/data-ok="0" role="alert"><strong>Chain broken at entry 2/);
  });
});
