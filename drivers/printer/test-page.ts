import type { PrintJob } from '../contract/printer';
import { encodeReceipt, type ReceiptColumns } from './encode-receipt';
import { encodeGb18030 } from './gb18030';

/** The page the interactive health check prints (and the internal one encodes). */
export function testPage(id: string, columns: number, cjk: boolean): PrintJob {
  return {
    id,
    blocks: [
      { kind: 'text', text: 'PRINTER TEST', align: 'center', bold: true, size: 2 },
      { kind: 'text', text: '1234567890'.repeat(Math.ceil(columns / 10)).slice(0, columns) },
      { kind: 'line', left: 'Left column', right: 'right 1.00' },
      ...(cjk ? [{ kind: 'text' as const, text: '收据 测试', align: 'center' as const }] : []),
      { kind: 'rule' },
      { kind: 'qr', data: 'https://example.invalid/printer-test' },
      { kind: 'barcode', data: 'TEST-128', symbology: 'code128' },
    ],
    cut: true,
  };
}

/** What a person is asked after the test page printed. */
export function testPageQuestion(cjk: boolean): string {
  return `Did a test page print${cjk ? ' (including the Chinese line "收据 测试")' : ''} with a QR code and a barcode, and was it cut?`;
}

/**
 * Encoder self-test (no printer involved): the test page must come out framed (ESC @ … cut), with its QR code, and
 * with its CJK text as GB18030 in Chinese mode. Returns the problems found (none: ok) and the encoded size.
 */
export function encoderSelfTest(columns: ReceiptColumns, cjk: boolean, cutType: 'full' | 'partial'): { problems: string[]; bytes: number } {
  const bytes = encodeReceipt(testPage('health:internal', columns, cjk), { columns, cjk, cutType });
  const problems: string[] = [];
  if (bytes[0] !== 0x1b || bytes[1] !== 0x40) problems.push('does not start with ESC @');
  if (!contains(bytes, [0x1d, 0x56])) problems.push('has no cut');
  if (!contains(bytes, [0x1d, 0x28, 0x6b])) problems.push('has no QR code');
  if (cjk && !contains(bytes, [0x1c, 0x26, ...encodeGb18030('收据')])) problems.push('CJK text is not GB18030 in Chinese mode');
  return { problems, bytes: bytes.length };
}

function contains(hay: Uint8Array, needle: readonly number[]): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
