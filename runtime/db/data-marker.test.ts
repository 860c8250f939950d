import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SimulatedClock } from '../../kernel/clock';
import { dataVerdict, type DbState } from './boot-check';
import { MarkerWriter, markerPath, readMarker, type DataMarker } from './data-marker';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-marker-'));
const H = (c: string) => c.repeat(64);
const ID = 'a'.repeat(32);

describe('MarkerWriter', () => {
  it('coalesces: one write in flight, the latest marks win, marks never go down', async () => {
    const dir = tmp();
    const renames = jest.spyOn(fs.promises, 'rename');
    try {
      const w = new MarkerWriter(dir, { dbId: ID, journalSeq: 0, journalHash: '', receiptNo: 0 }, { now: () => 1_000 });
      for (let seq = 1; seq <= 200; seq++) w.note({ journalSeq: seq, journalHash: H(seq % 2 ? 'b' : 'c'), receiptNo: Math.floor(seq / 10) });
      w.note({ journalSeq: 5, journalHash: H('d'), receiptNo: 1 }); // older marks arriving late change nothing
      await w.flush();
      // the first note started a write; the other 199 were folded into at most one more
      expect(renames.mock.calls.filter(([, to]) => to === markerPath(dir)).length).toBeLessThanOrEqual(2);
      expect(readMarker(dir)).toEqual({ v: 1, dbId: ID, journalSeq: 200, journalHash: H('c'), receiptNo: 20, writtenAt: 1_000 });
    } finally {
      renames.mockRestore();
    }
  });

  it('with a gap, a busy lane writes at most once per gap on the clock; flush does not wait for it', async () => {
    const dir = tmp();
    const clock = new SimulatedClock();
    const renames = jest.spyOn(fs.promises, 'rename');
    const writes = () => renames.mock.calls.filter(([, to]) => to === markerPath(dir)).length;
    try {
      const w = new MarkerWriter(dir, { dbId: ID, journalSeq: 0, journalHash: '', receiptNo: 0 }, { now: () => clock.now(), clock, gapMs: 100 });
      w.note({ journalSeq: 1, journalHash: H('1') });
      await w.settled(); // the first write (real file I/O) completes
      expect(writes()).toBe(1);
      for (let seq = 2; seq <= 50; seq++) w.note({ journalSeq: seq, journalHash: H('2') });
      await w.settled();
      expect(writes()).toBe(1); // within the gap: waiting on the clock
      expect(readMarker(dir)).toMatchObject({ journalSeq: 1 });
      clock.advance(100);
      await w.settled();
      expect(writes()).toBe(2);
      expect(readMarker(dir)).toMatchObject({ journalSeq: 50 });
      w.note({ journalSeq: 51, journalHash: H('3') });
      await w.flush(); // a clean stop writes the last marks at once
      expect(readMarker(dir)).toMatchObject({ journalSeq: 51 });
    } finally {
      renames.mockRestore();
    }
  });

  it('a failed write is reported and the marks are written by the next flush', async () => {
    const dir = tmp();
    const errors: unknown[] = [];
    const w = new MarkerWriter(path.join(dir, 'gone'), { dbId: ID, journalSeq: 0, journalHash: '', receiptNo: 0 }, { now: () => 1, onError: (e) => errors.push(e) });
    w.note({ journalSeq: 3, journalHash: H('e') });
    await w.flush();
    expect(errors.length).toBeGreaterThanOrEqual(1);
    fs.mkdirSync(path.join(dir, 'gone'));
    await w.flush();
    expect(readMarker(path.join(dir, 'gone'))).toMatchObject({ journalSeq: 3, journalHash: H('e') });
  });

  it('an unreadable marker is an error, not "no marker"', () => {
    const dir = tmp();
    expect(readMarker(dir)).toBeNull();
    fs.writeFileSync(markerPath(dir), '{"v":1,');
    expect(readMarker(dir)).toEqual({ error: `${markerPath(dir)}: not valid JSON` });
  });
});

describe('dataVerdict', () => {
  const marker: DataMarker = { v: 1, dbId: ID, journalSeq: 37, journalHash: H('f'), receiptNo: 9, writtenAt: Date.UTC(2026, 0, 2, 3, 4, 5) };
  const db: DbState = { exists: true, size: 4096, userVersion: 8, dbId: ID, journalSeq: 40, journalHash: H('1'), receiptNo: 9, hashOf: H('f') };
  const v = (s: Partial<DbState>, m: DataMarker | null = marker) => dataVerdict(m, { ...db, ...s }, '/d/kiosk.sqlite');

  it('passes a database at or past the marker, and anything without a marker', () => {
    expect(v({})).toBeNull();
    expect(v({ exists: false }, null)).toBeNull();
  });

  it('names each way a database can have gone backwards', () => {
    expect(v({ exists: false })).toMatch(/^database \/d\/kiosk\.sqlite is missing but the marker says journal 37, receipt 9 \(written 2026-01-02T03:04:05\.000Z\)/);
    expect(v({ size: 0 })).toMatch(/is empty but the marker says journal 37/);
    expect(v({ userVersion: 0 })).toMatch(/is empty/);
    expect(v({ dbId: 'b'.repeat(32) })).toMatch(/is a different database \(id b+; the marker names a+\)/);
    expect(v({ dbId: null })).toMatch(/different database \(id none;/);
    expect(v({ journalSeq: 12 })).toMatch(/^database went backwards: journal ends at 12, marker says 37 \(written 2026-01-02T03:04:05\.000Z\)/);
    expect(v({ hashOf: H('0') })).toMatch(/^database history differs: journal entry 37/);
    expect(v({ receiptNo: 5 })).toMatch(/^database went backwards: receipt counter at 5, marker says 9/);
  });
});
