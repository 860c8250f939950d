import fc from 'fast-check';
import * as iconv from 'iconv-lite';
import { encodeReceipt } from '../../drivers/printer/encode-receipt';
import { sampleJob } from '../../test/support/contracts/printer-suite';
import { EscPosDecoder, decodeEscPos, type DecoderWarningKind } from './escpos-decoder';

const b = (...parts: (number[] | string | Uint8Array)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : [...p])));
const ESC = 0x1b;
const GS = 0x1d;
const FS = 0x1c;
const LF = 0x0a;

describe('EscPosDecoder: text and styles', () => {
  it('lines end at LF; CR is ignored; a cut ends the receipt', () => {
    const { receipts, warnings } = decodeEscPos(b([ESC, 0x40], 'one', [LF, 0x0d], 'two', [LF, GS, 0x56, 0x00], 'next', [LF]));
    expect(warnings).toEqual([]);
    expect(receipts.map((r) => [r.text, r.cut])).toEqual([
      ['one\ntwo', 'full'],
      ['next', null],
    ]);
  });

  it('bold (ESC E, ESC G, ESC !), underline, size (GS !, ESC !) and alignment (ESC a) per line', () => {
    const { receipts } = decodeEscPos(
      b([ESC, 0x45, 1], 'bold', [ESC, 0x45, 0, LF], [GS, 0x21, 0x11], 'big', [GS, 0x21, 0, LF], [ESC, 0x61, 1], 'mid', [LF, ESC, 0x61, 0x32], 'right', [LF], [ESC, 0x21, 0x38], 'mode', [ESC, 0x21, 0, LF], [ESC, 0x2d, 1], 'under', [ESC, 0x2d, 0, LF], [ESC, 0x47, 1], 'strike', [LF]),
    );
    const l = receipts[0].lines;
    expect(l[0]).toMatchObject({ text: 'bold', bold: true, width: 1 });
    expect(l[1]).toMatchObject({ text: 'big', bold: false, width: 2, height: 2 });
    expect(l[2]).toMatchObject({ text: 'mid', align: 'center' });
    expect(l[3]).toMatchObject({ text: 'right', align: 'right' });
    expect(l[4]).toMatchObject({ text: 'mode', bold: true, width: 2, height: 2 });
    expect(l[5]).toMatchObject({ text: 'under', underline: true });
    expect(l[6]).toMatchObject({ text: 'strike', bold: true });
  });

  it('alignment takes effect at the start of a line, as on the printer', () => {
    const { receipts } = decodeEscPos(b('ab', [ESC, 0x61, 1], 'cd', [LF], 'ef', [LF]));
    expect(receipts[0].lines.map((l) => l.align)).toEqual(['left', 'center']);
  });

  it('code pages from ESC t (Epson numbering); ESC @ resets to PC437', () => {
    const text = (page: number, s: string, enc: string) => [ESC, 0x74, page, ...iconv.encode(s, enc)];
    const { receipts, warnings } = decodeEscPos(b(text(0, 'Grüße ½', 'cp437'), text(16, ' € œ', 'windows-1252'), text(17, ' Привет', 'cp866'), [LF], text(18, 'Łódź', 'cp852'), [ESC, 0x40], [0x81], [LF]));
    expect(warnings).toEqual([]);
    expect(receipts[0].lines.map((l) => l.text)).toEqual(['Grüße ½ € œ Привет', 'Łódźü']);
  });

  it('Chinese mode: GB18030 between FS & and FS .', () => {
    const { receipts, warnings } = decodeEscPos(b('Milk ', [FS, 0x26], iconv.encode('牛奶，谢谢！😀', 'gb18030'), [FS, 0x2e], [ESC, 0x74, 0], [0x9c], [LF]));
    expect(warnings).toEqual([]);
    expect(receipts[0].lines[0]).toMatchObject({ text: 'Milk 牛奶，谢谢！😀£', cjk: true });
  });

  it('ESC d n prints and feeds n lines; ESC J feeds without a blank line; HT is a space', () => {
    const { receipts } = decodeEscPos(b('a', [ESC, 0x64, 3], 'b', [ESC, 0x4a, 40], 'c', [0x09], 'd', [LF]));
    expect(receipts[0].lines.map((l) => l.text)).toEqual(['a', '', '', 'b', 'c d']);
  });
});

describe('EscPosDecoder: symbols, cuts, pulses', () => {
  const qr = (data: Uint8Array) => [
    ...[GS, 0x28, 0x6b, 4, 0, 0x31, 0x41, 0x32, 0],
    ...[GS, 0x28, 0x6b, 3, 0, 0x31, 0x43, 8],
    ...[GS, 0x28, 0x6b, 3, 0, 0x31, 0x45, 0x33],
    ...[GS, 0x28, 0x6b, (data.length + 3) & 0xff, (data.length + 3) >> 8, 0x31, 0x50, 0x30, ...data],
    ...[GS, 0x28, 0x6b, 3, 0, 0x31, 0x51, 0x30],
  ];

  it('QR codes: model, size, error level and payload (UTF-8, else Latin-1)', () => {
    const { receipts, warnings } = decodeEscPos(b(qr(Buffer.from('https://x.example/ä中')), qr(Buffer.from([0x41, 0xe9]))));
    expect(warnings).toEqual([]);
    expect(receipts[0].items).toEqual([
      { kind: 'qr', data: 'https://x.example/ä中', model: 2, size: 8, errorLevel: 'H' },
      { kind: 'qr', data: 'Aé', model: 2, size: 8, errorLevel: 'H' },
    ]);
  });

  it('a QR print with nothing stored is a warning, not a crash', () => {
    const { receipts, warnings } = decodeEscPos(b([GS, 0x28, 0x6b, 3, 0, 0x31, 0x51, 0x30], 'x', [LF]));
    expect(warnings.map((w) => w.kind)).toEqual(['invalid-data']);
    expect(receipts[0].text).toBe('x');
  });

  it('PDF417 and other 2D symbols', () => {
    const data = Buffer.from('PDF data');
    const { receipts } = decodeEscPos(b([GS, 0x28, 0x6b, data.length + 3, 0, 0x30, 0x50, 0x30], data, [GS, 0x28, 0x6b, 3, 0, 0x30, 0x51, 0x30]));
    expect(receipts[0].items).toEqual([{ kind: '2d', symbology: 'pdf417', data: 'PDF data' }]);
  });

  it('barcodes: function A (NUL-terminated) and B (length-prefixed); EAN check digit added as printed', () => {
    const { receipts, warnings } = decodeEscPos(
      b(
        [GS, 0x68, 60, GS, 0x77, 3, GS, 0x48, 2, GS, 0x66, 0],
        [GS, 0x6b, 2],
        '590123412345',
        [0],
        [GS, 0x6b, 67, 13],
        '4006381333931',
        [GS, 0x6b, 69, 5],
        'CODE1',
        [GS, 0x6b, 73, 10],
        '{BAB{{{C',
        [12, 34],
      ),
    );
    expect(warnings).toEqual([]);
    expect(receipts[0].barcodes).toEqual([
      { symbology: 'ean13', data: '5901234123457' },
      { symbology: 'ean13', data: '4006381333931' },
      { symbology: 'code39', data: 'CODE1' },
      { symbology: 'code128', data: 'AB{1234' },
    ]);
  });

  it('CODE128 without a code set is read as set B, with a warning', () => {
    const { receipts, warnings } = decodeEscPos(b([GS, 0x6b, 73, 3], 'abc'));
    expect(receipts[0].barcodes).toEqual([{ symbology: 'code128', data: 'abc' }]);
    expect(warnings.map((w) => w.kind)).toEqual(['invalid-data']);
  });

  it('cuts: GS V 0/1/48/49, GS V 65/66 n, ESC i, ESC m', () => {
    const { receipts } = decodeEscPos(b('a', [LF, GS, 0x56, 0], 'b', [LF, GS, 0x56, 1], 'c', [LF, GS, 0x56, 0x30], 'd', [LF, GS, 0x56, 0x31], 'e', [LF, GS, 0x56, 65, 3], 'f', [LF, GS, 0x56, 66, 0], 'g', [LF, ESC, 0x69], 'h', [LF, ESC, 0x6d]));
    expect(receipts.map((r) => `${r.text}:${r.cut}`)).toEqual(['a:full', 'b:partial', 'c:full', 'd:partial', 'e:full', 'f:partial', 'g:partial', 'h:partial']);
  });

  it('text waiting for LF prints before a cut', () => {
    expect(decodeEscPos(b('tail', [GS, 0x56, 0])).receipts[0].text).toBe('tail');
  });

  it('drawer pulses: ESC p and DLE DC4 1', () => {
    const { receipts } = decodeEscPos(b('x', [LF, ESC, 0x70, 0, 50, 250, ESC, 0x70, 1, 50, 250, 0x10, 0x14, 1, 0, 1]));
    expect(receipts[0].drawerKicks).toBe(3);
    expect(receipts[0].items.filter((i) => i.kind === 'pulse')).toEqual([
      { kind: 'pulse', pin: 2 },
      { kind: 'pulse', pin: 5 },
      { kind: 'pulse', pin: 2 },
    ]);
  });

  it('images: ESC * and GS v 0 are consumed whole (their bytes are not text)', () => {
    const { receipts, warnings } = decodeEscPos(b([ESC, 0x2a, 33, 2, 0], new Uint8Array(6).fill(0x41), [GS, 0x76, 0x30, 0, 2, 0, 3, 0], new Uint8Array(6).fill(0x0a), 'after', [LF]));
    expect(warnings).toEqual([]);
    expect(receipts[0].items).toEqual([
      { kind: 'image', width: 2, height: 24 },
      { kind: 'image', width: 16, height: 3 },
      { kind: 'line', line: expect.objectContaining({ text: 'after' }) },
    ]);
  });

  it('skips known commands with parameters: ESC D tabs, ESC & characters, GS ( L, GS 8 L, FS (, DLE EOT, ESC 3, GS P', () => {
    const { receipts, warnings } = decodeEscPos(
      b(
        [ESC, 0x44, 8, 16, 24, 0],
        [ESC, 0x26, 3, 0x41, 0x42, 2, 1, 2, 3, 4, 5, 6, 1, 9, 9, 9],
        [GS, 0x28, 0x4c, 4, 0, 0x30, 0x45, 0x41, 0x42],
        [GS, 0x38, 0x4c, 2, 0, 0, 0, 0x30, 0x45],
        [FS, 0x28, 0x41, 2, 0, 0x30, 0x30],
        [0x10, 0x04, 1, 0x10, 0x04, 7, 1, 0x10, 0x05, 2],
        [ESC, 0x33, 30, GS, 0x50, 0xcb, 0xcb, ESC, 0x4d, 1, ESC, 0x52, 2, GS, 0x42, 1],
        'ok',
        [LF],
      ),
    );
    expect(warnings).toEqual([]);
    expect(receipts[0].text).toBe('ok');
  });
});

describe('EscPosDecoder: robustness', () => {
  it('unknown commands and stray control bytes are skipped with typed warnings; decoding goes on', () => {
    const seen: DecoderWarningKind[] = [];
    const d = new EscPosDecoder({ onWarning: (w) => seen.push(w.kind) });
    d.push(b('a', [ESC, 0x01], 'b', [GS, 0xfe], 'c', [FS, 0x99], 'd', [0x07, 0x00], 'e', [0x10, 0x30, 0x30], [LF]));
    d.end();
    expect(d.last()).toBe('abcde00');
    expect(seen).toEqual(['unknown-command', 'unknown-command', 'unknown-command', 'control-byte', 'control-byte', 'unknown-command']);
    expect(d.warnings[0]).toMatchObject({ kind: 'unknown-command', offset: 1, bytes: [0x1b, 0x01] });
  });

  it('an unknown code page is a warning (once) and decodes as PC437', () => {
    const { receipts, warnings } = decodeEscPos(b([ESC, 0x74, 200, 0x81], [LF, 0x81, LF]));
    expect(receipts[0].lines.map((l) => l.text)).toEqual(['ü', 'ü']);
    expect(warnings.map((w) => w.kind)).toEqual(['unknown-codepage']);
  });

  it('invalid GB18030 is a warning', () => {
    const { warnings } = decodeEscPos(b([FS, 0x26, 0x81, 0x20, FS, 0x2e, LF]));
    expect(warnings.map((w) => w.kind)).toEqual(['invalid-text']);
  });

  it('a stream ending inside a command is a truncated warning at end()', () => {
    const d = new EscPosDecoder();
    d.push(b('x', [LF, GS, 0x28, 0x6b, 10, 0, 0x31]));
    expect(d.warnings).toEqual([]);
    d.end();
    expect(d.warnings.map((w) => w.kind)).toEqual(['truncated']);
    expect(d.last()).toBe('x');
  });

  it('the feed after a cut does not count as a receipt; last() is the cut one', () => {
    const d = new EscPosDecoder();
    d.push(encodeReceipt(sampleJob('a'), { columns: 42, cjk: true }));
    expect(d.receipts()).toHaveLength(1);
    expect(d.last()).toContain('牛奶');
    d.clear();
    expect(d.receipts()).toEqual([]);
  });

  it('property: random bytes never throw and every warning is typed', () => {
    const kinds = new Set(['unknown-command', 'control-byte', 'unknown-codepage', 'invalid-text', 'invalid-data', 'truncated']);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const d = new EscPosDecoder();
        d.push(bytes);
        d.end();
        d.receipts();
        for (const w of d.warnings) expect(kinds.has(w.kind)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('property: however the stream is chunked, the result is the same', () => {
    const bytes = Uint8Array.from([...encodeReceipt(sampleJob('a'), { columns: 32, cjk: true }), ...encodeReceipt(sampleJob('b'), { columns: 32, cjk: true })]);
    const whole = decodeEscPos(bytes);
    expect(whole.receipts).toHaveLength(2);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 40 }), (cuts) => {
        const points = [...new Set([0, ...cuts, bytes.length])].sort((x, y) => x - y);
        const d = new EscPosDecoder();
        for (let i = 0; i + 1 < points.length; i++) d.push(bytes.subarray(points[i], points[i + 1]));
        d.end();
        expect(d.receipts()).toEqual(whole.receipts);
        expect(d.warnings).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
