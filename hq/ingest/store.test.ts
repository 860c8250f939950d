import * as fs from 'node:fs';
import * as path from 'node:path';
import { entryHash, GENESIS_HASH } from '../../protocol/journal/entry';
import type { EventMessage } from '../../protocol/sync/messages';
import { chain, tmpDir } from '../../test/support/sync-fixtures';
import { Client } from 'pg';
import { Postgres } from '../../test/support/postgres';
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

/** Another kiosk's chain under the same identity (a reused identity, or a restore that sold on): `n` entries after `after`. */
function otherChain(storeId: string, deviceId: string, n: number, after: EventMessage | null = null): EventMessage[] {
  const out: EventMessage[] = [];
  let prevHash = after?.hash ?? GENESIS_HASH;
  for (let seq = (after?.seq ?? 0) + 1; out.length < n; seq++) {
    const base = { seq, deviceId, ts: 1_800_000_000_000 + seq, orderId: `other-${seq}`, type: 'order_completed', payload: `{"total":${1000 + seq}}`, prevHash };
    const hash = entryHash(base);
    out.push({ v: 1, storeId, ...base, hash });
    prevHash = hash;
  }
  return out;
}

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

  const mainCount = async () => (await store.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM sales_events'))?.n ?? 0;

  it('acks the contiguous seq with the hash HQ holds there, only when it stored or re-saw something', async () => {
    const ev = chain('S1', 'K1', 5);
    const first = await store.acceptBatch(ev.slice(0, 3));
    expect(first.acks).toEqual([{ storeId: 'S1', deviceId: 'K1', seq: 3, hash: ev[2].hash }]);
    expect(first.quarantined).toEqual([]);
    // 5 arrives before 4: HQ still acks what is contiguous (3), with 3's hash
    expect((await store.acceptBatch([ev[4]])).acks).toEqual([{ storeId: 'S1', deviceId: 'K1', seq: 3, hash: ev[2].hash }]);
    expect((await store.acceptBatch([ev[3], ev[1]])).acks).toEqual([{ storeId: 'S1', deviceId: 'K1', seq: 5, hash: ev[4].hash }]);
    // a tampered copy alone: nothing acked
    expect((await store.acceptBatch([{ ...ev[4], payload: '{"total":0}' }])).acks).toEqual([]);
  });

  it('a reused identity (fresh database, same store/device): every entry conflicts, none stored or acked, all quarantined', async () => {
    const old = chain('S1', 'K1', 30);
    await store.acceptMany(old);
    const fresh = otherChain('S1', 'K1', 25);
    const out = await store.acceptBatch(fresh, 1_000);
    expect(out.results.every((r) => r.status === 'rejected')).toBe(true);
    expect(out.results[0].reason).toBe('conflicts with stored seq 1');
    expect(out.acks).toEqual([]);
    expect(out.quarantined.map((q) => [q.seq, q.hash, q.isNew])).toEqual(fresh.map((e) => [e.seq, e.hash, true]));
    expect(await mainCount()).toBe(30);
    const kept = await store.quarantine('S1', 'K1');
    expect(kept.map((r) => [r.seq, r.hash, r.payload, r.reason, r.copies])).toEqual(
      fresh.map((e) => [e.seq, e.hash, e.payload, `conflicts with stored seq ${e.seq}`, 1]),
    );
    // the kiosk re-sends (no ack came): kept once, counted, not new
    const again = await store.acceptBatch(fresh.slice(0, 2), 2_000);
    expect(again.quarantined.map((q) => q.isNew)).toEqual([false, false]);
    expect(again.acks).toEqual([]);
    expect((await store.quarantine('S1', 'K1')).slice(0, 2).map((r) => [r.copies, r.first_seen, r.last_seen])).toEqual([
      [2, 1_000, 2_000],
      [2, 1_000, 2_000],
    ]);
    expect(await store.quarantinedChains()).toEqual([
      { storeId: 'S1', deviceId: 'K1', entries: 25, fromSeq: 1, toSeq: 25, reason: 'conflicts with stored seq 1', firstSeen: 1_000, lastSeen: 2_000 },
    ]);
    expect(await store.device('S1', 'K1')).toMatchObject({ contiguous_seq: 30, last_hash: old[29].hash, chain_ok: 0 });
  });

  it('a conflicting chain longer than what HQ holds is quarantined past the end too (no entry stored above a gap)', async () => {
    await store.acceptMany(chain('S1', 'K1', 10));
    const fresh = otherChain('S1', 'K1', 25);
    // in two batches: the second one learns from the quarantine table what the first one refused
    const a = await store.acceptBatch(fresh.slice(0, 12));
    const b = await store.acceptBatch(fresh.slice(12));
    const results = [...a.results, ...b.results];
    expect(results.map((r) => r.status)).toEqual(fresh.map(() => 'rejected'));
    expect(results[10].reason).toBe('chain break at seq 11');
    expect(results[11].reason).toBe('descends from quarantined seq 11');
    expect(results[12].reason).toBe('descends from quarantined seq 12');
    expect([...a.acks, ...b.acks]).toEqual([]);
    expect(await mainCount()).toBe(10);
    expect(await store.gap('S1', 'K1')).toBeUndefined();
    expect((await store.quarantine('S1', 'K1')).map((r) => r.seq)).toEqual(fresh.map((e) => e.seq));
  });

  it('a conflicting chain whose tail came first (another $share instance) is moved from the journal to quarantine once its head is refused', async () => {
    await store.acceptMany(chain('S1', 'K1', 10));
    const fresh = otherChain('S1', 'K1', 25);
    const tail = await store.acceptBatch(fresh.slice(12), 1_000); // 13..25: nothing to link to yet, stored above a gap
    expect(tail.results.every((r) => r.status === 'stored')).toBe(true);
    expect(await store.gap('S1', 'K1')).toEqual({ from: 11, to: 12 });
    const head = await store.acceptBatch(fresh.slice(0, 12), 2_000);
    expect(head.results.map((r) => r.status)).toEqual(fresh.slice(0, 12).map(() => 'rejected'));
    expect(head.acks).toEqual([]);
    expect(head.quarantined.filter((q) => q.seq > 12).map((q) => [q.seq, q.reason, q.isNew])).toEqual(
      fresh.slice(12).map((e) => [e.seq, `descends from quarantined seq ${e.seq - 1}`, true]),
    );
    expect(await mainCount()).toBe(10);
    expect(await store.gap('S1', 'K1')).toBeUndefined();
    const kept = await store.quarantine('S1', 'K1');
    expect(kept.map((r) => [r.seq, r.hash, r.payload])).toEqual(fresh.map((e) => [e.seq, e.hash, e.payload]));
    expect(await store.device('S1', 'K1')).toMatchObject({ contiguous_seq: 10, stored: 10 });
  });

  it('a kiosk restored from a backup: its own entries are acked up to where the chains part, the new ones quarantined', async () => {
    const lived = chain('S1', 'K1', 30);
    await store.acceptMany(lived);
    const sinceRestore = otherChain('S1', 'K1', 5, lived[19]);
    const out = await store.acceptBatch([...lived.slice(17, 20), ...sinceRestore]);
    expect(out.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(out.acks).toEqual([{ storeId: 'S1', deviceId: 'K1', seq: 20, hash: lived[19].hash }]);
    expect(out.quarantined.map((q) => q.seq)).toEqual([21, 22, 23, 24, 25]);
  });

  it('a tampered entry is quarantined as "hash mismatch", and its successor is not taken as descending from it', async () => {
    const ev = chain('S1', 'K1', 3);
    await store.accept(ev[0]);
    const out = await store.acceptBatch([{ ...ev[1], payload: '{"total":-5}' }, ev[2]]);
    expect(out.results.map((r) => [r.status, r.reason])).toEqual([
      ['rejected', 'hash mismatch'],
      ['stored', undefined],
    ]);
    expect((await store.quarantine()).map((r) => [r.seq, r.reason, r.payload])).toEqual([[2, 'hash mismatch', '{"total":-5}']]);
    // the genuine entry 2 closes the gap
    expect((await store.acceptBatch([ev[1]])).acks).toEqual([{ storeId: 'S1', deviceId: 'K1', seq: 3, hash: ev[2].hash }]);
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
