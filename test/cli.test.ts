/** The `kiosk` CLI as a technician uses it: real processes, real files. */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exited, kiosk, kioskAsync, killStrays, watchLines } from './support/cli';
import { gtinCheckDigit } from '../runtime/barcodes';
import { engineFixture, line, tempDir } from './support/engine-fixture';

describe('kiosk CLI', () => {
  afterEach(killStrays);

  let dir: string;
  beforeEach(() => {
    dir = tempDir('kiosk-cli-');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('start: prints ready, resumes the open order, and on SIGTERM exits 0 with the WAL checkpointed', async () => {
    const child = kioskAsync(['start', '--data', dir]);
    let ready = '';
    await watchLines(child, (l) => {
      if (l.startsWith('ready ')) ready = l;
      return !!ready;
    });
    expect(ready).toMatch(/^ready store=store-001 device=lane-01 db=\S+kiosk\.sqlite items=\d{3} open-order=none lane=in-service simulated=\S+ listening=control=127\.0\.0\.1:\d+,mqtt=127\.0\.0\.1:\d+,screen=127\.0\.0\.1:\d+,health=127\.0\.0\.1:\d+ hq=embedded$/);
    await new Promise((r) => setTimeout(r, 700));
    expect(child.exitCode).toBeNull(); // still running: it only stops when told to
    child.kill('SIGTERM');
    const end = await exited(child);
    expect(end.code).toBe(0);
    const wal = path.join(dir, 'kiosk.sqlite-wal');
    expect(!fs.existsSync(wal) || fs.statSync(wal).size === 0).toBe(true);
  });

  it('start: resumes an open order, and settles a payment that was in flight before anything else', async () => {
    const f = await engineFixture({ dir });
    let o = await f.engine.dispatch(null, { type: 'item_added', line: line('A', 500) });
    o = await f.engine.dispatch(o.id, { type: 'checkout_started' });
    o = await f.engine.dispatch(o.id, { type: 'payment_started', attemptId: 'att-1', method: 'cash', amount: 500 });
    o = await f.engine.dispatch(o.id, { type: 'payment_sent', attemptId: 'att-1' }); // it reached the attendant
    await f.close();
    const child = kioskAsync(['start', '--data', dir]);
    let ready = '';
    await watchLines(child, (l) => !!(ready = l.startsWith('ready ') ? l : ready));
    // cash cannot be looked up, so the order waits in payment_unknown for the attendant — never back to "pay again"
    expect(ready).toContain(`open-order=${o.id}:payment_unknown`);
    child.kill('SIGINT');
    expect((await exited(child)).code).toBe(0);
    // only the attendant can settle it, and the decision is journaled with who made it
    expect(kiosk(['payments', 'decide', o.id, 'declined', '--data', dir])).toMatchObject({ code: 2, stderr: expect.stringContaining('--attendant') });
    const decided = kiosk(['payments', 'decide', o.id, 'declined', '--attendant', 'att-2', '--json', '--data', dir]);
    expect({ code: decided.code, stderr: decided.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(decided.stdout)).toMatchObject({ orderId: o.id, state: 'awaiting_payment', paid: 0 });
    const shown = JSON.parse(kiosk(['orders', 'show', o.id, '--json', '--data', dir]).stdout) as { payments: { status: string }[] };
    expect(shown.payments[0].status).toBe('declined');
  });

  it('demo --json: a completed order with promotion, weighed and age-restricted lines, and its journal range', () => {
    const r = kiosk(['demo', '--data', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.state).toBe('completed');
    expect(o.receiptNo).toBe(1);
    expect(o.discounts.length).toBeGreaterThan(0);
    expect(o.lines.some((l: { weightGrams: number | null }) => l.weightGrams === 347)).toBe(true);
    expect(o.total).toBe(o.subtotal - o.discountTotal);
    expect(o.paid).toBe(o.total);
    expect(o.journal.lastSeq).toBeGreaterThan(o.journal.firstSeq);
    const show = kiosk(['orders', 'show', o.orderId, '--data', dir, '--json']);
    expect(JSON.parse(show.stdout).priced.total).toBe(o.total);
    const list = kiosk(['orders', 'list', '--data', dir]);
    expect(list.stdout).toContain(o.orderId);
    expect(list.stdout).toContain('completed');
  });

  it('demo --pay qr: pays with the shopper\'s code read by the scanner, through the signed gateway — one trade in its ledger', () => {
    const r = kiosk(['demo', '--data', dir, '--json', '--pay', 'qr']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.state).toBe('completed');
    expect(o.payments).toMatchObject([{ method: 'qr', status: 'approved', approvedAmount: o.total }]);
    expect(o.receiptText).toContain('付款 支付宝'); // the wallet the code belonged to
    const ledger = JSON.parse(fs.readFileSync(path.join(dir, 'sim-gateway', 'ledger.json'), 'utf8'));
    const trades = (Array.isArray(ledger) ? ledger : (ledger.trades ?? Object.values(ledger))) as { outTradeNo?: string; status?: string; totalAmount?: number }[];
    const mine = trades.filter((t) => JSON.stringify(t).includes(o.payments[0].attemptId));
    expect(mine).toHaveLength(1);
    // the payment code itself is a bearer credential: it is not in the order, the journal or the output
    expect(r.stdout).not.toContain('281234567890123456');
    expect(fs.readFileSync(path.join(dir, 'kiosk.sqlite')).includes(Buffer.from('281234567890123456'))).toBe(false);
    expect(kiosk(['demo', '--data', dir, '--pay', 'bitcoin']).code).toBe(2);
  });

  it('demo --pay wechat|unionpay|alipay: each wallet\'s code is told by its prefix and goes to that wallet only; the receipt names the wallet', () => {
    const ledgers = { alipay: 'sim-gateway', wechat: 'sim-wechat', unionpay: 'sim-unionpay' } as const;
    const labels = { alipay: '支付宝', wechat: '微信支付', unionpay: '云闪付' } as const;
    const codes = { alipay: '281234567890123456', wechat: '134567890123456789', unionpay: '6223456789012345678' } as const;
    for (const wallet of ['wechat', 'unionpay', 'alipay'] as const) {
      const r = kiosk(['demo', '--data', dir, '--json', '--pay', wallet]);
      expect({ wallet, code: r.code, stderr: r.stderr }).toEqual({ wallet, code: 0, stderr: '' });
      const o = JSON.parse(r.stdout);
      expect(o.payments).toMatchObject([{ method: 'qr', status: 'approved', approvedAmount: o.total, context: { channel: wallet }, reference: { channel: wallet } }]);
      expect(o.receiptText).toContain(`付款 ${labels[wallet]}`);
      const orderNo = String(o.payments[0].reference.outTradeNo);
      for (const [other, folder] of Object.entries(ledgers)) {
        const file = path.join(dir, folder, 'ledger.json');
        const has = fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(orderNo);
        expect([other, has]).toEqual([other, other === wallet]);
      }
      expect(r.stdout).not.toContain(codes[wallet]);
      expect(fs.readFileSync(path.join(dir, 'kiosk.sqlite')).includes(Buffer.from(codes[wallet]))).toBe(false);
    }
  });

  it('receipt pdf and report eod write PDFs a reader can read (pdftotext)', () => {
    const sold = JSON.parse(kiosk(['demo', '--data', dir, '--json', '--count', '1']).stdout);
    const r = kiosk(['receipt', 'pdf', sold.orderId, '--data', dir, '--locale', 'en']);
    expect(r.code).toBe(0);
    const file = r.stdout.trim().replace(/^wrote /, '');
    const text = spawnSync('pdftotext', [file, '-'], { encoding: 'utf8' }).stdout;
    expect(text).toContain('Self-checkout 1');
    expect(text).toContain(`¥${(sold.total / 100).toFixed(2)}`);
    expect(text).toContain(sold.lines[0].name.en); // item names in the receipt's language
    expect(text).not.toMatch(/\d{13,19}/); // no card number, masked or not, longer than the mask
    const eod = kiosk(['report', 'eod', '--data', dir, '--date', new Date().toISOString().slice(0, 10), '--json']);
    expect(eod.code).toBe(0);
    const rep = JSON.parse(eod.stdout.slice(eod.stdout.indexOf('{')));
    expect(spawnSync('pdftotext', [rep.file, '-'], { encoding: 'utf8' }).stdout).toContain('store-001');
    expect(kiosk(['report', 'eod', '--data', dir, '--date', 'yesterday']).code).toBe(2);
    expect(kiosk(['receipt', 'pdf', 'no-such-order', '--data', dir]).code).toBe(1);
  });

  it('doctor: an unreachable QR gateway is a warning (cards still sell), named as such', () => {
    const k = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(path.join(dir, 'm.pem'), k.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    fs.writeFileSync(path.join(dir, 'g.pem'), k.publicKey.export({ type: 'spki', format: 'pem' }));
    const gateway = { transport: 'http', url: 'http://127.0.0.1:9/gateway', appId: 'x', merchantKeyPath: path.join(dir, 'm.pem'), gatewayPublicKeyPath: path.join(dir, 'g.pem') };
    const r = kiosk(['doctor', '--data', dir], { env: { KIOSK_PAYMENTS__GATEWAY: JSON.stringify(gateway) } });
    expect(r.stdout).toMatch(/WARN\s+qr alipay external .*unreachable or unverifiable: alipay payments fail until it answers/);
    expect(r.stdout).toContain('doctor: all required checks passed');
    expect(r.code).toBe(0);
  });

  it('a bad config fails at start naming the field and why, exit 2', () => {
    const cfg = path.join(dir, 'bad.json');
    fs.writeFileSync(cfg, JSON.stringify({ tax: { rate: '7%' }, currency: { minorUnits: 9 }, tpyo: 1 }));
    const r = kiosk(['start', '--data', dir, '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('tax.rate: expected number ≥ 0 and ≤ 1, got "7%"');
    expect(r.stderr).toContain('currency.minorUnits: expected integer ≥ 0 and ≤ 4, got 9');
    expect(r.stderr).toContain('tpyo: unknown field');
    expect(fs.existsSync(path.join(dir, 'kiosk.sqlite'))).toBe(false);
  });

  it('KIOSK_* environment variables override the config file', () => {
    const cfg = path.join(dir, 'c.json');
    fs.writeFileSync(cfg, JSON.stringify({ device: { storeId: 'from-file' } }));
    const r = kiosk(['demo', '--data', dir, '--config', cfg, '--json'], { env: { KIOSK_TAX__MODE: 'exclusive', KIOSK_DEVICE__STORE_ID: 'S-42' } });
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.total).toBe(o.subtotal - o.discountTotal + o.taxTotal);
    const bad = kiosk(['demo', '--data', dir], { env: { KIOSK_TIMEOUTS__IDLE_PROMPT_MS: 'soon' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('timeouts.idlePromptMs: expected integer ≥ 1000, got "soon"');
  });

  it('an unreadable or non-JSON config file is a clear exit 2', () => {
    const cfg = path.join(dir, 'broken.json');
    fs.writeFileSync(cfg, '{ "tax": ');
    const r = kiosk(['start', '--data', dir, '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('broken.json: not valid JSON');
    expect(kiosk(['start', '--data', dir, '--config', path.join(dir, 'missing.json')]).stderr).toContain('cannot read config file (ENOENT)');
  });

  it('barcode parse: found, unknown, bad check digit, in-store weight label, GS1, payment code redacted', () => {
    const book = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'config', 'starter', 'pricebook.json'), 'utf8'));
    const item = book.items.find((i: { barcodes: string[]; soldByWeight: boolean }) => !i.soldByWeight && i.barcodes[0].length === 13);
    const ok = kiosk(['barcode', 'parse', item.barcodes[0], '--data', dir, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, kind: 'gtin', lookupKey: item.barcodes[0], item: { found: true, sku: item.sku } });

    const bad = item.barcodes[0].slice(0, 12) + String((Number(item.barcodes[0][12]) + 1) % 10);
    const r = kiosk(['barcode', 'parse', bad, '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^rejected: BAD_CHECK_DIGIT: /);

    const unknown = kiosk(['barcode', 'parse', '4006381333931', '--data', dir, '--json']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).item.found).toBe(false);

    const gs1 = kiosk(['barcode', 'parse', ']C101095060001343521726123110ABC', '--data', dir, '--json']);
    expect(JSON.parse(gs1.stdout)).toMatchObject({ ok: true, kind: 'gs1', expiryDate: '2026-12-31', batch: 'ABC' });

    // GS1 Digital Link in a plain QR code (issue 16): what it carries is shown, and the GTIN is looked up
    const uri = `https://brand.example.com/p/01/0${item.barcodes[0]}/10/LOT1?17=991231&utm=qr`;
    const dl = kiosk(['barcode', 'parse', `]Q1${uri}`, '--data', dir]);
    expect(dl.stdout).toContain('symbology: GS1 Digital Link (QR Code) (]Q1)');
    expect(dl.stdout).toContain('kind: gs1');
    expect(dl.stdout).toContain(`digitalLink: {"uri":"${uri}","domain":"brand.example.com","pathPrefix":"/p"}`);
    expect(dl.stdout).toContain('(10) BATCH/LOT: LOT1');
    expect(dl.stdout).toContain('warning: GS1 Digital Link query parameter "utm=qr" is not an AI; ignored');
    expect(dl.stdout).toContain(`item: ${item.sku}`);
    expect(JSON.parse(kiosk(['barcode', 'parse', `]Q1${uri}`, '--data', dir, '--json']).stdout)).toMatchObject({
      kind: 'gs1', expiryDate: '2099-12-31', batch: 'LOT1', digitalLink: { domain: 'brand.example.com' }, item: { found: true, sku: item.sku },
    });

    const weighed = book.items.find((i: { soldByWeight: boolean }) => i.soldByWeight);
    const body = `22${weighed.barcodes[0]}00347`;
    const label = kiosk(['barcode', 'parse', body + gtinCheckDigit(body), '--data', dir, '--json']);
    expect(label.code).toBe(0);
    expect(JSON.parse(label.stdout)).toMatchObject({ kind: 'in_store', weightGrams: 347, item: { found: true, sku: weighed.sku } });

    const pay = kiosk(['barcode', 'parse', '281234567890123456', '--data', dir, '--json']);
    expect(pay.stdout).not.toContain('281234567890123456');
    expect(JSON.parse(pay.stdout)).toMatchObject({ kind: 'payment_code', paymentChannel: 'alipay' });
  });

  it('pricebook import: replaces the book in one transaction; a bad file changes nothing', () => {
    const csv = path.join(dir, 'book.csv');
    fs.writeFileSync(
      csv,
      'sku,barcodes,name_zh-CN,name_en,unit_price,tax_class,age_limit,sold_by_weight\n' +
        'X1,6901234567892,"牛奶, 全脂",Whole milk,650,reduced,,false\n' +
        'X2,6909876543212|6909876543229,啤酒,Beer,800,standard,18,false\n',
    );
    const r = kiosk(['pricebook', 'import', csv, '--data', dir, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ items: 2, barcodes: 3 });
    expect(JSON.parse(kiosk(['barcode', 'parse', '6909876543229', '--data', dir, '--json']).stdout).item).toMatchObject({ found: true, sku: 'X2' });

    const broken = path.join(dir, 'broken.csv');
    fs.writeFileSync(broken, 'sku,barcodes,name_en,unit_price,tax_class,age_limit,sold_by_weight\nY1,6901234567892,Milk,6.50,reduced,,false\n');
    const b = kiosk(['pricebook', 'import', broken, '--data', dir]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('broken.csv line 2: unit_price');
    // the earlier book is still in force
    expect(JSON.parse(kiosk(['barcode', 'parse', '6901234567892', '--data', dir, '--json']).stdout).item).toMatchObject({ found: true, sku: 'X1' });
    expect(kiosk(['journal', 'verify', '--data', dir]).code).toBe(0);
  });

  it('devices: enumerates buses on a machine without devices, exit 0, every found device with a stable id', () => {
    const r = kiosk(['devices', '--data', dir, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { devices: { id: string; bus: string }[]; missing: { module: string; fix: string }[] };
    expect(Array.isArray(out.devices)).toBe(true);
    for (const d of out.devices) expect(d.id).not.toMatch(/^[0-9a-f]{4}:[0-9a-f]{4}$/);
    for (const m of out.missing) expect(m.fix).toBeTruthy();
    expect(kiosk(['devices', '--data', dir]).code).toBe(0);
  });

  it('usage errors exit 2 and --help exits 0', () => {
    expect(kiosk(['frobnicate']).code).toBe(2);
    expect(kiosk(['--help']).code).toBe(0);
  });
});
