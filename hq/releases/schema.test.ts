/**
 * HQ schema v20 (./schema.ts): `rollout_kiosks.superseded_by`. A store made at v19 keeps its rollouts and gains the
 * column (SQLite: the forward-only migration; PostgreSQL: the idempotent schema run at every open adds it to a table
 * made before it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KioskDb } from '../../kernel/sqlite/database';
import { applyMigrations } from '../../kernel/sqlite/migrate';
import { closeConsoleBackends, INGEST_TARGETS } from '../../test/support/console-fixture';
import { tmpDir } from '../../test/support/sync-fixtures';
import { INGEST_MIGRATIONS } from '../ingest/schema';
import { IngestStore } from '../ingest/store';
import { rolloutKiosks } from './rollouts';

afterAll(closeConsoleBackends, 60_000);

const seed = async (db: Pick<KioskDb, 'transaction'>): Promise<void> =>
  db.transaction(async (tx) => {
    await tx.run("INSERT INTO releases (version, sha256, size, min_config_schema, published_by, published_at) VALUES ('1.0.0', 'ab', 1, 1, 'ops', 1)");
    await tx.run("INSERT INTO rollouts (id, version, selection, percent, canary_tag, max_failures, url, state, created_by, created_at, updated_at) VALUES ('r1', '1.0.0', '{}', 100, NULL, 1, 'https://hq/x', 'active', 'ops', 1, 1)");
    await tx.run("INSERT INTO rollout_kiosks (rollout_id, store_id, device_id, canary, offer_seq, step) VALUES ('r1', 'S1', 'D1', 0, 4, 'downloading')");
  });

it('SQLite: a store at v19 keeps its rollout kiosks and gains superseded_by (null)', async () => {
  const dir = tmpDir('hq-v20-');
  const file = path.join(dir, 'hq.sqlite');
  try {
    const db = await KioskDb.open(file);
    expect(await applyMigrations(db, INGEST_MIGRATIONS.filter((m) => m.version <= 19))).toBe(19);
    await seed(db);
    await expect(db.read.all('SELECT superseded_by FROM rollout_kiosks')).rejects.toThrow(/superseded_by/);
    await db.close();
    const store = await IngestStore.open(file);
    try {
      expect((await rolloutKiosks(store.db.read, 'r1')).map((k) => [k.deviceId, k.offerSeq, k.step, k.supersededBy])).toEqual([['D1', 4, 'downloading', null]]);
      await store.db.transaction((tx) => tx.run("UPDATE rollout_kiosks SET superseded_by = 'r2'"));
      expect((await rolloutKiosks(store.db.read, 'r1'))[0].supersededBy).toBe('r2');
    } finally {
      await store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('PostgreSQL: a rollout_kiosks table made before v20 gains the column at the next open, its rows kept', async () => {
  const url = await INGEST_TARGETS.find(([n]) => n === 'PostgreSQL')![1]();
  const first = await IngestStore.open(url);
  await first.db.transaction((tx) => tx.run('ALTER TABLE rollout_kiosks DROP COLUMN superseded_by'));
  await seed(first.db);
  await first.close();
  const store = await IngestStore.open(url);
  try {
    expect((await rolloutKiosks(store.db.read, 'r1')).map((k) => [k.deviceId, k.offerSeq, k.step, k.supersededBy])).toEqual([['D1', 4, 'downloading', null]]);
  } finally {
    await store.close();
  }
}, 60_000);
