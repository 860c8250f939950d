/**
 * Fuzz target (issue 11): what a kiosk decodes of a price book pushed from HQ — chunks (gzip NDJSON, full items
 * and delta operations: protocol/pricebook/chunk-codec.ts) and the manifest body (manifest.ts). Inputs: real
 * chunks from the HQ chunker, mutated as gzip bytes (mostly refused by gzip) and — stronger — as NDJSON text
 * before compressing (so the JSON and item checks run), with lines nested far past the depth limit; manifests
 * as JSON values, valid and mutated.
 * Asserted: a chunk decodes or throws KioskError PRICEBOOK_INVALID with a bounded message (never a RangeError);
 * a manifest parses or gives a bounded detail.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { decodeDeltaChunk, decodeItemChunk } from '../../protocol/pricebook/chunk-codec';
import { parseManifest } from '../../protocol/pricebook/manifest';
import { build, item, items } from '../support/pricebook-sync';
import { bytesFrom, MAX_MESSAGE, onlyKioskErrors, params, textFrom } from '../support/fuzz';

let FULL: Buffer[] = [];
let FULL_TEXT: string[] = [];
let MANIFEST: unknown;
const DELTA_TEXT = [
  [{ op: 'upsert', item: item(3, { unitPrice: 999, barcodes: ['6900000000001', '6900000000002'] }) }, { op: 'delete', sku: 'SKU-000001' }].map((o) => JSON.stringify(o)).join('\n'),
  JSON.stringify({ op: 'upsert', item: item(7, { ageLimit: 18, soldByWeight: true, names: { en: 'x' } }) }),
];

beforeAll(async () => {
  const book = await build(items(1, 12), { version: 'v1', kind: 'full' }, 600);
  FULL = book.chunks;
  FULL_TEXT = FULL.map((c) => gunzipSync(c).toString('utf8'));
  MANIFEST = book.manifest;
});

const deepLine = fc.tuple(fc.integer({ min: 65, max: 12_000 }), fc.constantFrom('[', '{"a":')).map(([n, open]) => {
  const close = open === '[' ? ']' : '}';
  return `${JSON.stringify(item(1))}\n${open.repeat(n)}${open === '[' ? '' : '1'}${close.repeat(n)}\n`;
});

describe('fuzz: price-book chunks and manifest', () => {
  it('full-book chunks: items or PRICEBOOK_INVALID (mutated gzip, mutated NDJSON, deep lines)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          { weight: 2, arbitrary: bytesFrom(FULL, 200).map((b) => Buffer.from(b)) },
          { weight: 6, arbitrary: textFrom(FULL_TEXT, 200).map((t) => gzipSync(t)) },
          { weight: 1, arbitrary: deepLine.map((t) => gzipSync(t)) },
        ),
        (gz) => {
          const out = onlyKioskErrors(['PRICEBOOK_INVALID'], () => decodeItemChunk(gz, 0));
          if (out) expect(out.length).toBeLessThanOrEqual(gz.length * 1100);
        },
      ),
      params,
    );
  });

  it('delta chunks: operations or PRICEBOOK_INVALID', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 6, arbitrary: textFrom(DELTA_TEXT, 200) }, { weight: 1, arbitrary: deepLine }), (text) => {
        onlyKioskErrors(['PRICEBOOK_INVALID'], () => decodeDeltaChunk(gzipSync(text), 1));
      }),
      params,
    );
  });

  it('manifest bodies: parsed or a bounded detail', () => {
    const base = JSON.stringify(MANIFEST);
    fc.assert(
      fc.property(fc.oneof(textFrom([base], 200).map((t) => safeParse(t)), fc.jsonValue({ maxDepth: 6 })), (v) => {
        const r = parseManifest(v);
        if (!r.ok) expect(r.detail.length).toBeLessThanOrEqual(MAX_MESSAGE);
        else expect(r.manifest.chunks.length).toBe(r.manifest.chunkCount);
      }),
      params,
    );
  });
});

function safeParse(t: string): unknown {
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return t;
  }
}
