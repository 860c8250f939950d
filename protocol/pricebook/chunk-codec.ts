import { gunzipSync } from 'node:zlib';
import { KioskError } from '../../kernel/errors';
import { preview } from '../../kernel/json/bounded-format';
import { tryParseJson } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import { checkPriceItem, formatPath } from './item-schema';
import type { PriceItem } from './price-item';

/** One line of a delta chunk. Operations apply in order. */
export type DeltaOp = { op: 'upsert'; item: PriceItem } | { op: 'delete'; sku: string };

/** Largest chunk accepted after decompression (the target is 256 KB; a zip bomb stops here). */
export const MAX_CHUNK_UNCOMPRESSED = 16 * 1024 * 1024;

function fail(index: number, line: number, reason: string): never {
  throw new KioskError('PRICEBOOK_INVALID', `chunk ${index} line ${line}: ${reason}`, { chunk: index, line });
}

function* jsonLines(gz: Buffer, index: number): Generator<[unknown, number]> {
  let text: string;
  try {
    text = gunzipSync(gz, { maxOutputLength: MAX_CHUNK_UNCOMPRESSED }).toString('utf8');
  } catch (e) {
    throw new KioskError('PRICEBOOK_INVALID', `chunk ${index}: not a gzip NDJSON chunk (${(e as Error).message})`, { chunk: index });
  }
  let line = 0;
  for (const s of text.split('\n')) {
    line++;
    if (s.trim() === '') continue;
    // bounded: a signed book with a line nested thousands deep must be an invalid book, not a stack overflow
    const r = tryParseJson(s, { maxBytes: JSON_LIMITS.pricebookRecord });
    if (!r.ok) fail(index, line, r.message);
    yield [r.value, line];
  }
}

/** Decodes and validates the items of one full-book chunk (gzip NDJSON of PriceItem). */
export function decodeItemChunk(gz: Buffer, index: number): PriceItem[] {
  const out: PriceItem[] = [];
  for (const [v, line] of jsonLines(gz, index)) {
    const r = checkPriceItem(v);
    if (!r.ok) fail(index, line, `${formatPath(r.problem.path) || 'item'}: ${r.problem.reason}`);
    out.push(r.item);
  }
  return out;
}

/** Checks one delta record: `{op:'upsert', item}` or `{op:'delete', sku}`. */
export function checkDeltaOp(v: unknown): { ok: true; op: DeltaOp } | { ok: false; reason: string } {
  if (v === null || typeof v !== 'object') return { ok: false, reason: 'expected an object with "op"' };
  const o = v as Record<string, unknown>;
  if (o.op === 'upsert') {
    const r = checkPriceItem(o.item);
    return r.ok ? { ok: true, op: { op: 'upsert', item: r.item } } : { ok: false, reason: `item.${formatPath(r.problem.path)}: ${r.problem.reason}` };
  }
  if (o.op === 'delete') {
    return typeof o.sku === 'string' && o.sku !== '' && o.sku === o.sku.trim()
      ? { ok: true, op: { op: 'delete', sku: o.sku } }
      : { ok: false, reason: 'sku: expected a non-empty string' };
  }
  return { ok: false, reason: `op: expected "upsert" or "delete", got ${preview(o.op, 40)}` };
}

/** Decodes and validates the operations of one delta chunk. */
export function decodeDeltaChunk(gz: Buffer, index: number): DeltaOp[] {
  const out: DeltaOp[] = [];
  for (const [v, line] of jsonLines(gz, index)) {
    const r = checkDeltaOp(v);
    if (!r.ok) fail(index, line, r.reason);
    out.push(r.op);
  }
  return out;
}
