import type { JournalEntry } from '../journal/entry';
import { KioskError } from '../../kernel/errors';
import { preview } from '../../kernel/json/bounded-format';
import { boundedJsonParse, JsonLimitError } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';

/**
 * Wire formats of the sync topics (see topics.ts). Every message is a JSON object with `"v":1`; parsers return a
 * typed message or throw `KioskError('PROTOCOL')` — a malformed message is never half-accepted.
 */

/** One journal entry on `events`. `payload` is the entry's canonical JSON text, as a string, so hashes verify. */
export interface EventMessage {
  v: 1;
  storeId: string;
  deviceId: string;
  seq: number;
  ts: number;
  orderId: string | null;
  type: string;
  payload: string;
  prevHash: string;
  hash: string;
  /**
   * Present when the entry's hash covers its store (entries written since the journal recorded it): equal to
   * `storeId`, and HQ recomputes the hash with it. Absent (or null) for entries written before: the old formula.
   */
  hashStoreId?: string | null;
}

/**
 * `ack` (published by HQ with retain): the highest contiguous seq HQ has durably stored for the device **and** the
 * hash of that entry as HQ holds it. The kiosk acts on it only when `hash` equals its own journal entry at `seq`,
 * so an ack is bound to what the kiosk sent: a forged or foreign ack cannot delete outbox rows.
 */
export interface AckMessage {
  v: 1;
  seq: number;
  hash: string;
}

/** `resend`: HQ asks the device to re-send its journal from `fromSeq` upward. */
export interface ResendMessage {
  v: 1;
  fromSeq: number;
}

/**
 * Retained `state`: the birth message; the last will (as of the connect) and a clean shutdown are
 * `{"v":1,"online":false,ts,software,configVersion,pricebookVersion}` (older kiosks: `{"v":1,"online":false}`).
 */
export interface StateMessage {
  v: 1;
  online: boolean;
  ts?: number;
  software?: string;
  configVersion?: string | number | null;
  pricebookVersion?: string | number | null;
  counters?: Record<string, number>;
  /** Only from a kiosk that could not boot (device/fault-presence.ts): why it is out of service. */
  fault?: { code: string; reason: string };
}

/** `telemetry`, QoS 0, every few seconds. */
export interface TelemetryMessage {
  v: 1;
  ts: number;
  backlog: number;
  uptimeS: number;
  disk: Record<string, number>;
  devices: unknown;
}

function protocol(what: string, message: string): KioskError {
  return new KioskError('PROTOCOL', `malformed ${what} message: ${message}`, { what });
}

function parseObject(what: string, payload: Buffer | string): Record<string, unknown> {
  let value: unknown;
  try {
    value = boundedJsonParse(payload, { maxBytes: JSON_LIMITS.syncMessage });
  } catch (e) {
    throw protocol(what, e instanceof JsonLimitError ? e.message : 'not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw protocol(what, 'not a JSON object');
  const obj = value as Record<string, unknown>;
  if (obj.v !== 1) throw protocol(what, `unsupported version ${preview(obj.v, 40)}`);
  return obj;
}

const isSeq = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isHash = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);

export function encodeEvent(storeId: string, e: JournalEntry): string {
  const m: EventMessage = {
    v: 1,
    storeId,
    deviceId: e.deviceId,
    seq: e.seq,
    ts: e.ts,
    orderId: e.orderId,
    type: e.type,
    payload: e.payload,
    prevHash: e.prevHash,
    hash: e.hash,
    ...(typeof e.hashStoreId === 'string' ? { hashStoreId: e.hashStoreId } : {}),
  };
  return JSON.stringify(m);
}

export function parseEvent(payload: Buffer | string): EventMessage {
  const o = parseObject('event', payload);
  if (typeof o.storeId !== 'string' || typeof o.deviceId !== 'string') throw protocol('event', 'storeId/deviceId');
  if (!isSeq(o.seq) || o.seq < 1) throw protocol('event', 'seq');
  if (typeof o.ts !== 'number' || !Number.isFinite(o.ts)) throw protocol('event', 'ts');
  if (o.orderId !== null && typeof o.orderId !== 'string') throw protocol('event', 'orderId');
  if (typeof o.type !== 'string' || typeof o.payload !== 'string') throw protocol('event', 'type/payload');
  if (!isHash(o.prevHash) || !isHash(o.hash)) throw protocol('event', 'prevHash/hash');
  if (o.hashStoreId !== undefined && o.hashStoreId !== null && typeof o.hashStoreId !== 'string') throw protocol('event', 'hashStoreId');
  return {
    v: 1,
    storeId: o.storeId,
    deviceId: o.deviceId,
    seq: o.seq,
    ts: o.ts,
    orderId: o.orderId,
    type: o.type,
    payload: o.payload,
    prevHash: o.prevHash,
    hash: o.hash,
    ...(typeof o.hashStoreId === 'string' ? { hashStoreId: o.hashStoreId } : {}),
  };
}

export const encodeAck = (seq: number, hash: string): string => JSON.stringify({ v: 1, seq, hash } satisfies AckMessage);

/** An ack is a few dozen bytes; anything much larger is not one (and is not worth parsing). */
export const MAX_ACK_BYTES = 256;

/**
 * Strict: exactly `{v:1, seq, hash}` — `seq` a positive safe integer, `hash` 64 lowercase hex digits, no other
 * keys, at most {@link MAX_ACK_BYTES} bytes. Anything else throws `KioskError('PROTOCOL')` with `details.seq` set
 * when the message carried a usable seq (so a refusal can name it).
 */
export function parseAck(payload: Buffer | string): AckMessage {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (bytes > MAX_ACK_BYTES) throw protocol('ack', `${bytes} bytes (at most ${MAX_ACK_BYTES})`);
  const o = parseObject('ack', payload);
  const seqOf = isSeq(o.seq) && o.seq >= 1 ? o.seq : undefined;
  const fail = (message: string): KioskError =>
    new KioskError('PROTOCOL', `malformed ack message: ${message}`, seqOf === undefined ? { what: 'ack' } : { what: 'ack', seq: seqOf });
  if (seqOf === undefined) throw fail('seq must be a positive integer');
  if (o.hash === undefined) throw fail('hash missing');
  if (!isHash(o.hash)) throw fail('hash must be 64 lowercase hex digits');
  const extra = Object.keys(o).filter((k) => k !== 'v' && k !== 'seq' && k !== 'hash');
  if (extra.length > 0) throw fail(`unexpected field ${JSON.stringify(extra[0])}`);
  return { v: 1, seq: seqOf, hash: o.hash };
}

export const encodeResend = (fromSeq: number): string => JSON.stringify({ v: 1, fromSeq } satisfies ResendMessage);

export function parseResend(payload: Buffer | string): ResendMessage {
  const o = parseObject('resend', payload);
  if (!isSeq(o.fromSeq) || o.fromSeq < 1) throw protocol('resend', 'fromSeq must be a positive integer');
  return { v: 1, fromSeq: o.fromSeq };
}

export function parseState(payload: Buffer | string): StateMessage {
  const o = parseObject('state', payload);
  if (typeof o.online !== 'boolean') throw protocol('state', 'online');
  return o as unknown as StateMessage;
}

export function parseTelemetry(payload: Buffer | string): TelemetryMessage {
  const o = parseObject('telemetry', payload);
  if (typeof o.ts !== 'number' || typeof o.backlog !== 'number') throw protocol('telemetry', 'ts/backlog');
  return o as unknown as TelemetryMessage;
}
