import * as fs from 'node:fs';
import * as path from 'node:path';
import { KioskDb } from '../kernel/sqlite/database';
import { applyMigrations } from '../kernel/sqlite/migrate';
import { INGEST_MIGRATIONS } from '../hq/ingest/schema';
import { IngestStore } from '../hq/ingest/store';
import { INGEST_TARGETS, closeConsoleBackends } from './support/console-fixture';
import { tmpDir } from './support/sync-fixtures';

/**
 * HQ schema v17 (hq/fleet/schema.ts): batches may be `config` and `pricebook` pushes, with one `batch_pushes` row per
 * kiosk. An HQ store made before v17 keeps its command batches; PostgreSQL's idempotent schema runs at every open.
 */
afterAll(closeConsoleBackends, 60_000);

const BATCH = "INSERT INTO batches (id, kind, name, args, selection, created_by, created_at) VALUES (?, ?, 'x', '{}', '{}', 'admin', 1)";

describe('schema v17: push batches', () => {
  it('SQLite: a store at v14 keeps its command batches; afterwards config and price-book batches are accepted, others not', async () => {
    const dir = tmpDir('hq-v17-');
    const db = await KioskDb.open(path.join(dir, 'hq.sqlite'));
    try {
      expect(await applyMigrations(db, INGEST_MIGRATIONS.filter((m) => m.version <= 14))).toBe(14);
      await db.transaction((tx) => tx.run(BATCH, ['b-old', 'command']));
      await expect(db.transaction((tx) => tx.run(BATCH, ['b-cfg0', 'config']))).rejects.toThrow(/CHECK/);
      expect(await applyMigrations(db, INGEST_MIGRATIONS)).toBeGreaterThanOrEqual(17);
      expect(await db.read.all('SELECT id, kind FROM batches')).toEqual([{ id: 'b-old', kind: 'command' }]);
      await db.transaction(async (tx) => {
        await tx.run(BATCH, ['b-cfg', 'config']);
        await tx.run(BATCH, ['b-book', 'pricebook']);
        await tx.run('INSERT INTO batch_pushes (batch_id, store_id, device_id, version, error, sent_at) VALUES (?, ?, ?, ?, ?, ?)', ['b-cfg', 'S1', 'K1', '3', null, 1]);
      });
      await expect(db.transaction((tx) => tx.run(BATCH, ['b-bad', 'format']))).rejects.toThrow(/CHECK/);
      expect(await db.read.all('SELECT kind FROM batches ORDER BY kind')).toEqual([{ kind: 'command' }, { kind: 'config' }, { kind: 'pricebook' }]);
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: opened twice (the schema runs at every open), push batches are accepted and other kinds refused', async () => {
    const url = await INGEST_TARGETS.find(([n]) => n === 'PostgreSQL')![1]();
    await (await IngestStore.open(url)).close();
    const store = await IngestStore.open(url);
    try {
      await store.db.transaction(async (tx) => {
        await tx.run(BATCH, ['b-cmd', 'command']);
        await tx.run(BATCH, ['b-cfg', 'config']);
        await tx.run(BATCH, ['b-book', 'pricebook']);
      });
      await expect(store.db.transaction((tx) => tx.run(BATCH, ['b-bad', 'format']))).rejects.toThrow(/check constraint/i);
      expect((await store.db.read.all('SELECT id FROM batches')).length).toBe(3);
    } finally {
      await store.close();
    }
  }, 60_000);
});
