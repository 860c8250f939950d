/** Issue 11 point 12: a price-book CSV with a stray quote, imported by a technician with the real `kiosk` CLI. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kiosk } from './support/cli';
import { tempDir } from './support/engine-fixture';

describe('kiosk pricebook import of a CSV with a stray quote', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('kiosk-csv-cli-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exits 1 with PRICEBOOK_INVALID naming file and line, no stack trace, and the book in force unchanged', () => {
    const header = 'sku,barcodes,name_en,unit_price,tax_class,age_limit,sold_by_weight\n';
    const good = path.join(dir, 'good.csv');
    fs.writeFileSync(good, `${header}X1,6901234567892,Milk,650,reduced,,false\n`);
    expect(kiosk(['pricebook', 'import', good, '--data', dir]).code).toBe(0);

    const stray = path.join(dir, 'stray.csv');
    fs.writeFileSync(stray, `${header}Y1,6901234567892,Milk,650,reduced,,false\nY2,6909876543212,Beer 12"oz,800,standard,18,false\n`);
    const r = kiosk(['pricebook', 'import', stray, '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stray\.csv line 3: malformed CSV: Invalid Opening Quote/);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack frames
    expect(r.stderr).not.toMatch(/CsvError|node_modules/);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
    expect(JSON.parse(kiosk(['barcode', 'parse', '6901234567892', '--data', dir, '--json']).stdout).item).toMatchObject({ found: true, sku: 'X1' });
  });
});
