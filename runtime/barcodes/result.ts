/**
 * What parseScan returns: a discriminated union on `ok`, then on `kind`. Plain data (JSON-printable by
 * `kiosk barcode parse CODE --json`); see `redactScanResult` before logging a payment code.
 */
import type { Minor } from '../../kernel/money';

export type ScanKind = 'gtin' | 'in_store' | 'gs1' | 'member_card' | 'payment_code' | 'other';

export type GtinFormat = 'EAN-13' | 'EAN-8' | 'UPC-A' | 'UPC-E' | 'GTIN-14';

export type ScanErrorCode =
  /** Nothing but whitespace / line endings / an AIM prefix. */
  | 'EMPTY'
  /** GTIN, SSCC or price-verifier check digit wrong: misread, damaged or mistyped code. */
  | 'BAD_CHECK_DIGIT'
  /** Wrong number of digits for the symbology, or a GS1 value too short / too long. */
  | 'BAD_LENGTH'
  /** GS1 application identifier this kiosk does not know. */
  | 'UNKNOWN_AI'
  /** GS1 data that cannot be split into elements (bad separators, bad characters). */
  | 'MALFORMED_GS1'
  /** GS1 date field that is not a calendar date. */
  | 'BAD_DATE'
  /** Letters where only digits are allowed. */
  | 'NOT_NUMERIC'
  /** Symbology / content the kiosk does not handle (e.g. control characters in a 1D read). */
  | 'UNSUPPORTED';

export interface ScanError {
  code: ScanErrorCode;
  /** One sentence for a technician: what is wrong, where, and the likely cause. */
  message: string;
  /** 0-based index into `raw` (UTF-16 code units) of the offending character, when there is one. */
  position?: number;
  /** BAD_CHECK_DIGIT: the digit the data requires / the digit that was read. */
  expected?: string;
  found?: string;
  /** GS1 errors: the application identifier concerned. */
  ai?: string;
}

export interface SymbologyInfo {
  /** The AIM identifier as received ("]E0"), or null when the scanner sent none. */
  aim: string | null;
  /** e.g. "GS1-128", "EAN-13", "unknown". */
  name: string;
  /** True when `name` was guessed from the data shape because there was no AIM identifier. */
  inferred: boolean;
}

interface ScanOkBase {
  ok: true;
  /** The input exactly as received (for payment codes: AIM prefix + masked code). */
  raw: string;
  /** The payload after trimming and removing the AIM prefix (for payment codes: masked). */
  data: string;
  symbology: SymbologyInfo;
  /** Non-fatal oddities worth showing a technician (possible missing separator, rounding, …). */
  warnings: string[];
}

/** A trade item: look `lookupKey` up in the price book. */
export interface GtinScan extends ScanOkBase {
  kind: 'gtin';
  format: GtinFormat;
  /** Digits as scanned (for UPC-E the 8-digit code). */
  gtin: string;
  /** The GTIN left-padded to 14 digits (UPC-E: its UPC-A expansion, padded). */
  gtin14: string;
  /** The key to look up; see `normalizeLookupKey`. */
  lookupKey: string;
  /** UPC-E only: the 12-digit UPC-A it expands to. */
  upcA?: string;
  /** The 2- or 5-digit EAN/UPC add-on when received in the same read (AIM ]E3). */
  addOn?: string;
  /** GS1 restricted-circulation number (EAN-13 20–29, UPC-A number system 2/4, EAN-8 0…/2…). */
  restrictedCirculation: boolean;
}

/** A variable-measure in-store label (price or weight embedded in the code). */
export interface InStoreScan extends ScanOkBase {
  kind: 'in_store';
  format: 'EAN-13' | 'UPC-A';
  gtin: string;
  gtin14: string;
  /**
   * The price-book key: the pattern prefix followed by the item-reference digits, e.g. "21" + "12345"
   * = "2112345" for 2112345012345x. Never a GTIN length (rules forbid it), so it cannot collide with one.
   */
  lookupKey: string;
  /** The item-reference (I) digits alone. */
  itemRef: string;
  /** The `prefix` of the matching InStorePattern. */
  patternPrefix: string;
  value: 'price' | 'weight';
  /** value 'price': the label price in minor units. */
  embeddedPrice?: Minor;
  /** value 'weight': the label weight in grams. */
  weightGrams?: number;
  /** Whether the layout has a verifier digit X and it was checked. */
  priceCheckDigit: 'verified' | 'none';
  addOn?: string;
}

export interface Gs1Element {
  ai: string;
  /** GS1 data title, e.g. "BATCH/LOT". */
  title: string;
  /** The value exactly as encoded. */
  value: string;
  /** 0-based index into `raw` of the AI's first digit. */
  position: number;
  /** Date AIs (11–17 and other YYMMDD-only AIs): ISO date, century 20xx; DD "00" gives the last day of the month. */
  date?: string;
  /** Date AIs: the day was encoded as 00 (month only). */
  dayOmitted?: boolean;
  /** Decimal AIs (31nn–36nn, 390n–393n, 395n): the value with its decimal point, e.g. "1.250". */
  decimal?: string;
  /** 310n / 320n: weight converted to grams, rounded half-even to whole grams. */
  grams?: number;
  /** 391n / 393n: ISO 4217 numeric currency code. */
  currency?: string;
  /** 392n, and 393n in the store currency: price in minor units of the store currency (half-even). */
  minor?: Minor;
}

/** GS1 element strings (GS1-128, DataBar, GS1 QR / DataMatrix, or typed "(01)…(17)…"). */
export interface Gs1Scan extends ScanOkBase {
  kind: 'gs1';
  ais: Gs1Element[];
  /** Human-readable interpretation, e.g. "(01)09506000134352(17)261231(10)ABC". */
  hri: string;
  /** From AI 01. */
  gtin?: string;
  gtin14?: string;
  /** From AI 01 via `normalizeLookupKey`; absent when there is no AI 01 (e.g. an SSCC alone). */
  lookupKey?: string;
  /** First 310n / 320n, in grams. */
  weightGrams?: number;
  /** First 392n, or 393n in the store currency, in minor units. */
  embeddedPrice?: Minor;
  /** AI 17 / AI 15 / AI 16 as ISO dates. */
  expiryDate?: string;
  bestBeforeDate?: string;
  sellByDate?: string;
  /** AI 10 / AI 21. */
  batch?: string;
  serial?: string;
  /** Present when the data was a GS1 Digital Link URI (QR code on a consumer pack) rather than element strings. */
  digitalLink?: {
    /** The URI as scanned. */
    uri: string;
    /** Host (and port) as written; any domain is accepted. */
    domain: string;
    /** Path before the primary key, "" when none. */
    pathPrefix: string;
  };
}

export interface MemberCardScan extends ScanOkBase {
  kind: 'member_card';
  memberId: string;
  /** `name` of the matching MemberCardPattern. */
  cardType: string;
}

/** A shopper's wallet payment code. `paymentCode` is a bearer credential: never log or display it. */
export interface PaymentCodeScan extends ScanOkBase {
  kind: 'payment_code';
  paymentChannel: string;
  paymentCode: string;
  /** First 4 + asterisks + last 4, for display and logs. */
  masked: string;
}

/** Decoded fine but not something the kiosk acts on (e.g. a URL QR code). */
export interface OtherScan extends ScanOkBase {
  kind: 'other';
  note: string;
}

export type ScanSuccess = GtinScan | InStoreScan | Gs1Scan | MemberCardScan | PaymentCodeScan | OtherScan;

export interface ScanFailure {
  ok: false;
  raw: string;
  data: string;
  /** Null only when there was nothing to identify (EMPTY without an AIM prefix). */
  symbology: SymbologyInfo | null;
  warnings: string[];
  error: ScanError;
}

export type ScanResult = ScanSuccess | ScanFailure;

/** A copy safe for logs and `--json` output: the payment credential is removed (`masked` stays). */
export function redactScanResult(result: ScanResult): ScanResult {
  if (!result.ok || result.kind !== 'payment_code') return result;
  return { ...result, paymentCode: result.masked };
}
