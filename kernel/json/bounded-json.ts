import { KioskError, type KioskErrorCode } from '../errors';
import { clip } from './bounded-format';

/**
 * The one way the kiosk and HQ parse JSON that comes from outside (MQTT payloads, files, WebSocket frames, HTTP
 * bodies). Two limits are checked BEFORE `JSON.parse` runs, by one linear scan without recursion:
 *
 * - size: UTF-8 bytes, chosen per call site (kernel/json/limits.ts);
 * - nesting depth: arrays and objects inside each other (default 64).
 *
 * V8's `JSON.parse` itself survives a million nested arrays, but it takes seconds and what comes after it (zod,
 * `JSON.stringify`, `String(value)`, a canonical JSON walk, an error formatter) recurses and overflows the stack. A
 * value returned from here is at most `maxDepth` deep, so every later walk is bounded.
 */

/** Deepest nesting of arrays/objects accepted unless a call site says otherwise. */
export const DEFAULT_MAX_DEPTH = 64;

/** Which limit refused the input. */
export type JsonProblem = 'size' | 'depth' | 'syntax';

export interface JsonLimits {
  /** Largest input in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest nesting of arrays/objects; default DEFAULT_MAX_DEPTH. */
  maxDepth?: number;
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; problem: JsonProblem; message: string };

const OPEN_ARRAY = 0x5b; // [
const OPEN_OBJECT = 0x7b; // {
const CLOSE_ARRAY = 0x5d; // ]
const CLOSE_OBJECT = 0x7d; // }
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Index (UTF-16 code unit) of the bracket that opens level `maxDepth + 1`, or -1 when the text never nests deeper
 * than `maxDepth`. Linear, no recursion. Brackets inside strings do not count. Exact for valid JSON; for invalid
 * JSON the answer does not matter (JSON.parse refuses it anyway).
 */
export function depthExceededAt(text: string, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return i;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return -1;
}

/** UTF-8 byte length of `input`, computed only up to `cap + 1` for text (a longer text is not measured further). */
function byteLength(input: string | Uint8Array, cap: number): number {
  if (typeof input !== 'string') return input.length;
  // every UTF-16 code unit is at least one UTF-8 byte: a text longer than the cap is over it without measuring
  if (input.length > cap) return input.length;
  return Buffer.byteLength(input, 'utf8');
}

/** Parses `input` within `limits`. Never throws: a refused input says which limit and where. */
export function tryParseJson(input: string | Uint8Array, limits: JsonLimits): JsonParseResult {
  const checked = withinLimits(input, limits);
  if (!checked.ok) return checked;
  try {
    return { ok: true, value: JSON.parse(checked.text) as unknown };
  } catch (e) {
    return { ok: false, problem: 'syntax', message: `invalid JSON: ${clip(e instanceof Error ? e.message : String(e), 160)}` };
  }
}

function withinLimits(input: string | Uint8Array, limits: JsonLimits): { ok: true; text: string } | { ok: false; problem: JsonProblem; message: string } {
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  const bytes = byteLength(input, limits.maxBytes);
  if (bytes > limits.maxBytes) {
    const atLeast = typeof input === 'string' && input.length > limits.maxBytes ? 'at least ' : '';
    return { ok: false, problem: 'size', message: `too large: ${atLeast}${bytes} bytes, more than the ${limits.maxBytes} allowed` };
  }
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  const at = depthExceededAt(text, maxDepth);
  if (at >= 0) return { ok: false, problem: 'depth', message: `too deep: JSON nested deeper than ${maxDepth} levels (at character ${at})` };
  return { ok: true, text };
}

/**
 * A drop-in for `JSON.parse(text)` where a call site already turns a thrown error into its own message: throws the
 * parser's own SyntaxError, or an Error saying which limit refused the input (`too deep: …`, `too large: …`).
 */
export function boundedJsonParse(input: string | Uint8Array, limits: JsonLimits): unknown {
  const checked = withinLimits(input, limits);
  if (!checked.ok) throw new JsonLimitError(checked.problem, checked.message);
  return JSON.parse(checked.text) as unknown;
}

/** Thrown by boundedJsonParse when a limit (not the syntax) refuses the input. */
export class JsonLimitError extends Error {
  constructor(
    readonly problem: JsonProblem,
    message: string,
  ) {
    super(message);
    this.name = 'JsonLimitError';
  }
}

export interface ParseJsonOptions extends JsonLimits {
  /** What is being parsed, for the message: `price book line 12`, `ack message`, `/etc/kiosk.json`. */
  what: string;
  /** The KioskError code of a refusal at this call site; default PROTOCOL. */
  code?: KioskErrorCode;
}

/**
 * Parses `input` within the limits, or throws `KioskError(code)` naming what was parsed and which limit refused
 * it: `price book line 3: JSON nested deeper than 64 levels (at character 64)`. details: `{what, limit}`.
 */
export function parseJson(input: string | Uint8Array, opts: ParseJsonOptions): unknown {
  const r = tryParseJson(input, opts);
  if (r.ok) return r.value;
  throw new KioskError(opts.code ?? 'PROTOCOL', `${opts.what}: ${r.message}`, { what: opts.what, limit: r.problem });
}
