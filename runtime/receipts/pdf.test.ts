import * as fs from 'node:fs';
import { isKioskError } from '../../kernel/errors';
import { eodModel, renderEodPdf } from '../reports/eod-report';
import { CJK_FONT_CANDIDATES, resolveCjkFont } from './pdf-common';
import { expectValidPdf, extractRuns, extractText, fontNames, HAS_PDFTOTEXT, pageCount, pdftotext } from '../../test/support/pdf';
import { renderReceiptPdf } from './receipt-pdf';
import { receiptModel } from '../../protocol/receipts/receipt-model';
import { exampleOrder, HEADER, simpleOrder } from '../../test/support/test-orders';

// scripts/setup.js installs fonts-noto-cjk and poppler-utils before the tests: nothing here is skipped
const withFont = describe;
const withPdftotext = it;

it('the test machine has the CJK font and pdftotext (installed by scripts/setup.js)', () => {
  expect(CJK_FONT_CANDIDATES.some((c) => fs.existsSync(c.path))).toBe(true);
  expect(HAS_PDFTOTEXT).toBe(true);
});

describe('CJK font lookup', () => {
  it('fails clearly when no CJK font exists instead of rendering boxes', async () => {
    const model = receiptModel(exampleOrder(), HEADER, 'zh-CN');
    const missing = { fontCandidates: [{ path: '/nonexistent/NotoSansCJK-Regular.ttc' }] };
    await expect(renderReceiptPdf(model, missing)).rejects.toThrow('no CJK font found: apt-get install fonts-noto-cjk');
    await expect(renderEodPdf(eodModel([], { date: 'd', storeId: 's', deviceId: 'l' }), missing)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    let err: unknown;
    try {
      resolveCjkFont({ fontPath: '/nonexistent/font.ttf' });
    } catch (e) {
      err = e;
    }
    expect(isKioskError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toBe('no CJK font found: apt-get install fonts-noto-cjk');
  });

  it('takes the first candidate that exists, or an explicit path', () => {
    const dir = fs.mkdtempSync('/tmp/kiosk-font-');
    const file = `${dir}/x.ttf`;
    fs.writeFileSync(file, 'not really a font');
    try {
      expect(resolveCjkFont({ fontCandidates: [{ path: '/nonexistent.ttc' }, { path: file }] })).toEqual({ path: file, family: undefined });
      expect(resolveCjkFont({ fontPath: file })).toEqual({ path: file, family: undefined });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

withFont('receipt PDF', () => {
  const zh = receiptModel(exampleOrder(), HEADER, 'zh-CN');

  it('is a valid one-page 80 mm PDF with the CJK font embedded', async () => {
    const pdf = await renderReceiptPdf(zh);
    expectValidPdf(pdf);
    expect(pageCount(pdf)).toBe(1);
    expect(fontNames(pdf)).toEqual(['NotoSansCJKsc-Regular']);
    const box = /\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(pdf.toString('latin1'));
    expect(Number(box?.[1])).toBeCloseTo((80 * 72) / 25.4, 1);
  });

  it('contains store, receipt number, lines in Chinese, total, masked payment and the receipt id', async () => {
    const text = extractText(await renderReceiptPdf(zh, { compress: false })).join('\n');
    for (const s of [
      '鲜果超市 Fresh Mart',
      '单号 000017  2026-11-21 09:31:15',
      '可口可乐 330ml',
      '2 × ¥3.50',
      '0.750 kg × ¥12.00/kg',
      '可乐九折',
      '小计',
      '¥21.00',
      '合计',
      '¥20.30',
      '税 standard 13%',
      '付款 银行卡 621700******1234',
      '流水号 42  授权码 A1B2C3',
      '会员 M-88',
      '本单积分 +20',
      '收据编号: R000017',
      'kiosk:S001:lane-3:000017:ord-0001',
    ]) {
      expect(text).toContain(s);
    }
    expect(text).not.toContain('\uFFFD');
    expect(text).not.toContain('6217001234567891234');
  });

  it('renders the English model too', async () => {
    const text = extractText(await renderReceiptPdf(receiptModel(exampleOrder(), HEADER, 'en'), { compress: false })).join('\n');
    expect(text).toContain('Coca-Cola 330 ml');
    expect(text).toContain('Subtotal');
    expect(text).toContain('Paid Card 621700******1234');
  });

  it('breaks long receipts over A6 pages', async () => {
    const many = { ...zh, lines: Array.from({ length: 60 }, (_, i) => ({ ...zh.lines[0], lineId: `L${i}` })) };
    const pdf = await renderReceiptPdf(many, { page: 'A6' });
    expectValidPdf(pdf);
    expect(pageCount(pdf)).toBeGreaterThan(1);
    // roll paper stays one page however long
    expect(pageCount(await renderReceiptPdf(many))).toBe(1);
  });

  withPdftotext('pdftotext sees the store, receipt number, total and a Chinese item', async () => {
    const text = pdftotext(await renderReceiptPdf(zh));
    for (const s of ['鲜果超市', '000017', '¥20.30', '可口可乐']) expect(text).toContain(s);
  });
});

withFont('Z report PDF', () => {
  const orders = [exampleOrder(), simpleOrder('o2', 1000, 'completed', [{}]), simpleOrder('o5', 900, 'cancelled', [{ method: 'card', status: 'declined' }])];
  const opts = { date: '2026-11-21', storeId: 'S001', deviceId: 'lane-3' };

  it('is a valid PDF with the figures, difference in red when non-zero', async () => {
    const model = eodModel(orders, { ...opts, terminalTotals: { count: 2, amount: 2530 } });
    const plain = await renderEodPdf(model);
    expectValidPdf(plain);
    expect(pageCount(plain)).toBe(1);
    expect(fontNames(plain)).toEqual(['NotoSansCJKsc-Regular']);

    const runs = extractRuns(await renderEodPdf(model, { compress: false }));
    const text = runs.map((r) => r.text).join('\n');
    for (const s of ['日结报表 (Z)', '2026-11-21', 'S001 / lane-3', '销售 (2 笔)', '¥30.30', '取消/作废订单', '银行卡 (1 笔)', '现金 (1 笔)', '差额 (1 笔)']) {
      expect(text).toContain(s);
    }
    // attempts: 2 + 1 + 1 = 4, approved 2 → 50 %
    expect(text).toContain('50.0%');
    // the difference row (and only it) is red
    expect(runs.filter((r) => r.color === '1 0 0').map((r) => r.text)).toEqual(['¥5.00', '差额 (1 笔)']);
  });

  it('prints a zero difference in black and works in English', async () => {
    const model = eodModel(orders, { ...opts, locale: 'en', terminalTotals: { count: 1, amount: 2030 } });
    const runs = extractRuns(await renderEodPdf(model, { compress: false }));
    expect(runs.some((r) => r.color === '1 0 0')).toBe(false);
    const text = runs.map((r) => r.text).join('\n');
    expect(text).toContain('Difference (0 tx)');
    expect(text).toContain('Card reconciliation');
    expect(model.card.matches).toBe(true);
  });
});
