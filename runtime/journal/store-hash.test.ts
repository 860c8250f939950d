/**
 * The journal hash covers the store for new entries; entries written before keep their hash (a fiscal chain is never
 * rehashed) and verify by the formula they were written with, marked by `store_id` NULL. HQ recomputes the same way.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IngestStore } from '../../hq/ingest/store';
import { KioskDb } from '../../kernel/sqlite/database';
import { migrate, MIGRATIONS } from '../db/migrations';
import { encodeEvent, parseEvent, type EventMessage } from '../../protocol/sync/messages';
import { appendJournal, setJournalStore } from './append';
import { entryHash, GENESIS_HASH, type JournalEntry } from '../../protocol/journal/entry';
import { verifyJournal } from '../../protocol/journal/verify';

const DEVICE = 'lane-1';
const T = 1_767_258_000_000;

describe('journal hash and the store', () => {
  let dir: string;
  let db: KioskDb;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-store-hash-'));
    db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
  });
  afterEach(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A journal as software before the store was hashed wrote it (schema 8, the old formula), then migrated. */
  async function existingJournal(n: number): Promise<JournalEntry[]> {
    await migrate(db, MIGRATIONS.filter((m) => m.version <= 8));
    const old: JournalEntry[] = [];
    let prevHash = GENESIS_HASH;
    await db.transaction(async (tx) => {
      for (let seq = 1; seq <= n; seq++) {
        const e = { seq, deviceId: DEVICE, ts: T + seq, orderId: `o-${seq}`, type: 'order_completed', payload: `{"total":${seq}}`, prevHash };
        const hash = entryHash(e);
        await tx.run('INSERT INTO journal (seq, device_id, ts, order_id, type, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
          seq, e.deviceId, e.ts, e.orderId, e.type, e.payload, prevHash, hash,
        ]);
        old.push({ ...e, hash });
        prevHash = hash;
      }
    });
    await migrate(db);
    return old;
  }

  async function appendNew(n: number, storeId = 's1'): Promise<JournalEntry[]> {
    return db.transaction(async (tx) => {
      await setJournalStore(tx, storeId);
      const out: JournalEntry[] = [];
      for (let i = 0; i < n; i++) out.push(await appendJournal(tx, { deviceId: DEVICE, ts: T + 100 + i, orderId: null, type: 'lane_closed', payload: { i } }));
      return out;
    });
  }

  async function tamper(sql: string, params: unknown[]): Promise<void> {
    await db.transaction(async (tx) => {
      await tx.run('DROP TRIGGER journal_no_update');
      await tx.run(sql, params);
    });
  }

  it('existing entries keep their hash and verify; new entries cover the store and link on', async () => {
    const old = await existingJournal(3);
    const fresh = await appendNew(3);
    const rows = await db.read.all<{ seq: number; store_id: string | null; hash: string }>('SELECT seq, store_id, hash FROM journal ORDER BY seq');
    expect(rows.slice(0, 3)).toEqual(old.map((e) => ({ seq: e.seq, store_id: null, hash: e.hash })));
    expect(rows.slice(3).map((r) => r.store_id)).toEqual(['s1', 's1', 's1']);
    expect(fresh[0].prevHash).toBe(old[2].hash);
    // the new formula, with the store: not the old one
    const { hash, ...unhashed } = fresh[0];
    expect(hash).toBe(entryHash(unhashed));
    expect(hash).not.toBe(entryHash({ ...unhashed, hashStoreId: null }));
    expect(await verifyJournal(db.read)).toEqual({ ok: true, entries: 6, headHash: fresh[2].hash });
  });

  it.each([
    ['another store', 's2'],
    ['the store removed (passed off as an entry from before)', null],
  ])('a new entry with %s breaks verification at that entry', async (_what, storeId) => {
    await existingJournal(2);
    await appendNew(3);
    await tamper('UPDATE journal SET store_id = ? WHERE seq = 4', [storeId]);
    expect(await verifyJournal(db.read)).toMatchObject({ ok: false, brokenAt: 4, reason: 'entry 4 was altered (hash differs)' });
  });

  it('an entry from before given a store breaks verification too', async () => {
    await existingJournal(2);
    await appendNew(1);
    await tamper('UPDATE journal SET store_id = ? WHERE seq = 2', ['s1']);
    expect(await verifyJournal(db.read)).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('HQ recomputes both formulas, and refuses a store-covered entry under another store or stripped of its store', async () => {
    const old = await existingJournal(2);
    const fresh = await appendNew(2);
    const hq = await IngestStore.open(path.join(dir, 'hq.sqlite'));
    try {
      const events = [...old, ...fresh].map((e) => parseEvent(encodeEvent('s1', e)));
      expect(events.map((e) => e.hashStoreId ?? null)).toEqual([null, null, 's1', 's1']);
      expect((await hq.acceptMany(events.slice(0, 3))).map((r) => r.status)).toEqual(['stored', 'stored', 'stored']);
      const last = events[3];
      const forged: EventMessage[] = [
        { ...last, storeId: 's2', hashStoreId: 's2' }, // replayed as another store's
        { ...last, storeId: 's2' }, // another store's topic, the entry's own store
        { ...last, hashStoreId: null }, // the marker stripped: the old formula
      ];
      for (const f of forged) expect(await hq.accept(f)).toMatchObject({ status: 'rejected' });
      expect(await hq.accept(last)).toMatchObject({ status: 'stored', contiguousSeq: 4 });
    } finally {
      await hq.close();
    }
  });
});
