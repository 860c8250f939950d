/** What came out of the simulated printer: receipts, their lines and symbols, and the decoder's warnings. */

export type DecodedAlign = 'left' | 'center' | 'right';

export interface DecodedLine {
  /** The printed characters, padding spaces included. */
  text: string;
  bold: boolean;
  underline: boolean;
  /** Character magnification from GS ! (1–8). */
  width: number;
  height: number;
  align: DecodedAlign;
  /** Part of the line was printed in Chinese mode (GB18030). */
  cjk: boolean;
}

export type BarcodeSymbologyName =
  | 'upca'
  | 'upce'
  | 'ean13'
  | 'ean8'
  | 'code39'
  | 'itf'
  | 'codabar'
  | 'code93'
  | 'code128'
  | 'gs1-128'
  | 'gs1-databar-omni'
  | 'gs1-databar-truncated'
  | 'gs1-databar-limited'
  | 'gs1-databar-expanded'
  | 'code128-auto'
  | 'unknown';

export type DecodedItem =
  | { kind: 'line'; line: DecodedLine }
  | { kind: 'qr'; data: string; model: number; size: number; errorLevel: string }
  | { kind: '2d'; symbology: 'pdf417' | 'maxicode' | 'gs1-databar' | 'composite' | 'aztec' | 'datamatrix' | 'unknown'; data: string }
  | { kind: 'barcode'; symbology: BarcodeSymbologyName; data: string }
  | { kind: 'image'; width: number; height: number }
  | { kind: 'pulse'; pin: number };

export interface DecodedReceipt {
  items: DecodedItem[];
  lines: DecodedLine[];
  qrCodes: string[];
  barcodes: { symbology: BarcodeSymbologyName; data: string }[];
  drawerKicks: number;
  /** How the receipt was cut; null while it has not been cut (yet). */
  cut: 'full' | 'partial' | null;
  /** The lines, trailing spaces trimmed, blank lines at the start and end (paper feed) left out. */
  text: string;
}

export type DecoderWarningKind = 'unknown-command' | 'control-byte' | 'unknown-codepage' | 'invalid-text' | 'invalid-data' | 'truncated';

export interface DecoderWarning {
  kind: DecoderWarningKind;
  /** Offset of the offending bytes in the whole stream (for text warnings: where the stream was when the line ended). */
  offset: number;
  /** The first bytes of it (at most 8). */
  bytes: number[];
  message: string;
}

/** A receipt as printed: blank lines at both ends of the text trimmed. */
export function finishReceipt(items: DecodedItem[], cut: 'full' | 'partial' | null): DecodedReceipt {
  const lines = items.filter((i): i is DecodedItem & { kind: 'line' } => i.kind === 'line').map((i) => i.line);
  const texts = lines.map((l) => l.text.trimEnd());
  let a = 0;
  let b = texts.length;
  while (a < b && texts[a] === '') a++;
  while (b > a && texts[b - 1] === '') b--;
  return {
    items: [...items],
    lines,
    qrCodes: items.filter((i): i is DecodedItem & { kind: 'qr' } => i.kind === 'qr').map((i) => i.data),
    barcodes: items.filter((i): i is DecodedItem & { kind: 'barcode' } => i.kind === 'barcode').map((i) => ({ symbology: i.symbology, data: i.data })),
    drawerKicks: items.filter((i) => i.kind === 'pulse').length,
    cut,
    text: texts.slice(a, b).join('\n'),
  };
}
