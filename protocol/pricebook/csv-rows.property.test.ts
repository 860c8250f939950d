import * as fc from 'fast-check';
import { stat } from 'node:fs/promises';
import { csvRowRuns, MalformedCsv, type CsvRow, type CsvRowsOptions } from './csv-rows';
import { tempDir } from '../../test/support/pricebook';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.cleanup());

interface Outcome {
  rows: CsvRow[];
  /** The bytes after the last run. */
  bytes: number;
  error: { code: string; line: number; message: string } | null;
}

async function outcome(path: string, opts: CsvRowsOptions): Promise<Outcome> {
  const rows: CsvRow[] = [];
  let bytes = 0;
  try {
    for await (const run of csvRowRuns(path, opts)) {
      rows.push(...run.rows);
      bytes = run.bytes;
    }
  } catch (e) {
    if (!(e instanceof MalformedCsv)) throw e;
    return { rows, bytes, error: { code: e.code, line: e.line, message: e.message } };
  }
  return { rows, bytes, error: null };
}

let n = 0;
async function file(text: string | Buffer): Promise<string> {
  return tmp.write(`f${n++}.csv`, text);
}

const MAX = 4096;

/** Text made of what CSV is made of: cells, commas, quotes, every line end, multi-byte characters. */
const csvText = fc
  .array(fc.constantFrom('a', 'b', ' ', 'é', '多', '😀', ',', ',', '"', '"', '""', '\n', '\n', '\r\n', '\r', 'x,"y"', '"p\nq"', '"r,s"'), { maxLength: 60 })
  .map((parts) => parts.join(''));

describe('csv-rows: the split reader reads what csv-parse reads, record by record and refusal by refusal', () => {
  test('generated text (reads of 1..9 bytes and 64 KiB; with and without a BOM)', async () => {
    await fc.assert(
      fc.asyncProperty(csvText, fc.boolean(), fc.integer({ min: 1, max: 9 }), async (text, bom, hwm) => {
        const path = await file((bom ? '\ufeff' : '') + text);
        const reference = await outcome(path, { maxRecordBytes: MAX, mode: 'stream' });
        for (const highWaterMark of [hwm, undefined]) {
          const split = await outcome(path, { maxRecordBytes: MAX, ...(highWaterMark ? { highWaterMark } : {}) });
          expect(split.error).toEqual(reference.error);
          expect(split.rows).toEqual(reference.rows);
          if (split.error === null && split.rows.length > 0) expect(split.bytes).toBe((await stat(path)).size);
        }
      }),
      { numRuns: 400 },
    );
  });

  test('price-book shaped files: valid rows, quoted names, CRLF or LF', async () => {
    const cell = fc.stringMatching(/^[a-z0-9 多é"\n,]{0,8}$/);
    const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 30 }), fc.constantFrom('\n', '\r\n'), fc.integer({ min: 1, max: 64 }), async (recs, eol, hwm) => {
        const path = await file(recs.map((r) => r.map(quote).join(',')).join(eol) + eol);
        const reference = await outcome(path, { maxRecordBytes: MAX, mode: 'stream' });
        const split = await outcome(path, { maxRecordBytes: MAX, highWaterMark: hwm });
        expect(reference.error).toBeNull();
        expect(split).toEqual({ ...reference, bytes: split.bytes });
        expect(split.rows.map((r) => r.fields)).toEqual(recs);
      }),
      { numRuns: 200 },
    );
  });
});

describe('csv-rows: examples', () => {
  test('a quoted record across reads keeps its line breaks and the next record’s line number counts them', async () => {
    const path = await file('sku,name\r\nS1,"two\r\nlines, and ""quotes"""\r\nS2,plain\r\n');
    for (const highWaterMark of [1, 2, 3, 5, 7, 64 * 1024]) {
      const got = await outcome(path, { maxRecordBytes: MAX, highWaterMark });
      expect(got.rows).toEqual([
        { fields: ['sku', 'name'], line: 1 },
        { fields: ['S1', 'two\r\nlines, and "quotes"'], line: 2 },
        { fields: ['S2', 'plain'], line: 4 },
      ]);
      expect(got.error).toBeNull();
    }
  });

  test('a file of lone-CR line ends is read by csv-parse throughout', async () => {
    const got = await outcome(await file('a,b\r"c\rd",e\rf,g'), { maxRecordBytes: MAX, highWaterMark: 2 });
    expect(got.rows.map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['c\rd', 'e'],
      ['f', 'g'],
    ]);
  });

  test('a BOM split across reads is dropped; multi-byte characters split across reads are whole', async () => {
    const path = await file('\ufeffname\n多多,😀\n');
    for (const highWaterMark of [1, 2, 4]) {
      expect((await outcome(path, { maxRecordBytes: MAX, highWaterMark })).rows.map((r) => r.fields)).toEqual([['name'], ['多多', '😀']]);
    }
  });

  test('a record longer than the limit is refused (a file without line ends cannot make the reader buffer it all)', async () => {
    const got = await outcome(await file(`a,b\n${'x'.repeat(500)}`), { maxRecordBytes: 100, highWaterMark: 16 });
    expect(got.rows).toEqual([{ fields: ['a', 'b'], line: 1 }]);
    expect(got.error).toMatchObject({ code: 'CSV_MAX_RECORD_SIZE', line: 2 });
    const unclosed = await outcome(await file(`a,b\n"${'x\n'.repeat(300)}`), { maxRecordBytes: 100, highWaterMark: 16 });
    expect(unclosed.error).toMatchObject({ code: 'CSV_MAX_RECORD_SIZE', line: 2 });
    const first = await outcome(await file('y'.repeat(500)), { maxRecordBytes: 100, highWaterMark: 16 });
    expect(first.error).toMatchObject({ code: 'CSV_MAX_RECORD_SIZE', line: 1 });
  });

  test('csv-parse’s refusals keep its code and name the record’s line, not csv-parse’s count', async () => {
    const got = await outcome(await file('h\n"a\n b"\nS2,"a"b\n'), { maxRecordBytes: MAX });
    expect(got.rows.map((r) => r.line)).toEqual([1, 2]);
    expect(got.error).toMatchObject({ code: 'CSV_INVALID_CLOSING_QUOTE', line: 4 });
    expect(got.error?.message).not.toMatch(/line \d/);
  });
});
