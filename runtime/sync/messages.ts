import type { JournalEntry } from '../journal/entry';
import { KioskError } from '../errors';

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
}

/** `ack`: the highest contiguous seq HQ has durably stored for the device. */
export interface AckMessage {
  v: 1;
  seq: number;
}

/** `resend`: HQ asks the device to re-send its journal from `fromSeq` upward. */
export interface ResendMessage {
  v: 1;
  fromSeq: number;
}

/** Retained `state`: the birth message; the last will and clean shutdown are `{"v":1,"online":false}`. */
export interface StateMessage {
  v: 1;
  online: boolean;
  ts?: number;
  software?: string;
  configVersion?: string | number | null;
  pricebookVersion?: string | number | null;
  counters?: Record<string, number>;
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
    value = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    throw protocol(what, 'not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw protocol(what, 'not a JSON object');
  const obj = value as Record<string, unknown>;
  if (obj.v !== 1) throw protocol(what, `unsupported version ${JSON.stringify(obj.v)}`);
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
  };
}

export const encodeAck = (seq: number): string => JSON.stringify({ v: 1, seq } satisfies AckMessage);

export function parseAck(payload: Buffer | string): AckMessage {
  const o = parseObject('ack', payload);
  if (!isSeq(o.seq)) throw protocol('ack', 'seq must be a non-negative integer');
  return { v: 1, seq: o.seq };
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
