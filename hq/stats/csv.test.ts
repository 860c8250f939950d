import { parse } from 'csv-parse/sync';
import { BOM, csvCell, csvDocument, csvMoney, CsvNumber } from './csv';

describe('CSV for spreadsheets', () => {
  it('quotes text, doubles quotes and keeps commas and line breaks inside a cell', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    const doc = csvDocument([{ header: ['name', 'n'], rows: [['line\r\nbreak, "quoted"', 3], [null, undefined]] }]);
    expect(doc.startsWith(BOM)).toBe(true);
    expect(parse(doc, { bom: true })).toEqual([
      ['name', 'n'],
      ['line\r\nbreak, "quoted"', '3'],
      ['', ''],
    ]);
  });

  it('defuses every formula start, ASCII and full-width, in text cells only', () => {
    for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', '＝1+1', '＋1', '－1', '＠x']) expect(csvCell(s)).toBe(`"'${s}"`);
    expect(csvCell('1=1')).toBe('"1=1"');
    expect(csvCell(-5)).toBe('-5'); // a number the code computed stays a number
    expect(csvCell(csvMoney(-5, 2))).toBe('-0.05');
  });

  it('writes money as exact decimals from integers', () => {
    expect(csvMoney(123456, 2).text).toBe('1234.56');
    expect(csvMoney(5, 2).text).toBe('0.05');
    expect(csvMoney(0, 2).text).toBe('0.00');
    expect(csvMoney(-1230, 2).text).toBe('-12.30');
    expect(csvMoney(1234, 0).text).toBe('1234');
    expect(csvMoney(1234, 3).text).toBe('1.234');
    expect(csvMoney(2 ** 53 - 1, 2).text).toBe('90071992547409.91');
    expect(() => new CsvNumber('=1')).toThrow(RangeError);
  });

  it('separates sections by an empty line, each with its title', () => {
    const doc = csvDocument([
      { title: 'A', header: ['x'], rows: [[1]] },
      { title: 'B', header: ['y'], rows: [] },
    ]);
    expect(doc).toBe(`${BOM}"A"\r\n"x"\r\n1\r\n\r\n"B"\r\n"y"\r\n`);
  });
});
