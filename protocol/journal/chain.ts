import { entryHash, GENESIS_HASH, type JournalEntry } from './entry';

/**
 * The journal's chain rules, the one copy (the kiosk's `journal verify`, HQ ingest, the tests):
 * - entry 1 names {@link GENESIS_HASH} as its prev; entry N names entry N-1's hash; seqs are contiguous;
 * - an entry's hash is {@link entryHash} over its own fields.
 */

/** The head of a verified run: the last entry's seq and hash. */
export interface ChainLink {
  seq: number;
  hash: string;
}

/** Where and how a chain breaks: `missing` (a seq gap), `link` (prev hash differs), `hash` (entry altered). */
export interface ChainFault {
  seq: number;
  kind: 'missing' | 'link' | 'hash';
  reason: string;
}

/** True when the entry's hash is entryHash over its fields (by the formula its `hashStoreId` selects). */
export const hashMatches = (e: JournalEntry): boolean => entryHash(e) === e.hash;

/** True when `e` directly follows `prev` (null: the chain's start): seq prev.seq + 1, prevHash prev's hash. */
export function follows(prev: ChainLink | null, e: Pick<JournalEntry, 'seq' | 'prevHash'>): boolean {
  return e.seq === (prev?.seq ?? 0) + 1 && e.prevHash === (prev?.hash ?? GENESIS_HASH);
}

/**
 * Checks entries one by one, in seq order, from the chain's start (or from a known head): feed every entry to
 * {@link ChainCheck.next}; the first fault is where the chain breaks. Memory does not grow with the chain.
 */
export class ChainCheck {
  private head: ChainLink | null;
  private count = 0;

  /**
   * @param hashOk how an entry's own hash is checked; default {@link hashMatches}. (HQ's stored rows do not record
   *   which formula their hash used: its check tries both.)
   */
  constructor(
    private readonly hashOk: (e: JournalEntry) => boolean = hashMatches,
    from: ChainLink | null = null,
  ) {
    this.head = from;
  }

  /** The seq the next entry must have. */
  get nextSeq(): number {
    return (this.head?.seq ?? 0) + 1;
  }

  /** The hash of the last verified entry (the genesis hash before any). */
  get headHash(): string {
    return this.head?.hash ?? GENESIS_HASH;
  }

  /** Entries verified so far. */
  get entries(): number {
    return this.count;
  }

  /** Checks `e` as the next entry; null when it fits (it becomes the head), else the fault. */
  next(e: JournalEntry): ChainFault | null {
    const seq = this.nextSeq;
    if (e.seq !== seq) return { seq, kind: 'missing', reason: `entry ${seq} is missing (next entry is ${e.seq})` };
    if (!follows(this.head, e)) return { seq, kind: 'link', reason: `entry ${seq} does not link to entry ${seq - 1} (prev_hash differs)` };
    if (!this.hashOk(e)) return { seq, kind: 'hash', reason: `entry ${seq} was altered (hash differs)` };
    this.head = { seq: e.seq, hash: e.hash };
    this.count++;
    return null;
  }

  /** Goes on from a declared gap: the next entry is `seq`, and it must name `prevHash` (a lost head's hash). */
  resumeAt(seq: number, prevHash: string): void {
    this.head = { seq: seq - 1, hash: prevHash };
  }
}
