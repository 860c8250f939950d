import { assertTopicId, underRoot } from '../topics';
import { CUSTOMER_TYPES, isCustomerType, type CustomerType } from './customer-type';

/**
 * The member records HQ sends to the kiosks of a store: one signed envelope (protocol/signed-envelope.ts, kind
 * `members`, scope `store`) retained on `kiosk/v1/{store}/_all/members`, its `version` increasing with every
 * publication. Its body is a {@link MemberSnapshot}.
 *
 * Points: `points` is the member's balance in HQ's ledger (protocol/members/points-ledger.ts) — it may be negative
 * when kiosks that were offline redeemed the same points. It counts, of each kiosk of the store, the points of its
 * journal entries up to `counted["<store>/<device>"]` (that kiosk's journal seq). So a kiosk's own estimate of a
 * member's balance is `points` + its own earned − redeemed points of completed orders whose `order_completed` journal
 * entry has a seq above `counted` for itself (those HQ has not counted yet); what it lets a shopper redeem is that,
 * never below 0.
 */
export interface MemberSnapshot {
  v: 1;
  /** `[id, type, points]` per member, sorted by id; ids unique. */
  members: MemberRow[];
  /** `"<store>/<device>"` → the highest journal seq of that kiosk whose points `points` includes. */
  counted: Record<string, number>;
}

export type MemberRow = [id: string, type: CustomerType, points: number];

/** At most this many members in one snapshot (~35 bytes a member: well within the 4 MiB envelope limit). */
export const MAX_SNAPSHOT_MEMBERS = 100_000;
/** At most this many kiosks in `counted`. */
export const MAX_COUNTED_KIOSKS = 10_000;
/** A member id: what a member card's barcode carries (letters, digits, `-`, `_`), 1–64 characters. */
export const MEMBER_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const KIOSK_KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\/[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Bound of a balance (points are integers; ±1e12 is far beyond any real balance and exact in a double). */
export const MAX_ABS_POINTS = 1e12;

/** `"<store>/<device>"`, the key of a kiosk in `counted` and in the points ledger. */
export const kioskKey = (store: string, device: string): string => `${store}/${device}`;

/**
 * Checks an (already JSON-parsed, bounded) snapshot body. Returns null when it is one, else a detail
 * (`field: problem`) for the envelope verifier's `body` check.
 */
export function checkMemberSnapshot(body: unknown): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body: expected an object';
  const o = body as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'v' && k !== 'members' && k !== 'counted') return `${k.slice(0, 40)}: unknown field`;
  if (o.v !== 1) return 'v: expected 1';
  if (!Array.isArray(o.members)) return 'members: expected an array';
  if (o.members.length > MAX_SNAPSHOT_MEMBERS) return `members: more than ${MAX_SNAPSHOT_MEMBERS}`;
  let prev: string | null = null;
  for (let i = 0; i < o.members.length; i++) {
    const r: unknown = o.members[i];
    if (!Array.isArray(r) || r.length !== 3) return `members[${i}]: expected [id, type, points]`;
    const [id, type, points] = r as unknown[];
    if (typeof id !== 'string' || !MEMBER_ID_RE.test(id)) return `members[${i}][0]: expected a member id`;
    if (prev !== null && id <= prev) return `members[${i}][0]: ids must be unique and sorted`;
    prev = id;
    if (!isCustomerType(type)) return `members[${i}][1]: expected one of ${CUSTOMER_TYPES.join(', ')}`;
    if (typeof points !== 'number' || !Number.isSafeInteger(points) || Math.abs(points) > MAX_ABS_POINTS) return `members[${i}][2]: expected an integer`;
  }
  if (o.counted === null || typeof o.counted !== 'object' || Array.isArray(o.counted)) return 'counted: expected an object';
  const counted = Object.entries(o.counted as Record<string, unknown>);
  if (counted.length > MAX_COUNTED_KIOSKS) return `counted: more than ${MAX_COUNTED_KIOSKS} kiosks`;
  for (const [k, seq] of counted) {
    if (!KIOSK_KEY_RE.test(k)) return `counted: ${JSON.stringify(k.slice(0, 80))} is not "<store>/<device>"`;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return `counted.${k}: expected a journal seq`;
  }
  return null;
}

/** `kiosk/v1/{store}/_all/members`: the store's retained, signed member snapshot. Throws TypeError on an invalid id. */
export function membersTopic(store: string): string {
  assertTopicId('store', store);
  return underRoot(store, '_all', 'members');
}

/** `kiosk/v1/{store}/{device}/members/reported`: kiosk → HQ, retained, QoS 1: {@link MembersReported}. */
export function membersReportedTopic(store: string, device: string): string {
  assertTopicId('store', store);
  assertTopicId('device', device);
  return underRoot(store, device, 'members', 'reported');
}

/** What a kiosk did with the last member snapshot it was offered. */
export interface MembersReported {
  v: 1;
  /** The envelope version applied or refused (null when the envelope could not be read at all). */
  version: number | null;
  status: 'applied' | 'rejected';
  /** With `rejected`: the verifier's reason (`bad_signature`, `not_newer`, `invalid_body` …) and a detail. */
  reason?: string;
  detail?: string;
  /** With `applied`: the number of members stored. */
  members?: number;
  ts: number;
}

/** Lenient reader of a `members/reported` payload (already JSON-parsed): null when it is not one. */
export function readMembersReported(value: unknown): MembersReported | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  if (o.v !== 1 || (o.status !== 'applied' && o.status !== 'rejected') || typeof o.ts !== 'number' || !Number.isFinite(o.ts)) return null;
  const version = typeof o.version === 'number' && Number.isSafeInteger(o.version) && o.version > 0 ? o.version : null;
  const out: MembersReported = { v: 1, version, status: o.status, ts: o.ts };
  if (typeof o.reason === 'string') out.reason = o.reason.slice(0, 100);
  if (typeof o.detail === 'string') out.detail = o.detail.slice(0, 300);
  if (typeof o.members === 'number' && Number.isSafeInteger(o.members) && o.members >= 0) out.members = o.members;
  return out;
}
