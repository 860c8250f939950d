import { walkZipBounded, type UnzipLimits } from '../zip/bounded-unzip';

/**
 * Bounds an uploaded ZIP (an XLSX workbook) BEFORE a ZIP library inflates it: the entry count, the sizes the central
 * directory declares, and — because a declared size can lie — the bytes each entry really inflates to
 * (`inflateRawSync` with `maxOutputLength`: inflating stops at the remaining budget). A zip bomb (kilobytes that
 * inflate to gigabytes) is refused with a reason instead of filling HQ's memory. Nothing here throws on bad bytes.
 *
 * The walk is HQ's bounded ZIP reader's (hq/zip/bounded-unzip.ts `walkZipBounded`, from PKWARE's APPNOTE.TXT 6.3.10):
 * ZIP64 (sizes or counts of 0xFFFF / 0xFFFFFFFF), encrypted entries and methods other than stored / deflate are
 * refused. Nothing is kept: each entry's bytes are counted and dropped (the ZIP library reads the workbook after).
 */
export type ZipLimits = UnzipLimits;

export type ZipCheck = { ok: true; entries: number; uncompressedBytes: number } | { ok: false; reason: string };

export function checkZipBounds(zip: Buffer, limits: ZipLimits): ZipCheck {
  const r = walkZipBounded(zip, limits, {
    tooBig: `the workbook inflates to more than ${Math.floor(limits.maxUncompressedBytes / (1024 * 1024))} MB (a zip bomb?)`,
    doesNotInflate: () => 'damaged ZIP archive (an entry does not inflate)',
  });
  return r.ok ? { ok: true, entries: r.entries, uncompressedBytes: r.inflatedBytes } : r;
}
