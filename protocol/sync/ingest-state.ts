import { underRoot } from '../topics';

/**
 * HQ ingest's birth message (issue 17, G2), after Sparkplug's primary-host STATE: every HqIngest publishes it, QoS 1
 * and retained, on `kiosk/v1/_hq/ingest` right after the broker granted (SUBACK) its `events` subscription — again on
 * every (re)subscribe, with a fresh random `id`. A kiosk that sees an `id` it has not acted on re-publishes what HQ has
 * not acknowledged at once instead of waiting for its ack timeout: events a kiosk sent while no ingest was subscribed
 * (a broker restart drops `$share` subscriptions; kiosks reconnect first) reached nobody.
 *
 * Payload: `{"v":1,"online":true,"at":<ms since epoch>,"id":"<1..64 of [A-Za-z0-9_-]>"}`.
 */
export const INGEST_STATE_TOPIC = underRoot('_hq', 'ingest');

export interface IngestState {
  v: 1;
  online: boolean;
  at: number;
  id: string;
}

/** Larger payloads are not looked at (the real one is about 90 bytes). */
export const MAX_INGEST_STATE_BYTES = 512;

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function encodeIngestState(s: { at: number; id: string }): Buffer {
  if (!Number.isSafeInteger(s.at) || s.at < 0 || !ID.test(s.id)) throw new TypeError(`invalid ingest state ${JSON.stringify(s)}`);
  return Buffer.from(JSON.stringify({ v: 1, online: true, at: s.at, id: s.id }));
}

/**
 * The birth in `payload`, or null for anything else: empty (a cleared retained message), oversized, not JSON, not an
 * object, another version, or a field of the wrong type or range. Never throws: these are bytes from the broker.
 */
export function parseIngestState(payload: Uint8Array): IngestState | null {
  if (payload.length === 0 || payload.length > MAX_INGEST_STATE_BYTES) return null;
  let m: unknown;
  try {
    m = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return null;
  const o = m as Record<string, unknown>;
  if (o.v !== 1 || typeof o.online !== 'boolean') return null;
  if (typeof o.at !== 'number' || !Number.isSafeInteger(o.at) || o.at < 0) return null;
  if (typeof o.id !== 'string' || !ID.test(o.id)) return null;
  return { v: 1, online: o.online, at: o.at, id: o.id };
}
