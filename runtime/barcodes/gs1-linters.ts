/**
 * GS1 Barcode Syntax Tests ("linters") named in the syntax dictionary, ported from the reference implementations in
 * github.com/gs1/gs1-syntax-engine src/c-lib/syntax/lint_*.c (@ 50657dbd04ce78d8734e8793e054bf70dcba294b, Apache-2.0).
 * Each takes one component value and returns null (fine) or what is wrong with it.
 *
 * Not checked at the lane (accepted as is): couponcode, couponposoffer (North American coupon internals), iban,
 * mediatype, packagetype, importeridx, and the company-prefix lookups behind gcppos1/gcppos2 (only their
 * "at least 4 leading digits" part is checked, like the reference implementation without a GCP data source).
 * Dates: 2-digit years are read as 20YY (the reference slides a ±50-year window around the current year; this
 * module is pure and has no clock — it only matters for 29 February of 2000 versus 1900).
 */
import { gtinCheckDigit } from '../../kernel/gs1-check-digit';

export interface LintFailure {
  kind: 'check' | 'date' | 'value';
  message: string;
  /** Index into the component of the first offending character. */
  offset: number;
  expected?: string;
  found?: string;
}

type Linter = (v: string) => LintFailure | null;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const allDigits = (v: string): boolean => /^[0-9]*$/.test(v);

function bad(message: string, offset = 0, kind: LintFailure['kind'] = 'value'): LintFailure {
  return { kind, message, offset };
}

/** Bitfield lookup as GS1_LINTER_BITFIELD_LOOKUP: bit i is the (i mod 64)-th most significant bit of word i/64. */
function bitSet(words: readonly bigint[], i: number): boolean {
  const w = words[Math.floor(i / 64)];
  return w !== undefined && ((w >> BigInt(63 - (i % 64))) & 1n) === 1n;
}

// Code lists, copied from the fallback hex tables of lint_iso4217.c / lint_iso3166.c / lint_iso3166alpha2.c.
const ISO4217 = [
  0x008800008808b808n, 0x8880082080880808n, 0x0880808800220008n, 0x8010820202822000n,
  0x0202000008000000n, 0x8888088888888080n, 0x088a88a262222002n, 0x022200008800a080n,
  0x88080c0008220200n, 0x2022028880000020n, 0x1202000000202002n, 0xa200008000088888n,
  0x0088880081002020n, 0x2080002800002200n, 0x0400000fe6adbfdfn, 0xfdfdfce225000000n,
];
const ISO3166 = [
  0x08a888898888b888n, 0x8aa80a2888888888n, 0x0888888a22232889n, 0x88188a2221e322a2n,
  0x2a2a180088888888n, 0x888a888888888888n, 0x888288a2622a22a2n, 0x222222228808b888n,
  0x8888970808222222n, 0x2de102888888a222n, 0x320a1b222222a203n, 0xe20808c8088888a8n,
  0x8888889a89002021n, 0xe080222a00082102n, 0x0000000000000000n, 0x0000000000000000n,
];
const ISO3166_ALPHA2 = [
  0x1e9afb77f7bdbb7bn, 0xe4fc21a8012b0070n, 0x003a900df9dfa800n, 0xb160181ef00202c0n,
  0x00b8d42f8281f2bfn, 0x3fffeba4d2100080n, 0x023cf1ca80000002n, 0x008a8fbfe75cddf9n,
  0x59820820eaa10200n, 0x4002000000000800n, 0x1020020080000000n,
];

const CSET82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`;
const CSET32 = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const PRIMES = [
  2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139,
  149, 151, 157, 163, 167, 173, 179, 181, 191, 193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257, 263, 269, 271, 277, 281, 283, 293,
  307, 311, 313, 317, 331, 337, 347, 349, 353, 359, 367, 373, 379, 383, 389, 397, 401, 409, 419, 421, 431, 433, 439, 443, 449, 457, 461, 463,
  467, 479, 487, 491, 499, 503, 509,
];

/** The two check characters of a GMN / MUDI body (lint_csumalpha.c), or null for a character outside CSET 82. */
export function csumAlphaPair(body: string): string | null {
  let sum = 0;
  for (let pos = 0; pos < body.length; pos++) {
    const w = CSET82.indexOf(body[pos]);
    if (w < 0) return null;
    sum += w * PRIMES[body.length - 1 - pos];
  }
  sum %= 1021;
  return CSET32[sum >> 5] + CSET32[sum & 31];
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** YYYYMMDD (dayZero: DD 00 allowed, "whole month"). */
function checkDate(year: number, mm: string, dd: string, at: number, dayZero: boolean): LintFailure | null {
  const m = Number(mm);
  const d = Number(dd);
  if (m < 1 || m > 12) return bad(`month ${mm} is not 01–12`, at, 'date');
  if ((d === 0 && !dayZero) || d > daysInMonth(year, m)) return bad(`day ${dd} does not exist in ${year}-${mm}`, at + 2, 'date');
  return null;
}

function numericOnly(v: string): LintFailure | null {
  for (let i = 0; i < v.length; i++) if (!isDigit(v[i])) return bad('must be digits', i);
  return null;
}

function range2(v: string, max: number, what: string): LintFailure | null {
  return numericOnly(v) ?? (v.length !== 2 || Number(v) > max ? bad(`${what} ${v} is not 00–${max}`, 0, 'date') : null);
}

function yymmdd(dayZero: boolean): Linter {
  return (v) => numericOnly(v) ?? (v.length !== 6 ? bad('date must be 6 digits', 0, 'date') : checkDate(2000 + Number(v.slice(0, 2)), v.slice(2, 4), v.slice(4, 6), 2, dayZero));
}

function yyyymmdd(dayZero: boolean): Linter {
  return (v) => numericOnly(v) ?? (v.length !== 8 ? bad('date must be 8 digits', 0, 'date') : checkDate(Number(v.slice(0, 4)), v.slice(4, 6), v.slice(6, 8), 4, dayZero));
}

function gcpPos(v: string, start: number): LintFailure | null {
  if (v.length < start + 4) return bad('too short to hold a GS1 company prefix', 0);
  for (let i = start; i < start + 4; i++) if (!isDigit(v[i])) return bad('a GS1 company prefix starts with at least 4 digits', i);
  return null;
}

function coordinate(v: string, max: number, what: string): LintFailure | null {
  return numericOnly(v) ?? (v.length !== 10 || Number(v) > max ? bad(`${what} ${v} out of range`, 0) : null);
}

const LINTERS: Record<string, Linter> = {
  csum: (v) => {
    if (!allDigits(v) || v.length < 2) return bad('check digit needs digits', 0);
    const expected = String(gtinCheckDigit(v.slice(0, -1)));
    const found = v[v.length - 1];
    return expected === found ? null : { kind: 'check', message: `check digit ${found} is wrong, the other digits require ${expected}`, offset: v.length - 1, expected, found };
  },
  csumalpha: (v) => {
    if (v.length < 2) return { kind: 'check', message: 'too short to carry its two check characters', offset: 0 };
    if (v.length > PRIMES.length + 2) return bad('too long for the check character pair', 0);
    const expected = v.length === 2 ? '22' : csumAlphaPair(v.slice(0, -2));
    const found = v.slice(-2);
    if (expected === null) return bad('character outside character set 82', 0);
    return expected === found ? null : { kind: 'check', message: `check characters ${found} are wrong, the data requires ${expected}`, offset: v.length - 2, expected, found };
  },
  yymmdd: yymmdd(false),
  yymmd0: yymmdd(true),
  yyyymmdd: yyyymmdd(false),
  yyyymmd0: yyyymmdd(true),
  hh: (v) => range2(v, 23, 'hour'),
  mi: (v) => range2(v, 59, 'minute'),
  ss: (v) => range2(v, 59, 'second'),
  hhmi: (v) => (v.length !== 4 ? bad('time must be 4 digits', 0, 'date') : (range2(v.slice(0, 2), 23, 'hour') ?? shift(range2(v.slice(2), 59, 'minute'), 2))),
  iso4217: (v) => (v.length === 3 && allDigits(v) && bitSet(ISO4217, Number(v)) ? null : bad(`${v} is not an ISO 4217 currency code`)),
  iso3166: (v) => (v.length === 3 && allDigits(v) && bitSet(ISO3166, Number(v)) ? null : bad(`${v} is not an ISO 3166 country code`)),
  iso3166999: (v) => (v === '999' || (v.length === 3 && allDigits(v) && bitSet(ISO3166, Number(v))) ? null : bad(`${v} is not an ISO 3166 country code or 999`)),
  iso3166alpha2: (v) =>
    /^[A-Z]{2}$/.test(v) && bitSet(ISO3166_ALPHA2, (v.charCodeAt(0) - 65) * 26 + v.charCodeAt(1) - 65) ? null : bad(`${v} is not an ISO 3166 alpha-2 country code`),
  iso5218: (v) => (['0', '1', '2', '9'].includes(v) ? null : bad(`${v} is not an ISO/IEC 5218 sex code (0, 1, 2, 9)`)),
  zero: (v) => (v === '0' ? null : bad('must be 0')),
  nonzero: (v) => numericOnly(v) ?? (/^0+$/.test(v) ? bad('must not be zero') : null),
  nozeroprefix: (v) => (v.startsWith('0') && v.length > 0 ? bad('must not start with 0') : numericOnly(v)),
  yesno: (v) => (v === '0' || v === '1' ? null : bad('must be 0 or 1')),
  hyphen: (v) => (v.length > 0 && /^-+$/.test(v) ? null : bad('must be "-"')),
  winding: (v) => (v === '0' || v === '1' || v === '9' ? null : bad('winding direction must be 0, 1 or 9')),
  hasnondigit: (v) => (allDigits(v) ? bad('must contain a non-digit character') : null),
  latitude: (v) => coordinate(v, 1800000000, 'latitude'),
  longitude: (v) => coordinate(v, 3600000000, 'longitude'),
  gcppos1: (v) => gcpPos(v, 0),
  gcppos2: (v) => (v.length < 2 ? bad('too short to hold a GS1 company prefix') : gcpPos(v, 1)),
  pcenc: (v) => {
    for (let i = 0; i < v.length; i++) {
      if (v[i] !== '%') continue;
      if (!/^[0-9A-Fa-f]{2}$/.test(v.slice(i + 1, i + 3))) return bad('invalid percent-encoding sequence', i);
      i += 2;
    }
    return null;
  },
  pieceoftotal: (v) => {
    if (!allDigits(v) || v.length === 0 || v.length % 2 !== 0) return bad('piece/total must be an even number of digits');
    const [p, t] = [v.slice(0, v.length / 2), v.slice(v.length / 2)];
    if (/^0+$/.test(p) || /^0+$/.test(t)) return bad('piece number and total must not be zero');
    return p > t ? bad(`piece ${p} exceeds total ${t}`) : null;
  },
  posinseqslash: (v) => {
    const m = /^([0-9]+)\/([0-9]+)$/.exec(v);
    if (!m) return bad('position in sequence must be "n/m"');
    if (m[1].startsWith('0') || m[2].startsWith('0')) return bad('position and end must not start with 0');
    return Number(m[1]) > Number(m[2]) ? bad(`position ${m[1]} exceeds end ${m[2]}`) : null;
  },
};

function shift(f: LintFailure | null, by: number): LintFailure | null {
  return f ? { ...f, offset: f.offset + by } : null;
}

/** Linter names from the dictionary that are accepted without a check (see the module comment). */
export const SKIPPED_LINTERS: readonly string[] = ['couponcode', 'couponposoffer', 'iban', 'mediatype', 'packagetype', 'importeridx'];

/** Runs one named linter; unknown and skipped names pass. */
export function runLinter(name: string, value: string): LintFailure | null {
  const l = LINTERS[name];
  return l ? l(value) : null;
}

/** Whether `name` is checked here. */
export function isImplementedLinter(name: string): boolean {
  return name in LINTERS;
}
