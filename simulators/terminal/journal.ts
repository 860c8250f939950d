import * as fs from 'node:fs';

/** The simulated terminal's own record of what it did — the "truth" a driver can ask about after a lost outcome. */
export type JournalKind = 'payment' | 'refund' | 'reversal' | 'end-of-day';
export type JournalResult = 'pending' | 'approved' | 'declined' | 'aborted';

export interface JournalEntry {
  seq: number;
  kind: JournalKind;
  traceNumber: number;
  receiptNumber: number;
  /** Minor units. */
  amount: number;
  currency: number;
  result: JournalResult;
  /** ZVT result code once decided (0 = approved). */
  resultCode?: number;
  /** Masked as the terminal prints it, e.g. "6799********0016". Never a full PAN. */
  maskedPan?: string;
  cardName?: string;
  /** ZVT card type (BMP 8A) of the card used; the end-of-day totals are kept by it. */
  cardType?: number;
  authCode?: string;
  /** Clock ms when the transaction started. */
  at: number;
  /** A payment that a later reversal cancelled. */
  reversed?: boolean;
  /** For reversals: the trace number of the payment reversed. */
  originalTraceNumber?: number;
  /** Why it ended as it did, when not obvious (e.g. "line to the ECR lost"). */
  note?: string;
}

/**
 * With a file, the journal survives the process (written atomically after every change; a terminal's journal
 * outlives the ECR that talks to it). Without one it lives in memory.
 */
export class SimJournal {
  private readonly list: JournalEntry[] = [];

  constructor(private readonly file?: string) {
    if (file && fs.existsSync(file)) this.list.push(...(JSON.parse(fs.readFileSync(file, 'utf8')) as JournalEntry[]));
  }

  /** Writes the file (no-op without one). The simulator calls it whenever an entry changed. */
  save(): void {
    if (!this.file) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.list));
    fs.renameSync(tmp, this.file);
  }

  /** Starts an entry and returns the live record (simulator-internal). */
  begin(e: Omit<JournalEntry, 'seq' | 'result'>): JournalEntry {
    const entry: JournalEntry = { ...e, seq: this.list.length + 1, result: 'pending' };
    this.list.push(entry);
    this.save();
    return entry;
  }

  lookupByTrace(traceNumber: number): JournalEntry | undefined {
    return copy(findLast(this.list, (e) => e.traceNumber === traceNumber));
  }

  lookupByReceipt(receiptNumber: number): JournalEntry | undefined {
    return copy(findLast(this.list, (e) => e.receiptNumber === receiptNumber));
  }

  /** The most recent entry, finished or not. */
  last(): JournalEntry | undefined {
    return copy(this.list[this.list.length - 1]);
  }

  /** The most recent finished entry (what repeat-receipt reports). */
  lastFinished(): JournalEntry | undefined {
    return copy(findLast(this.list, (e) => e.result !== 'pending'));
  }

  entries(): JournalEntry[] {
    return this.list.map((e) => ({ ...e }));
  }

  /** Live record for the simulator (mutable). */
  live(predicate: (e: JournalEntry) => boolean): JournalEntry | undefined {
    return findLast(this.list, predicate);
  }
}

function findLast<T>(list: T[], p: (x: T) => boolean): T | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (p(list[i])) return list[i];
  return undefined;
}

function copy(e: JournalEntry | undefined): JournalEntry | undefined {
  return e ? { ...e } : undefined;
}
