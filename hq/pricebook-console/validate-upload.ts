import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKioskError } from '../../kernel/errors';
import type { PriceItem } from '../../protocol/pricebook/price-item';
import { readPriceBookFile, type RowProblem } from '../../protocol/pricebook/reader';

/** The outcome of checking an uploaded book: its items, or every problem by row (at most the reader's MAX_PROBLEMS). */
export type UploadCheck =
  | { ok: true; items: PriceItem[] }
  /** `problems` by CSV line (1-based, the header is line 1); a file-level fault (header, quoting) is one problem without a line. */
  | { ok: false; problems: { line: number | null; field: string | null; reason: string }[] };

/**
 * Validates a price book uploaded to the console (CSV text) with THE SAME reader the kiosk's `kiosk pricebook import`
 * and HQ's `hq pricebook push` use (protocol/pricebook/reader.ts: row shape, unique SKUs and barcodes, and with
 * `taxClasses` the tax classes). The reader reads files, so the text goes to a private temporary file first (removed
 * after). The text is bounded by the console's body limit, so holding its items in memory is bounded too.
 */
export async function checkUploadedCsv(text: string, taxClasses?: readonly string[]): Promise<UploadCheck> {
  const dir = await mkdtemp(join(tmpdir(), 'hq-pricebook-upload-'));
  const file = join(dir, 'upload.csv');
  try {
    await writeFile(file, text, { mode: 0o600 });
    const items: PriceItem[] = [];
    for await (const batch of readPriceBookFile(file, taxClasses ? { taxClasses } : {})) items.push(...batch);
    if (items.length === 0) return { ok: false, problems: [{ line: null, field: null, reason: 'the book has no items' }] };
    return { ok: true, items };
  } catch (e) {
    if (!isKioskError(e, 'PRICEBOOK_INVALID')) throw e;
    const d = e.details as { problems?: RowProblem[]; line?: number; field?: string } | undefined;
    if (d?.problems) return { ok: false, problems: d.problems.map((p) => ({ line: p.line ?? null, field: p.field, reason: p.reason })) };
    // one problem: the reader throws that row's own error (`upload.csv line 3: unit_price: …`)
    const reason = e.message.replace(/^upload\.csv(?: line \d+)?:\s*/, '').replace(d?.field ? new RegExp(`^${d.field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\s*`) : /^$/, '');
    return { ok: false, problems: [{ line: d?.line ?? null, field: d?.field ?? null, reason }] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
