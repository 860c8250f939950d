/**
 * Fuzz target (issue 11): `kiosk pricebook import` / `hq pricebook push` reading a price-book file
 * (protocol/pricebook/reader.ts): CSV (header, RFC 4180 quoting, BOM, CRLF), JSONL and whole-file JSON. Inputs:
 * valid books, mutated byte-wise (stray quotes, broken UTF-8, cut lines, duplicate keys), JSON lines nested far
 * past the depth limit; plus random text. Each input is a real file read by the real streaming reader.
 * Asserted: the reader yields items or throws KioskError PRICEBOOK_INVALID with a bounded message naming the file
 * — never a raw csv-parse error, a SyntaxError or a RangeError.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { readPriceBookFile } from '../../protocol/pricebook/reader';
import { item } from '../support/pricebook-sync';
import { onlyKioskErrorsAsync, params, textFrom } from '../support/fuzz';

const CSV = [
  'sku,barcodes,name_zh-CN,name_en,unit_price,tax_class,age_limit,sold_by_weight\n' +
    'X1,6901234567892,"牛奶, 全脂",Whole milk,650,reduced,,false\n' +
    'X2,6909876543212|6909876543229,啤酒,"Beer ""IPA""",800,standard,18,false\r\n' +
    'X3,2012345000007,苹果,Apple,1290,reduced,,true\n',
  '\uFEFFsku,barcodes,name_en,unit_price,tax_class,age_limit,sold_by_weight\r\nA,123,"multi\nline",1,standard,,no\r\n',
];
const JSONL = [[item(1), item(2, { ageLimit: 18 }), item(3, { soldByWeight: true })].map((i) => JSON.stringify(i)).join('\n') + '\n'];
const JSON_DOC = [JSON.stringify({ items: [item(4), item(5)] }), JSON.stringify([item(6)])];
const deep = fc.integer({ min: 65, max: 12_000 }).map((n) => `${JSON.stringify(item(1))}\n${'['.repeat(n)}${']'.repeat(n)}\n`);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-pricebook-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function readAll(file: string): Promise<number> {
  let n = 0;
  for await (const batch of readPriceBookFile(file, { batchSize: 2 })) n += batch.length;
  return n;
}

async function check(name: string, text: string): Promise<void> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  try {
    await onlyKioskErrorsAsync(['PRICEBOOK_INVALID'], () => readAll(file));
  } catch (e) {
    throw new Error(`${name} ${JSON.stringify(text.slice(0, 300))}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

describe('fuzz: price-book file import', () => {
  it('CSV: items or PRICEBOOK_INVALID', async () => {
    await fc.assert(fc.asyncProperty(textFrom(CSV, 200), (t) => check('book.csv', t)), params);
  });

  it('JSONL: items or PRICEBOOK_INVALID (deep lines included)', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof({ weight: 8, arbitrary: textFrom(JSONL, 200) }, { weight: 1, arbitrary: deep }), (t) => check('book.jsonl', t)), params);
  });

  it('JSON: items or PRICEBOOK_INVALID', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof({ weight: 8, arbitrary: textFrom(JSON_DOC, 200) }, { weight: 1, arbitrary: deep.map((t) => `[${t.replace('\n', ',')}]`) }), (t) => check('book.json', t)), params);
  });
});
