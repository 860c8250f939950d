/**
 * The price-book build process: a child of the kiosk (started by process-source.ts through kernel/worker-script.ts,
 * pinned by kernel/cpu-affinity.ts to every CPU but the first where there are two or more, at nice 10). It does all
 * the bulk work of a full build — CSV/JSON parsing and validation with the kiosk's one reader
 * (protocol/pricebook/reader.ts) or gunzip + validation of HQ chunks (chunk-codec.ts), barcode normalization,
 * hashing, JSON encoding, and the inserts into the shadow tables on its own SQLite connection, each slice in one
 * transaction when the kiosk lends it the writer's turn. The kiosk's threads — its event loop and SQLite's — then
 * only answer the lane: a lookup during a 1 M-item build no longer waits for a core behind the build's threads.
 * Protocol: build-protocol.ts.
 */
import { isKioskError } from '../../kernel/errors';
import { openLentWriter } from '../../kernel/sqlite/database';
import { BULK_NICE, lowerProcessPriority } from '../../kernel/thread-priority';
import type { PriceItem } from '../pricing/types';
import { BookEncoder, type Slice } from './book-encoder';
import type { BuildProcessData, FromChild, ToChild, WireError } from './build-protocol';
import { insertShadowBatch } from './shadow-book';

/** process-source.ts imports this (type only) so that every build compiling the kiosk side emits this file too (bench/). */
export type { BuildProcessData } from './build-protocol';

if (!process.send) throw new Error('build-process runs as a child process with an IPC channel (runtime/pricebook/process-source.ts)');
const data = JSON.parse(process.argv[2] ?? '{}') as BuildProcessData;
// bulk work: when the CPU is short, the lane goes first (threads started later inherit the nice value)
lowerProcessPriority(BULK_NICE);
// the kiosk went away (it stopped, or crashed): an open transaction is rolled back by SQLite, the shadow tables
// are dropped by the next build
process.on('disconnect', () => process.exit(0));

const send = (m: FromChild) => process.send!(m);

/** Pull credits from the kiosk, and the slice size of the latest pull. */
let credits = 0;
let rows = 1000;
let creditWaiter: (() => void) | null = null;
/** Chunks handed over, in order, and the one waiting for the next. */
const chunks: (ToChild & { t: 'chunk' | 'eof' })[] = [];
let chunkWaiter: (() => void) | null = null;
/** Encoded slices waiting for their `go`, oldest first. */
const ready: Slice[] = [];
/** Set once the child has refused the book: nothing more is written or sent. */
let failed = false;

function fail(e: unknown): void {
  if (failed) return;
  failed = true;
  send({ t: 'error', error: wire(e) });
}

function wire(e: unknown): WireError {
  if (isKioskError(e)) return { name: e.name, message: e.message, code: e.code, details: e.details };
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(e) };
}

const writer = openLentWriter(data.dbFile);
writer.catch(() => undefined); // awaited at the first go (and by main's error path)
/** The writes, one after the other (the kiosk sends the next `go` only after `written`; this keeps it so anyway). */
let writing = Promise.resolve();

async function write(): Promise<void> {
  const slice = ready.shift();
  if (!slice) throw new Error('go without a ready slice');
  const { tx } = await writer;
  await tx.exec('BEGIN IMMEDIATE');
  try {
    const t0 = process.hrtime.bigint();
    const barcodes = await insertShadowBatch(tx, slice.json, data.source);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    await tx.exec('COMMIT');
    if (!failed) send({ t: 'written', barcodes, ms });
  } catch (e) {
    await tx.exec('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

process.on('message', (m: ToChild) => {
  if (m.t === 'pull') {
    credits++;
    rows = m.rows;
    creditWaiter?.();
    creditWaiter = null;
  } else if (m.t === 'go') {
    writing = writing.then(() => (failed ? undefined : write().catch(fail)));
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

async function nextChunk(): Promise<ToChild & { t: 'chunk' | 'eof' }> {
  while (chunks.length === 0) await new Promise<void>((resolve) => (chunkWaiter = resolve));
  return chunks.shift()!;
}

/** HQ chunks, decoded and validated here; the next one is asked for before this one is decoded (the read overlaps). */
async function* chunkBatches(): AsyncGenerator<PriceItem[]> {
  // loaded for the input at hand only: every module is resident memory of the process
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

async function main(): Promise<void> {
  const { input, source, taxClasses } = data;
  await writer; // a database that cannot be opened for writing fails the build before anything is read
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
      if (failed) return;
      const s = slices.next();
      if (s.done) {
        credits++; // not used: the next batch's first slice takes it
        break;
      }
      ready.push(s.value);
      send({ t: 'ready', rows: s.value.rows });
    }
    items += raw.length;
  }
  const digest = encoder.finish();
  if (!failed) send({ t: 'end', ...digest, maxRssKiB: process.resourceUsage().maxRSS });
}

// the kiosk ends the process once it has the end or the error (process-source.ts)
main().catch(fail);
