import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasValidCheckDigit } from '../../kernel/gs1-check-digit';
import { buildItems } from './items';
import { main, starterFiles } from './generate';

const here = __dirname;

test('the committed pricebook.json and promotions.json are byte for byte what the generator produces', () => {
  const files = starterFiles();
  const stale = Object.entries(files).filter(([name, text]) => fs.readFileSync(path.join(here, name), 'utf8') !== text).map(([name]) => name);
  expect(stale).toEqual([]);
});

test('every synthetic EAN-13 carries the GS1 check digit of kernel/gs1-check-digit; weighed items carry a 5-digit PLU', () => {
  const items = buildItems();
  const eans = items.filter((i) => !i.soldByWeight).flatMap((i) => i.barcodes);
  expect(eans.length).toBeGreaterThan(250);
  for (const code of eans) {
    expect(code).toMatch(/^69\d{11}$/);
    expect(hasValidCheckDigit(code)).toBe(true);
  }
  for (const i of items.filter((x) => x.soldByWeight)) expect(i.barcodes).toEqual([expect.stringMatching(/^[123]\d{4}$/)]);
});

describe('--check', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'starter-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('passes on the files it wrote and fails (exit code 1, names the file) when one was edited by hand', () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(main([], dir)).toBe(0);
      expect(main(['--check'], dir)).toBe(0);
      const file = path.join(dir, 'promotions.json');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"percent": 20', '"percent": 25'));
      expect(main(['--check'], dir)).toBe(1);
      expect(err.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringContaining('promotions.json is out of date')]);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });
});
