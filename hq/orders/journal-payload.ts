/**
 * Reading a kiosk journal payload at HQ. The payload is hash-checked, but its content is whatever a kiosk wrote: every
 * value is checked for its type and bounded before it reaches a projection (a malformed entry projects as little as it
 * can — never throws). Shape written by runtime/orders: `{event, from, to, total, version, training?, order?}`.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Longest text kept from a payload in a projection column (names, ids, reasons). */
export const MAX_TEXT = 200;

export function parsePayload(text: string): JsonObject | null {
  try {
    const v = JSON.parse(text) as Json;
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A safe integer (money in minor units, counts, ms), else null. */
export const int = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);

/** A finite number, else null. */
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A non-empty string cut to `max` characters, else null. */
export const text = (v: unknown, max = MAX_TEXT): string | null => (typeof v === 'string' && v !== '' ? [...v].slice(0, max).join('') : null);

export const obj = (v: unknown): JsonObject | null => (isObject(v) ? v : null);

/** An array (at most `max` elements read), else empty. */
export const arr = (v: unknown, max = 10_000): Json[] => (Array.isArray(v) ? (v as Json[]).slice(0, max) : []);
