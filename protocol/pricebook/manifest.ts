import { z } from 'zod';
import { joinPath } from '../../kernel/json/bounded-format';
import { tryParseJson } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';

/** Target size of one chunk before compression: ~256 KB of NDJSON. */
export const CHUNK_TARGET_BYTES = 256 * 1024;

/** One chunk as listed in the manifest: its position, and the sha256 and length of the gzip bytes as published. */
export interface ChunkRef {
  index: number;
  sha256: string;
  bytes: number;
}

/**
 * What HQ signs for one price book. `sha256` is over the concatenation of all chunk payloads (gzip bytes, index
 * order); each chunk is checked against its own `chunks[i].sha256`, so chunks carry no signature of their own.
 * A `delta` applies only on top of `baseVersion`.
 */
export interface PricebookManifest {
  version: string;
  kind: 'full' | 'delta';
  baseVersion?: string;
  chunkCount: number;
  /** Records in the book: items (full) or operations (delta). */
  items: number;
  chunks: ChunkRef[];
  sha256: string;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex sha256');
const versionString = z.string().min(1).max(128).regex(/^[\w.:-]+$/, 'expected letters, digits, . _ : -');

export const manifestSchema = z
  .object({
    version: versionString,
    kind: z.enum(['full', 'delta']),
    baseVersion: versionString.optional(),
    chunkCount: z.number().int().min(0).max(1_000_000),
    items: z.number().int().min(0),
    chunks: z.array(z.object({ index: z.number().int().min(0), sha256: hex64, bytes: z.number().int().min(1) })),
    sha256: hex64,
  })
  .superRefine((m, ctx) => {
    if (m.kind === 'delta' && m.baseVersion === undefined) ctx.addIssue({ code: 'custom', message: 'a delta needs baseVersion' });
    if (m.kind === 'full' && m.baseVersion !== undefined) ctx.addIssue({ code: 'custom', message: 'a full book has no baseVersion' });
    if (m.chunks.length !== m.chunkCount) ctx.addIssue({ code: 'custom', message: `chunkCount ${m.chunkCount} but ${m.chunks.length} chunks listed` });
    m.chunks.forEach((c, i) => {
      if (c.index !== i) ctx.addIssue({ code: 'custom', message: `chunks[${i}].index is ${c.index}, expected ${i}` });
    });
  });

/** Checks the shape of an already signature-verified manifest. */
export function parseManifest(value: unknown): { ok: true; manifest: PricebookManifest } | { ok: false; detail: string } {
  const r = manifestSchema.safeParse(value);
  if (r.success) return { ok: true, manifest: r.data };
  const i = r.error.issues[0];
  return { ok: false, detail: `${joinPath(i.path) || 'manifest'}: ${i.message}` };
}

/**
 * The injected signature check (the lead plugs in protocol/signed-envelope.ts `verifyEnvelope`, kind 'pricebook').
 * It gets the message exactly as received and returns the manifest it vouches for, and `issuedAt` — when HQ signed
 * it (the envelope's signed `issuedAt`, ms since epoch) — which orders a device-level and a store-level manifest:
 * the one HQ published last wins (runtime/pricebook/sync/newest-manifest.ts).
 */
export type VerifyManifest = (raw: Buffer) => { ok: true; manifest: unknown; issuedAt?: number } | { ok: false; reason: string; detail?: string };

/**
 * Order of price-book versions: runs of digits compare as numbers, everything else character by character
 * ("2026-11-22.9" < "2026-11-22.10", "v9" < "v10"). Returns <0, 0 or >0.
 */
export function compareVersions(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const dx = x.replace(/^0+(?=\d)/, '');
      const dy = y.replace(/^0+(?=\d)/, '');
      if (dx.length !== dy.length) return dx.length - dy.length;
      if (dx !== dy) return dx < dy ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/**
 * The version a price-book manifest message CLAIMS (`body.version` of its envelope), read without believing it: for
 * reporting which push a kiosk refused when the envelope did not verify (bad signature, unknown key …), so that HQ's
 * `pricebook push --wait` hears "refused" instead of waiting out its timeout. Null when there is no well-formed
 * version to name. Bounded parse: the message is untrusted.
 */
export function claimedManifestVersion(raw: Buffer | string): string | null {
  const parsed = tryParseJson(raw, { maxBytes: JSON_LIMITS.envelope });
  if (!parsed.ok || parsed.value === null || typeof parsed.value !== 'object') return null;
  const body = (parsed.value as { body?: unknown }).body;
  const version = body !== null && typeof body === 'object' ? (body as { version?: unknown }).version : undefined;
  return versionString.safeParse(version).success ? (version as string) : null;
}
