import type { AimId } from './aim';
import type { BarcodeRules } from '../../config/barcode-rules';
import type { ScanError, ScanFailure, ScanResult, SymbologyInfo } from './result';

/** One scan being read (parseScan): the raw read, its payload and what has been learnt about it so far. */
export interface Ctx {
  raw: string;
  /** Payload: trimmed, AIM prefix removed. */
  data: string;
  /** Raw index of data[0]. */
  offset: number;
  aim: AimId | null;
  rules: BarcodeRules;
  warnings: string[];
}

/** The symbology: from the AIM identifier, else `inferredName` marked as inferred. */
export function sym(ctx: Ctx, inferredName: string): SymbologyInfo {
  return ctx.aim ? { aim: ctx.aim.aim, name: ctx.aim.name, inferred: false } : { aim: null, name: inferredName, inferred: true };
}

/** A failed read of this scan. */
export function fail(ctx: Ctx, error: ScanError, inferredName = 'unknown'): ScanFailure {
  return { ok: false, raw: ctx.raw, data: ctx.data, symbology: sym(ctx, inferredName), warnings: ctx.warnings, error };
}

/** A control character as its name and code point, e.g. "GS (U+001D)". */
export function describeControl(c: string): string {
  const names: Record<string, string> = { '\r': 'CR', '\n': 'LF', '\t': 'TAB', '\x1D': 'GS', '\x1B': 'ESC', '\x02': 'STX', '\x03': 'ETX', '\x00': 'NUL' };
  const hex = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return names[c] ? `${names[c]} (${hex})` : hex;
}

/** A character for an error message: control characters by name, others quoted. */
export function describeControlOrChar(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x20 || code === 0x7f ? describeControl(c) : `"${c}"`;
}

/** Index of the first C0 control character or DEL, or -1. */
export function firstControl(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return i;
  }
  return -1;
}

/** A member card read from this scan. */
export function memberResult(ctx: Ctx, cardType: string, memberId: string): ScanResult {
  return { ok: true, kind: 'member_card', raw: ctx.raw, data: ctx.data, symbology: sym(ctx, 'unknown'), warnings: ctx.warnings, memberId, cardType };
}
