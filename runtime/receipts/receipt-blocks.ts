import type { ReceiptBlock } from '../../drivers/contract/printer';
import { receiptRows, TRAINING_BANNER, type ReceiptModel } from '../../protocol/receipts/receipt-model';

/** The printed receipt from the same model: header, lines, discounts, tax, total, payments, QR and barcode. */
export function receiptBlocks(model: ReceiptModel, opts: { reprint?: number } = {}): ReceiptBlock[] {
  const blocks: ReceiptBlock[] = [];
  let marked = false;
  for (const r of receiptRows(model)) {
    // the training banner is bold but single size, so it stays on one line of a 42-column roll
    if (r.kind === 'title' && r.text === TRAINING_BANNER) blocks.push({ kind: 'text', text: r.text, align: 'center', bold: true });
    else if (r.kind === 'title') blocks.push({ kind: 'text', text: r.text, align: 'center', bold: true, size: 2 });
    else if (r.kind === 'center') blocks.push({ kind: 'text', text: r.text, align: 'center' });
    else if (r.kind === 'text') blocks.push({ kind: 'text', text: r.text });
    else if (r.kind === 'rule') blocks.push({ kind: 'rule' });
    else if (r.strong) blocks.push({ kind: 'text', text: `${r.left} ${r.right}`, bold: true, size: 2, align: 'right' });
    else blocks.push({ kind: 'line', left: r.left, right: r.right });
    // the reprint marker goes right under the receipt number (the first text row), as receipt-job.ts prints it
    if (opts.reprint && r.kind === 'text' && !marked) {
      marked = true;
      blocks.push({ kind: 'text', text: `*** REPRINT ${opts.reprint} ***`, align: 'center', bold: true });
    }
  }
  blocks.push(
    { kind: 'feed', lines: 1 },
    { kind: 'qr', data: model.qrPayload },
    { kind: 'barcode', data: model.receiptId, symbology: 'code128' },
  );
  return blocks;
}
