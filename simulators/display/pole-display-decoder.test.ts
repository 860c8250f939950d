import fc from 'fast-check';
import * as iconv from 'iconv-lite';
import { PoleDisplayDecoder } from './pole-display-decoder';

const ESC = 0x1b;
const US = 0x1f;
const FS = 0x1c;
const bytes = (...parts: Array<number | string | number[] | Buffer>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const shown = (...parts: Array<number | string | number[] | Buffer>) => {
  const d = new PoleDisplayDecoder();
  d.write(bytes(...parts));
  return d;
};

describe('PoleDisplayDecoder: the ESC/POS customer display command set', () => {
  it('writes text at the cursor; US $ x y moves it (1-based); out-of-range positions are ignored', () => {
    const d = shown('Hello', [US, 0x24, 5, 2], 'World', [US, 0x24, 30, 1], '!');
    expect(d.lines()).toEqual(['Hello', '    World!']);
    expect(d.state().cursor).toEqual({ column: 11, row: 2 });
  });

  it('overwrite mode: text wraps to the next line at column 20 and back to the top after the last line', () => {
    expect(shown('A'.repeat(25)).lines()).toEqual(['A'.repeat(20), 'AAAAA']);
    expect(shown('A'.repeat(40), 'BB').lines()).toEqual(['BB' + 'A'.repeat(18), 'A'.repeat(20)]);
  });

  it('vertical scroll mode (US MD2): writing past the bottom scrolls up', () => {
    expect(shown([US, 0x02], 'line one', [0x0d, 0x0a], 'line two', [0x0d, 0x0a], 'line three').lines()).toEqual(['line two', 'line three']);
  });

  it('CLR clears and homes; CAN clears the cursor line; HOM, CR, BS, HT, LF move the cursor', () => {
    expect(shown('abc', 0x0c, 'x').lines()).toEqual(['x', '']);
    expect(shown('first', [US, 0x24, 1, 2], 'second', 0x18, 'new').lines()).toEqual(['first', 'new']);
    expect(shown('abc', 0x0b, 'X').lines()).toEqual(['Xbc', '']);
    expect(shown('abc', 0x0d, 'Y').lines()).toEqual(['Ybc', '']);
    expect(shown('abc', 0x08, 'Z').lines()).toEqual(['abZ', '']);
    expect(shown('a', 0x09, 'b', 0x0a, 'c').lines()).toEqual(['a b', '   c']);
  });

  it('ESC @ initialises: blank screen, power-on settings', () => {
    const d = shown([US, 0x43, 0], [ESC, 0x74, 16], [US, 0x02], 'text', [ESC, 0x40]);
    expect(d.lines()).toEqual(['', '']);
    expect(d.state()).toMatchObject({ cursorVisible: true, codeTable: 0, mode: 'overwrite', cursor: { column: 1, row: 1 } });
    expect(d.initializations).toBe(1);
  });

  it('ESC t selects the code table for bytes ≥ 0x80', () => {
    expect(shown([ESC, 0x74, 0], [0x80, 0x81]).lines()[0]).toBe('Çü');
    expect(shown([ESC, 0x74, 16], [0x80, 0xe9]).lines()[0]).toBe('€é');
    expect(shown([ESC, 0x74, 19], [0xd5]).lines()[0]).toBe('€');
  });

  it('ESC = n: while deselected (data for the printer) nothing shows, until the display is selected again', () => {
    const d = shown('shown', [ESC, 0x3d, 1], 'for the printer', [0x0c], [ESC, 0x3d, 3], ' again');
    expect(d.lines()).toEqual(['shown again', '']);
  });

  it('FS & switches to double-byte GB18030 characters two columns wide; FS . back', () => {
    const d = shown([FS, 0x26], [...iconv.encode('中文', 'gb18030')], 'ab', [FS, 0x2e], [0x80]);
    expect(d.lines()[0]).toBe('中文abÇ');
    expect(d.state().cursor.column).toBe(8);
    // a wide character does not straddle the right edge
    const edge = shown([FS, 0x26], 'x'.repeat(19), [...iconv.encode('中', 'gb18030')]);
    expect(edge.lines()).toEqual(['x'.repeat(19), '中']);
    // overwriting half of a wide character blanks the other half
    const half = shown([FS, 0x26], [...iconv.encode('中文', 'gb18030')], [US, 0x24, 2, 1], 'z');
    expect(half.lines()[0]).toBe(' z文');
  });

  it('skips commands with parameters whole, and unknown commands as two bytes', () => {
    const userChar = [ESC, 0x26, 1, 0x41, 0x42, 2, 0xff, 0x00, 3, 0x01, 0x02, 0x03];
    const d = shown(
      'a',
      userChar,
      [US, 0x58, 2],
      [US, 0x45, 10],
      [US, 0x54, 12, 30],
      [ESC, 0x57, 1, 1, 1, 1, 20, 2],
      [US, 0x28, 0x41, 3, 0, 1, 2, 3],
      [ESC, 0x99],
      [US, 0x77],
      [FS, 0x70],
      0x07,
      'b',
    );
    expect(d.lines()).toEqual(['ab', '']);
    expect(d.unknownCommands).toBe(3);
    expect(d.state().brightness).toBe(2);
  });

  it('a stream split at every position gives the same screen', () => {
    const stream = bytes([ESC, 0x3d, 2], [ESC, 0x40], [US, 0x01], [US, 0x43, 0], [ESC, 0x74, 19], [FS, 0x26], [US, 0x24, 1, 1], 'Sum ', [...iconv.encode('合计', 'gb18030')], [US, 0x24, 1, 2], [FS, 0x2e], [0xd5], ' 12,34', [ESC, 0x26, 1, 0x41, 0x41, 1, 0x7f]);
    const whole = shown(stream);
    expect(whole.lines()).toEqual(['Sum 合计', '€ 12,34']);
    for (let i = 0; i <= stream.length; i++) {
      const d = new PoleDisplayDecoder();
      d.write(stream.subarray(0, i));
      d.write(stream.subarray(i));
      expect(d.lines()).toEqual(whole.lines());
      expect(d.state()).toEqual(whole.state());
    }
  });

  it('never throws and never grows the screen, whatever bytes arrive', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const d = new PoleDisplayDecoder();
        for (const c of chunks) d.write(c);
        expect(d.grid()).toHaveLength(2);
        // a double-width character counts two columns
        for (const row of d.grid()) expect([...row].reduce((w, ch) => w + (/[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1), 0)).toBeLessThanOrEqual(20);
      }),
    );
  });
});
