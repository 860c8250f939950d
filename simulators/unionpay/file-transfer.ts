/**
 * The ACP 5.1.0 文件传输类交易 (对账文件下载) of the UnionPay simulator, written from UnionPay's API page
 * (open.unionpay.com/tjweb/acproduct/APIList?acpAPIId=791) and the ACP SDK's `AcpService.deCodeFileContent`
 * (docs/bill-formats.md): request txnType 76, txnSubType 01, bizType 000000, accessType 0, fileType 00,
 * settleDate MMDD, txnTime; answer respCode 00 with `fileName` and `fileContent` = base64 of the zlib-wrapped DEFLATE
 * (java.util.zip.Deflater / Inflater(nowrap=false)) of a zip holding the day's files — here the ZM file
 * `INN<yyMMdd>88ZM_<merId>` (GBK). Signed like every other answer (by the caller).
 */
import * as iconv from 'iconv-lite';
import { deflateSync } from 'node:zlib';
import { writeZip } from '../zip-writer';
import type { AcpAnswer } from './acp-desk';

const BEIJING_MS = 8 * 3600 * 1000;

/**
 * The settle date MMDD as a Beijing day YYYY-MM-DD: this year's, or last year's when this year's is still ahead; null
 * when MMDD is not a calendar day or is today (a day's file exists from T+1).
 */
export function settleDay(mmdd: string, now: number): string | null {
  const m = /^(\d{2})(\d{2})$/.exec(mmdd);
  if (!m) return null;
  const today = new Date(now + BEIJING_MS).toISOString().slice(0, 10);
  const year = Number(today.slice(0, 4));
  for (const y of [year, year - 1]) {
    const d = new Date(Date.UTC(y, Number(m[1]) - 1, Number(m[2])));
    if (d.getUTCMonth() !== Number(m[1]) - 1 || d.getUTCDate() !== Number(m[2])) continue; // 0230, 1301, 0229 off leap years
    const day = d.toISOString().slice(0, 10);
    if (day === today) return null;
    if (day < today) return day;
  }
  return null;
}

/** The answer's fileName for a day: `<merId>_<yyyyMMdd>.zip` (the simulator's choice; HQ reads the entry, not this name). */
export const transferFileName = (merId: string, day: string): string => `${merId}_${day.replace(/-/g, '')}.zip`;

/** fileContent as the ACP SDK reads it back: base64( zlib( zip ) ). */
export function encodeFileContent(zip: Buffer): string {
  return deflateSync(zip).toString('base64');
}

/**
 * The answer fields of a file transfer request (already signature-checked), or a refusal. `zmText(day)` writes the
 * day's ZM file; `now` is the simulator's clock.
 */
export function fileTransfer(m: Record<string, string>, o: { merId: string; now: number; zmName: (day: string) => string; zmText: (day: string) => string }): AcpAnswer {
  if (m.txnType !== '76' || m.txnSubType !== '01' || m.bizType !== '000000') return { respCode: '10', respMsg: '报文格式错误 txnType/txnSubType/bizType' };
  if (m.accessType !== '0') return { respCode: '10', respMsg: '报文格式错误 accessType' };
  if (m.fileType !== '00') return { respCode: '10', respMsg: '报文格式错误 fileType' };
  if (!/^\d{14}$/.test(m.txnTime ?? '')) return { respCode: '10', respMsg: '报文格式错误 txnTime' };
  if (!/^\d{4}$/.test(m.settleDate ?? '')) return { respCode: '10', respMsg: '报文格式错误 settleDate' };
  const day = settleDay(m.settleDate, o.now);
  // no such calendar day, or today's file (not cut before T+1): 98, 文件不存在
  if (!day) return { respCode: '98', respMsg: '文件不存在' };
  const zip = writeZip([{ name: iconv.encode(o.zmName(day), 'gbk'), data: iconv.encode(o.zmText(day), 'gbk') }]);
  return { respCode: '00', respMsg: '成功[0000000]', fileType: '00', settleDate: m.settleDate, fileName: transferFileName(o.merId, day), fileContent: encodeFileContent(zip) };
}
