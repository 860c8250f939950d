import fc from 'fast-check';
import * as iconv from 'iconv-lite';
import { PoleDisplayDecoder } from '../../simulators/display/pole-display-decoder';
import { CODE_PAGES, encodeFrame, encodeInit, encodeLine, type CodePageName } from './pole-protocol';

const hex = (b: Buffer) => b.toString('hex').replace(/(..)/g, '$1 ').trim();

describe('pole display protocol: exact bytes', () => {
  it('initialisation: ESC = 2, ESC @, US MD1, US C 0, ESC t n, FS . / FS &, CLR', () => {
    expect(hex(encodeInit({ codePage: 'pc858', gb18030: false, selectPeripheral: true }))).toBe('1b 3d 02 1b 40 1f 01 1f 43 00 1b 74 13 1c 2e 0c');
    expect(hex(encodeInit({ codePage: 'pc437', gb18030: true, selectPeripheral: false }))).toBe('1b 40 1f 01 1f 43 00 1b 74 00 1c 26 0c');
  });

  it('a frame addresses each row with US $ 1 y and writes it full width', () => {
    const { bytes } = encodeFrame(['Hi'], { columns: 20, rows: 2, codePage: 'pc858', gb18030: false });
    expect(hex(bytes)).toBe(`1f 24 01 01 48 69 ${Array(18).fill('20').join(' ')} 1f 24 01 02 ${Array(20).fill('20').join(' ')}`);
  });

  it('encodes through the code table: € is D5 in PC858 and 80 in WPC1252', () => {
    expect(encodeLine('€', 1, { codePage: 'pc858', gb18030: false }).bytes).toEqual(Buffer.from([0xd5]));
    expect(encodeLine('€', 1, { codePage: 'wpc1252', gb18030: false }).bytes).toEqual(Buffer.from([0x80]));
    expect(encodeLine('€', 1, { codePage: 'pc437', gb18030: false })).toMatchObject({ bytes: Buffer.from('?'), replaced: 1 });
  });

  it('truncates, counts what was cut, replaces controls, turns tabs into spaces, composes accents (NFC)', () => {
    const enc = { codePage: 'pc858' as const, gb18030: false };
    expect(encodeLine('0123456789ABCDEFGHIJKLMN', 20, enc)).toMatchObject({ text: '0123456789ABCDEFGHIJ', truncated: 4, replaced: 0 });
    expect(encodeLine('a\nb\x1bc\td', 20, enc)).toMatchObject({ text: 'a?b?c d', replaced: 2 });
    const composed = encodeLine('Cafe\u0301', 20, enc);
    expect(composed.text).toBe('Café');
    expect(composed.bytes.subarray(0, 4)).toEqual(iconv.encode('Café', 'cp858'));
  });

  it('GB18030: CJK two columns wide, never split; ASCII one column; characters beyond GBK become "?"', () => {
    const enc = { codePage: 'pc437' as const, gb18030: true };
    const line = encodeLine('价格12元', 8, enc);
    expect(line).toMatchObject({ text: '价格12元', truncated: 0 });
    expect(line.bytes).toEqual(Buffer.concat([iconv.encode('价格12元', 'gb18030')]));
    expect(encodeLine('a价格', 4, enc)).toMatchObject({ text: 'a价', truncated: 1 });
    expect(encodeLine('a价格', 4, enc).bytes).toEqual(Buffer.concat([Buffer.from('a'), iconv.encode('价', 'gb18030'), Buffer.from(' ')]));
    expect(encodeLine('𠀀x', 4, enc)).toMatchObject({ text: '?x', replaced: 1 });
  });
});

describe('pole display protocol → decoder round trips', () => {
  const pages = Object.keys(CODE_PAGES) as CodePageName[];
  const pool = [
    ...Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i)),
    ...'äöüÄÖÜßéèàçñøåÆ€£¥§°±µ²½ÇЖжДŁőšČ✓中文\u{1F600}\t'.split(/(?:)/u),
  ];
  const line = fc.array(fc.constantFrom(...pool), { maxLength: 30 }).map((a) => a.join(''));

  it('what the decoder shows is exactly the encoder\'s idea of the line, on every code page', () => {
    fc.assert(
      fc.property(fc.constantFrom(...pages), fc.boolean(), fc.array(line, { maxLength: 3 }), (codePage, gb18030, lines) => {
        const opts = { columns: 20, rows: 2, codePage, gb18030 };
        const decoder = new PoleDisplayDecoder();
        decoder.write(encodeInit({ ...opts, selectPeripheral: true }));
        const frame = encodeFrame(lines, opts);
        decoder.write(frame.bytes);
        expect(decoder.lines()).toEqual(frame.lines.map((l) => l.text));
        // everything the code page has survives unchanged
        for (let r = 0; r < 2; r++) {
          const original = (lines[r] ?? '').replace(/\t/g, ' ');
          if (frame.lines[r].replaced === 0 && frame.lines[r].truncated === 0) expect(decoder.lines()[r]).toBe(original.trimEnd());
        }
      }),
    );
  });

  it('a frame split at every position decodes the same', () => {
    const opts = { columns: 20, rows: 2, codePage: 'pc858' as const, gb18030: true };
    const bytes = Buffer.concat([encodeInit({ ...opts, selectPeripheral: true }), encodeFrame(['合计 ￥12.50', 'Danke! € 3,49'], opts).bytes]);
    for (let i = 0; i <= bytes.length; i++) {
      const d = new PoleDisplayDecoder();
      d.write(bytes.subarray(0, i));
      d.write(bytes.subarray(i));
      expect(d.lines()).toEqual(['合计 ￥12.50', 'Danke! € 3,49']);
    }
  });
});
