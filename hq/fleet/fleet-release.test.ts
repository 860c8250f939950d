/**
 * The fleet table and a kiosk's page show the kiosk's latest rollout step (issue 17: release steps were on /releases
 * only): downloading with its progress, a failure with the kiosk's reason as a bad badge, the newest step across two
 * rollouts, nothing for a kiosk healthy on the version it runs; a store manager sees only their stores' kiosks. On a
 * real HQ store (SQLite and PostgreSQL), through the console's own routes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONSOLE_BACKENDS, closeConsoleBackends, consoleFixture, InjectBrowser } from '../../test/support/console-fixture';
import { npmPack } from '../../test/support/npm-pack';
import { tmpDir } from '../../test/support/sync-fixtures';
import { releaseReportedTopic } from '../../protocol/releases/topics';
import { addUser } from '../console/users';
import type { IngestStore } from '../ingest/store';
import { publishRelease } from '../releases/registry';
import { recordReleaseReported } from '../releases/reported';
import { createRollout } from '../releases/rollouts';
import { addTag } from './tags';

jest.setTimeout(120_000);
const T0 = Date.UTC(2026, 11, 7, 9, 0);
const PW = 'fleet release pw 1';
const dir = tmpDir('hq-fleet-release-');
afterAll(async () => {
  await closeConsoleBackends();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The `<tr>` of one kiosk on the fleet page. */
const rowOf = (body: string, kiosk: string): string => new RegExp(`<tr data-kiosk="${kiosk}">[^]*?</tr>`).exec(body)?.[0] ?? '';

describe.each(CONSOLE_BACKENDS.map((b) => [b.name, b] as const))('release steps in the fleet view on %s', (name, backend) => {
  let store: IngestStore;
  let fx: Awaited<ReturnType<typeof consoleFixture>>;
  const browser = async (username: string) => {
    const b = new InjectBrowser(fx.app);
    expect((await b.login(username, PW)).statusCode).toBe(303);
    return b;
  };

  beforeAll(async () => {
    store = await backend.open();
    for (const [username, role, stores] of [['admin1', 'admin', []], ['mgr1', 'store_manager', ['S1']]] as const) await addUser(store.db, { username, password: PW, role, stores: [...stores] }, T0);
    const running = (software: string) => JSON.stringify({ v: 1, online: true, ts: T0, software });
    await store.db.transaction(async (tx) => {
      for (const [s, d, sw] of [['S1', 'D1', '2.9.0'], ['S1', 'D2', '3.0.0'], ['S1', 'D3', '2.9.0'], ['S2', 'D1', '2.9.0']]) {
        await tx.run('INSERT INTO fleet (store_id, device_id, state, state_at, online) VALUES (?, ?, ?, ?, 1)', [s, d, running(sw), T0]);
      }
    });
    const audit = { record: async () => undefined };
    for (const version of ['3.0.0', '3.0.1']) {
      const pub = await publishRelease(store.db, { file: npmPack(dir, { version }), version, minConfigSchema: 1, dir: path.join(dir, `rel-${name}`), actor: 'cli:ops', now: T0 });
      expect(pub.ok).toBe(true);
    }
    expect(await createRollout(store.db, audit, { version: '3.0.0', selection: { all: true, stores: [], tags: [] }, baseUrl: 'https://hq.test', actor: 'cli:ops', now: T0 })).toMatchObject({ ok: true, kiosks: 4 });
    const rep = (rollout: string, version: string, step: string, ts: number, extra: object = {}) => Buffer.from(JSON.stringify({ v: 1, rollout, version, step, running: '2.9.0', ts, ...extra }));
    await store.db.transaction(async (tx) => {
      expect(await recordReleaseReported(tx, releaseReportedTopic('S1', 'D1'), rep('r1', '3.0.0', 'downloading', T0 + 1, { received: 250, total: 1000 }), T0)).toBe('r1');
      expect(await recordReleaseReported(tx, releaseReportedTopic('S1', 'D2'), rep('r1', '3.0.0', 'healthy', T0 + 1), T0)).toBe('r1');
      expect(await recordReleaseReported(tx, releaseReportedTopic('S2', 'D1'), rep('r1', '3.0.0', 'rolled_back', T0 + 1, { reason: 'health_check_failed' }), T0)).toBe('r1');
      expect(await recordReleaseReported(tx, releaseReportedTopic('S1', 'D3'), rep('r1', '3.0.0', 'healthy', T0 + 1), T0)).toBe('r1');
    });
    // S1/D3, healthy on 3.0.0, is then offered 3.0.1 (a rollout to its tag) and reports the download verified
    expect(await addTag(store.db, 'S1', 'D3', 'pilot', 'admin1', T0)).toBe('added');
    expect(await createRollout(store.db, audit, { version: '3.0.1', selection: { all: false, stores: [], tags: ['pilot'] }, baseUrl: 'https://hq.test', actor: 'cli:ops', now: T0 })).toMatchObject({ ok: true, kiosks: 1 });
    await store.db.transaction(async (tx) => {
      expect(await recordReleaseReported(tx, releaseReportedTopic('S1', 'D3'), rep('r2', '3.0.1', 'verified', T0 + 5), T0)).toBe('r2');
    });
    fx = await consoleFixture(store, {}, T0);
  }, 120_000);
  afterAll(async () => {
    await fx?.app.close();
    await store?.db.close();
  });

  it('shows each kiosk its latest step, linked to its rollout; nothing when it is healthy on what it runs', async () => {
    const page = await (await browser('admin1')).get('/fleet');
    expect(page.statusCode).toBe(200);
    const d1 = rowOf(page.body, 'S1/D1');
    expect(d1).toContain('<a href="/releases/rollouts/r1">3.0.0</a>');
    expect(d1).toMatch(/data-release-step="downloading">downloading 25 %/);
    expect(rowOf(page.body, 'S1/D2')).not.toContain('data-release-step');
    const d3 = rowOf(page.body, 'S1/D3');
    expect(d3).toContain('<a href="/releases/rollouts/r2">3.0.1</a>');
    expect(d3).toContain('data-release-step="verified"');
    const s2 = rowOf(page.body, 'S2/D1');
    expect(s2).toMatch(/class="badge bad" data-release-step="rolled_back">rolled back<\/span> health_check_failed/);
  });

  it("shows the step on the kiosk's page, in Chinese too, and a store manager only their stores'", async () => {
    const admin = await browser('admin1');
    const kiosk = await admin.get('/fleet/S2/D1');
    expect(kiosk.statusCode).toBe(200);
    expect(kiosk.body).toContain('data-release-step="rolled_back"');
    const mgr = await browser('mgr1');
    const own = await mgr.get('/fleet');
    expect(rowOf(own.body, 'S1/D1')).toContain('data-release-step="downloading"');
    expect(own.body).not.toContain('S2/D1');
    expect(own.body).not.toContain('health_check_failed');
    const zh = await admin.get('/fleet?lang=zh-CN');
    expect(rowOf(zh.body, 'S1/D1')).toMatch(/data-release-step="downloading">下载中 25 %/);
  });
});
