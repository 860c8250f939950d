import { crc32, deflateRawSync } from 'node:zlib';

/**
 * A minimal ZIP writer for the channel simulators' bill downloads (Alipay's `….csv.zip`, the zip inside UnionPay's
 * fileTransfer answer), written from PKWARE's APPNOTE.TXT 6.3.10: per entry a local file header (4.3.7) and its
 * deflated data (method 8, raw DEFLATE), then the central directory (4.3.12) and its end record (4.3.16). No data
 * descriptors, no ZIP64, no encryption. Names are written as given: `nameUtf8: false` leaves general purpose bit 11
 * clear, as Chinese archivers do for GBK-encoded names (Alipay's bill).
 */
export interface ZipInput {
  /** The name's bytes (e.g. GBK) or a string written as UTF-8 with bit 11 set. */
  name: Buffer | string;
  data: Buffer;
}

/** 1980-01-01 00:00 in MS-DOS time/date fields (the earliest a ZIP can say). */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

export function writeZip(entries: readonly ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const utf8 = typeof e.name === 'string';
    const name = utf8 ? Buffer.from(e.name as string, 'utf8') : (e.name as Buffer);
    const flags = utf8 ? 0x800 : 0;
    const packed = deflateRawSync(e.data);
    const crc = crc32(e.data);
    const lfh = Buffer.alloc(30);
    lfh.writeUInt32LE(0x04034b50, 0);
    lfh.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    lfh.writeUInt16LE(flags, 6);
    lfh.writeUInt16LE(8, 8);
    lfh.writeUInt16LE(DOS_TIME, 10);
    lfh.writeUInt16LE(DOS_DATE, 12);
    lfh.writeUInt32LE(crc, 14);
    lfh.writeUInt32LE(packed.length, 18);
    lfh.writeUInt32LE(e.data.length, 22);
    lfh.writeUInt16LE(name.length, 26);
    lfh.writeUInt16LE(0, 28);
    const cdh = Buffer.alloc(46);
    cdh.writeUInt32LE(0x02014b50, 0);
    cdh.writeUInt16LE(20, 4); // made by: MS-DOS, 2.0
    cdh.writeUInt16LE(20, 6);
    cdh.writeUInt16LE(flags, 8);
    cdh.writeUInt16LE(8, 10);
    cdh.writeUInt16LE(DOS_TIME, 12);
    cdh.writeUInt16LE(DOS_DATE, 14);
    cdh.writeUInt32LE(crc, 16);
    cdh.writeUInt32LE(packed.length, 20);
    cdh.writeUInt32LE(e.data.length, 24);
    cdh.writeUInt16LE(name.length, 28);
    cdh.writeUInt32LE(offset, 42);
    locals.push(lfh, name, packed);
    central.push(cdh, name);
    offset += lfh.length + name.length + packed.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}
