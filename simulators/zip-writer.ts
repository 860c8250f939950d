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
    // from "version needed to extract" to "extra field length" the local header (4.3.7, at 4) and the central
    // directory header (4.3.12, at 6) hold the same fields in the same order: written once, copied into both
    const shared = Buffer.alloc(26);
    shared.writeUInt16LE(20, 0); // version needed: 2.0 (deflate)
    shared.writeUInt16LE(flags, 2);
    shared.writeUInt16LE(8, 4);
    shared.writeUInt16LE(DOS_TIME, 6);
    shared.writeUInt16LE(DOS_DATE, 8);
    shared.writeUInt32LE(crc, 10);
    shared.writeUInt32LE(packed.length, 14);
    shared.writeUInt32LE(e.data.length, 18);
    shared.writeUInt16LE(name.length, 22);
    shared.writeUInt16LE(0, 24);
    const lfh = Buffer.alloc(30);
    lfh.writeUInt32LE(0x04034b50, 0);
    shared.copy(lfh, 4);
    const cdh = Buffer.alloc(46);
    cdh.writeUInt32LE(0x02014b50, 0);
    cdh.writeUInt16LE(20, 4); // made by: MS-DOS, 2.0
    shared.copy(cdh, 6);
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
