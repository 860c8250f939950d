import * as path from 'node:path';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { KioskError } from '../../kernel/errors';
import { workerScript } from '../../kernel/worker-script';
import type { BookDigest, Slice } from './book-encoder';
import type { EncodeInput, FromWorker, ToWorker, WireError } from './encode-protocol';
import type { WorkerData } from './encode-worker';

/** The slices of a new book and, once they are all out, its digest. */
export interface SliceSource {
  slices: AsyncIterable<Slice>;
  /** After the last slice: the digest (throws what refused the book, if anything did). */
  finish(): Promise<BookDigest>;
  /** Stops whatever still runs (the worker); idempotent. */
  close(): Promise<void>;
}

export interface WorkerSourceOptions {
  /** Names the book in messages (file name, `hq:VERSION`). */
  source: string;
  taxClasses?: readonly string[];
  /** The slice size wanted now (the build pacer's), read for every slice asked for. */
  rows: () => number;
  /** File input: after each batch read (bytes of the file consumed, items before the batch). */
  onProgress?: (bytesRead: number, totalBytes: number, items: number) => void;
  /** Chunk input: the next gzip chunk, in order, or null after the last one. */
  nextChunk?: () => Promise<{ index: number; data: Buffer } | null>;
  /** Sees the worker once started (tests stop it to see what a dying worker does). */
  onWorker?: (worker: Worker) => void;
}

/** Slices the worker prepares ahead of the inserts (each ~100–2 000 items, a few hundred KB of JSON). */
const AHEAD = 2;
/**
 * The worker's heap: one batch of items and its JSON, plus (file input) the reader's duplicate index (typed arrays,
 * outside the heap). HQ chunks are small and memory is what an HQ apply is short of: a small young generation
 * (more, cheaper scavenges). A file is parsed by csv-parse, which allocates fast: a 4 MiB young generation doubled
 * the thread's garbage-collection time (0.9 → 1.9 s of 7 s for 200 000 CSV rows), so files get 16. What a book could
 * make it allocate beyond the old generation's cap stops the worker (ERR_WORKER_OUT_OF_MEMORY), not the kiosk.
 */
const LIMITS: Record<EncodeInput['kind'], ResourceLimits> = {
  chunks: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 128 },
  file: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 128 },
};

const WORKER_MODULE = path.join(__dirname, `encode-worker${path.extname(__filename)}`);

function fromWire(w: WireError): Error {
  if (w.name === 'KioskError' && w.code) return new KioskError(w.code as KioskError['code'], w.message, w.details ?? {});
  const e = new Error(w.message) as Error & { code?: string };
  e.name = w.name;
  if (w.code) e.code = w.code;
  return e;
}

/**
 * Reads and checks a full book in a worker thread (encode-worker.ts) and yields the slices it sends. The worker's
 * own refusal (a bad row: the reader's message with its line) is rethrown as it was thrown there; a worker that
 * dies (out of memory, terminated) is a KioskError('BAD_DATA') naming the book — the caller's build is abandoned
 * and the book in force stays.
 */
export function workerSource(input: EncodeInput, opts: WorkerSourceOptions): SliceSource {
  const data: WorkerData = { input, source: opts.source, ...(opts.taxClasses ? { taxClasses: [...opts.taxClasses] } : {}) };
  const worker = new Worker(workerScript(WORKER_MODULE), { workerData: data, resourceLimits: LIMITS[input.kind] });
  opts.onWorker?.(worker);
  const inbox: FromWorker[] = [];
  let failure: Error | null = null;
  /** The worker said its last word (end or error), or we stopped it: its exit is expected. */
  let done = false;
  let digest: BookDigest | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const fail = (e: Error) => {
    failure ??= e;
    notify();
  };
  const died = (why: string) =>
    new KioskError('BAD_DATA', `${opts.source}: the price-book build worker stopped (${why}); the book in force is unchanged`, { source: opts.source, worker: why });
  const post = (m: ToWorker) => worker.postMessage(m);

  let chunkChain = Promise.resolve();
  const serveChunk = () => {
    chunkChain = chunkChain
      .then(async () => {
        const c = await opts.nextChunk!();
        if (!done) post(c ? { t: 'chunk', index: c.index, data: c.data } : { t: 'eof' });
      })
      .catch((e: unknown) => fail(e instanceof Error ? e : new Error(String(e))));
  };

  worker.on('message', (m: FromWorker) => {
    if (m.t === 'need') serveChunk();
    else if (m.t === 'progress') opts.onProgress?.(m.bytesRead, m.totalBytes, m.items);
    else {
      if (m.t === 'end' || m.t === 'error') done = true;
      inbox.push(m);
      notify();
    }
  });
  worker.on('error', (e: Error & { code?: string }) => fail(died(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out of memory' : `${e.name}: ${e.message}`)));
  worker.on('exit', (code) => {
    if (!done) fail(died(`exit code ${code}`));
  });

  async function next(): Promise<FromWorker> {
    for (;;) {
      if (failure) throw failure;
      const m = inbox.shift();
      if (m) return m;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }

  async function* slices(): AsyncGenerator<Slice> {
    for (let i = 0; i < AHEAD; i++) post({ t: 'pull', rows: opts.rows() });
    for (;;) {
      const m = await next();
      if (m.t === 'slice') {
        yield { json: Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), rows: m.rows };
        post({ t: 'pull', rows: opts.rows() });
      } else if (m.t === 'end') {
        digest = { sha256: m.sha256, items: m.items };
        return;
      } else if (m.t === 'error') {
        throw fromWire(m.error);
      }
    }
  }

  return {
    slices: slices(),
    finish: () => (digest ? Promise.resolve(digest) : Promise.reject(new Error('workerSource: finish() before the last slice'))),
    close: async () => {
      done = true;
      await worker.terminate();
    },
  };
}
