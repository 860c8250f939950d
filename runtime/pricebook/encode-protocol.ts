/**
 * Messages between the main thread and the price-book build worker (encode-worker.ts, started by
 * worker-source.ts). The worker reads and checks the book and sends ready-made JSON slices; the main thread only
 * inserts them. Flow control: the worker sends a slice only against a `pull` (one per slice, carrying the size the
 * build pacer wants now), so it runs at most a couple of slices ahead of the inserts and memory stays bounded.
 */
import type { BookDigest } from './book-encoder';

/** What the worker reads: a price-book file (protocol/pricebook/reader.ts), or gzip chunks the main thread hands it. */
export type EncodeInput =
  /** trackKeys false: repeated SKUs and barcodes left to the shadow tables' keys (protocol/pricebook/reader.ts ReadPriceBookOptions). */
  { kind: 'file'; path: string; batchSize?: number; trackKeys?: boolean } | { kind: 'chunks' };

export interface EncodeWorkerData {
  input: EncodeInput;
  /** Names the book in messages (file name, `hq:VERSION`). */
  source: string;
  taxClasses?: readonly string[];
}

export type ToWorker =
  /** Send one more slice of at most `rows` items. */
  | { t: 'pull'; rows: number }
  /** The next chunk (answer to `need`). */
  | { t: 'chunk'; index: number; data: Uint8Array }
  /** No more chunks (answer to `need`). */
  | { t: 'eof' };

/** An error as it crosses the thread boundary (a KioskError keeps its code and details). */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  details?: Record<string, unknown>;
}

export type FromWorker =
  /** The slice's JSON as UTF-8 bytes, its buffer transferred (no copy, and no string on the main thread's heap). */
  | { t: 'slice'; bytes: Uint8Array; rows: number }
  /** Send the next chunk (input `chunks`). */
  | { t: 'need' }
  | { t: 'progress'; bytesRead: number; totalBytes: number; items: number }
  | ({ t: 'end' } & BookDigest)
  | { t: 'error'; error: WireError };
