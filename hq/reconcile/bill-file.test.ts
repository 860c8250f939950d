/**
 * Bills as downloaded (docs/bill-formats.md): Alipay's `….csv.zip` and UnionPay's fileTransfer zip are unpacked within
 * bounds (hq/zip/bounded-unzip.ts) and their bill entry parsed; a zip bomb (declared or lying sizes), too many
 * entries, a damaged or encrypted archive, a zip without the detail / ZM entry or with another day's ZM file are
 * refused as BAD_DATA with the reason. Zips written by the simulators' writer (simulators/zip-writer.ts) and by
 * Python's zipfile (an independent writer), patched by hand for the hostile cases.
 */
import { spawnSync } from 'node:child_process';
import { deflateRawSync } from 'node:zlib';
import * as iconv from 'iconv-lite';
import { writeZip } from '../../simulators/zip-writer';
import { isKioskError } from '../../kernel/errors';
import { alipayBill, alipayRow, zmFile, zmPayment } from '../../test/support/bill-samples';
import { unzipBounded } from '../zip/bounded-unzip';
import { billFileBytes, BILL_ZIP_LIMITS } from './bill-file';
import { parseBill } from './reconcile';

const DAY = '2026-12-05';
const DETAIL = alipayBill([alipayRow({ txn: '2026120522001', orderNo: 'a'.repeat(32), kind: '交易', time: '2026-12-05 10:00:00', total: '12.34', received: '12.34', fee: '-0.07' })], [1, 0]);
const gbk = (s: string) => iconv.encode(s, 'gbk');
const PID = '20880000000000010156_20261205';

/** The BAD_DATA message `fn` throws. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isKioskError(e, 'BAD_DATA')) return e.message;
    throw e;
  }
  throw new Error('not refused');
}

/** Offsets of the first central directory header's fields (APPNOTE 4.3.12). */
function cdAt(zip: Buffer): number {
  return zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
}

describe('a downloaded bill zip', () => {
  it('Alipay: the detail entry of the zip (GBK names) is parsed exactly as the detail CSV alone; the summary is not read', () => {
    const zip = writeZip([
      { name: gbk(`${PID}_业务明细.csv`), data: DETAIL },
      { name: gbk(`${PID}_业务明细(汇总).csv`), data: gbk('#支付宝业务汇总查询\r\n') },
    ]);
    expect(billFileBytes('alipay', zip, DAY).equals(DETAIL)).toBe(true);
    expect(parseBill('alipay', zip, DAY)).toEqual(parseBill('alipay', DETAIL, DAY));
    expect(parseBill('alipay', zip, DAY).trades.map((t) => [t.orderNo, t.amount, t.fee])).toEqual([['a'.repeat(32), 1234, 7]]);
  });

  it('a zip written by Python zipfile (UTF-8 names, deflate) reads the same', () => {
    const py = spawnSync(
      'python3',
      ['-c', 'import sys,zipfile,io\nb=io.BytesIO()\nz=zipfile.ZipFile(b,"w",zipfile.ZIP_DEFLATED)\nz.writestr(sys.argv[1]+"_业务明细.csv",sys.stdin.buffer.read())\nz.writestr(sys.argv[1]+"_业务明细(汇总).csv",b"#")\nz.close()\nsys.stdout.buffer.write(b.getvalue())', PID],
      { input: DETAIL },
    );
    expect(py.status).toBe(0);
    expect(parseBill('alipay', py.stdout, DAY)).toEqual(parseBill('alipay', DETAIL, DAY));
  });

  it('UnionPay: the ZM entry of the day is parsed; another day\'s ZM file, or none, is refused', () => {
    const zm = zmFile([zmPayment({ trace: '000001', time: '1205100000', amount: 1234, queryId: '612051000000000000001', orderId: 'b'.repeat(32), fee: 5 })]);
    const zip = (name: string) => writeZip([{ name, data: zm }]);
    expect(parseBill('unionpay', zip('INN26120588ZM_777290058110041'), DAY)).toEqual(parseBill('unionpay', zm, DAY));
    expect(refusal(() => parseBill('unionpay', zip('INN26120488ZM_777290058110041'), DAY))).toBe('unionpay bill: the zip\'s ZM file "INN26120488ZM_777290058110041" is of 261204, not of 2026-12-05');
    expect(refusal(() => parseBill('unionpay', zip('INN26120599ZM_777290058110041'), DAY))).toMatch(/^unionpay bill: the zip must hold one ZM file INN<yyMMdd>88ZM_<merId>, it holds 0 \(entries: "INN26120599ZM_777290058110041"\)$/);
  });

  it('refuses a zip without the detail entry, two detail entries, and a zip as a WeChat Pay bill', () => {
    const summaryOnly = writeZip([{ name: gbk(`${PID}_业务明细(汇总).csv`), data: gbk('#') }]);
    expect(refusal(() => parseBill('alipay', summaryOnly, DAY))).toBe(`alipay bill: the zip must hold one detail file …_业务明细.csv, it holds 0 (entries: "${PID}_业务明细(汇总).csv")`);
    const two = writeZip([{ name: gbk(`a_业务明细.csv`), data: DETAIL }, { name: gbk(`b_业务明细.csv`), data: DETAIL }]);
    expect(refusal(() => parseBill('alipay', two, DAY))).toMatch(/it holds 2/);
    expect(refusal(() => parseBill('wechat', summaryOnly, DAY))).toMatch(/^wechat bill: a ZIP archive is not a WeChat Pay downloadbill/);
  });

  it('refuses a zip bomb: an entry that inflates past the budget though its header says 1 000 bytes', () => {
    const zeros = Buffer.alloc(BILL_ZIP_LIMITS.maxUncompressedBytes + 1024 * 1024);
    const zip = writeZip([{ name: gbk(`${PID}_业务明细.csv`), data: Buffer.from('x') }]);
    // swap in the bomb's deflate stream, declaring 1 000 bytes in the local and central headers
    const bomb = deflateRawSync(zeros, { level: 9 });
    expect(bomb.length).toBeLessThan(200_000);
    const nameLen = zip.readUInt16LE(26);
    const local = Buffer.from(zip.subarray(0, 30 + nameLen));
    local.writeUInt32LE(bomb.length, 18);
    local.writeUInt32LE(1000, 22);
    const cd = Buffer.from(zip.subarray(cdAt(zip), zip.length - 22));
    cd.writeUInt32LE(bomb.length, 20);
    cd.writeUInt32LE(1000, 24);
    cd.writeUInt32LE(0, 42);
    const eocd = Buffer.from(zip.subarray(zip.length - 22));
    eocd.writeUInt32LE(local.length + bomb.length, 16);
    const hostile = Buffer.concat([local, bomb, cd, eocd]);
    expect(refusal(() => parseBill('alipay', hostile, DAY))).toBe('alipay bill: the archive inflates to more than 64 MB (a zip bomb?)');
  });

  it('refuses an entry declared larger than the budget, before inflating it', () => {
    const zip = writeZip([{ name: gbk(`${PID}_业务明细.csv`), data: DETAIL }]);
    zip.writeUInt32LE(BILL_ZIP_LIMITS.maxUncompressedBytes + 1, cdAt(zip) + 24);
    expect(refusal(() => parseBill('alipay', zip, DAY))).toBe('alipay bill: the archive inflates to more than 64 MB (a zip bomb?)');
  });

  it('refuses too many entries, encrypted entries, a damaged entry (CRC), ZIP64 and a truncated archive', () => {
    const many = writeZip(Array.from({ length: BILL_ZIP_LIMITS.maxEntries + 1 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x') })));
    expect(refusal(() => parseBill('alipay', many, DAY))).toBe('alipay bill: the archive holds 17 entries (at most 16)');
    const enc = writeZip([{ name: gbk(`${PID}_业务明细.csv`), data: DETAIL }]);
    enc.writeUInt16LE(1, cdAt(enc) + 8);
    expect(refusal(() => parseBill('alipay', enc, DAY))).toBe('alipay bill: encrypted ZIP entries are not accepted');
    const crc = writeZip([{ name: `${PID}_业务明细.csv`, data: DETAIL }]);
    crc.writeUInt32LE((crc.readUInt32LE(cdAt(crc) + 16) ^ 1) >>> 0, cdAt(crc) + 16);
    expect(refusal(() => parseBill('alipay', crc, DAY))).toMatch(/^alipay bill: damaged ZIP archive \(entry ".*_业务明细.csv": size or CRC-32 differs from its header\)$/);
    const z64 = writeZip([{ name: 'a', data: DETAIL }]);
    z64.writeUInt32LE(0xffffffff, cdAt(z64) + 24);
    expect(refusal(() => parseBill('alipay', z64, DAY))).toBe('alipay bill: ZIP64 archives are not accepted');
    const ok = writeZip([{ name: 'a', data: DETAIL }]);
    expect(refusal(() => parseBill('alipay', ok.subarray(0, ok.length - 30), DAY))).toBe('alipay bill: not a ZIP archive (no end of central directory)');
  });

  it('the shared reader returns names decoded (UTF-8 flagged, UTF-8, else GBK) and never throws on garbage', () => {
    const r = unzipBounded(writeZip([{ name: '账单.csv', data: Buffer.from('1') }, { name: gbk('汇总.csv'), data: Buffer.from('2') }]), { maxEntries: 2, maxUncompressedBytes: 10 });
    expect(r).toEqual({ ok: true, entries: [{ name: '账单.csv', data: Buffer.from('1') }, { name: '汇总.csv', data: Buffer.from('2') }] });
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.from(Array.from({ length: 40 + i }, (_, k) => (k * 31 + i * 7) & 0xff)), Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18, i)]);
      expect(() => unzipBounded(junk, BILL_ZIP_LIMITS)).not.toThrow();
    }
  });
});
