import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import * as ExcelJS from 'exceljs';
import { uploadedBookText } from './upload-file';
import { checkUploadedCsv } from './validate-upload';
import { XLSX_LIMITS, xlsxToCsv } from './xlsx-book';
import { checkZipBounds } from './zip-bounds';

/**
 * Price-book files uploaded on /pricebook: an XLSX (written by exceljs, and one assembled by Python's zipfile from
 * hand-written sheet XML with shared strings) reads to the same items as the CSV of the same rows, through the
 * kiosk's own reader; bad cells are problems on their sheet row; zip bombs and oversized sheets are refused.
 */

const HEADER = ['sku', 'barcodes', 'name_zh-CN', 'name_en', 'unit_price', 'tax_class', 'age_limit', 'sold_by_weight'];
const ROWS: (string | number | boolean | null)[][] = [
  ['A1', '6901234567892', '苹果', 'Apple', 350, 'standard', null, false],
  ['B2', '6901234567885|6901234567878', '面包', 'Bread, "fresh"', 1200, 'reduced', 18, true],
  ['C3', 6901234567861, '可乐', 'Cola', 300, 'standard', null, false],
];
const csvOf = (rows: (string | number | boolean | null)[][]): string =>
  [HEADER, ...rows].map((r) => r.map((c) => (c === null ? '' : /[",]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : String(c))).join(',')).join('\n');

async function exceljsBook(rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Prices');
  ws.addRow(HEADER);
  for (const r of rows) ws.addRow(r);
  wb.addWorksheet('Notes').addRow(['ignored: only the first sheet is read']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function itemsOf(bytes: Buffer) {
  const text = await uploadedBookText(bytes);
  if (!text.ok) throw new Error(JSON.stringify(text.problems));
  return checkUploadedCsv(text.csv, ['standard', 'reduced']);
}

/** A ZIP written here from APPNOTE.TXT 4.3.7 / 4.3.12 / 4.3.16, deflated; `declare` overrides the sizes it states. */
function zipOf(entries: { name: string; data: Buffer; declare?: number }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const body = deflateRawSync(e.data);
    const size = e.declare ?? e.data.length;
    const lfh = Buffer.alloc(30);
    lfh.writeUInt32LE(0x04034b50, 0);
    lfh.writeUInt16LE(20, 4);
    lfh.writeUInt16LE(8, 8);
    lfh.writeUInt32LE(crc32(e.data), 14);
    lfh.writeUInt32LE(body.length, 18);
    lfh.writeUInt32LE(size, 22);
    lfh.writeUInt16LE(name.length, 26);
    const cdh = Buffer.alloc(46);
    cdh.writeUInt32LE(0x02014b50, 0);
    cdh.writeUInt16LE(20, 4);
    cdh.writeUInt16LE(20, 6);
    cdh.writeUInt16LE(8, 10);
    cdh.writeUInt32LE(crc32(e.data), 16);
    cdh.writeUInt32LE(body.length, 20);
    cdh.writeUInt32LE(size, 24);
    cdh.writeUInt16LE(name.length, 28);
    cdh.writeUInt32LE(offset, 42);
    locals.push(lfh, name, body);
    central.push(cdh, name);
    offset += 30 + name.length + body.length;
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

describe('XLSX price books', () => {
  it('a workbook written by exceljs reads to the same items as the CSV of the same rows', async () => {
    const fromCsv = await checkUploadedCsv(csvOf(ROWS), ['standard', 'reduced']);
    expect(fromCsv.ok).toBe(true);
    const xlsx = await exceljsBook(ROWS);
    expect(xlsx.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(await itemsOf(xlsx)).toEqual(fromCsv);
    expect((fromCsv as { items: { sku: string; barcodes: string[] }[] }).items.map((i) => i.barcodes)).toEqual([['6901234567892'], ['6901234567885', '6901234567878'], ['6901234567861']]);
  });

  it('a workbook assembled by Python zipfile from sheet XML with shared strings reads the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xlsx-py-'));
    try {
      const out = join(dir, 'book.xlsx');
      // cells: shared strings (t="s"), a number, an inline string, a boolean (t="b"); row 3 left out (a blank row)
      const script = String.raw`
import sys, zipfile
ss = ['sku','barcodes','name_zh-CN','name_en','unit_price','tax_class','age_limit','sold_by_weight','A1','6901234567892','苹果','Apple','standard','B2','6901234567885|6901234567878','面包','Bread, "fresh"','reduced']
def s(ref, i): return '<c r="%s" t="s"><v>%d</v></c>' % (ref, i)
def n(ref, v): return '<c r="%s"><v>%s</v></c>' % (ref, v)
def b(ref, v): return '<c r="%s" t="b"><v>%d</v></c>' % (ref, v)
def inl(ref, t): return '<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, t)
rows = [
  '<row r="1">' + ''.join(s(c + '1', i) for i, c in enumerate('ABCDEFGH')) + '</row>',
  '<row r="2">' + s('A2', 8) + s('B2', 9) + s('C2', 10) + s('D2', 11) + n('E2', 350) + s('F2', 12) + b('H2', 0) + '</row>',
  '<row r="4">' + s('A4', 13) + s('B4', 14) + s('C4', 15) + s('D4', 16) + n('E4', 1200) + s('F4', 17) + n('G4', 18) + b('H4', 1) + '</row>',
  '<row r="5">' + inl('A5', 'C3') + n('B5', 6901234567861) + inl('C5', '可乐') + inl('D5', 'Cola') + n('E5', 300) + s('F5', 12) + b('H5', 0) + '</row>',
]
esc = lambda t: t.replace('&', '&amp;').replace('<', '&lt;').replace('"', '&quot;')
sst = '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">%s</sst>' % (len(ss), len(ss), ''.join('<si><t>%s</t></si>' % esc(t) for t in ss))
sheet = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>%s</sheetData></worksheet>' % ''.join(rows)
files = {
  '[Content_Types].xml': '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
  '_rels/.rels': '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
  'xl/workbook.xml': '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Prices" sheetId="1" r:id="rId1"/></sheets></workbook>',
  'xl/_rels/workbook.xml.rels': '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
  'xl/worksheets/sheet1.xml': sheet,
  'xl/sharedStrings.xml': sst,
}
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
  for name, text in files.items(): z.writestr(name, text.encode('utf-8'))
`;
      execFileSync('python3', ['-c', script, out]);
      const bytes = readFileSync(out);
      const text = await uploadedBookText(bytes);
      expect(text).toMatchObject({ ok: true, format: 'xlsx' });
      // sheet row 4 is CSV line 4 (row 3, absent, is a line of empty cells, which the reader skips)
      expect((text as { csv: string }).csv.split('\n')[2]).toBe(Array(8).fill('""').join(','));
      expect(await itemsOf(bytes)).toEqual(await checkUploadedCsv(csvOf(ROWS), ['standard', 'reduced']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad cells are problems on their sheet row: a fraction of a minor unit (the reader), a date, an error value', async () => {
    const fraction = await exceljsBook([ROWS[0], ROWS[1], ['C3', '6901234567861', '可乐', 'Cola', 12.5, 'standard', null, false]]);
    const r = await itemsOf(fraction);
    expect(r).toEqual({ ok: false, problems: [{ line: 4, field: 'unit_price', reason: 'expected a non-negative integer (minor units), got "12.5"' }] });

    const dated = await exceljsBook([ROWS[0], ['B2', '6901234567885', '面包', 'Bread', new Date(Date.UTC(2026, 0, 1)), 'standard', null, false], ROWS[2], ['D4', '6901234567854', 'x', 'x', { error: '#REF!' }, 'standard', null, false]]);
    expect(await xlsxToCsv(dated)).toEqual({
      ok: false,
      problems: [
        { line: 3, field: 'unit_price', reason: 'a date cell is not accepted: use text or whole minor units' },
        { line: 5, field: 'unit_price', reason: 'an error cell (#REF!)' },
      ],
    });
    const broken = await exceljsBook([['E5', '6901234567847', '蛋', 'Eggs\nlarge', 100, 'standard', null, false]]);
    expect(await xlsxToCsv(broken)).toEqual({ ok: false, problems: [{ line: 2, field: 'name_en', reason: 'a line break inside a cell' }] });
  });

  it('a zip bomb is refused before it is inflated: by its declared size, and when the sizes lie, by what it inflates to', async () => {
    const big = Buffer.alloc(XLSX_LIMITS.maxUncompressedBytes + 1024 * 1024, 0x20);
    const honest = zipOf([{ name: 'xl/worksheets/sheet1.xml', data: big }]);
    expect(honest.length).toBeLessThan(100 * 1024);
    expect(await uploadedBookText(honest)).toEqual({ ok: false, problems: [{ line: null, field: null, reason: 'the workbook inflates to more than 32 MB (a zip bomb?)' }] });
    const lying = zipOf([{ name: 'xl/worksheets/sheet1.xml', data: big, declare: 1000 }]);
    expect(checkZipBounds(lying, XLSX_LIMITS)).toEqual({ ok: false, reason: 'the workbook inflates to more than 32 MB (a zip bomb?)' });
    // many small parts that add up
    const parts = Array.from({ length: 40 }, (_, i) => ({ name: `p${i}.xml`, data: Buffer.alloc(1024 * 1024, 0x20), declare: 10 }));
    expect(checkZipBounds(zipOf(parts), XLSX_LIMITS)).toMatchObject({ ok: false, reason: expect.stringContaining('zip bomb') });
    // within the limits: fine
    expect(checkZipBounds(zipOf([{ name: 'a.xml', data: Buffer.alloc(1000, 0x20) }]), XLSX_LIMITS)).toEqual({ ok: true, entries: 1, uncompressedBytes: 1000 });
    // garbage after the magic: refused with a reason, no throw
    expect(await uploadedBookText(Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(100, 0xff)]))).toMatchObject({ ok: false, problems: [{ reason: expect.stringContaining('not a ZIP archive') }] });
  });

  // (a 20 002-row workbook is written and read: slow on a loaded machine)
  it('more rows than the limit: refused as a file', async () => {
    const rows = Array.from({ length: XLSX_LIMITS.maxRows }, (_, i) => [`S${i}`]);
    const r = await xlsxToCsv(await exceljsBook(rows));
    expect(r).toEqual({ ok: false, problems: [{ line: null, field: null, reason: `the sheet has ${XLSX_LIMITS.maxRows + 1} rows (at most ${XLSX_LIMITS.maxRows}, the header included)` }] });
  }, 180_000);

  it('CSV bytes: UTF-8 with a BOM is read; other bytes are refused', async () => {
    const csv = csvOf(ROWS);
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv)]);
    expect(await uploadedBookText(withBom)).toEqual({ ok: true, csv, format: 'csv' });
    expect(await uploadedBookText(Buffer.from([0x73, 0x6b, 0x75, 0xff, 0xfe]))).toEqual({ ok: false, problems: [{ line: null, field: null, reason: 'the file is neither an XLSX workbook nor UTF-8 CSV text' }] });
    expect(await uploadedBookText(Buffer.alloc(0))).toMatchObject({ ok: false });
  });
});
