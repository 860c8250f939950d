import type QRCode from 'qrcode';
import { finish, MM, newDoc, type PdfFontOptions } from './pdf-common';
import { receiptRows, TRAINING_BANNER, type ReceiptModel, type ReceiptRow } from '../../protocol/receipts/receipt-model';

export interface ReceiptPdfOptions extends PdfFontOptions {
  /** 'roll80': 80 mm wide, as tall as the receipt (one page). 'A6': 105 × 148 mm, pages break as needed. */
  page?: 'roll80' | 'A6';
}

/** The QR's side on the page. */
const QR_SIDE = 28 * MM;

/** Draws `payload` as a QR code (error correction M, quiet zone included) with its top-left corner at x, y. */
function drawQr(qrcode: typeof QRCode, doc: PDFKit.PDFDocument, payload: string, x: number, y: number, side: number): void {
  const qr = qrcode.create(payload, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const cell = side / (n + 8); // 4 modules of quiet zone on each side
  doc.save().rect(x, y, side, side).fill('white');
  doc.fillColor('black');
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (qr.modules.get(r, c)) doc.rect(x + (c + 4) * cell, y + (r + 4) * cell, cell, cell);
  }
  doc.fill('black').restore();
}

const FONT = 8;
const TITLE = 13;
const TOTAL = 11;
const GAP = 2;

function rowHeight(doc: PDFKit.PDFDocument, r: ReceiptRow, width: number): number {
  switch (r.kind) {
    case 'rule':
      return 6;
    case 'title':
      return doc.fontSize(TITLE).heightOfString(r.text, { width }) + GAP;
    case 'pair': {
      const size = r.strong ? TOTAL : FONT;
      doc.fontSize(size);
      const rw = doc.widthOfString(r.right);
      return Math.max(doc.heightOfString(r.left, { width: width - rw - 6 }), doc.heightOfString(r.right, { width: rw + 1 })) + GAP;
    }
    default:
      return doc.fontSize(FONT).heightOfString(r.text, { width }) + GAP;
  }
}

function drawRow(doc: PDFKit.PDFDocument, r: ReceiptRow, x: number, width: number): void {
  const y = doc.y;
  switch (r.kind) {
    case 'rule':
      doc
        .moveTo(x, y + 3)
        .lineTo(x + width, y + 3)
        .lineWidth(0.5)
        .dash(2, { space: 2 })
        .stroke()
        .undash();
      doc.y = y + 6;
      return;
    case 'title':
      doc.fontSize(TITLE).text(r.text, x, y, { width, align: 'center' });
      break;
    case 'center':
      doc.fontSize(FONT).text(r.text, x, y, { width, align: 'center' });
      break;
    case 'text':
      doc.fontSize(FONT).text(r.text, x, y, { width });
      break;
    case 'pair': {
      doc.fontSize(r.strong ? TOTAL : FONT);
      const rw = doc.widthOfString(r.right);
      doc.text(r.right, x + width - rw, y, { width: rw + 1, lineBreak: false });
      doc.text(r.left, x, y, { width: width - rw - 6 });
      doc.y = Math.max(doc.y, y + doc.currentLineHeight());
      break;
    }
  }
  doc.y += GAP;
}

/** The e-receipt of a completed order as PDF, from the same model as the printed receipt. */
export async function renderReceiptPdf(model: ReceiptModel, opts: ReceiptPdfOptions = {}): Promise<Buffer> {
  const margin = 4 * MM;
  const pageWidth = opts.page === 'A6' ? 105 * MM : 80 * MM;
  const doc = await newDoc(opts);
  // qrcode, like pdfkit, is loaded with the first PDF, not at boot
  const { default: qrcode } = await import('qrcode');
  const width = pageWidth - 2 * margin;
  const rows = receiptRows(model);
  const footer: ReceiptRow[] = [
    { kind: 'rule' },
    { kind: 'center', text: `${model.labels.receiptId}: ${model.receiptId}` },
  ];
  const tail: ReceiptRow[] = [{ kind: 'center', text: model.qrPayload }];
  const all = [...rows, ...footer];
  if (opts.page !== 'A6') {
    // one page exactly as tall as the receipt: measure first, then size the page
    const height = [...all, ...tail].reduce((h, r) => h + rowHeight(doc, r, width), 0) + QR_SIDE + 2 * GAP + 2 * margin + 4;
    doc.addPage({ size: [pageWidth, Math.max(height, 60 * MM)], margin });
  } else {
    doc.addPage({ size: 'A6', margin });
  }
  doc.info.Title = `${model.training ? `${TRAINING_BANNER}: ` : ''}${model.storeName} ${model.labels.receipt} ${model.receiptNo}`;
  doc.info.Subject = model.qrPayload;
  const bottom = () => doc.page.height - margin;
  for (const r of all) {
    if (doc.y + rowHeight(doc, r, width) > bottom()) doc.addPage();
    drawRow(doc, r, margin, width);
  }
  // the QR of the receipt id: scanning it finds this receipt (the same payload the printed receipt carries)
  if (doc.y + QR_SIDE + GAP > bottom()) doc.addPage();
  drawQr(qrcode, doc, model.qrPayload, margin + (width - QR_SIDE) / 2, doc.y + GAP, QR_SIDE);
  doc.y += QR_SIDE + 2 * GAP;
  for (const r of tail) drawRow(doc, r, margin, width);
  return finish(doc);
}
