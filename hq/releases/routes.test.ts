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
import { addTag } from '../fleet/tags';
import type { IngestStore } from '../ingest/store';
import { publishRelease } from './registry';
import { recordReleaseReported } from './reported';
import { changeRollout, createRollout, getRollout, MID_INSTALL_HOLD_MS, rolloutKiosks } from './rollouts';
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

  it('a rollout over kiosks an older rollout has not finished: refused (409, no stack) unless "supersede"; mid-install kiosks stay', async () => {
    fx.rec.audit.length = 0;
    const admin = await browser('admin1');
    const page = (await admin.get('/releases')).body;
    expect(page).toContain('action="/releases/rollouts"');
    expect(page).toContain('<input type="checkbox" name="supersede" value="1">');
    expect(page).toContain('name="base_url" type="url" required value="https://hq.test"'); // the last rollout's base
    expect((await (await browser('mgr1')).get('/releases')).body).not.toContain('action="/releases/rollouts"');
    const form = { version: '3.0.0', all: '1', base_url: 'https://hq.test' };
    // r1 is aborted: it holds nothing, r2 starts
    const made = await admin.post('/releases/rollouts', form);
    expect([made.statusCode, made.headers.location]).toEqual([303, '/releases/rollouts/r2?done=create&pending=1']);
    // r2: S1/D1 switching (mid-install), S1/D2 downloading, S2/D1 healthy
    await store.db.transaction(async (tx) => {
      await tx.run("UPDATE rollout_kiosks SET offer_seq = 2, offered_at = ?, reported_at = ?, step = CASE WHEN store_id = 'S2' THEN 'healthy' WHEN device_id = 'D1' THEN 'switching' ELSE 'downloading' END WHERE rollout_id = 'r2'", [T0, T0]);
    });
    const refused = await admin.post('/releases/rollouts', { ...form, all: '', stores: 'S1, S2' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Not started: older rollouts still hold 2 of these kiosks (r2: release 3.0.0, active, 2 kiosk(s)).');
    expect(refused.body).toContain('name="stores" value="S1, S2"'); // what was typed is kept
    expect(refused.body).not.toMatch(/at .*\.ts:\d+/);
    const zh = await admin.post('/releases/rollouts', { ...form, all: '', stores: 'S1, S2' }, { 'accept-language': 'zh-CN' });
    expect([zh.statusCode, zh.body.includes('旧的推送仍占用其中 2 台终端')]).toEqual([409, true]);
    expect(await getRollout(store.db.read, 'r3')).toBeUndefined();
    expect(fx.rec.audit.filter((a) => a.target === 'r3')).toEqual([]);

    const taken = await admin.post('/releases/rollouts', { ...form, supersede: '1' });
    expect([taken.statusCode, taken.headers.location]).toEqual([303, '/releases/rollouts/r3?done=create&pending=1&superseded=r2%3A1']);
    expect((await admin.get(taken.headers.location as string)).body).toContain('Rollout started. r2 superseded: 1 kiosk(s) handed over.');
    const r2 = await rolloutKiosks(store.db.read, 'r2');
    // the downloading one is handed over; the switching one finishes under r2; the healthy one keeps its release
    expect(r2.map((k) => [`${k.storeId}/${k.deviceId}`, k.step, k.supersededBy])).toEqual([
      ['S1/D1', 'switching', null],
      ['S1/D2', 'downloading', 'r3'],
      ['S2/D1', 'healthy', null],
    ]);
    expect((await getRollout(store.db.read, 'r2'))!.state).toBe('active'); // S1/D1 still to finish
    expect(fx.rec.audit.filter((a) => a.action.startsWith('release.')).map((a) => [a.actor, a.action, a.target, a.detail])).toEqual([
      ['admin1', 'release.rollout', 'r2', expect.not.objectContaining({ supersede: true })],
      ['admin1', 'release.rollout', 'r3', expect.objectContaining({ supersede: true, superseded: [{ id: 'r2', version: '3.0.0', kiosks: 1, midInstall: 1, aborted: false }] })],
      ['admin1', 'release.supersede', 'r2', { version: '3.0.0', by: 'r3', byVersion: '3.0.0', kiosks: 1, midInstall: 1, aborted: false }],
    ]);
    const r2page = (await admin.get('/releases/rollouts/r2')).body;
    expect(/<tr data-kiosk="S1\/D2"[^]*?<\/tr>/.exec(r2page)![0]).toMatch(/data-step="superseded"[^]*handed over[^]*href="\/releases\/rollouts\/r3">handed over to r3</);

    // r3 paused, nothing of it finished: superseded whole, it is aborted "superseded by r4" (r2's switching kiosk still stays)
    expect((await changeRollout(store.db, { record: async () => undefined }, 'r3', 'pause', { actor: 'cli:ops', now: T0 })).ok).toBe(true);
    const audit = { record: async () => undefined };
    const plain = await createRollout(store.db, audit, { version: '3.0.0', selection: { all: true, stores: [], tags: [] }, baseUrl: 'https://hq.test', actor: 'cli:ops', now: T0 + 1 });
    expect(plain).toMatchObject({ ok: false, problem: 'conflict' });
    expect(plain.ok ? '' : plain.message).toBe(
      'r2 (release 3.0.0, active) still holds 1 of these kiosks, 1 of them mid-install; r3 (release 3.0.0, paused) still holds 3 of these kiosks: one rollout at a time per kiosk. Let r2, r3 finish, abort them (hq release abort r2), or supersede: hq release rollout … --supersede (the console: "supersede older rollouts") hands the kiosks not yet finished over to the new rollout; kiosks mid-install finish first.',
    );
    const r4 = await createRollout(store.db, audit, { version: '3.0.0', selection: { all: true, stores: [], tags: [] }, baseUrl: 'https://hq.test', actor: 'cli:ops', now: T0 + 2, supersede: true });
    expect(r4).toMatchObject({ ok: true, rollout: { id: 'r4' }, superseded: [{ id: 'r2', kiosks: 0, midInstall: 1, aborted: false }, { id: 'r3', kiosks: 3, midInstall: 0, aborted: true }] });
    expect(await getRollout(store.db.read, 'r3')).toMatchObject({ state: 'aborted', reason: 'superseded by r4', updatedAt: T0 + 2 });
    expect((await rolloutKiosks(store.db.read, 'r3')).map((k) => k.supersededBy)).toEqual(['r4', 'r4', 'r4']);
    // r2's switching kiosk silent for over an hour is mid-install no longer: handed over, r2 (nothing left) aborted
    await store.db.transaction((tx) => tx.run("UPDATE rollouts SET state = 'completed' WHERE id = 'r4'"));
    const later = T0 + MID_INSTALL_HOLD_MS + 1;
    const r5 = await createRollout(store.db, audit, { version: '3.0.0', selection: { all: false, stores: ['S1'], tags: [] }, baseUrl: 'https://hq.test', actor: 'cli:ops', now: later, supersede: true });
    expect(r5).toMatchObject({ ok: true, rollout: { id: 'r5' }, superseded: [{ id: 'r2', kiosks: 1, midInstall: 0, aborted: true }] });
    expect(await getRollout(store.db.read, 'r2')).toMatchObject({ state: 'aborted', reason: 'superseded by r5' });
    // nothing of an older rollout left to finish: a new rollout over S1 is not refused
    expect(await createRollout(store.db, audit, { version: '3.0.0', selection: { all: false, stores: ['S1'], tags: [] }, baseUrl: 'https://hq.test', actor: 'cli:ops', now: later })).toMatchObject({ ok: false, problem: 'conflict', holders: [{ id: 'r5', kiosks: 2 }] });
    await store.db.transaction((tx) => tx.run("UPDATE rollouts SET state = 'completed' WHERE id = 'r5'"));
    expect(await createRollout(store.db, audit, { version: '3.0.0', selection: { all: false, stores: ['S1'], tags: [] }, baseUrl: 'https://hq.test', actor: 'cli:ops', now: later })).toMatchObject({ ok: true, rollout: { id: 'r6' }, superseded: [] });
    // widening another rollout adds no kiosk r6 holds (S1/D1, S1/D2)
    await addTag(store.db, 'S2', 'D1', 'pilot', 'admin', T0);
    const w = await createRollout(store.db, audit, { version: '3.0.0', selection: { all: true, stores: [], tags: [] }, percent: 1, canaryTag: 'pilot', baseUrl: 'https://hq.test', actor: 'cli:ops', now: later });
    expect(w).toMatchObject({ ok: true, rollout: { id: 'r7' }, kiosks: 1 });
    expect(await changeRollout(store.db, audit, 'r7', 'resume', { actor: 'cli:ops', now: later, percent: 100 })).toMatchObject({ ok: true, added: 0 });
    expect((await rolloutKiosks(store.db.read, 'r7')).map((k) => `${k.storeId}/${k.deviceId}`)).toEqual(['S2/D1']);
  });
});
