import { readFile, stat } from 'node:fs/promises';
import { isKioskError, KioskError } from '../../kernel/errors';
import { priceItemSchema } from './item-schema';
import { readPriceBookFile } from './reader';
import { CSV_HEADER, item, readAll, readBatches, tempDir, toCsv } from '../../test/support/pricebook';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.cleanup());

async function failure(path: string, batchSize?: number): Promise<KioskError> {
  try {
    await readAll(path, { batchSize });
  } catch (e) {
    if (isKioskError(e, 'PRICEBOOK_INVALID')) return e;
    throw e;
  }
  throw new Error('expected PRICEBOOK_INVALID');
}

const five = [1, 2, 3, 4, 5].map((n) => item(n));

describe('formats', () => {
  test('CSV', async () => {
    const p = await tmp.write('a.csv', toCsv(five));
    expect(await readAll(p)).toEqual(five);
  });

  test('CSV with CRLF line endings', async () => {
    const p = await tmp.write('crlf.csv', toCsv(five, ['zh-CN', 'en'], '\r\n'));
    expect(await readAll(p)).toEqual(five);
  });

  test('JSONL and NDJSON', async () => {
    const text = five.map((i) => JSON.stringify(i)).join('\n') + '\n';
    expect(await readAll(await tmp.write('a.jsonl', text))).toEqual(five);
    expect(await readAll(await tmp.write('a.ndjson', text.replace(/\n/g, '\r\n')))).toEqual(five);
    // no trailing newline, blank lines in between
    expect(await readAll(await tmp.write('b.jsonl', five.map((i) => JSON.stringify(i)).join('\n\n')))).toEqual(five);
  });

  test('JSON object with items, and bare array', async () => {
    expect(await readAll(await tmp.write('a.json', JSON.stringify({ version: 'x', currency: 'CNY', items: five })))).toEqual(five);
    expect(await readAll(await tmp.write('b.json', JSON.stringify(five)))).toEqual(five);
  });

  test('extension is case-insensitive; unknown extension is rejected', async () => {
    expect(await readAll(await tmp.write('UP.CSV', toCsv(five)))).toEqual(five);
    const e = await failure(await tmp.write('prices.xlsx', 'x'));
    expect(e.message).toMatch(/^prices\.xlsx: unsupported price book format "\.xlsx"/);
  });

  test('unknown JSON keys are dropped', async () => {
    const p = await tmp.write('extra.jsonl', JSON.stringify({ ...item(1), category: 'drinks' }) + '\n');
    expect(await readAll(p)).toEqual([item(1)]);
  });

  test('missing file propagates the fs error', async () => {
    await expect(readAll(`${tmp.dir}/nope.csv`)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('batches and progress', () => {
  test.each(['csv', 'jsonl', 'json'])('batch size 2 with 5 items gives 2+2+1 (%s)', async (ext) => {
    const text = ext === 'csv' ? toCsv(five) : ext === 'jsonl' ? five.map((i) => JSON.stringify(i)).join('\n') : JSON.stringify(five);
    const p = await tmp.write(`five.${ext}`, text);
    const batches = await readBatches(p, { batchSize: 2 });
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(batches.flat()).toEqual(five);
  });

  test('exact multiple of the batch size gives no empty batch', async () => {
    const p = await tmp.write('four.csv', toCsv(five.slice(0, 4)));
    expect((await readBatches(p, { batchSize: 2 })).map((b) => b.length)).toEqual([2, 2]);
  });

  test('default batch size is 5000', async () => {
    const many = Array.from({ length: 5001 }, (_, i) => item(i + 1, { barcodes: [`B${i}`] }));
    const p = await tmp.write('many.jsonl', many.map((i) => JSON.stringify(i)).join('\n'));
    expect((await readBatches(p)).map((b) => b.length)).toEqual([5000, 1]);
  });

  test('header-only CSV yields nothing', async () => {
    expect(await readBatches(await tmp.write('empty.csv', CSV_HEADER + '\n'))).toEqual([]);
  });

  test('rejects a bad batchSize', async () => {
    const p = await tmp.write('bs.csv', toCsv(five));
    await expect(readAll(p, { batchSize: 0 })).rejects.toThrow(RangeError);
  });

  // 3 000 items: a file of several reads (the CSV reader reports progress by the read: 16 KiB)
  test.each(['csv', 'jsonl'])('onProgress is monotonic and ends at the file size (%s)', async (ext) => {
    const many = Array.from({ length: 3000 }, (_, i) => item(i + 1, { barcodes: [`B${i}`] }));
    const text = ext === 'csv' ? toCsv(many) : many.map((i) => JSON.stringify(i)).join('\n') + '\n';
    const p = await tmp.write(`progress.${ext}`, text);
    const size = (await stat(p)).size;
    const calls: [number, number][] = [];
    await readAll(p, { batchSize: 500, onProgress: (read, total) => calls.push([read, total]) });
    expect(calls.length).toBe(7); // 6 full batches + final
    expect(calls.every(([, total]) => total === size)).toBe(true);
    const reads = calls.map(([r]) => r);
    expect([...reads].sort((a, b) => a - b)).toEqual(reads);
    expect(reads[0]).toBeGreaterThan(0);
    expect(reads[0]).toBeLessThan(size);
    expect(reads[reads.length - 1]).toBe(size);
  });

  test('stopping early closes the file without error', async () => {
    const p = await tmp.write('early.csv', toCsv(five));
    for await (const batch of readPriceBookFile(p, { batchSize: 1 })) {
      expect(batch).toEqual([five[0]]);
      break;
    }
  });
});

describe('CSV details', () => {
  test('UTF-8 BOM, quoted commas, quotes, newlines and Chinese names', async () => {
    const text =
      '\uFEFF' +
      CSV_HEADER +
      '\n' +
      'SKU-1,6901234567892,"可口可乐 330ml, 罐装","Coca-Cola ""Classic"", 330 ml",250,standard,,false\n' +
      'SKU-2,6901234567908|6901234567915,"蒙牛\n纯牛奶",Mengniu Milk,300,reduced,,no\n';
    const items = await readAll(await tmp.write('bom.csv', text));
    expect(items).toEqual([
      {
        sku: 'SKU-1',
        barcodes: ['6901234567892'],
        names: { 'zh-CN': '可口可乐 330ml, 罐装', en: 'Coca-Cola "Classic", 330 ml' },
        unitPrice: 250,
        taxClass: 'standard',
        ageLimit: null,
        soldByWeight: false,
      },
      {
        sku: 'SKU-2',
        barcodes: ['6901234567908', '6901234567915'],
        names: { 'zh-CN': '蒙牛\n纯牛奶', en: 'Mengniu Milk' },
        unitPrice: 300,
        taxClass: 'reduced',
        ageLimit: null,
        soldByWeight: false,
      },
    ]);
  });

  test('column order is free, extra name_<locale> columns, blank name cells are omitted', async () => {
    const text = 'name_en,sku,sold_by_weight,age_limit,tax_class,unit_price,barcodes,name_zh-Hant,name_zh-CN\n' + 'Beer,B1,0,18,standard,600,111,啤酒,\n';
    expect(await readAll(await tmp.write('order.csv', text))).toEqual([
      { sku: 'B1', barcodes: ['111'], names: { en: 'Beer', 'zh-Hant': '啤酒' }, unitPrice: 600, taxClass: 'standard', ageLimit: 18, soldByWeight: false },
    ]);
  });

  test.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    [' Yes ', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('sold_by_weight %j → %j', async (cell, expected) => {
    const p = await tmp.write('w.csv', `${CSV_HEADER}\nS,10001,苹果,Apples,1280,reduced,,${cell}\n`);
    expect((await readAll(p))[0].soldByWeight).toBe(expected);
  });

  test('blank lines are skipped but counted', async () => {
    const text = `${CSV_HEADER}\n\n${toCsv([item(1)]).split('\n')[1]}\n\n,,,,,,,\nS,x,,,1.5,standard,,false\n`;
    const e = await failure(await tmp.write('blank.csv', text));
    expect(e.message).toBe('blank.csv line 6: unit_price: expected a non-negative integer (minor units), got "1.5"');
  });
});

describe('validation errors name file, line/index, field and reason', () => {
  /** A CSV whose line 17 is `row` (header on line 1, 15 good rows). */
  async function csvWithLine17(row: string): Promise<KioskError> {
    const good = Array.from({ length: 15 }, (_, i) => item(i + 1));
    const lines = toCsv(good).trimEnd().split('\n');
    return failure(await tmp.write('prices.csv', [...lines, row].join('\n') + '\n'));
  }

  test.each([
    ['S,690,a,b,12.5,standard,,false', 'unit_price: expected a non-negative integer (minor units), got "12.5"'],
    ['S,690,a,b,-1,standard,,false', 'unit_price: expected a non-negative integer (minor units), got "-1"'],
    ['S,690,a,b,,standard,,false', 'unit_price: expected a non-negative integer (minor units), got ""'],
    ['S,690,a,b,99999999999999999999,standard,,false', 'unit_price: expected a non-negative integer (minor units), got "99999999999999999999"'],
    [',690,a,b,1,standard,,false', 'sku: expected a non-empty string without leading or trailing whitespace, got ""'],
    ['S,,a,b,1,standard,,false', 'barcodes: expected a non-empty list of barcodes, got []'],
    ['S,690|69-1,a,b,1,standard,,false', 'barcodes: expected letters and digits only, got "69-1"'],
    ['S,690|,a,b,1,standard,,false', 'barcodes: expected letters and digits only, got ""'],
    ['S,690,, ,1,standard,,false', 'name_*: expected at least one name, got {}'],
    ['S,690,a,b,1,,,false', 'tax_class: expected a non-empty string without leading or trailing whitespace, got ""'],
    ['S,690,a,b,1,standard,abc,false', 'age_limit: expected empty or an integer 0..99, got "abc"'],
    ['S,690,a,b,1,standard,100,false', 'age_limit: expected empty or an integer 0..99, got "100"'],
    ['S,690,a,b,1,standard,,maybe', 'sold_by_weight: expected true/false/1/0/yes/no, got "maybe"'],
    ['S,690,a,b,1,standard,,', 'sold_by_weight: expected true/false/1/0/yes/no, got ""'],
    ['S,690,a,b,1,standard,false', 'expected 8 fields, got 7'],
  ])('CSV line 17: %s', async (row, expected) => {
    const e = await csvWithLine17(row);
    expect(e.code).toBe('PRICEBOOK_INVALID');
    expect(e.message).toBe(`prices.csv line 17: ${expected}`);
    expect(e.details).toMatchObject({ line: 17 });
  });

  test('CSV line numbers count newlines inside quoted fields', async () => {
    const text = `${CSV_HEADER}\r\nS1,1,"多\r\n行\r\n名",a,1,standard,,false\r\nS2,2,b,b,x,standard,,false\r\n`;
    const e = await failure(await tmp.write('multi.csv', text));
    expect(e.message).toBe('multi.csv line 5: unit_price: expected a non-negative integer (minor units), got "x"');
  });

  test('CSV error deep in a large file reports the right line', async () => {
    const many = Array.from({ length: 20000 }, (_, i) => item(i + 1, { barcodes: [`B${i}`] }));
    const lines = toCsv(many).split('\n');
    lines[15000] = lines[15000].replace(',standard,', ',standard,x,').replace(/,,false$/, ',false'); // age_limit "x"
    const e = await failure(await tmp.write('large.csv', lines.join('\n')), 1000);
    expect(e.message).toBe('large.csv line 15001: age_limit: expected empty or an integer 0..99, got "x"');
  });

  test('malformed CSV quoting names the line', async () => {
    const e = await failure(await tmp.write('q.csv', `${CSV_HEADER}\nS1,1,a,b,1,standard,,false\nS2,2,"a"b,b,1,standard,,false\n`));
    expect(e.message).toMatch(/^q\.csv line 3: malformed CSV: Invalid Closing Quote/);
    const e2 = await failure(await tmp.write('q2.csv', `${CSV_HEADER}\nS1,1,"a,b,1,standard,,false\n`));
    expect(e2.message).toMatch(/^q2\.csv line 2: malformed CSV: Quote Not Closed/);
  });

  test('a stray quote inside an unquoted field (csv-parse 6: code INVALID_OPENING_QUOTE, no CSV_ prefix) is PRICEBOOK_INVALID with the line', async () => {
    const e = await failure(await tmp.write('stray.csv', `${CSV_HEADER}\nS1,1,a,b,1,standard,,false\nS2,2,a"b,b,1,standard,,false\n`));
    expect(e.message).toMatch(/^stray\.csv line 3: malformed CSV: Invalid Opening Quote/);
    expect(e.details).toMatchObject({ line: 3, csvCode: 'INVALID_OPENING_QUOTE' });
  });

  test.each([
    ['sku,barcodes,name_en,unit_price,tax_class,age_limit', 'line 1: header: missing column(s) sold_by_weight'],
    ['sku,barcodes,unit_price,tax_class,age_limit,sold_by_weight', 'line 1: header: expected at least one name_<locale> column, e.g. name_zh-CN'],
    [`${CSV_HEADER},price`, 'line 1: header: unknown column "price"'],
    [`${CSV_HEADER},sku`, 'line 1: header: duplicate column "sku"'],
    ['sku,barcodes,name_,unit_price,tax_class,age_limit,sold_by_weight', 'line 1: header: column "name_": expected name_<locale> such as name_zh-CN'],
  ])('CSV header %s', async (header, expected) => {
    const e = await failure(await tmp.write('h.csv', header + '\n'));
    expect(e.message).toBe(`h.csv ${expected}`);
  });

  test('empty CSV file', async () => {
    expect((await failure(await tmp.write('nothing.csv', ''))).message).toBe('nothing.csv: empty file: expected a header row');
  });

  test.each([
    [{ ...item(1), unitPrice: 12.5 }, 'unitPrice: expected a non-negative integer (minor units), got 12.5'],
    [{ ...item(1), unitPrice: '250' }, 'unitPrice: expected a non-negative integer (minor units), got "250"'],
    [{ ...item(1), unitPrice: 2 ** 60 }, `unitPrice: expected a non-negative integer (minor units), got ${2 ** 60}`],
    [{ ...item(1), unitPrice: undefined }, 'unitPrice: is required'],
    [{ ...item(1), sku: ' S1' }, 'sku: expected a non-empty string without leading or trailing whitespace, got " S1"'],
    [{ ...item(1), barcodes: [] }, 'barcodes: expected a non-empty list of barcodes, got []'],
    [{ ...item(1), barcodes: '690' }, 'barcodes: expected a non-empty list of barcodes, got "690"'],
    [{ ...item(1), barcodes: ['690', 'ab c'] }, 'barcodes[1]: expected letters and digits only, got "ab c"'],
    [{ ...item(1), names: {} }, 'names: expected at least one name, got {}'],
    [{ ...item(1), names: { en: '  ' } }, 'names.en: expected a non-blank string, got "  "'],
    [{ ...item(1), names: { 'zh CN': 'x' } }, 'names.zh CN: expected a locale tag such as "zh-CN" or "en", got "zh CN"'],
    [{ ...item(1), taxClass: '' }, 'taxClass: expected a non-empty string without leading or trailing whitespace, got ""'],
    [{ ...item(1), ageLimit: 100 }, 'ageLimit: expected null or an integer 0..99, got 100'],
    [{ ...item(1), ageLimit: undefined }, 'ageLimit: is required'],
    [{ ...item(1), soldByWeight: 'yes' }, 'soldByWeight: expected true or false, got "yes"'],
  ])('JSONL/JSON: %j', async (bad, expected) => {
    const lines = [item(2), item(3), bad].map((i) => JSON.stringify(i));
    const jl = await failure(await tmp.write('prices.jsonl', lines.join('\n') + '\n'));
    expect(jl.message).toBe(`prices.jsonl line 3: ${expected}`);
    expect(jl.details).toMatchObject({ line: 3 });
    const j = await failure(await tmp.write('prices.json', JSON.stringify({ items: [item(2), item(3), bad] })));
    expect(j.message).toBe(`prices.json item index 2: ${expected}`);
    expect(j.details).toMatchObject({ index: 2 });
  });

  test('JSONL: invalid JSON and non-objects', async () => {
    const e = await failure(await tmp.write('bad.jsonl', `${JSON.stringify(item(1))}\n{"sku":\n`));
    expect(e.message).toMatch(/^bad\.jsonl line 2: invalid JSON: /);
    const e2 = await failure(await tmp.write('arr.jsonl', '\uFEFF[1]\n'));
    expect(e2.message).toBe('arr.jsonl line 1: expected an object, got [1]');
  });

  test('JSON: not an item list', async () => {
    expect((await failure(await tmp.write('obj.json', '{"products":[]}'))).message).toBe(
      'obj.json: expected a JSON array of items or an object with an "items" array',
    );
    expect((await failure(await tmp.write('broken.json', '{'))).message).toMatch(/^broken\.json: invalid JSON: /);
  });

  test('JSON with BOM', async () => {
    expect(await readAll(await tmp.write('bom.json', '\uFEFF' + JSON.stringify([item(1)])))).toEqual([item(1)]);
  });
});

describe('duplicates', () => {
  test('duplicate SKU names both lines (CSV)', async () => {
    const p = await tmp.write('dup.csv', toCsv([item(1), item(2), item(3, { sku: item(1).sku })]));
    const e = await failure(p, 1);
    expect(e.message).toBe('dup.csv line 4: sku: duplicate SKU "SKU-000001", first at line 2');
    expect(e.details).toMatchObject({ line: 4, firstAt: 'line 2' });
  });

  test('duplicate barcode names both items (JSONL)', async () => {
    const text = [item(1), item(2), item(3, { barcodes: ['X1', item(2).barcodes[0]] })].map((i) => JSON.stringify(i)).join('\n');
    const e = await failure(await tmp.write('dup.jsonl', text));
    expect(e.message).toBe(`dup.jsonl line 3: barcodes: duplicate barcode "${item(2).barcodes[0]}", already used by SKU-000002 at line 2`);
  });

  test('duplicate SKU / barcode in JSON by item index', async () => {
    const e = await failure(await tmp.write('dup.json', JSON.stringify([item(1), item(2, { barcodes: item(1).barcodes })])));
    expect(e.message).toBe(`dup.json item index 1: barcodes: duplicate barcode "${item(1).barcodes[0]}", already used by SKU-000001 at item index 0`);
  });

  test('the same barcode twice in one item', async () => {
    const e = await failure(await tmp.write('twice.csv', `${CSV_HEADER}\nS,111|111,a,b,1,standard,,false\n`));
    expect(e.message).toBe('twice.csv line 2: barcodes: barcode "111" is listed twice');
  });

  test('duplicates across batch boundaries are caught', async () => {
    const items = [item(1), item(2), item(3), item(4), item(5, { sku: item(1).sku })];
    const e = await failure(await tmp.write('dup2.csv', toCsv(items)), 2);
    expect(e.message).toBe('dup2.csv line 6: sku: duplicate SKU "SKU-000001", first at line 2');
  });
});

test('priceItemSchema is exported and usable on its own', () => {
  expect(priceItemSchema.safeParse(item(1)).success).toBe(true);
  expect(priceItemSchema.safeParse({ ...item(1), soldByWeight: 1 }).success).toBe(false);
});

describe('customer-type prices (price_business, price_group; JSON typePrices)', () => {
  const typed = [
    item(1, { typePrices: { business: 90, group: 85 } }),
    item(2),
    item(3, { typePrices: { group: 250 } }),
    item(4, { soldByWeight: true, typePrices: { business: 1 } }),
  ];
  const header = `${CSV_HEADER},price_business,price_group`;

  test('CSV: blank cells are no price, filled ones become typePrices; an item without any has none', async () => {
    const p = await tmp.write('typed.csv', toCsv(typed));
    expect((await readFile(p, 'utf8')).split('\n')[0]).toBe(header);
    const read = await readAll(p);
    expect(read).toEqual(typed);
    expect('typePrices' in read[1]).toBe(false);
  });

  test('CSV: either column alone, in any position', async () => {
    const p = await tmp.write('group-only.csv', `price_group,${CSV_HEADER}\n77,S1,6901,a,b,100,standard,,false\n,S2,6902,c,d,200,standard,,false\n`);
    expect((await readAll(p)).map((i) => i.typePrices)).toEqual([{ group: 77 }, undefined]);
  });

  test('JSONL / JSON: typePrices read as given; {} means none', async () => {
    const text = typed.map((i) => JSON.stringify(i)).join('\n');
    expect(await readAll(await tmp.write('typed.jsonl', text))).toEqual(typed);
    expect(await readAll(await tmp.write('typed.json', JSON.stringify({ items: typed })))).toEqual(typed);
    const empty = await readAll(await tmp.write('empty-tp.jsonl', JSON.stringify({ ...item(9), typePrices: {} })));
    expect(empty).toEqual([item(9)]);
    expect('typePrices' in empty[0]).toBe(false);
  });

  test.each([
    ['S,690,a,b,100,standard,,false,12.5,', 'price_business: expected empty or a non-negative integer (minor units), got "12.5"'],
    ['S,690,a,b,100,standard,,false,,-3', 'price_group: expected empty or a non-negative integer (minor units), got "-3"'],
    ['S,690,a,b,100,standard,,false,,x', 'price_group: expected empty or a non-negative integer (minor units), got "x"'],
    ['S,690,a,b,100,standard,,false,99999999999999999999,', 'price_business: expected empty or a non-negative integer (minor units), got "99999999999999999999"'],
  ])('CSV line 3: %s', async (row, expected) => {
    const e = await failure(await tmp.write('bad-typed.csv', `${header}\nS0,6900,a,b,1,standard,,false,,\n${row}\n`));
    expect(e.message).toBe(`bad-typed.csv line 3: ${expected}`);
    expect(e.details).toMatchObject({ line: 3, field: expected.split(':')[0] });
  });

  test.each([
    [{ vip: 1 }, 'typePrices: expected an object of customer-type prices with only "business" and/or "group", got {"vip":1}'],
    [{ personal: 1 }, 'typePrices: expected an object of customer-type prices with only "business" and/or "group", got {"personal":1}'],
    ['90', 'typePrices: expected an object of customer-type prices with only "business" and/or "group", got "90"'],
    [{ business: 1.5 }, 'typePrices.business: expected a non-negative integer (minor units), got 1.5'],
    [{ group: -1 }, 'typePrices.group: expected a non-negative integer (minor units), got -1'],
  ])('JSONL: typePrices %j refused', async (typePrices, expected) => {
    const e = await failure(await tmp.write('bad-typed.jsonl', JSON.stringify(item(1)) + '\n' + JSON.stringify({ ...item(2), typePrices }) + '\n'));
    expect(e.message).toBe(`bad-typed.jsonl line 2: ${expected}`);
  });

  test('a price_<other> column is an unknown column', async () => {
    const e = await failure(await tmp.write('vip.csv', `${CSV_HEADER},price_vip\nS,690,a,b,1,standard,,false,3\n`));
    expect(e.message).toBe('vip.csv line 1: header: unknown column "price_vip"');
  });
});
