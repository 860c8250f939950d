import * as fs from 'node:fs';
import * as path from 'node:path';
import { entryHash } from '../../runtime/journal/entry';
import { chain, tmpDir } from '../../test/helpers/sync-fixtures';
import { Client } from 'pg';
import { Postgres } from '../../test/helpers/postgres';
import { IngestStore } from './store';

/** One suite, run against every backend: a SQLite file and a real PostgreSQL server (Debian's, started here). */
interface Backend {
  /** A fresh, empty store location (file path or database URL). */
  fresh(): Promise<string>;
  cleanup?(): Promise<void>;
}

let pg: Postgres | null = null;
let pgDbs = 0;
afterAll(async () => {
  await pg?.close();
});

const BACKENDS: [string, () => Backend][] = [
  [
    'SQLite',
    () => {
      let dir = '';
      return {
        fresh: async () => {
          dir = tmpDir('ingest-store-');
          return path.join(dir, 'hq.sqlite');
        },
        cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'PostgreSQL',
    () => ({
      fresh: async () => {
        pg ??= await Postgres.start();
        const name = `ingest_${++pgDbs}`;
        const admin = new Client({ connectionString: pg.url });
        await admin.connect();
        await admin.query(`CREATE DATABASE ${name}`);
        await admin.end();
        return pg.url.replace(/\/postgres$/, `/${name}`);
      },
    }),
  ],
];

describe.each(BACKENDS)('IngestStore on %s', (_name, makeBackend) => {
  const backend = makeBackend();
  let where: string;
  let store: IngestStore;
  beforeEach(async () => {
    where = await backend.fresh();
    store = await IngestStore.open(where);
  }, 60_000);
  afterEach(async () => {
    await store.close();
    await backend.cleanup?.();
  });

  it('stores a chain in order and advances the contiguous seq', async () => {
    const ev = chain('S1', 'K1', 3);
    const results = [];
    for (const e of ev) results.push(await store.accept(e));
    expect(results.map((r) => [r.status, r.contiguousSeq, r.gap])).toEqual([
      ['stored', 1, undefined],
      ['stored', 2, undefined],
      ['stored', 3, undefined],
    ]);
    const dev = await store.device('S1', 'K1');
    expect(dev).toMatchObject({ contiguous_seq: 3, last_hash: ev[2].hash, chain_ok: 1, stored: 3 });
  });

  it('is idempotent: a duplicate is a counted no-op', async () => {
    const [e1] = chain('S1', 'K1', 1);
    expect((await store.accept(e1)).status).toBe('stored');
    expect(await store.accept(e1)).toEqual({ status: 'duplicate', contiguousSeq: 1 });
    const n = await store.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM sales_events');
    expect(n?.n).toBe(1);
    expect((await store.device('S1', 'K1'))?.duplicates).toBe(1);
  });

  it('reports a gap for out-of-order events, and fills it in when the missing ones arrive', async () => {
    const ev = chain('S1', 'K1', 8);
    for (const e of ev.slice(0, 5)) await store.accept(e);
    const r8 = await store.accept(ev[7]);
    expect(r8).toEqual({ status: 'stored', contiguousSeq: 5, gap: { from: 6, to: 7 } });
    expect(await store.gap('S1', 'K1')).toEqual({ from: 6, to: 7 });
    expect(await store.accept(ev[5])).toEqual({ status: 'stored', contiguousSeq: 6, gap: { from: 7, to: 7 } });
    expect(await store.accept(ev[6])).toEqual({ status: 'stored', contiguousSeq: 8 });
    expect(await store.gap('S1', 'K1')).toBeUndefined();
    expect((await store.device('S1', 'K1'))?.last_hash).toBe(ev[7].hash);
  });

  it('rejects a tampered event (payload changed, hash kept) with "hash mismatch"', async () => {
    const [e1] = chain('S1', 'K1', 1);
    const r = await store.accept({ ...e1, payload: '{"total":999999}' });
    expect(r).toEqual({ status: 'rejected', contiguousSeq: 0, reason: 'hash mismatch' });
    expect(await store.db.read.get('SELECT * FROM sales_events')).toBeUndefined();
    expect((await store.device('S1', 'K1'))?.rejected).toBe(1);
  });

  it('rejects a forged event whose prevHash does not link, and flags the device', async () => {
    const ev = chain('S1', 'K1', 2);
    await store.accept(ev[0]);
    const forgedBase = { ...ev[1], prevHash: 'f'.repeat(64) };
    const forged = { ...forgedBase, hash: entryHash(forgedBase) };
    const r = await store.accept(forged);
    expect(r.status).toBe('rejected');
    expect(r.reason).toBe('chain break at seq 2');
    expect(await store.device('S1', 'K1')).toMatchObject({ chain_ok: 0, chain_error: 'chain break at seq 2', contiguous_seq: 1 });
    // the genuine event still goes in
    expect((await store.accept(ev[1])).status).toBe('stored');
  });

  it('checks linkage forward too: an event that the stored next one does not link to is a chain break', async () => {
    const ev = chain('S1', 'K1', 3);
    await store.accept(ev[0]);
    await store.accept(ev[2]);
    const forgedBase = { ...ev[1], payload: '{"total":-1}' };
    const r = await store.accept({ ...forgedBase, hash: entryHash(forgedBase) });
    expect(r).toMatchObject({ status: 'rejected', reason: 'chain break at seq 3' });
  });

  it('rejects a first event that does not start from the genesis hash', async () => {
    const base = { ...chain('S1', 'K1', 1)[0], prevHash: 'a'.repeat(64) };
    expect((await store.accept({ ...base, hash: entryHash(base) })).reason).toBe('chain break at seq 1');
  });

  it('keeps devices apart, and acceptMany is one transaction with results in order', async () => {
    const a = chain('S1', 'K1', 3);
    const b = chain('S1', 'K2', 2);
    const r = await store.acceptMany([a[0], b[0], a[1], a[1], b[1], a[2]]);
    expect(r.map((x) => x.status)).toEqual(['stored', 'stored', 'stored', 'duplicate', 'stored', 'stored']);
    expect((await store.devices()).map((d) => [d.device_id, d.contiguous_seq])).toEqual([
      ['K1', 3],
      ['K2', 2],
    ]);
  });

  it('inside one batch, out-of-order events are decided as if accepted one by one', async () => {
    const ev = chain('S1', 'K1', 4);
    const r = await store.acceptMany([ev[2], ev[0], ev[0], ev[1], ev[3]]);
    expect(r).toEqual([
      { status: 'stored', contiguousSeq: 0, gap: { from: 1, to: 2 } },
      { status: 'stored', contiguousSeq: 1, gap: { from: 2, to: 2 } },
      { status: 'duplicate', contiguousSeq: 1, gap: { from: 2, to: 2 } },
      { status: 'stored', contiguousSeq: 3 },
      { status: 'stored', contiguousSeq: 4 },
    ]);
    expect(await store.device('S1', 'K1')).toMatchObject({ contiguous_seq: 4, last_hash: ev[3].hash, stored: 4, duplicates: 1, chain_ok: 1 });
  });

  it('is safe with two processes-worth of connections on one store: each seq stored once', async () => {
    const other = await IngestStore.open(where);
    const ev = chain('S1', 'K1', 60);
    const results = await Promise.all(ev.flatMap((e, i) => [(i % 2 ? store : other).accept(e), (i % 2 ? other : store).accept(e)]));
    await other.close();
    expect(results.filter((r) => r.status === 'stored')).toHaveLength(60);
    expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(60);
    expect((await store.device('S1', 'K1'))?.contiguous_seq).toBe(60);
  });
});
