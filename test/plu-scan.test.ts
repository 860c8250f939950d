/** A bare PLU read on its own (the produce code, not the scale label), as `kiosk barcode parse` explains it. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kiosk } from './support/cli';
import { tempDir } from './support/engine-fixture';

describe('kiosk barcode parse: a bare PLU', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('kiosk-plu-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names the weighed item and says to weigh it (exit 1: the lane refuses it with "please weigh this item")', () => {
    const book = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'config', 'starter', 'pricebook.json'), 'utf8'));
    const weighed = book.items.find((i: { barcodes: string[]; soldByWeight: boolean }) => i.soldByWeight && /^\d{4,5}$/.test(i.barcodes[0]));
    const r = kiosk(['barcode', 'parse', weighed.barcodes[0], '--data', dir, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, kind: 'other', item: { found: true, sku: weighed.sku, problem: expect.stringMatching(/sold by weight; scan its scale label/) } });
    const text = kiosk(['barcode', 'parse', weighed.barcodes[0], '--data', dir]);
    expect(text.stdout).toContain(`item: ${weighed.sku}`);
    expect(text.stdout).toMatch(/problem: .*scale label/);
  });
});
