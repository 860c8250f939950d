/**
 * No card number is ever stored or logged: after card and QR sales through the simulated terminal and gateway,
 * every text value in the database, the journal payloads, the gateway's files and the kiosk's own output and logs
 * is scanned for Luhn-valid 13–19 digit numbers. (Numbers stored as numbers — timestamps, amounts — are not text.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kiosk } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { withRawDb } from './support/sqlite';

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Fields that hold product codes (GTIN-13/14 pass Luhn by chance one time in ten). */
const PRODUCT_CODE_KEYS = new Set(['barcode', 'barcodes', 'gtin', 'gtin14', 'lookupKey']);

function pansIn(text: string): string[] {
  return (text.match(/(?<!\d)\d{13,19}(?!\d)/g) ?? []).filter(luhnValid);
}

/** Every string in a JSON value, except under product-code keys. */
function strings(v: unknown, out: string[] = [], key = ''): string[] {
  if (PRODUCT_CODE_KEYS.has(key)) return out;
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) strings(x, out, k);
  return out;
}

describe('no card number (PAN) anywhere', () => {
  it('luhnValid knows real test card numbers', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('378282246310005')).toBe(true);
    expect(luhnValid('6011111111111117')).toBe(true);
    expect(pansIn('paid with 4111111111111111 at 1795312049656')).toEqual(['4111111111111111']);
    expect(strings({ barcode: '4111111111111111', ref: { pan: '4111111111111111' } })).toEqual(['4111111111111111']);
    expect(luhnValid('4111111111111112')).toBe(false);
  });

  it('database, journal, gateway files and output/logs hold no Luhn-valid 13–19 digit number after card and QR sales', async () => {
    const dir = tempDir('kiosk-pan-');
    const outputs: string[] = [];
    for (const pay of ['card', 'qr', 'card']) {
      const r = kiosk(['demo', '--data', dir, '--json', '--pay', pay], { env: { KIOSK_LOG_LEVEL: 'debug' } });
      expect(r.code).toBe(0);
      outputs.push(r.stdout, r.stderr);
    }
    const found: string[] = [];
    for (const o of outputs) found.push(...pansIn(o).map((p) => `output: ${p}`));
    await withRawDb(path.join(dir, 'kiosk.sqlite'), async ({ all }) => {
      const tables = (await all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('items', 'item_barcodes')")).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['orders', 'journal', 'outbox', 'payment_attempts']));
      for (const t of tables) {
        for (const row of await all<Record<string, unknown>>(`SELECT * FROM ${t}`)) {
          for (const [col, v] of Object.entries(row)) {
            if (typeof v !== 'string' || col === 'hash' || col === 'prev_hash') continue;
            let parsed: unknown = v;
            try {
              parsed = JSON.parse(v);
            } catch {
              /* plain text */
            }
            for (const s of strings(parsed)) found.push(...pansIn(s).map((p) => `${t}.${col}: ${p}`));
          }
        }
      }
      // the card sales really carried masked card data, so the scan looked where a PAN would be
      const refs = await all<{ reference: string }>("SELECT reference FROM payment_attempts WHERE method = 'card' AND state = 'approved'");
      expect(refs.length).toBe(2);
      for (const r of refs) expect(JSON.parse(r.reference).maskedPan).toMatch(/^\d{0,6}\*+\d{4}$/);
    });
    const gw = path.join(dir, 'sim-gateway', 'ledger.json');
    for (const s of strings(JSON.parse(fs.readFileSync(gw, 'utf8')))) found.push(...pansIn(s).map((p) => `gateway ledger: ${p}`));
    expect(found).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
