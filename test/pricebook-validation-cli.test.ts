/** Issue 13: `kiosk pricebook import` refuses an invalid book whole, listing every bad row by line, exit 1. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kiosk } from './support/cli';
import { tempDir } from './support/engine-fixture';

describe('kiosk pricebook import validation', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('kiosk-pb-validate-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints every problem with its line (unknown tax class, negative price, duplicates, bad age), exit 1, book unchanged', () => {
    const header = 'sku,barcodes,name_en,unit_price,tax_class,age_limit,sold_by_weight\n';
    const good = path.join(dir, 'good.csv');
    fs.writeFileSync(good, `${header}X1,6901234567892,Milk,650,reduced,,false\n`);
    expect(kiosk(['pricebook', 'import', good, '--data', dir]).code).toBe(0);

    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(
      bad,
      header +
        'Y1,6909876543212,Beer,800,luxury,18,false\n' + // line 2: tax class not configured
        'Y2,6901111111116,Bread,-5,standard,,false\n' + // line 3: negative price
        'Y3,6909876543212,Wine,900,standard,18,false\n' + // line 4: barcode of line 2
        'Y1,6902222222221,Eggs,300,standard,,false\n' + // line 5: SKU of line 2
        'Y5,6903333333336,Gin,1500,standard,150,false\n', // line 6: age limit > 99
    );
    const r = kiosk(['pricebook', 'import', bad, '--data', dir]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe('kiosk: PRICEBOOK_INVALID: bad.csv: 5 invalid rows:');
    expect(lines.slice(1).map((l) => l.trim().replace(/^(line \d+: [a-z_]+):.*$/, '$1'))).toEqual([
      'line 2: tax_class',
      'line 3: unit_price',
      'line 4: barcodes',
      'line 5: sku',
      'line 6: age_limit',
    ]);
    expect(r.stderr).toContain('unknown tax class "luxury" (configured: ');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    // nothing changed: the old book answers, none of the new rows does
    expect(JSON.parse(kiosk(['barcode', 'parse', '6901234567892', '--data', dir, '--json']).stdout).item).toMatchObject({ found: true, sku: 'X1' });
    expect(JSON.parse(kiosk(['barcode', 'parse', '6909876543212', '--data', dir, '--json']).stdout).item).toMatchObject({ found: false });
  });

  it('a book whose only fault is a repeated SKU or barcode is refused naming both lines (read without the key index first, then again)', () => {
    const header = 'sku,barcodes,name_en,unit_price,tax_class,age_limit,sold_by_weight\n';
    const sku = path.join(dir, 'dup-sku.csv');
    fs.writeFileSync(sku, `${header}Z1,6901234567892,Milk,650,standard,,false\nZ2,6909876543212,Tea,300,standard,,false\nZ1,6901111111116,Bread,250,standard,,false\n`);
    const r1 = kiosk(['pricebook', 'import', sku, '--data', dir]);
    expect(r1.code).toBe(1);
    expect(r1.stderr.trim()).toBe('kiosk: PRICEBOOK_INVALID: dup-sku.csv line 4: sku: duplicate SKU "Z1", first at line 2');
    const code = path.join(dir, 'dup-barcode.csv');
    fs.writeFileSync(code, `${header}Z1,6901234567892,Milk,650,standard,,false\nZ2,6901234567892,Tea,300,standard,,false\n`);
    const r2 = kiosk(['pricebook', 'import', code, '--data', dir]);
    expect(r2.code).toBe(1);
    expect(r2.stderr.trim()).toBe('kiosk: PRICEBOOK_INVALID: dup-barcode.csv line 3: barcodes: duplicate barcode "6901234567892", already used by Z1 at line 2');
    // nothing was switched in: a fresh kiosk's book does not know Z2
    expect(JSON.parse(kiosk(['barcode', 'parse', '6909876543212', '--data', dir, '--json']).stdout).item).toMatchObject({ found: false });
  });
});
