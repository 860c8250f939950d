import * as iconv from 'iconv-lite';
import { KioskError } from '../../kernel/errors';
import { BILL_LIMITS, type BillChannel } from './bill-types';

/** A malformed bill: BAD_DATA naming the channel and the 1-based line (the whole bill is refused: its totals could not be trusted). */
export function badLine(channel: BillChannel, line: number, what: string): KioskError {
  return new KioskError('BAD_DATA', `${channel} bill line ${line}: ${what}`, { channel, line });
}

function checkSize(channel: BillChannel, bytes: Buffer): void {
  if (bytes.length > BILL_LIMITS.maxBytes) throw new KioskError('BAD_DATA', `${channel} bill is ${bytes.length} bytes, more than ${BILL_LIMITS.maxBytes}`, { channel });
}

/**
 * The bill's raw lines (split at `\n`, a trailing `\r` removed; trailing blank lines dropped), bounded in count and
 * length. Byte level, for the fixed-width UnionPay file whose widths count GBK bytes.
 */
export function rawLines(channel: BillChannel, bytes: Buffer): Buffer[] {
  checkSize(channel, bytes);
  const out: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const stop = end > start && bytes[end - 1] === 0x0d ? end - 1 : end;
    if (out.length >= BILL_LIMITS.maxLines) throw badLine(channel, out.length + 1, `more than ${BILL_LIMITS.maxLines} lines`);
    if (stop - start > BILL_LIMITS.maxLineBytes) throw badLine(channel, out.length + 1, `longer than ${BILL_LIMITS.maxLineBytes} bytes`);
    out.push(bytes.subarray(start, stop));
    start = end + 1;
  }
  while (out.length > 0 && out[out.length - 1].length === 0) out.pop();
  return out;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Text of a bill in UTF-8 (a BOM dropped) or, when it is not valid UTF-8, GBK. */
export function decodeBill(bytes: Buffer): string {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    text = iconv.decode(bytes, 'gbk');
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The bill's text lines (the whole file decoded as {@link decodeBill}: one encoding for every line), bounded as {@link rawLines}. */
export function textLines(channel: BillChannel, bytes: Buffer): string[] {
  const lines = rawLines(channel, bytes);
  let utf8 = true;
  try {
    UTF8.decode(bytes);
  } catch {
    utf8 = false;
  }
  return lines.map((l, i) => {
    const text = utf8 ? l.toString('utf8') : iconv.decode(l, 'gbk');
    return i === 0 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  });
}

/** A field of a row, bounded: longer ones are malformed. */
export function boundedField(channel: BillChannel, line: number, name: string, v: string | undefined): string {
  if (v === undefined) throw badLine(channel, line, `no ${name}`);
  if (v.length > BILL_LIMITS.maxFieldChars) throw badLine(channel, line, `${name} longer than ${BILL_LIMITS.maxFieldChars} characters`);
  return v;
}
