import { canonicalJsonOfParsed } from '../../kernel/canonical-json';
import { KioskError } from '../../kernel/errors';
import { preview } from '../../kernel/json/bounded-format';
import { boundedJsonParse, DEFAULT_MAX_DEPTH, depthExceededAt, JsonLimitError } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import type { JournalEntry } from '../journal/entry';

/**
 * Wire formats of the sync topics (see topics.ts). Every message is a JSON object with a version `v` (1; an event
 * 1 or 2); parsers return a typed message or throw `KioskError('PROTOCOL')` — a malformed message is never
 * half-accepted.
 *
 * An event carries one journal entry. Its hash is over the entry's payload as canonical JSON text
 * (kernel/canonical-json.ts, version 1), and the two event versions carry that text differently:
 * - v1: `"payload": "<the text, as a JSON string>"` — a string inside JSON;
 * - v2: `"payload": <the text itself>` — the payload as JSON. The receiver gets the exact hashed bytes back by
 *   canonicalising the parsed value: canonicalJson(JSON.parse(text)) === text for every canonical text.
 * The kiosk sends v2, and v1 for an entry whose stored text would not come back byte for byte that way (a payload
 * written by something other than canonicalJson) or that nests too deep to fit the message's depth bound. HQ
 * accepts both.
 */

/**
 * One journal entry from `events`, decoded: `payload` is always the entry's canonical JSON text (what its hash
 * covers), whichever version carried it; `v` says which did.
 */
export interface EventMessage extends JournalEntry {
  v: 1 | 2;
  storeId: string;
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
  /**
   * The kiosk's X25519 sealing public key (SPKI PEM, runtime/trust/seal-key.ts), in births of kiosks that have one:
   * HQ seals the payment channels' secrets to it (hq/channels). Added later; absent from older kiosks.
   */
  sealKey?: string;
}

/** The lane as the shopper sees it: selling, closed by HQ or an attendant (`lock`), or out of service (a fault). */
export type LaneServiceState = 'in_service' | 'closed' | 'out_of_service';
export const LANE_SERVICE_STATES: readonly LaneServiceState[] = ['in_service', 'closed', 'out_of_service'];

/** One peripheral in telemetry: `printer: {status: 'online', faults: ['PAPER_OUT']}`. */
export interface PeripheralTelemetry {
  /** `online`, `offline` or `not_connected` (never came up). */
  status: string;
  faults: string[];
}

/**
 * `telemetry`, QoS 0: once right after every (re)connect's birth, then every `hq.telemetryMs`, and at once when the
 * lane state changes. `lane`, `peripherals` and `paymentsInDoubt` were added later (optional: older kiosks send only
 * `devices`, a LaneCondition `{inService, reasons, message, light}`, which newer kiosks still send for older HQs).
 */
export interface TelemetryMessage {
  v: 1;
  ts: number;
  backlog: number;
  uptimeS: number;
  disk: Record<string, number>;
  devices: unknown;
  /** `closed`: locked by HQ or an attendant, `reasons` says why; `out_of_service`: the faults. */
  lane?: { state: LaneServiceState; reasons: string[] };
  /** By device class: scanner, printer, terminal, display, light. */
  peripherals?: Record<string, PeripheralTelemetry>;
  /** Orders whose payment outcome is unknown (waiting for the provider or an attendant). */
  paymentsInDoubt?: number;
}

function protocol(what: string, message: string): KioskError {
  return new KioskError('PROTOCOL', `malformed ${what} message: ${message}`, { what });
}

function parseObject(what: string, payload: Buffer | string, versions: readonly number[] = [1]): Record<string, unknown> {
  let value: unknown;
  try {
    value = boundedJsonParse(payload, { maxBytes: JSON_LIMITS.syncMessage });
  } catch (e) {
    throw protocol(what, e instanceof JsonLimitError ? e.message : 'not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw protocol(what, 'not a JSON object');
  const obj = value as Record<string, unknown>;
  if (!versions.includes(obj.v as number)) throw protocol(what, `unsupported version ${preview(obj.v, 40)}`);
  return obj;
}

const isSeq = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isHash = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);

/**
 * True when `text` can travel as JSON in a v2 event: it parses, canonicalising the parsed value gives `text` back
 * byte for byte, and it nests shallow enough that the whole message stays within the parser's depth bound.
 *
 * This runs for every event the kiosk publishes, on the lane's event loop: canonicalJsonOfParsed lets the native
 * serialiser do the usual case. Every entry the kiosk journals is canonicalJson output, which always passes.
 */
export function payloadTravelsAsJson(text: string): boolean {
  if (depthExceededAt(text, DEFAULT_MAX_DEPTH - 1) >= 0) return false;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  try {
    return canonicalJsonOfParsed(value) === text;
  } catch {
    return false;
  }
}

/** The JSON of an `events` message for entry `e`: v2 (payload as JSON) unless `version` is 1 or the payload cannot. */
export function encodeEvent(storeId: string, e: JournalEntry, version: 1 | 2 = 2): string {
  const head = { storeId, deviceId: e.deviceId, seq: e.seq, ts: e.ts, orderId: e.orderId, type: e.type };
  const tail = { prevHash: e.prevHash, hash: e.hash, ...(typeof e.hashStoreId === 'string' ? { hashStoreId: e.hashStoreId } : {}) };
  if (version === 2 && payloadTravelsAsJson(e.payload)) {
    // the canonical text is valid JSON (checked above): spliced in as is, never re-serialised
    const front = JSON.stringify({ v: 2, ...head });
    return `${front.slice(0, -1)},"payload":${e.payload},${JSON.stringify(tail).slice(1)}`;
  }
  return JSON.stringify({ v: 1, ...head, payload: e.payload, ...tail });
}

/** Decodes an `events` message of version 1 or 2; the payload comes back as the canonical text its hash covers. */
export function parseEvent(payload: Buffer | string): EventMessage {
  const o = parseObject('event', payload, [1, 2]);
  if (typeof o.storeId !== 'string' || typeof o.deviceId !== 'string') throw protocol('event', 'storeId/deviceId');
  if (!isSeq(o.seq) || o.seq < 1) throw protocol('event', 'seq');
  if (typeof o.ts !== 'number' || !Number.isFinite(o.ts)) throw protocol('event', 'ts');
  if (o.orderId !== null && typeof o.orderId !== 'string') throw protocol('event', 'orderId');
  if (typeof o.type !== 'string') throw protocol('event', 'type/payload');
  let text: string;
  if (o.v === 1) {
    if (typeof o.payload !== 'string') throw protocol('event', 'type/payload');
    text = o.payload;
  } else {
    if (o.payload === undefined) throw protocol('event', 'payload missing');
    try {
      text = canonicalJsonOfParsed(o.payload);
    } catch {
      throw protocol('event', 'payload has no canonical form (a number out of range?)');
    }
  }
  if (!isHash(o.prevHash) || !isHash(o.hash)) throw protocol('event', 'prevHash/hash');
  if (o.hashStoreId !== undefined && o.hashStoreId !== null && typeof o.hashStoreId !== 'string') throw protocol('event', 'hashStoreId');
  return {
    v: o.v === 1 ? 1 : 2,
    storeId: o.storeId,
    deviceId: o.deviceId,
    seq: o.seq,
    ts: o.ts,
    orderId: o.orderId,
    type: o.type,
    payload: text,
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

const MAX_REASONS = 32;
const MAX_TEXT = 300;
const MAX_PERIPHERALS = 16;
const texts = (v: unknown): string[] | null =>
  Array.isArray(v) && v.length <= MAX_REASONS && v.every((x) => typeof x === 'string' && x.length <= MAX_TEXT) ? (v as string[]) : null;

/**
 * Old and new telemetry: `ts` and `backlog` are required; the later optional fields (`lane`, `peripherals`,
 * `paymentsInDoubt`) are kept only when well-formed and bounded — a malformed one is left out, never the message.
 */
export function parseTelemetry(payload: Buffer | string): TelemetryMessage {
  const o = parseObject('telemetry', payload);
  if (typeof o.ts !== 'number' || typeof o.backlog !== 'number') throw protocol('telemetry', 'ts/backlog');
  const { lane, peripherals, paymentsInDoubt, ...rest } = o;
  const out = rest as unknown as TelemetryMessage;
  if (lane !== null && typeof lane === 'object' && !Array.isArray(lane)) {
    const l = lane as Record<string, unknown>;
    const reasons = texts(l.reasons);
    if (LANE_SERVICE_STATES.includes(l.state as LaneServiceState) && reasons) out.lane = { state: l.state as LaneServiceState, reasons };
  }
  if (peripherals !== null && typeof peripherals === 'object' && !Array.isArray(peripherals)) {
    const entries = Object.entries(peripherals as Record<string, unknown>);
    const kept: Record<string, PeripheralTelemetry> = {};
    for (const [name, p] of entries.slice(0, MAX_PERIPHERALS)) {
      if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(name) || p === null || typeof p !== 'object') continue; // no `__proto__`
      const { status, faults } = p as Record<string, unknown>;
      const f = texts(faults);
      if (typeof status === 'string' && status.length <= 32 && f) kept[name] = { status, faults: f };
    }
    if (entries.length > 0) out.peripherals = kept;
  }
  if (typeof paymentsInDoubt === 'number' && Number.isSafeInteger(paymentsInDoubt) && paymentsInDoubt >= 0) out.paymentsInDoubt = paymentsInDoubt;
  return out;
}
