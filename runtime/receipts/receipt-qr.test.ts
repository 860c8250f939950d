import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { renderReceiptPdf } from './receipt-pdf';
import { receiptModel } from '../../protocol/receipts/receipt-model';
import { exampleOrder, HEADER } from '../../test/support/test-orders';

/** Rasterises page 1 of a PDF with poppler's pdftoppm (installed by scripts/setup.js) and decodes the QR in it. */
function decodeQr(pdf: Buffer): string | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-qr-'));
  try {
    fs.writeFileSync(path.join(dir, 'r.pdf'), pdf);
    execFileSync('pdftoppm', ['-png', '-r', '300', '-f', '1', '-l', '1', '-singlefile', path.join(dir, 'r.pdf'), path.join(dir, 'p')]);
    const png = PNG.sync.read(fs.readFileSync(path.join(dir, 'p.png')));
    return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('the e-receipt QR', () => {
  it.each(['zh-CN', 'en'] as const)('scanning the QR on the %s PDF gives the receipt id payload', async (locale) => {
    const model = receiptModel(exampleOrder(), HEADER, locale);
    expect(decodeQr(await renderReceiptPdf(model))).toBe(model.qrPayload);
  });

  it('survives an A6 page layout too', async () => {
    const model = receiptModel(exampleOrder(), HEADER, 'en');
    expect(decodeQr(await renderReceiptPdf(model, { page: 'A6' }))).toBe(model.qrPayload);
  });
});
