import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../kernel/errors';
import { envOverrides, loadConfig, merge, taxRates } from './load';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('config loading', () => {
  it('the defaults run out of the box', () => {
    const c = loadConfig({ env: {} });
    expect(c.currency).toEqual({ code: 'CNY', numeric: '156', minorUnits: 2 });
    expect(c.locales.available).toEqual(['zh-CN', 'en']);
    expect(c.promotions.length).toBeGreaterThan(5);
    expect(path.isAbsolute(c.dataDir)).toBe(true);
    expect(taxRates(c)).toEqual({ standard: 0.13, reduced: 0.09, zero: 0 });
  });

  it('KIOSK_* variables map to nested camelCase paths, JSON values parsed', () => {
    expect(envOverrides({ KIOSK_TAX__RATE: '0.07', KIOSK_DEVICE__STORE_ID: 'S-1', KIOSK_LOCALES__AVAILABLE: '["en"]', KIOSK_CONFIG: 'x', PATH: '/bin' })).toEqual({
      tax: { rate: 0.07 },
      device: { storeId: 'S-1' },
      locales: { available: ['en'] },
    });
    const c = loadConfig({ env: { KIOSK_TAX__RATE: '0.07', KIOSK_LOCALES__AVAILABLE: '["en"]', KIOSK_LOCALES__DEFAULT: 'en' } });
    expect(c.tax.rate).toBe(0.07);
    expect(c.locales).toEqual({ default: 'en', available: ['en'] });
  });

  it('precedence: defaults < file < environment < overrides', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-cfg-'));
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ device: { storeId: 'file', deviceId: 'file-lane' }, tax: { mode: 'exclusive' } }));
    const c = loadConfig({ configPath: file, env: { KIOSK_DEVICE__STORE_ID: 'env' }, overrides: { dataDir: dir } });
    expect(c.device).toMatchObject({ storeId: 'env', deviceId: 'file-lane' });
    expect(c.tax.mode).toBe('exclusive');
    expect(c.tax.rate).toBe(0.13); // untouched defaults stay
    expect(c.dataDir).toBe(dir);
    fs.rmSync(dir, { recursive: true });
  });

  it('arrays replace, objects merge', () => {
    expect(merge({ a: [1, 2], b: { c: 1, d: 2 } }, { a: [3], b: { d: 4 } })).toEqual({ a: [3], b: { c: 1, d: 4 } });
  });

  it('names every bad field, what was expected and what was given — and the KIOSK_* variable that set it', () => {
    const p = problems(() =>
      loadConfig({
        env: {
          KIOSK_TAX__RATE: '"7%"',
          KIOSK_TAX__MODE: 'incl',
          KIOSK_CURRENCY__CODE: 'yuan',
          KIOSK_LOCALES__DEFAULT: 'fr',
          KIOSK_DEVICE__STORE_ID: '../etc',
          KIOSK_TIMEOUTS__IDLE_PROMPT_MS: '5',
          KIOSK_BOGUS: '1',
        },
      }),
    );
    expect(p).toEqual(
      expect.arrayContaining([
        'KIOSK_TAX__RATE: tax.rate: expected number ≥ 0 and ≤ 1, got "7%"',
        'KIOSK_TAX__MODE: tax.mode: expected one of "inclusive", "exclusive", got "incl"',
        'KIOSK_CURRENCY__CODE: currency.code: expected an ISO 4217 code such as "CNY", got "yuan"',
        'KIOSK_LOCALES__DEFAULT: locales.default: expected one of "zh-CN", "en", got "fr"',
        'KIOSK_DEVICE__STORE_ID: device.storeId: expected a store id (letters, digits, . _ -), got "../etc"',
        'KIOSK_TIMEOUTS__IDLE_PROMPT_MS: timeouts.idlePromptMs: expected integer ≥ 1000, got 5',
        'KIOSK_BOGUS: unknown setting (it would set "bogus", which is no config field; KIOSK_A__B_C sets a.bC)',
      ]),
    );
  });

  it('promotions and barcode rules are validated too', () => {
    const p = problems(() =>
      loadConfig({
        env: {
          KIOSK_PROMOTIONS: JSON.stringify([{ id: 'x', kind: 'half_price', label: {}, skus: ['A'] }, { id: 'y', kind: 'percent_off', label: {}, skus: [], percent: 150 }]),
          KIOSK_BARCODES__MEMBER_CARDS: JSON.stringify([{ name: 'card', pattern: '([' }]),
        },
      }),
    );
    expect(p.join('\n')).toContain('KIOSK_PROMOTIONS: promotions.0.kind: expected kind to be one of');
    expect(p).toContain('KIOSK_PROMOTIONS: promotions.1.percent: expected number ≥ 0.01 and ≤ 100, got 150');
    expect(p).toContain('KIOSK_PROMOTIONS: promotions.1.skus: expected at least one SKU, got []');
    expect(p).toContain('KIOSK_BARCODES__MEMBER_CARDS: barcodes.memberCards.0.pattern: expected a member card pattern (a valid regular expression), got "(["');
    // customer types of a promotion: known ones, at least one when present; "points" is the redeemed points' discount
    const promo = { kind: 'percent_off', label: {}, skus: ['A'], percent: 5 };
    const t = problems(() =>
      loadConfig({
        env: {
          KIOSK_PROMOTIONS: JSON.stringify([
            { ...promo, id: 'a', customerTypes: ['business', 'vip'] },
            { ...promo, id: 'b', customerTypes: [] },
            { ...promo, id: 'c', customerTypes: 'business' },
            { ...promo, id: 'points' },
          ]),
        },
      }),
    );
    expect(t).toEqual([
      'KIOSK_PROMOTIONS: promotions.0.customerTypes.1: expected one of "personal", "business", "group", got "vip"',
      'KIOSK_PROMOTIONS: promotions.1.customerTypes: expected at least one customer type (leave customerTypes out for every type), got []',
      'KIOSK_PROMOTIONS: promotions.2.customerTypes: expected a list of customer types ("personal", "business", "group"), got "business"',
      'KIOSK_PROMOTIONS: promotions.3.id: expected a promotion id other than "points" (the discount of redeemed points), got "points"',
    ]);
    const ok = loadConfig({ env: { KIOSK_PROMOTIONS: JSON.stringify([{ ...promo, id: 'biz', customerTypes: ['business', 'group'] }]) } });
    expect(ok.promotions[0]).toMatchObject({ id: 'biz', customerTypes: ['business', 'group'] });
    // rules that are well-formed but contradictory are caught by the barcode module's own check
    const q = problems(() =>
      loadConfig({
        env: {
          KIOSK_BARCODES__IN_STORE: JSON.stringify([
            { prefix: '2', layout: 'PIIIIIVVVVVVC', value: 'price' },
            { prefix: '21', layout: 'PPIIIIIVVVVVC', value: 'price' },
          ]),
        },
      }),
    );
    expect(q.join('\n')).toMatch(/barcodes\.inStore\[1\]: unreachable/);
  });

  describe('issue 13: errors name what the technician typed', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-load-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('KIOSK_FOO=1: "KIOSK_FOO: unknown setting", not the config path "foo"', () => {
      expect(problems(() => loadConfig({ env: { KIOSK_FOO: '1' } }))).toEqual([
        'KIOSK_FOO: unknown setting (it would set "foo", which is no config field; KIOSK_A__B_C sets a.bC)',
      ]);
    });

    it('an unknown field inside a JSON variable names the variable and the field; the same mistake in the file names the field', () => {
      const file = path.join(dir, 'kiosk.json');
      fs.writeFileSync(file, JSON.stringify({ screen: { prot: 1 } }));
      const p = problems(() => loadConfig({ configPath: file, env: { KIOSK_TAX: '{"rat": 0.1}' } }));
      expect(p).toEqual(expect.arrayContaining(['KIOSK_TAX: tax.rat: unknown field', 'screen.prot: unknown field']));
      expect(p).toHaveLength(2);
    });

    it('a bad value the config file set under an object a variable also set is the file\'s, not the variable\'s', () => {
      const file = path.join(dir, 'kiosk.json');
      fs.writeFileSync(file, JSON.stringify({ tax: { mode: 'incl' } }));
      expect(problems(() => loadConfig({ configPath: file, env: { KIOSK_TAX: '{"rate": 0.1}' } }))).toEqual(['tax.mode: expected one of "inclusive", "exclusive", got "incl"']);
    });

    it('--data overrides a bad KIOSK_DATA_DIR: nothing to report; an empty --config is refused', () => {
      expect(loadConfig({ env: { KIOSK_DATA_DIR: '' }, overrides: { dataDir: dir } }).dataDir).toBe(dir);
      expect(problems(() => loadConfig({ env: {}, configPath: '' }))).toEqual(['--config: expected a file path, got an empty string']);
      // an empty KIOSK_CONFIG is as good as unset
      expect(loadConfig({ env: { KIOSK_CONFIG: '' } }).currency.code).toBe('CNY');
    });

    it('a config file starting with a UTF-8 byte order mark is read', () => {
      const file = path.join(dir, 'kiosk.json');
      fs.writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ tax: { rate: 0.07 } }))]));
      expect(loadConfig({ configPath: file, env: {} }).tax.rate).toBe(0.07);
    });

    it('KIOSK_LOG_FORMAT is the logger\'s, not a config path', () => {
      expect(() => loadConfig({ env: { KIOSK_LOG_FORMAT: 'json', KIOSK_LOG_LEVEL: 'debug' } })).not.toThrow();
    });
  });
});
