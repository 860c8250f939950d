/**
 * The price-book build worker (a node:worker_threads thread; started by worker-source.ts through
 * kernel/worker-script.ts). It does the CPU-heavy part of a full build — CSV/JSON parsing and validation with the
 * kiosk's one reader (protocol/pricebook/reader.ts) or gunzip + validation of HQ chunks (chunk-codec.ts), barcode
 * normalization, hashing, JSON encoding — so that the lane's event loop, which answers barcode lookups, only runs
 * the inserts. Protocol: encode-protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isKioskError } from '../../kernel/errors';
import { BULK_NICE, lowerThreadPriority } from '../../kernel/thread-priority';
import type { PriceItem } from '../pricing/types';
import { BookEncoder } from './book-encoder';
import type { EncodeWorkerData, FromWorker, ToWorker, WireError } from './encode-protocol';

/** worker-source.ts imports this (type only) so that every build compiling the main side emits this file too (bench/). */
export type { EncodeWorkerData as WorkerData } from './encode-protocol';

if (!parentPort) throw new Error('encode-worker runs as a worker thread (runtime/pricebook/worker-source.ts)');
const port = parentPort;
const data = workerData as EncodeWorkerData;
// the build is bulk work: when the CPU is short, the lane's thread (lookups, scans) goes first
lowerThreadPriority(BULK_NICE);

const send = (m: FromWorker) => port.postMessage(m);
const utf8 = new TextEncoder();

/** Pull credits from the main thread, and the slice size of the latest pull. */
let credits = 0;
let rows = 1000;
let creditWaiter: (() => void) | null = null;
/** Chunks handed over, in order, and the one waiting for the next. */
const chunks: (ToWorker & { t: 'chunk' | 'eof' })[] = [];
let chunkWaiter: (() => void) | null = null;

port.on('message', (m: ToWorker) => {
  if (m.t === 'pull') {
    credits++;
    rows = m.rows;
    creditWaiter?.();
    creditWaiter = null;
  } else {
    chunks.push(m);
    chunkWaiter?.();
    chunkWaiter = null;
  }
});

async function credit(): Promise<void> {
  while (credits === 0) await new Promise<void>((resolve) => (creditWaiter = resolve));
  credits--;
}

async function nextChunk(): Promise<ToWorker & { t: 'chunk' | 'eof' }> {
  while (chunks.length === 0) await new Promise<void>((resolve) => (chunkWaiter = resolve));
  return chunks.shift()!;
}

/** HQ chunks, decoded and validated here; the next one is asked for before this one is decoded (the read overlaps). */
async function* chunkBatches(): AsyncGenerator<PriceItem[]> {
  // loaded for the input at hand only: every module is resident memory of the thread
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: a chunk build needs no CSV parser
  const { decodeItemChunk } = require('../../protocol/pricebook/chunk-codec') as typeof import('../../protocol/pricebook/chunk-codec');
  send({ t: 'need' });
  for (;;) {
    const m = await nextChunk();
    if (m.t === 'eof') return;
    send({ t: 'need' });
    yield decodeItemChunk(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), m.index);
  }
}

function wire(e: unknown): WireError {
  if (isKioskError(e)) return { name: e.name, message: e.message, code: e.code, details: e.details };
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(e) };
}

async function main(): Promise<void> {
  const { input, source, taxClasses } = data;
  const encoder = new BookEncoder(taxClasses, source);
  let items = 0;
  const batches =
    input.kind === 'file'
      ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: a chunk build needs no CSV parser
        (require('../../protocol/pricebook/reader') as typeof import('../../protocol/pricebook/reader')).readPriceBookFile(input.path, {
          ...(taxClasses ? { taxClasses } : {}),
          ...(input.batchSize ? { batchSize: input.batchSize } : {}),
          ...(input.trackKeys === false ? { trackKeys: false } : {}),
          onProgress: (bytesRead, totalBytes) => send({ t: 'progress', bytesRead, totalBytes, items }),
        })
      : chunkBatches();
  for await (const raw of batches) {
    const slices = encoder.encode(raw, () => rows);
    for (;;) {
      await credit();
      const s = slices.next();
      if (s.done) {
        credits++; // not used: the next batch's first slice takes it
        break;
      }
      // bytes in a buffer of their own (TextEncoder never pools), moved to the main thread rather than copied
      const bytes = utf8.encode(s.value.json as string);
      port.postMessage({ t: 'slice', bytes, rows: s.value.rows } satisfies FromWorker, [bytes.buffer]);
    }
    items += raw.length;
  }
  send({ t: 'end', ...encoder.finish() });
}

// the main thread ends the thread once it has the end or the error (worker-source.ts)
main().catch((e: unknown) => send({ t: 'error', error: wire(e) }));
