import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** One journal row as stored. `payload` is canonical JSON text. */
export interface JournalEntry {
  seq: number;
  deviceId: string;
  ts: number;
  orderId: string | null;
  type: string;
  payload: string;
  prevHash: string;
  hash: string;
}

/** JSON with object keys sorted at every level, so equal data always gives equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number in journal payload');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** SHA-256 (hex) over the canonical row: every column but the hash itself, in a fixed order. */
export function entryHash(e: Omit<JournalEntry, 'hash'>): string {
  const canonical = JSON.stringify([e.seq, e.deviceId, e.ts, e.orderId, e.type, e.payload, e.prevHash]);
  return createHash('sha256').update(canonical).digest('hex');
}
