import { KioskError } from '../../kernel/errors';
import { isZip, unzipBounded } from '../zip/bounded-unzip';
import { BILL_LIMITS, type BillChannel } from './bill-types';

/**
 * A bill file as the channel's download gives it, reduced to the file the parser reads (docs/bill-formats.md):
 * - Alipay: `bill_download_url` serves `<pid>0156_<yyyyMMdd>.csv.zip` holding `…_业务明细.csv` (the detail, read)
 *   and `…_业务明细(汇总).csv` (the summary, not read); the detail CSV alone is accepted too.
 * - UnionPay: the fileTransfer answer's `fileContent` inflates to a zip holding the day's files, among them
 *   `INN<yyMMdd>88ZM_<merId>` (read); the ZM file alone is accepted too.
 * - WeChat Pay: `downloadbill` answers the bill text itself (no archive).
 * A ZIP (recognised by `PK\x03\x04`) is unpacked within bounds (../zip/bounded-unzip.ts: at most
 * {@link BILL_ZIP_LIMITS}); a zip bomb, a damaged archive or one without the expected entry is BAD_DATA.
 */
export const BILL_ZIP_LIMITS = {
  /** All entries together, inflated: the bill limit (the detail file is bounded again by the parser). */
  maxUncompressedBytes: BILL_LIMITS.maxBytes,
  maxEntries: 16,
} as const;

const baseName = (name: string): string => name.slice(name.lastIndexOf('/') + 1);
const listed = (names: string[]): string => names.map((n) => JSON.stringify(n.slice(0, 80))).join(', ') || 'none';

/** The ZM file name's yyMMdd for a business day YYYY-MM-DD. */
const yymmdd = (day: string): string => `${day.slice(2, 4)}${day.slice(5, 7)}${day.slice(8, 10)}`;

/** The bytes the channel's parser reads: `bytes` itself, or the bill file inside the downloaded zip. */
export function billFileBytes(channel: BillChannel, bytes: Buffer, day: string): Buffer {
  if (!isZip(bytes)) return bytes;
  const bad = (what: string) => new KioskError('BAD_DATA', `${channel} bill: ${what}`, { channel });
  if (channel === 'wechat') throw bad('a ZIP archive is not a WeChat Pay downloadbill (the bill text itself is wanted)');
  const r = unzipBounded(bytes, BILL_ZIP_LIMITS);
  if (!r.ok) throw bad(r.reason);
  const names = r.entries.map((e) => e.name);
  if (channel === 'alipay') {
    const detail = r.entries.filter((e) => /业务明细\.csv$/.test(baseName(e.name)) && !baseName(e.name).includes('汇总'));
    if (detail.length !== 1) throw bad(`the zip must hold one detail file …_业务明细.csv, it holds ${detail.length} (entries: ${listed(names)})`);
    return detail[0].data;
  }
  const zm = r.entries.filter((e) => /^INN\d{6}88ZM_[0-9A-Za-z]{1,32}$/.test(baseName(e.name)));
  if (zm.length !== 1) throw bad(`the zip must hold one ZM file INN<yyMMdd>88ZM_<merId>, it holds ${zm.length} (entries: ${listed(names)})`);
  const fileDay = baseName(zm[0].name).slice(3, 9);
  if (fileDay !== yymmdd(day)) throw bad(`the zip's ZM file ${JSON.stringify(baseName(zm[0].name))} is of ${fileDay}, not of ${day}`);
  return zm[0].data;
}
