import { createHash, type Hash } from 'node:crypto';
import { KioskError } from '../../kernel/errors';
import { normalizeLookupKey } from '../barcodes/gtin';
import type { PriceItem } from '../pricing/types';

/**
 * The CPU side of a price-book build — checking tax classes, normalizing barcodes, hashing and writing the JSON
 * arrays the shadow tables are filled from (`INSERT … SELECT … FROM json_each(?)`) — with no database in sight, so
 * it runs the same in the build process (build-process.ts) as on the main thread (importPriceBook with batches).
 */

/** How many problems a refused import lists. */
export const MAX_IMPORT_PROBLEMS = 50;

/**
 * Collects items whose tax class the kiosk does not know (they could never be priced at the lane) by their 1-based
 * position in the import, and refuses with all of them (up to {@link MAX_IMPORT_PROBLEMS}) at the end. The file
 * reader checks the same with file line numbers; this is the check for books that come without a file (HQ pushes).
 */
export class TaxClassCheck {
  private readonly known: ReadonlySet<string> | null;
  private readonly problems: string[] = [];
  private count = 0;

  constructor(
    classes: readonly string[] | undefined,
    private readonly source: string,
  ) {
    this.known = classes ? new Set(classes) : null;
  }

  check(items: PriceItem[], position: number): void {
    if (this.known === null) return;
    items.forEach((item, i) => {
      if (this.known!.has(item.taxClass)) return;
      this.count++;
      if (this.problems.length < MAX_IMPORT_PROBLEMS) {
        this.problems.push(`item ${position + i + 1} (sku ${JSON.stringify(item.sku)}): unknown tax class ${JSON.stringify(item.taxClass)}`);
      }
    });
  }

  /** Throws PRICEBOOK_INVALID (the caller's transaction rolls back: nothing changes) when any item failed. */
  finish(): void {
    if (this.count === 0) return;
    const more = this.count > this.problems.length ? `\n  … and ${this.count - this.problems.length} more` : '';
    throw new KioskError(
      'PRICEBOOK_INVALID',
      `${this.source}: ${this.count} item(s) with a tax class not configured (${[...this.known!].join(', ')}):\n  ${this.problems.join('\n  ')}${more}`,
      { problems: this.count },
    );
  }
}

/**
 * Items as stored: barcodes under the key a scan looks up (UPC-A 036000291452 → 0036000291452, GTIN-14 0…→ GTIN-13),
 * each once. An item whose barcodes are already so is passed as it is (a million-item book is mostly such items:
 * no copy of them to make and collect).
 */
export function normalized(raw: PriceItem[]): PriceItem[] {
  return raw.map((i) => {
    const codes = i.barcodes;
    let keys: string[] | null = null;
    for (let k = 0; k < codes.length; k++) {
      const key = normalizeLookupKey(codes[k]);
      if (keys === null && key === codes[k] && codes.indexOf(key) === k) continue;
      keys ??= codes.slice(0, k);
      if (!keys.includes(key)) keys.push(key);
    }
    return keys === null ? i : { ...i, barcodes: keys };
  });
}

/** One background transaction's worth of the new book: a JSON array of normalized items (text, or its UTF-8 bytes). */
export interface Slice {
  json: string | Buffer;
  rows: number;
}

/** What the whole book came to: its sha256 (of the normalized items, as JSON) and how many items it has. */
export interface BookDigest {
  sha256: string;
  items: number;
}

/**
 * Turns the batches of a full book into {@link Slice}s. The hash covers each input batch as the JSON array of its
 * normalized items, however it is sliced (the version of an import does not depend on the transaction sizes).
 */
export class BookEncoder {
  private readonly hash: Hash = createHash('sha256');
  private readonly taxes: TaxClassCheck;
  private items = 0;

  constructor(taxClasses: readonly string[] | undefined, source: string) {
    this.taxes = new TaxClassCheck(taxClasses, source);
  }

  /** The slices of one batch, each of at most `rows()` items (asked before each slice: the pacer adapts meanwhile). */
  *encode(raw: PriceItem[], rows: () => number): Generator<Slice> {
    if (raw.length === 0) return;
    this.taxes.check(raw, this.items);
    this.hash.update('[');
    for (let i = 0; i < raw.length; ) {
      const part = raw.slice(i, i + Math.max(1, rows()));
      // UTF-8 once, for the hash and for SQLite alike (each would encode the string again)
      const json = Buffer.from(JSON.stringify(normalized(part)));
      if (i > 0) this.hash.update(',');
      this.hash.update(json.subarray(1, json.length - 1));
      i += part.length;
      yield { json, rows: part.length };
    }
    this.hash.update(']');
    this.items += raw.length;
  }

  /** After the last batch: throws the tax-class refusal, if any, else the digest. */
  finish(): BookDigest {
    this.taxes.finish();
    return { sha256: this.hash.digest('hex'), items: this.items };
  }
}
