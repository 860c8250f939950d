/**
 * Over-the-air releases (issue 17), the way back: a release on probation is counted at each start and rolled back
 * when it keeps failing to start or its window is over; its health check clears the marker or points `current` back;
 * the previous release, starting again, restores the database backup made at the switch when the new release
 * changed the schema (migrations are forward-only) — and then boots on it. Real kiosk, real SQLite files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { bootKiosk, dbPath } from '../device/kiosk';
import { SimulatedClock, SystemClock, type Clock } from '../kernel/clock';
import { backupDatabase } from '../runtime/db/backup';
import { currentVersion, releaseDir } from '../runtime/releases/layout';
import { runProbation, schemaVersionOf, settleBeforeBoot } from '../runtime/releases/probation';
import { readPendingHealth, switchCurrent, writePendingHealth, type PendingHealth } from '../runtime/releases/switch';
import { tempDir } from './support/engine-fixture';
import { withRawDb } from './support/sqlite';

let dir: string;
let root: string;
let dataDir: string;
beforeEach(() => {
  dir = tempDir('release-probation-');
  root = path.join(dir, 'opt');
  dataDir = path.join(dir, 'data');
  for (const v of ['0.1.0', '0.2.0']) fs.mkdirSync(releaseDir(root, v), { recursive: true });
  switchCurrent(root, '0.2.0'); // the switch happened: the new release starts
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const marker = (over: Partial<PendingHealth> = {}): PendingHealth => ({
  v: 1,
  rollout: 'r1',
  version: '0.2.0',
  previous: '0.1.0',
  backup: null,
  schemaBefore: 0,
  switchedAt: Date.now(),
  deadline: Date.now() + 60_000,
  boots: 0,
  ...over,
});
const settle = (clock: Clock = new SystemClock()) => settleBeforeBoot({ root, dataDir, dbFile: dbPath(dataDir), clock, deviceId: 'lane-01', maxBoots: 3 });

describe('a release on probation', () => {
  it('is counted at each start, and rolled back when it started too often without passing its check', async () => {
    writePendingHealth(root, marker());
    for (let i = 1; i <= 3; i++) expect(await settle()).toMatchObject({ kind: 'probation', marker: { boots: i } });
    const r = await settle();
    expect(r).toMatchObject({ kind: 'restart', marker: { failed: { check: 'boot' } } });
    expect(currentVersion(root)).toBe('0.1.0');
    // the previous release starts: nothing to restore (no backup), it reports the rollback
    expect(await settle()).toMatchObject({ kind: 'rolled_back', marker: { restored: false, failed: { check: 'boot' } } });
  });

  it('is rolled back at once when it starts after its window', async () => {
    const clock = new SimulatedClock(Date.now());
    writePendingHealth(root, marker({ deadline: clock.now() - 1 }));
    expect(await settle(clock)).toMatchObject({ kind: 'restart', marker: { failed: { check: 'window' } } });
    expect(currentVersion(root)).toBe('0.1.0');
  });

  it('is not on probation when the switch never happened (crash between the marker and the link)', async () => {
    switchCurrent(root, '0.1.0');
    writePendingHealth(root, marker());
    expect(await settle()).toMatchObject({ kind: 'interrupted' });
    expect(currentVersion(root)).toBe('0.1.0');
  });

  it('passes its health check once every check passed within the window, and the marker is gone', async () => {
    writePendingHealth(root, marker());
    let hqUp = false;
    setTimeout(() => (hqUp = true), 150);
    const r = await runProbation({ root, marker: marker(), clock: new SystemClock(), intervalMs: 20, checks: { ready: async () => null, hq: async () => (hqUp ? null : 'HQ link down') } });
    expect(r).toEqual({ ok: true });
    expect(readPendingHealth(root)).toBeNull();
    expect(currentVersion(root)).toBe('0.2.0');
  });

  it('fails on the check that never passed, and points current back at the previous release', async () => {
    const m = marker({ deadline: Date.now() + 200 });
    writePendingHealth(root, m);
    const r = await runProbation({ root, marker: m, clock: new SystemClock(), intervalMs: 20, checks: { ready: async () => null, devices: async () => 'printer: offline' } });
    expect(r).toMatchObject({ ok: false, check: 'devices', detail: expect.stringContaining('printer: offline') });
    expect(currentVersion(root)).toBe('0.1.0');
    expect(readPendingHealth(root)).toMatchObject({ failed: { check: 'devices' } });
  });
});

describe('rolling back a release that changed the schema', () => {
  it('restores the backup made at the switch, and the previous release boots on it', async () => {
    const config = loadConfig({ env: {}, overrides: { dataDir } });
    const k = await bootKiosk(config, { clock: new SystemClock() });
    await k.close();
    const file = dbPath(dataDir);
    const before = await schemaVersionOf(file);
    expect(before).toBeGreaterThan(0);
    const backup = path.join(dataDir, 'backups', 'pre-release-0.2.0.db');
    await backupDatabase(file, backup, { clock: new SystemClock() });
    // the new release migrated forward: a table and a schema version the previous release cannot read
    await withRawDb(file, async (q) => {
      await q.run('CREATE TABLE new_release_thing (x INTEGER)');
      await q.run(`PRAGMA user_version = ${before + 1}`);
    });
    await expect(bootKiosk(config, { clock: new SystemClock() })).rejects.toMatchObject({ code: 'SCHEMA_NEWER' });
    // its health check failed: current back, the failure kept
    writePendingHealth(root, marker({ backup, schemaBefore: before, failed: { check: 'journal', detail: 'broken at seq 3' } }));
    switchCurrent(root, '0.1.0');
    const r = await settle();
    expect(r).toMatchObject({ kind: 'rolled_back', marker: { restored: true, failed: { check: 'journal' } } });
    expect(await schemaVersionOf(file)).toBe(before);
    const tables = await withRawDb(file, (q) => q.all<{ name: string }>("SELECT name FROM sqlite_master WHERE name = 'new_release_thing'"));
    expect(tables).toEqual([]);
    // settled once: a second start does not restore again
    expect(await settle()).toMatchObject({ kind: 'rolled_back', marker: { restored: true } });
    const again = await bootKiosk(config, { clock: new SystemClock() });
    await again.close();
  });

  it('leaves the database alone when the schema did not change', async () => {
    const config = loadConfig({ env: {}, overrides: { dataDir } });
    const k = await bootKiosk(config, { clock: new SystemClock() });
    await k.close();
    const file = dbPath(dataDir);
    const backup = path.join(dataDir, 'backups', 'pre-release-0.2.0.db');
    await backupDatabase(file, backup, { clock: new SystemClock() });
    await withRawDb(file, (q) => q.run('CREATE TABLE kept_since_the_switch (x INTEGER)'));
    writePendingHealth(root, marker({ backup, schemaBefore: await schemaVersionOf(file), failed: { check: 'hq', detail: 'HQ link down' } }));
    expect(await settle()).toMatchObject({ kind: 'rolled_back', marker: { restored: false } });
    expect(await withRawDb(file, (q) => q.all("SELECT name FROM sqlite_master WHERE name = 'kept_since_the_switch'"))).toHaveLength(1);
  });
});
