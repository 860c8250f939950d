/**
 * The console's release pages on a real HQ store (SQLite and PostgreSQL): releases and rollouts with kiosks per
 * step (a store manager sees only their stores' kiosks), a rollout's kiosk list, pause / resume / abort with the
 * CSRF token for admins (audited; refused for roles without config.publish, and in a state that does not allow it),
 * in English and Chinese.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from '../../test/support/console-fixture';
import { npmPack } from '../../test/support/npm-pack';
import { tmpDir } from '../../test/support/sync-fixtures';
import { addUser } from '../console/users';
import type { IngestStore } from '../ingest/store';
import { publishRelease } from './registry';
import { recordReleaseReported } from './reported';
import { createRollout, getRollout } from './rollouts';
import { releaseReportedTopic } from '../../protocol/releases/topics';

jest.setTimeout(120_000);
const T0 = Date.UTC(2026, 11, 6, 9, 0);
const PW = 'release pages pw 1';
const dir = tmpDir('hq-release-pages-');
afterAll(async () => {
  await closeConsoleBackends();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('release pages on %s', (_name, backend) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  const browser = async (username: string) => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login(username, PW)).statusCode).toBe(303);
    return b;
  };

  beforeAll(async () => {
    store = await backend.open();
    for (const [username, role, stores] of [['admin1', 'admin', []], ['mgr1', 'store_manager', ['S1']], ['sup1', 'support', []]] as const) await addUser(store.db, { username, password: PW, role, stores: [...stores] }, T0);
    await store.db.transaction(async (tx) => {
      for (const [s, d] of [['S1', 'D1'], ['S1', 'D2'], ['S2', 'D1']]) await tx.run('INSERT INTO fleet (store_id, device_id) VALUES (?, ?)', [s, d]);
    });
    const pub = await publishRelease(store.db, { file: npmPack(dir, { version: '3.0.0' }), version: '3.0.0', minConfigSchema: 1, notes: 'faster receipts', dir: path.join(dir, `rel-${_name}`), actor: 'cli:ops', now: T0 });
    expect(pub.ok).toBe(true);
    const audit = { record: async () => undefined };
    const r = await createRollout(store.db, audit, { version: '3.0.0', selection: { all: true, stores: [], tags: [] }, baseUrl: 'https://hq.test', actor: 'cli:ops', now: T0 });
    expect(r).toMatchObject({ ok: true, kiosks: 3 });
    // S1/D1 was offered and reports downloading, S2/D1 failed
    await store.db.transaction(async (tx) => {
      await tx.run("UPDATE rollout_kiosks SET offer_seq = 1, offered_at = ? WHERE store_id IN ('S1', 'S2') AND device_id = 'D1'", [T0]);
      const rep = (step: string, extra: object) => Buffer.from(JSON.stringify({ v: 1, rollout: 'r1', version: '3.0.0', step, running: '2.9.0', ts: T0 + 1, ...extra }));
      expect(await recordReleaseReported(tx, releaseReportedTopic('S1', 'D1'), rep('downloading', { received: 250, total: 1000 }), T0)).toBe('r1');
      expect(await recordReleaseReported(tx, releaseReportedTopic('S2', 'D1'), rep('failed', { reason: 'disk_full', detail: 'no space <left>' }), T0)).toBe('r1');
      // not a report, another rollout, an older step: nothing recorded
      expect(await recordReleaseReported(tx, releaseReportedTopic('S1', 'D2'), Buffer.from('{"v":1}'), T0)).toBeNull();
      expect(await recordReleaseReported(tx, releaseReportedTopic('S1', 'D2'), rep('healthy', { rollout: 'r9' }), T0)).toBeNull();
      expect(await recordReleaseReported(tx, releaseReportedTopic('S1', 'D1'), Buffer.from(JSON.stringify({ v: 1, rollout: 'r1', version: '3.0.0', step: 'offered', running: '2.9.0', ts: T0 })), T0)).toBeNull();
    });
    fx = await consoleFixture(store, {}, T0);
  }, 120_000);
  afterAll(async () => {
    await fx?.app.close();
    await store?.db.close();
  });

  it('lists releases and rollouts with kiosks per step; a store manager counts only their stores', async () => {
    const admin = await browser('admin1');
    const page = await admin.get('/releases');
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<tr data-release="3\.0\.0">[^]*faster receipts/);
    const row = /<tr data-rollout="r1"[^]*?<\/tr>/.exec(page.body)![0];
    expect(row).toMatch(/<td class="num">3<\/td>/);
    expect(row).toContain('data-step="waiting">waiting 1');
    expect(row).toContain('data-step="downloading">downloading 1');
    expect(row).toContain('data-step="failed">failed 1');
    const mgr = await browser('mgr1');
    const own = /<tr data-rollout="r1"[^]*?<\/tr>/.exec((await mgr.get('/releases')).body)![0];
    expect(own).toMatch(/<td class="num">2<\/td>/);
    expect(own).not.toContain('data-step="failed"');
    const detail = await mgr.get('/releases/rollouts/r1');
    expect(detail.body).not.toContain('data-kiosk="S2/D1"');
    expect(detail.body).toContain('1 kiosk(s) of other stores are not shown.');
    expect(detail.body).not.toContain('rollout-abort'); // no config.publish: no buttons
  });

  it('shows each kiosk\'s step, progress and reason, escaped; in Chinese too', async () => {
    const admin = await browser('admin1');
    const page = (await admin.get('/releases/rollouts/r1')).body;
    expect(/<tr data-kiosk="S1\/D1"[^]*?<\/tr>/.exec(page)![0]).toMatch(/downloading[^]*2\.9\.0[^]*25 %/);
    expect(/<tr data-kiosk="S2\/D1"[^]*?<\/tr>/.exec(page)![0]).toContain('disk_full: no space &lt;left&gt;');
    expect(page).toContain('action="/releases/rollouts/r1/pause"');
    expect(page).toContain('action="/releases/rollouts/r1/abort"');
    expect(page).not.toContain('action="/releases/rollouts/r1/resume"');
    const zh = (await admin.get('/releases/rollouts/r1', { 'accept-language': 'zh-CN' })).body;
    expect(zh).toContain('推送 r1：版本 3.0.0');
    expect(zh).toContain('下载中');
    expect(zh).toContain('>中止<');
    expect((await admin.get('/releases/rollouts/r404')).statusCode).toBe(404);
  });

  it('pause, resume and abort: admins with the token (audited), not support, not twice', async () => {
    const sup = await browser('sup1');
    await sup.get('/releases/rollouts/r1');
    expect((await sup.post('/releases/rollouts/r1/pause')).statusCode).toBe(403);
    const admin = await browser('admin1');
    await admin.get('/releases/rollouts/r1');
    expect((await admin.request('POST', '/releases/rollouts/r1/pause', {})).statusCode).toBe(403); // no CSRF token
    expect((await getRollout(store.db.read, 'r1'))!.state).toBe('active');
    const paused = await admin.post('/releases/rollouts/r1/pause');
    expect([paused.statusCode, paused.headers.location]).toEqual([303, '/releases/rollouts/r1?done=pause']);
    expect((await getRollout(store.db.read, 'r1'))!.state).toBe('paused');
    const shown = (await admin.get(paused.headers.location as string)).body;
    expect(shown).toContain('Paused: no more kiosks are offered the release.');
    expect(shown).toContain('action="/releases/rollouts/r1/resume"');
    const again = await admin.post('/releases/rollouts/r1/pause');
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('The rollout is paused: this is not possible now.');
    // no broker here: recorded, the page says hq serve sends it
    const resumed = await admin.post('/releases/rollouts/r1/resume');
    expect(resumed.headers.location).toBe('/releases/rollouts/r1?done=resume&pending=1');
    await admin.get('/releases/rollouts/r1');
    expect((await admin.post('/releases/rollouts/r1/abort')).statusCode).toBe(303);
    expect((await getRollout(store.db.read, 'r1'))!).toMatchObject({ state: 'aborted', reason: 'aborted by admin1' });
    expect(fx.rec.audit.filter((a) => a.action.startsWith('release.')).map((a) => [a.actor, a.action, a.target])).toEqual([
      ['admin1', 'release.pause', 'r1'],
      ['admin1', 'release.resume', 'r1'],
      ['admin1', 'release.abort', 'r1'],
    ]);
    expect((await admin.post('/releases/rollouts/r404/abort')).statusCode).toBe(404);
  });
});
