import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { Clock, TimerHandle } from '../../kernel/clock';

/**
 * What the kiosk knows it had, kept OUTSIDE the database (`<dataDir>/data-marker.json`, next to identity.json): the
 * database's id (random, created with the database and stored in its `meta` table) and the high-water marks of the
 * journal and the receipt counter. A database that vanished, was replaced, or went backwards (a deleted WAL, an old
 * backup) no longer matches it, and the lane stays out of service instead of re-issuing numbers already used.
 */
export const markerSchema = z
  .object({
    v: z.literal(1),
    dbId: z.string().regex(/^[0-9a-f]{32}$/),
    journalSeq: z.number().int().min(0),
    /** Hash of journal entry `journalSeq` ('' when the journal was empty). */
    journalHash: z.string().regex(/^([0-9a-f]{64})?$/),
    receiptNo: z.number().int().min(0),
    /** Epoch ms (kiosk clock) of the write. */
    writtenAt: z.number().int().min(0),
  })
  .strict();

export type DataMarker = z.infer<typeof markerSchema>;
export type MarkerMarks = Omit<DataMarker, 'v' | 'writtenAt'>;

export const markerPath = (dataDir: string): string => path.join(dataDir, 'data-marker.json');

/** The marker, null when there is none (a data dir never used by this software), or `{ error }` when unreadable. */
export function readMarker(dataDir: string): DataMarker | null | { error: string } {
  const file = markerPath(dataDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { error: `${file}: ${(e as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text.length > 4096 ? '' : text);
  } catch {
    return { error: `${file}: not valid JSON` };
  }
  const parsed = markerSchema.safeParse(json);
  return parsed.success ? parsed.data : { error: `${file}: ${parsed.error.issues[0].path.join('.') || '(root)'}: ${parsed.error.issues[0].message}` };
}

/** Atomic replace (temp file, fsync, rename, fsync the folder) without blocking the event loop. */
export async function writeMarker(dataDir: string, marker: DataMarker): Promise<void> {
  const file = markerPath(dataDir);
  const tmp = path.join(dataDir, `.data-marker.json.${process.pid}.tmp`);
  const fh = await fs.promises.open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(`${JSON.stringify(marker)}\n`, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  const dir = await fs.promises.open(dataDir, 'r').catch(() => null);
  if (dir) await dir.sync().catch(() => undefined).finally(() => dir.close());
}

/**
 * Keeps the marker up to date after commits, off the scan path: `note()` only records the newest marks (O(1), no
 * I/O); a write starts when none is in flight, and marks noted meanwhile are written once it is done (coalesced:
 * at most one write in flight, the latest value wins). With `gapMs` (on the injected clock) a write starts at most
 * that long after the previous one began, so a busy lane pays a bounded number of marker fsyncs per second however
 * fast it commits; `flush()` never waits for the gap. Marks never go down. A failed write is reported and retried
 * with the next note or flush.
 */
export class MarkerWriter {
  private marks: MarkerMarks;
  private written: string;
  private inFlight: Promise<void> | null = null;
  private lastStart = -Infinity;
  private gapTimer: TimerHandle | null = null;

  constructor(
    private readonly dataDir: string,
    initial: MarkerMarks,
    private readonly opts: { now: () => number; onError?: (e: unknown) => void; gapMs?: number; clock?: Clock },
  ) {
    this.marks = { ...initial };
    this.written = JSON.stringify(initial);
  }

  /** The newest marks noted (written or about to be). */
  current(): MarkerMarks {
    return { ...this.marks };
  }

  note(m: { journalSeq?: number; journalHash?: string; receiptNo?: number | null }): void {
    if (m.journalSeq !== undefined && m.journalSeq > this.marks.journalSeq) {
      this.marks.journalSeq = m.journalSeq;
      this.marks.journalHash = m.journalHash ?? '';
    }
    if (m.receiptNo != null && m.receiptNo > this.marks.receiptNo) this.marks.receiptNo = m.receiptNo;
    this.kick();
  }

  /** Resolves when no write is in flight (one scheduled after the gap is not waited for). */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** Resolves when everything noted so far is on disk (or its write failed and was reported). */
  async flush(): Promise<void> {
    if (this.gapTimer) this.opts.clock?.clearTimeout(this.gapTimer);
    this.gapTimer = null;
    while (this.inFlight) await this.inFlight;
    if (this.pending()) {
      this.inFlight = this.writeOnce(false);
      await this.inFlight;
    }
  }

  private pending(): boolean {
    return JSON.stringify(this.marks) !== this.written;
  }

  /** Starts a write now, or when the gap since the last one is over; nothing when one is in flight or scheduled. */
  private kick(): void {
    if (this.inFlight || this.gapTimer || !this.pending()) return;
    const wait = this.lastStart + (this.opts.gapMs ?? 0) - this.opts.now();
    const clock = this.opts.clock;
    if (wait > 0 && clock) {
      this.gapTimer = clock.setTimeout(() => {
        this.gapTimer = null;
        this.kick();
      }, wait);
      return;
    }
    this.inFlight = this.writeOnce(true);
  }

  private async writeOnce(thenKick: boolean): Promise<void> {
    await Promise.resolve(); // the caller stores this promise as `inFlight` before it may be cleared below
    const snapshot = JSON.stringify(this.marks);
    try {
      this.lastStart = this.opts.now();
      await writeMarker(this.dataDir, { v: 1, ...(JSON.parse(snapshot) as MarkerMarks), writtenAt: this.opts.now() });
      this.written = snapshot;
    } catch (e) {
      this.opts.onError?.(e);
      thenKick = false; // retried with the next note or flush, not in a tight loop
    } finally {
      this.inFlight = null;
    }
    if (thenKick) this.kick();
  }
}
