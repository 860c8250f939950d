/**
 * Messages between the kiosk and its price-book build process (build-process.ts, started by process-source.ts).
 * The child reads and checks the book, encodes it in slices and inserts each slice into the shadow tables itself,
 * on its own SQLite connection — but only when the kiosk lends it the writer's turn (`go`), so the lane's
 * transactions go first and nobody waits on SQLite's lock. Flow control: the child encodes a slice only against a
 * `pull` (one per slice, carrying the size the build pacer wants now), so it runs at most a couple of slices ahead.
 */
import type { BookDigest } from './book-encoder';

/** What the child reads: a price-book file (protocol/pricebook/reader.ts), or gzip chunks the kiosk hands it. */
export type EncodeInput =
  /** trackKeys false: repeated SKUs and barcodes left to the shadow tables' keys (protocol/pricebook/reader.ts ReadPriceBookOptions). */
  { kind: 'file'; path: string; batchSize?: number; trackKeys?: boolean } | { kind: 'chunks' };

/** The child's start-up data (its one command-line argument, as JSON). */
export interface BuildProcessData {
  input: EncodeInput;
  /** Names the book in messages (file name, `hq:VERSION`). */
  source: string;
  taxClasses?: readonly string[];
  /** The kiosk's database: the shadow tables exist before the first `go`. */
  dbFile: string;
}

export type ToChild =
  /** Encode one more slice of at most `rows` items. */
  | { t: 'pull'; rows: number }
  /** The writer's turn is yours: insert the oldest ready slice (one transaction), then say `written`. */
  | { t: 'go' }
  /** The next chunk (answer to `need`). */
  | { t: 'chunk'; index: number; data: Uint8Array }
  /** No more chunks (answer to `need`). */
  | { t: 'eof' };

/** An error as it crosses the process boundary (a KioskError keeps its code and details). */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  details?: Record<string, unknown>;
}

export type FromChild =
  /** A slice of `rows` items is encoded and waits for its `go`. */
  | { t: 'ready'; rows: number }
  /** The slice of the last `go` is committed: its barcodes, and how long its inserts took (ms, for the pacer). */
  | { t: 'written'; barcodes: number; ms: number }
  /** Send the next chunk (input `chunks`). */
  | { t: 'need' }
  | { t: 'progress'; bytesRead: number; totalBytes: number; items: number }
  /** Every slice is encoded (and each written once its `go` came): the digest, and the child's peak RSS so far. */
  | ({ t: 'end'; maxRssKiB: number } & BookDigest)
  /** What refused the book (a bad row, a repeated key, a failed insert); the child writes nothing more. */
  | { t: 'error'; error: WireError };
