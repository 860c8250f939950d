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

  it('names every bad field, what was expected and what was given', () => {
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
        'tax.rate: expected number ≥ 0 and ≤ 1, got "7%"',
        'tax.mode: expected one of "inclusive", "exclusive", got "incl"',
        'currency.code: expected an ISO 4217 code such as "CNY", got "yuan"',
        'locales.default: expected one of "zh-CN", "en", got "fr"',
        'device.storeId: expected a store id (letters, digits, . _ -), got "../etc"',
        'timeouts.idlePromptMs: expected integer ≥ 1000, got 5',
        'bogus: unknown field',
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
    expect(p.join('\n')).toContain('promotions.0.kind: expected kind to be one of');
    expect(p).toContain('promotions.1.percent: expected number ≥ 0.01 and ≤ 100, got 150');
    expect(p).toContain('promotions.1.skus: expected at least one SKU, got []');
    expect(p).toContain('barcodes.memberCards.0.pattern: expected a member card pattern (a valid regular expression), got "(["');
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
});
