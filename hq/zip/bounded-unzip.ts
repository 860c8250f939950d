import * as iconv from 'iconv-lite';
import { crc32, inflateRawSync } from 'node:zlib';

/**
 * Reads the entries of an uploaded ZIP archive within bounds, for files HQ is handed as downloaded (a channel's bill:
 * Alipay's `….csv.zip`, the zip inside UnionPay's fileTransfer answer). The same walk as the price-book workbook
 * check (hq/pricebook-console/zip-bounds.ts; {@link walkZipBounded}), with the entries' bytes returned: the entry count and the sizes the
 * central directory declares are checked first, then each entry is inflated with `maxOutputLength` = what remains of
 * the budget, so an entry whose declared size lies (a zip bomb) stops at the budget instead of filling memory; its
 * CRC-32 must match. ZIP64, encrypted entries and methods other than stored / deflate are refused. Never throws:
 * a refusal carries its reason.
 *
 * Layout from PKWARE's APPNOTE.TXT (6.3.10): end of central directory `PK\x05\x06` (4.3.16), central directory header
 * `PK\x01\x02` (4.3.12), local file header `PK\x03\x04` (4.3.7); general purpose flag bit 0 encrypted, bit 11 the
 * name is UTF-8 (4.4.4) — without it Chinese archivers (Alipay's bill) write GBK, read here as GBK when not valid UTF-8.
 */
export interface UnzipLimits {
  /** The most bytes all entries may inflate to, together. */
  maxUncompressedBytes: number;
  /** The most entries the archive may hold. */
  maxEntries: number;
}

export interface ZipEntry {
  /** The entry's path in the archive (UTF-8 when flagged, else UTF-8 or GBK). */
  name: string;
  data: Buffer;
}

export type UnzipResult = { ok: true; entries: ZipEntry[] } | { ok: false; reason: string };

/** The local file header magic that starts every non-empty ZIP archive. */
export const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

export const isZip = (bytes: Buffer): boolean => bytes.length >= 4 && bytes.subarray(0, 4).equals(ZIP_MAGIC);

const EOCD = 0x06054b50;
const CDH = 0x02014b50;
const LFH = 0x04034b50;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function entryName(raw: Buffer, utf8Flag: boolean): string {
  if (utf8Flag) return raw.toString('utf8');
  try {
    return UTF8.decode(raw);
  } catch {
    return iconv.decode(raw, 'gbk');
  }
}

const mb = (n: number): string => `${Math.floor(n / (1024 * 1024))} MB`;

/** An entry as its central directory header declares it. */
export interface ZipHeader {
  /** The name's bytes as stored (general purpose bit 11 set: UTF-8). */
  rawName: Buffer;
  /** Whether the name lies within the central directory (it does not run into the end record). */
  nameInBounds: boolean;
  flags: number;
  /** 0 stored, 8 deflated. */
  method: number;
  crc: number;
  /** The uncompressed size declared. */
  size: number;
}

/** What a caller of {@link walkZipBounded} says and checks beyond the walk's own rules. */
export interface ZipWalk {
  /** The reason given when the entries declare or inflate to more than `maxUncompressedBytes`. */
  tooBig: string;
  /** The reason given when an entry's DEFLATE stream is damaged. */
  doesNotInflate(h: ZipHeader): string;
  /** Checked as soon as a header is read, before the walk's checks of it: a reason refuses the archive. */
  header?(h: ZipHeader): string | undefined;
  /** Each entry's bytes once inflated within the budget (a stored entry's are a view of `zip`): a reason refuses the archive. */
  entry?(h: ZipHeader, data: Buffer): string | undefined;
}

export type ZipWalkResult = { ok: true; entries: number; inflatedBytes: number } | { ok: false; reason: string };

/**
 * The bounded walk both readers share (this file's {@link unzipBounded} and the price-book workbook check,
 * hq/pricebook-console/zip-bounds.ts): the end record, then each central directory header in turn — ZIP64,
 * encrypted entries and methods other than stored / deflate refused, the declared sizes summed against the budget,
 * the local header found, the entry inflated with `maxOutputLength` = what remains of the budget — handing each
 * header and its bytes to `walk`. Never throws on bad bytes.
 */
export function walkZipBounded(zip: Buffer, limits: UnzipLimits, walk: ZipWalk): ZipWalkResult {
  const refuse = (reason: string): ZipWalkResult => ({ ok: false, reason });
  // the EOCD is the last 22 bytes plus a comment of at most 65 535 bytes
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return refuse('not a ZIP archive (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  const cdSize = zip.readUInt32LE(eocd + 12);
  const cdOffset = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) return refuse('ZIP64 archives are not accepted');
  if (count > limits.maxEntries) return refuse(`the archive holds ${count} entries (at most ${limits.maxEntries})`);
  if (cdOffset + cdSize > eocd) return refuse('damaged ZIP archive (central directory out of bounds)');
  let declared = 0;
  let inflated = 0;
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > eocd || zip.readUInt32LE(p) !== CDH) return refuse('damaged ZIP archive (central directory)');
    const compressed = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const h: ZipHeader = {
      rawName: zip.subarray(p + 46, p + 46 + nameLen),
      nameInBounds: p + 46 + nameLen <= eocd,
      flags: zip.readUInt16LE(p + 8),
      method: zip.readUInt16LE(p + 10),
      crc: zip.readUInt32LE(p + 16),
      size: zip.readUInt32LE(p + 24),
    };
    const early = walk.header?.(h);
    if (early !== undefined) return refuse(early);
    p += 46 + nameLen + extraLen + commentLen;
    if (compressed === 0xffffffff || h.size === 0xffffffff || local === 0xffffffff) return refuse('ZIP64 archives are not accepted');
    if (h.flags & 1) return refuse('encrypted ZIP entries are not accepted');
    declared += h.size;
    if (declared > limits.maxUncompressedBytes) return refuse(walk.tooBig);
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== LFH) return refuse('damaged ZIP archive (local header)');
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    if (start + compressed > zip.length) return refuse('damaged ZIP archive (entry out of bounds)');
    const raw = zip.subarray(start, start + compressed);
    let data: Buffer;
    if (h.method === 0) data = raw;
    else if (h.method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, limits.maxUncompressedBytes - inflated) });
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return refuse(walk.tooBig);
        return refuse(walk.doesNotInflate(h));
      }
    } else return refuse(`ZIP compression method ${h.method} is not accepted (stored or deflate only)`);
    inflated += data.length;
    if (inflated > limits.maxUncompressedBytes) return refuse(walk.tooBig);
    const late = walk.entry?.(h, data);
    if (late !== undefined) return refuse(late);
  }
  return { ok: true, entries: count, inflatedBytes: inflated };
}

export function unzipBounded(zip: Buffer, limits: UnzipLimits): UnzipResult {
  const entries: ZipEntry[] = [];
  const nameOf = (h: ZipHeader): string => entryName(h.rawName, (h.flags & 0x800) !== 0);
  const r = walkZipBounded(zip, limits, {
    tooBig: `the archive inflates to more than ${mb(limits.maxUncompressedBytes)} (a zip bomb?)`,
    doesNotInflate: (h) => `damaged ZIP archive (entry ${JSON.stringify(nameOf(h).slice(0, 80))} does not inflate)`,
    header: (h) => (h.nameInBounds ? undefined : 'damaged ZIP archive (central directory)'),
    entry: (h, data) => {
      const name = nameOf(h);
      if (data.length !== h.size || crc32(data) !== h.crc) return `damaged ZIP archive (entry ${JSON.stringify(name.slice(0, 80))}: size or CRC-32 differs from its header)`;
      // a stored entry's bytes are a view of the upload: copied, as an inflated one is its own
      entries.push({ name, data: h.method === 0 ? Buffer.from(data) : data });
      return undefined;
    },
  });
  return r.ok ? { ok: true, entries } : r;
}
