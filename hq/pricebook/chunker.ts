import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { KioskError } from '../../kernel/errors';
import { readPriceBookFile } from '../../protocol/pricebook/reader';
import { checkDeltaOp, type DeltaOp } from '../../protocol/pricebook/chunk-codec';
import { CHUNK_TARGET_BYTES, type ChunkRef, type PricebookManifest } from '../../protocol/pricebook/manifest';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';

/** Where finished chunks go (a directory, an MQTT publisher...). Called in index order, one at a time. */
export type ChunkSink = (index: number, gz: Buffer) => Promise<void>;

export interface BookMeta {
  version: string;
  kind: 'full' | 'delta';
  baseVersion?: string;
}

/**
 * Cuts records (PriceItems for a full book, DeltaOps for a delta) into gzip NDJSON chunks of about `targetBytes`
 * uncompressed, hands each to `sink` as soon as it is full, and returns the manifest (unsigned). Records are not
 * validated here — callers feed validated ones. Memory: one chunk plus the list of chunk hashes.
 */
export async function chunkRecords(
  batches: AsyncIterable<readonly unknown[]>,
  meta: BookMeta,
  sink: ChunkSink,
  targetBytes = CHUNK_TARGET_BYTES,
): Promise<PricebookManifest> {
  const chunks: ChunkRef[] = [];
  const whole = createHash('sha256');
  let lines: string[] = [];
  let size = 0;
  let items = 0;
  const flush = async () => {
    if (lines.length === 0) return;
    const gz = gzipSync(lines.join(''));
    lines = [];
    size = 0;
    whole.update(gz);
    const ref = { index: chunks.length, sha256: createHash('sha256').update(gz).digest('hex'), bytes: gz.length };
    chunks.push(ref);
    await sink(ref.index, gz);
  };
  for await (const batch of batches) {
    for (const rec of batch) {
      const line = JSON.stringify(rec) + '\n';
      const n = Buffer.byteLength(line);
      if (size > 0 && size + n > targetBytes) await flush();
      lines.push(line);
      size += n;
      items++;
    }
  }
  await flush();
  return {
    version: meta.version,
    kind: meta.kind,
    ...(meta.kind === 'delta' ? { baseVersion: meta.baseVersion } : {}),
    chunkCount: chunks.length,
    items,
    chunks,
    sha256: whole.digest('hex'),
  };
}

/**
 * Streams a delta file: NDJSON (.jsonl/.ndjson), one `{"op":"upsert","item":{...}}` or `{"op":"delete","sku":"..."}`
 * per line, in the order they must apply. Throws KioskError('PRICEBOOK_INVALID') naming file and line.
 */
export async function* readDeltaFile(path: string, batchSize = 5000): AsyncGenerator<DeltaOp[]> {
  const name = basename(path);
  if (!/\.(jsonl|ndjson)$/i.test(path)) throw new KioskError('PRICEBOOK_INVALID', `${name}: a delta must be .jsonl or .ndjson`, { file: path });
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let batch: DeltaOp[] = [];
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      if (text.trim() === '') continue;
      let v: unknown;
      try {
        v = boundedJsonParse(text, { maxBytes: JSON_LIMITS.pricebookRecord });
      } catch (e) {
        throw new KioskError('PRICEBOOK_INVALID', `${name} line ${line}: invalid JSON: ${(e as Error).message}`, { file: path, line });
      }
      const r = checkDeltaOp(v);
      if (!r.ok) throw new KioskError('PRICEBOOK_INVALID', `${name} line ${line}: ${r.reason}`, { file: path, line });
      batch.push(r.op);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  } finally {
    rl.close();
  }
  if (batch.length > 0) yield batch;
}

/** Chunks a price-book file: a full book with the streaming reader (CSV/JSONL/JSON), a delta with readDeltaFile. */
export function chunkPriceBookFile(file: string, meta: BookMeta, sink: ChunkSink, targetBytes?: number): Promise<PricebookManifest> {
  const batches = meta.kind === 'full' ? readPriceBookFile(file) : readDeltaFile(file);
  return chunkRecords(batches, meta, sink, targetBytes);
}

/** File name of chunk `index` in an output directory. */
export const chunkFileName = (index: number): string => `chunk-${index}.ndjson.gz`;

/** A sink that writes `DIR/chunk-{index}.ndjson.gz`. */
export function dirSink(dir: string): ChunkSink {
  let made = false;
  return async (index, gz) => {
    if (!made) await mkdir(dir, { recursive: true });
    made = true;
    await writeFile(join(dir, chunkFileName(index)), gz);
  };
}
