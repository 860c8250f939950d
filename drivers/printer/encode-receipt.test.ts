import fc from 'fast-check';
import type { PrintJob, ReceiptBlock } from '../contract/printer';
import { AssertionFailed } from '../../kernel/errors';
import { decodeEscPos, type DecodedReceipt } from '../../simulators/printer/escpos-decoder';
import { encodeReceipt, QR_MAX_BYTES, twoColumns, type ReceiptColumns } from './encode-receipt';
import { encodeGb18030 } from './gb18030';
import { displayWidth, widthOf, wrap } from './receipt-text';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const squeeze = (s: string) => s.replace(/\s+/g, '');
const job = (blocks: ReceiptBlock[], extra: Partial<PrintJob> = {}): PrintJob => ({ id: 't', blocks, ...extra });

function decodeOne(bytes: Uint8Array): DecodedReceipt {
  const { receipts, warnings } = decodeEscPos(bytes);
  expect(warnings).toEqual([]);
  expect(receipts).toHaveLength(1);
  return receipts[0];
}

// characters a receipt meets: ASCII, Western/Central European, Cyrillic, Greek, currency — and CJK
const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-+*/()%&!?#@_=<>[]{}$\'"';
const EUROPEAN = 'äöüÄÖÜßéèêàçñøåæœ€£¥§°µ½¿¡łśźżćńąęŁŚŽžČč ПриветМирЖЁёщΩαβγδ';
const CJK = '中文汉字收据谢谢惠顾欢迎光临牛奶面包苹果价格总计，。！？、（）；：「」ａｂ１２ひらがなカタカナ한국어';
const charArb = fc.constantFrom(...ASCII, ...EUROPEAN, ...CJK);
const textArb = fc.array(charArb, { maxLength: 150 }).map((a) => a.join(''));
const columnsArb = fc.constantFrom<ReceiptColumns>(32, 42, 48);
const qrArb = fc.oneof(fc.string({ minLength: 1, maxLength: 120 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 })).filter((s) => !s.includes('\u0010'));
const code128Arb = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 60 });
const ean12Arb = fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 12, maxLength: 12 });

function eanCheck(d12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += (d12.charCodeAt(i) - 48) * (i % 2 === 0 ? 1 : 3);
  return d12 + String((10 - (sum % 10)) % 10);
}

describe('encodeReceipt: framing', () => {
  const bytes = encodeReceipt(job([{ kind: 'text', text: 'hello' }], { openDrawer: true }), { columns: 42, cjk: true });

  it('starts with ESC @ and leaves Chinese mode (FS .)', () => {
    expect(hex(bytes.subarray(0, 4))).toBe('1b401c2e');
  });

  it('kicks the drawer (ESC p 0) before a full cut (GS V 0) at the end', () => {
    const s = hex(bytes);
    expect(s.indexOf('1b700032fa')).toBeGreaterThan(0);
    expect(s.indexOf('1d5600')).toBeGreaterThan(s.indexOf('1b700032fa'));
    const r = decodeOne(bytes);
    expect(r).toMatchObject({ cut: 'full', drawerKicks: 1, text: 'hello' });
  });

  it('cut: false leaves the paper uncut; cutType partial sends GS V 1', () => {
    expect(hex(encodeReceipt(job([{ kind: 'text', text: 'x' }], { cut: false }), { columns: 42, cjk: true }))).not.toContain('1d56');
    const partial = encodeReceipt(job([{ kind: 'text', text: 'x' }]), { columns: 42, cjk: true, cutType: 'partial' });
    expect(hex(partial)).toContain('1d5601');
    expect(decodeEscPos(partial).receipts[0].cut).toBe('partial');
  });

  it('feeds before the cut so the last line clears the cutter', () => {
    const s = hex(encodeReceipt(job([{ kind: 'text', text: 'x' }]), { columns: 42, cjk: true, feedBeforeCut: 3 }));
    expect(s).toContain('780a0a0a0a1d5600');
  });
});

describe('encodeReceipt: Chinese text', () => {
  it('goes as GB18030 between FS & and FS . — never as ??', () => {
    const bytes = encodeReceipt(job([{ kind: 'text', text: '中文 receipt' }]), { columns: 42, cjk: true });
    expect(hex(bytes)).toContain(`1c26${hex(encodeGb18030('中文'))}1c2e`);
    expect(hex(bytes)).not.toContain('3f3f');
    expect(decodeOne(bytes).text).toBe('中文 receipt');
  });

  it('with cjk off the printer gets ? (what the encoder library does on its own)', () => {
    const bytes = encodeReceipt(job([{ kind: 'text', text: '中文 receipt' }]), { columns: 42, cjk: false });
    expect(hex(bytes)).not.toContain('1c26');
    expect(decodeOne(bytes).text).toBe('?? receipt');
  });

  it('every FS & is closed by FS . before anything else', () => {
    const bytes = encodeReceipt(job([{ kind: 'text', text: '牛奶Milk牛奶\n面包' }, { kind: 'line', left: '苹果', right: '价格' }]), { columns: 32, cjk: true });
    const s = [...bytes];
    let inChinese = false;
    for (let i = 0; i + 1 < s.length; i++) {
      if (s[i] === 0x1c && s[i + 1] === 0x26) inChinese = true;
      if (s[i] === 0x1c && s[i + 1] === 0x2e) inChinese = false;
      if (inChinese) expect([0x0a, 0x1b, 0x1d]).not.toContain(s[i]);
    }
    expect(inChinese).toBe(false);
  });

  it('counts CJK double width: a two-column line is exactly the paper width', () => {
    const r = decodeOne(encodeReceipt(job([{ kind: 'line', left: '牛奶 Milch', right: '1,99 €' }]), { columns: 32, cjk: true }));
    expect(r.lines[0].text).toMatch(/^牛奶 Milch +1,99 €$/);
    expect(displayWidth(r.lines[0].text)).toBe(32);
  });
});

describe('encodeReceipt: single-byte code pages', () => {
  it('prints € § ¶ • and Central European / Cyrillic / Greek letters in a page that has them', () => {
    const text = '€ § ¶ • Łódź Žluťoučký Привет Ωμέγα';
    const r = decodeOne(encodeReceipt(job([{ kind: 'text', text }]), { columns: 48, cjk: false }));
    expect(r.text).toBe(text);
  });

  it('never sends § as the control byte 0x15 (the encoder library would, in its DOS code pages)', () => {
    const bytes = encodeReceipt(job([{ kind: 'text', text: '§§' }]), { columns: 42, cjk: false });
    expect([...bytes]).not.toContain(0x15);
  });

  it('control characters in text become ?, tabs spaces', () => {
    const r = decodeOne(encodeReceipt(job([{ kind: 'text', text: 'a\u0007b\tc\u001bd' }]), { columns: 42, cjk: true }));
    expect(r.text).toBe('a?b c?d');
  });
});

describe('encodeReceipt: blocks', () => {
  it('aligns, emboldens and doubles text; size 2 halves the columns', () => {
    const r = decodeOne(
      encodeReceipt(
        job([
          { kind: 'text', text: 'Centre', align: 'center' },
          { kind: 'text', text: 'Right', align: 'right' },
          { kind: 'text', text: 'BIG BOLD', bold: true, size: 2 },
          { kind: 'text', text: 'x'.repeat(20), size: 2 },
        ]),
        { columns: 32, cjk: true },
      ),
    );
    expect(r.lines[0].text).toBe(`${' '.repeat(13)}Centre`);
    expect(r.lines[1].text).toBe(`${' '.repeat(27)}Right`);
    expect(r.lines[2]).toMatchObject({ text: 'BIG BOLD', bold: true, width: 2, height: 2 });
    expect(r.lines[3]).toMatchObject({ text: 'x'.repeat(16), width: 2 });
    expect(r.lines[4]).toMatchObject({ text: 'xxxx', width: 2, bold: false });
  });

  it('rule, feed, QR (ASCII via the library, UTF-8 otherwise) and barcodes', () => {
    const r = decodeOne(
      encodeReceipt(
        job([
          { kind: 'rule' },
          { kind: 'feed', lines: 2 },
          { kind: 'qr', data: 'https://example.com/r/1' },
          { kind: 'qr', data: 'Quittung für 中文' },
          { kind: 'barcode', data: 'AB{12}', symbology: 'code128' },
          { kind: 'barcode', data: '590123412345', symbology: 'ean13' },
          { kind: 'barcode', data: '4006381333931', symbology: 'ean13' },
        ]),
        { columns: 42, cjk: true },
      ),
    );
    expect(r.lines[0].text).toBe('─'.repeat(42));
    expect(r.lines[1].text).toBe('');
    expect(r.lines[2].text).toBe('');
    expect(r.qrCodes).toEqual(['https://example.com/r/1', 'Quittung für 中文']);
    expect(r.barcodes).toEqual([
      { symbology: 'code128', data: 'AB{12}' },
      { symbology: 'ean13', data: '5901234123457' },
      { symbology: 'ean13', data: '4006381333931' },
    ]);
  });

  it.each<[string, ReceiptBlock]>([
    ['EAN-13 with a wrong check digit', { kind: 'barcode', data: '5901234123458', symbology: 'ean13' }],
    ['EAN-13 with letters', { kind: 'barcode', data: '59012341234A', symbology: 'ean13' }],
    ['CODE128 with non-ASCII', { kind: 'barcode', data: 'Grüße', symbology: 'code128' }],
    ['CODE128 too long', { kind: 'barcode', data: 'x'.repeat(254), symbology: 'code128' }],
    ['an empty QR payload', { kind: 'qr', data: '' }],
    ['a QR payload with DLE', { kind: 'qr', data: 'a\u0010\u0004\u0001' }],
    ['a QR payload over the limit', { kind: 'qr', data: 'é'.repeat(QR_MAX_BYTES) }],
  ])('rejects %s (a caller bug) before producing anything', (_, block) => {
    expect(() => encodeReceipt(job([block]), { columns: 42, cjk: true })).toThrow(AssertionFailed);
  });
});

describe('layout', () => {
  it('wraps at spaces, breaks over-long words, never splits a CJK character', () => {
    const lines = wrap('aaa bbb ccccccccccc 中文中文中文', 6, true).map((l) => l.map((g) => g.ch).join(''));
    expect(lines).toEqual(['aaa', 'bbb', 'cccccc', 'ccccc', '中文中', '文中文']);
    const odd = wrap('a中文中文', 4, true).map((l) => l.map((g) => g.ch).join(''));
    expect(odd).toEqual(['a中', '文中', '文']);
  });

  it('keeps blank lines and indentation', () => {
    expect(wrap('  indented\n\nnext', 20, true).map((l) => l.map((g) => g.ch).join(''))).toEqual(['  indented', '', 'next']);
  });

  it('two columns: right goes on the last line of a wrapped left, or on its own line', () => {
    const fit = twoColumns('Bread', '2.00', 20, true).map((l) => l.map((g) => g.ch).join(''));
    expect(fit).toEqual(['Bread           2.00']);
    const wrapped = twoColumns('Organic wholemeal bread', '2.00', 20, true).map((l) => l.map((g) => g.ch).join(''));
    expect(wrapped).toEqual(['Organic wholemeal', 'bread           2.00']);
    const own = twoColumns('Organic wholemeal br', '12.00', 20, true).map((l) => l.map((g) => g.ch).join(''));
    expect(own).toEqual(['Organic wholemeal br', '               12.00']);
  });

  it('property: every wrapped line fits and no character is lost', () => {
    fc.assert(
      fc.property(textArb, fc.integer({ min: 16, max: 48 }), (text, width) => {
        const lines = wrap(text, width, true);
        for (const l of lines) expect(widthOf(l)).toBeLessThanOrEqual(width);
        expect(squeeze(lines.map((l) => l.map((g) => g.ch).join('')).join(''))).toBe(squeeze(text));
      }),
    );
  });
});

describe('encode → decode round trip (property)', () => {
  it('text blocks come back character for character (Chinese included), bold and size kept, every line fits', () => {
    fc.assert(
      fc.property(
        textArb,
        columnsArb,
        fc.constantFrom('left' as const, 'center' as const, 'right' as const),
        fc.boolean(),
        fc.constantFrom(1 as const, 2 as const),
        (text, columns, align, bold, size) => {
          const r = decodeOne(encodeReceipt(job([{ kind: 'text', text, align, bold, size }]), { columns, cjk: true }));
          const printed = r.lines.map((l) => l.text).join('\n');
          expect(squeeze(printed)).toBe(squeeze(text));
          for (const l of r.lines) {
            expect(displayWidth(l.text) * size).toBeLessThanOrEqual(columns);
            if (l.text.trim()) expect(l).toMatchObject({ bold, width: size, height: size });
          }
          expect(r.cut).toBe('full');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a random receipt: all text, QR payloads and barcode data come back, in order', () => {
    const blockArb: fc.Arbitrary<ReceiptBlock> = fc.oneof(
      textArb.map((text) => ({ kind: 'text' as const, text })),
      fc.tuple(textArb, fc.array(charArb, { maxLength: 12 }).map((a) => a.join(''))).map(([left, right]) => ({ kind: 'line' as const, left, right })),
      fc.constant({ kind: 'rule' as const }),
      qrArb.map((data) => ({ kind: 'qr' as const, data })),
      code128Arb.map((data) => ({ kind: 'barcode' as const, symbology: 'code128' as const, data })),
      ean12Arb.map((data) => ({ kind: 'barcode' as const, symbology: 'ean13' as const, data })),
      fc.integer({ min: 0, max: 3 }).map((lines) => ({ kind: 'feed' as const, lines })),
    );
    fc.assert(
      fc.property(fc.array(blockArb, { minLength: 1, maxLength: 8 }), columnsArb, fc.boolean(), (blocks, columns, drawer) => {
        const bytes = encodeReceipt(job(blocks, { openDrawer: drawer }), { columns, cjk: true });
        const { receipts, warnings } = decodeEscPos(bytes);
        expect(warnings).toEqual([]);
        const r = receipts[0];
        expect(r.cut).toBe('full');
        expect(r.drawerKicks).toBe(drawer ? 1 : 0);
        const expectedText = blocks
          .map((b) => (b.kind === 'text' ? b.text : b.kind === 'line' ? b.left + b.right : b.kind === 'rule' ? '─'.repeat(columns) : ''))
          .join('');
        expect(squeeze(r.lines.map((l) => l.text).join(''))).toBe(squeeze(expectedText));
        expect(r.qrCodes).toEqual(blocks.filter((b) => b.kind === 'qr').map((b) => (b as { data: string }).data));
        expect(r.barcodes).toEqual(
          blocks
            .filter((b): b is ReceiptBlock & { kind: 'barcode' } => b.kind === 'barcode')
            .map((b) => ({ symbology: b.symbology, data: b.symbology === 'ean13' ? eanCheck(b.data) : b.data })),
        );
        for (const l of r.lines) expect(displayWidth(l.text)).toBeLessThanOrEqual(columns);
      }),
      { numRuns: 150 },
    );
  });
});
