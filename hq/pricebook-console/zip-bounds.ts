import { inflateRawSync } from 'node:zlib';

/**
 * Bounds an uploaded ZIP (an XLSX workbook) BEFORE a ZIP library inflates it: the entry count, the sizes the central
 * directory declares, and — because a declared size can lie — the bytes each entry really inflates to
 * (`inflateRawSync` with `maxOutputLength`: inflating stops at the remaining budget). A zip bomb (kilobytes that
 * inflate to gigabytes) is refused with a reason instead of filling HQ's memory. Nothing here throws on bad bytes.
 *
 * Layout from PKWARE's APPNOTE.TXT (6.3.10): end of central directory record `PK\x05\x06` (4.3.16), central
 * directory file header `PK\x01\x02` (4.3.12), local file header `PK\x03\x04` (4.3.7); compression method 0 stored,
 * 8 deflated (4.4.5). ZIP64 (sizes or counts of 0xFFFF / 0xFFFFFFFF) and encrypted entries are refused.
 */
export interface ZipLimits {
  /** The most bytes all entries may inflate to, together. */
  maxUncompressedBytes: number;
  /** The most entries the archive may hold. */
  maxEntries: number;
}

export type ZipCheck = { ok: true; entries: number; uncompressedBytes: number } | { ok: false; reason: string };

const EOCD = 0x06054b50;
const CDH = 0x02014b50;
const LFH = 0x04034b50;

export function checkZipBounds(zip: Buffer, limits: ZipLimits): ZipCheck {
  const refuse = (reason: string): ZipCheck => ({ ok: false, reason });
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
    const flags = zip.readUInt16LE(p + 8);
    const method = zip.readUInt16LE(p + 10);
    const compressed = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    p += 46 + nameLen + extraLen + commentLen;
    if (compressed === 0xffffffff || size === 0xffffffff || local === 0xffffffff) return refuse('ZIP64 archives are not accepted');
    if (flags & 1) return refuse('encrypted ZIP entries are not accepted');
    declared += size;
    if (declared > limits.maxUncompressedBytes) return refuse(tooBig(limits));
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== LFH) return refuse('damaged ZIP archive (local header)');
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    if (start + compressed > zip.length) return refuse('damaged ZIP archive (entry out of bounds)');
    const data = zip.subarray(start, start + compressed);
    if (method === 0) inflated += compressed;
    else if (method === 8) {
      const budget = limits.maxUncompressedBytes - inflated;
      try {
        inflated += inflateRawSync(data, { maxOutputLength: Math.max(1, budget) }).length;
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return refuse(tooBig(limits));
        return refuse('damaged ZIP archive (an entry does not inflate)');
      }
    } else return refuse(`ZIP compression method ${method} is not accepted (stored or deflate only)`);
    if (inflated > limits.maxUncompressedBytes) return refuse(tooBig(limits));
  }
  return { ok: true, entries: count, uncompressedBytes: inflated };
}

const tooBig = (l: ZipLimits): string => `the workbook inflates to more than ${Math.floor(l.maxUncompressedBytes / (1024 * 1024))} MB (a zip bomb?)`;
