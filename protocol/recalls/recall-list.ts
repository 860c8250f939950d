import { hasValidCheckDigit, isDigits } from '../../kernel/gs1-check-digit';
import { assertTopicId, underRoot } from '../topics';

/**
 * The product recalls HQ sends to the kiosks of a store: one signed envelope (protocol/signed-envelope.ts, kind
 * `recalls`, scope `store`) retained on `kiosk/v1/{store}/_all/recalls`, its `version` increasing with every
 * publication. Its body is a {@link RecallList}: the chain-wide recalls plus those HQ added for that store only.
 *
 * An entry stops a trade item at the lane (runtime/lane/item-checks.ts): every unit of a GTIN (no lot, no serial),
 * one batch / lot of it (GS1 AI 10), or one serial (AI 21). A scan that cannot show the lot / serial a recall names
 * (a 1D EAN/UPC, a 2D code without AI 10 / 21) is not refused outright: it calls the attendant to check the pack.
 */
export interface RecallList {
  v: 1;
  /** What each recall is (shown to staff, logged), sorted by id, ids unique. */
  recalls: RecallInfo[];
  /** `[gtin14, lot, serial, recallId]`: lot / serial null when the entry is not that specific (never both). */
  entries: RecallEntry[];
}

export interface RecallInfo {
  id: string;
  /** Text shown to staff and logged ("Listeria — supplier notice 2026-12-01"). */
  reason: string;
  /** When HQ put it in force (epoch ms). */
  since: number;
}

export type RecallEntry = [gtin14: string, lot: string | null, serial: string | null, recallId: string];

/** At most this many entries in one list (and the envelope's 4 MiB bound: ~40 bytes an entry). */
export const MAX_RECALL_ENTRIES = 100_000;
/** At most this many recalls (ids) in one list. */
export const MAX_RECALLS = 10_000;
/** A recall id: letters, digits, `.`, `_`, `-`, 1–40 characters. */
export const RECALL_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
/** A batch / lot (AI 10) or serial (AI 21) as GS1 allows them: 1–20 characters of GS1's AI 82 set. */
export const LOT_OR_SERIAL_RE = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$/;
/** A reason's length bound (characters). */
export const MAX_REASON_CHARS = 200;

/** A GTIN-14 (14 digits, valid check digit). */
export const isGtin14 = (s: unknown): s is string => typeof s === 'string' && s.length === 14 && isDigits(s) && hasValidCheckDigit(s);

/** A GTIN-8/12/13/14 as written on a recall notice, left-padded to 14 digits; null when it is not a valid GTIN. */
export function toGtin14(gtin: string): string | null {
  const g = gtin.trim();
  if (![8, 12, 13, 14].includes(g.length) || !isDigits(g) || !hasValidCheckDigit(g)) return null;
  return g.padStart(14, '0');
}

/** A reason text: 1–200 characters, no control characters. */
export function isRecallReason(s: unknown): s is string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point: a reason is shown on screens and logs
  return typeof s === 'string' && s.trim() !== '' && [...s].length <= MAX_REASON_CHARS && !/[\u0000-\u001f\u007f]/.test(s);
}

/**
 * Checks an (already JSON-parsed, bounded) recall list. Returns null when it is one, else a detail
 * (`field: problem`) for the envelope verifier's `body` check.
 */
export function checkRecallList(body: unknown): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body: expected an object';
  const o = body as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'v' && k !== 'recalls' && k !== 'entries') return `${k.slice(0, 40)}: unknown field`;
  if (o.v !== 1) return 'v: expected 1';
  if (!Array.isArray(o.recalls)) return 'recalls: expected an array';
  if (o.recalls.length > MAX_RECALLS) return `recalls: more than ${MAX_RECALLS}`;
  const ids = new Set<string>();
  let prev: string | null = null;
  for (let i = 0; i < o.recalls.length; i++) {
    const r: unknown = o.recalls[i];
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return `recalls[${i}]: expected an object`;
    const { id, reason, since, ...rest } = r as Record<string, unknown>;
    if (Object.keys(rest).length > 0) return `recalls[${i}].${Object.keys(rest)[0].slice(0, 40)}: unknown field`;
    if (typeof id !== 'string' || !RECALL_ID_RE.test(id)) return `recalls[${i}].id: expected a recall id`;
    if (prev !== null && id <= prev) return `recalls[${i}].id: ids must be unique and sorted`;
    prev = id;
    ids.add(id);
    if (!isRecallReason(reason)) return `recalls[${i}].reason: expected 1–${MAX_REASON_CHARS} characters of text`;
    if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0) return `recalls[${i}].since: expected epoch milliseconds`;
  }
  if (!Array.isArray(o.entries)) return 'entries: expected an array';
  if (o.entries.length > MAX_RECALL_ENTRIES) return `entries: more than ${MAX_RECALL_ENTRIES}`;
  const seen = new Set<string>();
  for (let i = 0; i < o.entries.length; i++) {
    const e: unknown = o.entries[i];
    if (!Array.isArray(e) || e.length !== 4) return `entries[${i}]: expected [gtin14, lot, serial, recallId]`;
    const [gtin, lot, serial, id] = e as unknown[];
    if (!isGtin14(gtin)) return `entries[${i}][0]: expected a GTIN-14 with a valid check digit`;
    if (lot !== null && (typeof lot !== 'string' || !LOT_OR_SERIAL_RE.test(lot))) return `entries[${i}][1]: expected null or a lot (AI 10)`;
    if (serial !== null && (typeof serial !== 'string' || !LOT_OR_SERIAL_RE.test(serial))) return `entries[${i}][2]: expected null or a serial (AI 21)`;
    if (lot !== null && serial !== null) return `entries[${i}]: a lot or a serial, not both`;
    if (typeof id !== 'string' || !ids.has(id)) return `entries[${i}][3]: expected the id of one of recalls`;
    const key = `${gtin}|${lot ?? ''}|${serial ?? ''}|${id}`; // '|' is in none of the fields' character sets
    if (seen.has(key)) return `entries[${i}]: duplicate entry`;
    seen.add(key);
  }
  return null;
}

/** `kiosk/v1/{store}/_all/recalls`: the store's retained, signed recall list. Throws TypeError on an invalid id. */
export function recallsTopic(store: string): string {
  assertTopicId('store', store);
  return underRoot(store, '_all', 'recalls');
}

/** `kiosk/v1/{store}/{device}/recalls/reported`: kiosk → HQ, retained, QoS 1: {@link RecallsReported}. */
export function recallsReportedTopic(store: string, device: string): string {
  assertTopicId('store', store);
  assertTopicId('device', device);
  return underRoot(store, device, 'recalls', 'reported');
}

/** What a kiosk did with the last recall list it was offered. */
export interface RecallsReported {
  v: 1;
  /** The envelope version applied or refused (null when the envelope could not be read at all). */
  version: number | null;
  status: 'applied' | 'rejected';
  /** With `rejected`: the verifier's reason (`bad_signature`, `wrong_scope`, `not_newer`, `invalid_body` …) and a detail. */
  reason?: string;
  detail?: string;
  /** With `applied`: the number of entries stored. */
  entries?: number;
  ts: number;
}

/** Lenient reader of a `recalls/reported` payload (already JSON-parsed): null when it is not one. */
export function readRecallsReported(value: unknown): RecallsReported | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  if (o.v !== 1 || (o.status !== 'applied' && o.status !== 'rejected') || typeof o.ts !== 'number' || !Number.isFinite(o.ts)) return null;
  const version = typeof o.version === 'number' && Number.isSafeInteger(o.version) && o.version > 0 ? o.version : null;
  const out: RecallsReported = { v: 1, version, status: o.status, ts: o.ts };
  if (typeof o.reason === 'string') out.reason = o.reason.slice(0, 100);
  if (typeof o.detail === 'string') out.detail = o.detail.slice(0, 300);
  if (typeof o.entries === 'number' && Number.isSafeInteger(o.entries) && o.entries >= 0) out.entries = o.entries;
  return out;
}
