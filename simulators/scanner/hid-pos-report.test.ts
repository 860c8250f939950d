import { encodeHidPosReports } from './hid-pos-report';

describe('simulated HID POS Scanned Data Reports (64-byte descriptor)', () => {
  it('id 0x02, byte count, Symbology Identifier 1–3, Decoded Data, zero padding, code id, flags last', () => {
    const [r, ...more] = encodeHidPosReports('AB', { aim: ']E0', codeId: 0x3f });
    expect(more).toEqual([]);
    const want = Buffer.alloc(64);
    want.set([0x02, 2, 0x5d, 0x45, 0x30, 0x41, 0x42], 0);
    want[61] = 0x3f;
    expect(r).toEqual(want);
  });

  it('a read longer than 56 bytes: Decode Data Continued on every report but the last', () => {
    const reports = encodeHidPosReports('x'.repeat(57));
    expect(reports.map((r) => [r[1], r[63]])).toEqual([
      [56, 0x01],
      [1, 0x00],
    ]);
    expect(reports[1][5]).toBe(0x78);
  });

  it('a UTF-8 2-D read: the bytes are cut at 56 whatever they are (a character may straddle two reports), GS kept', () => {
    const text = 'x'.repeat(54) + '绿\x1d茶';
    const reports = encodeHidPosReports(text, { aim: ']Q1', encoding: 'utf8' });
    expect(reports.map((r) => [r[1], r[63]])).toEqual([
      [56, 0x01],
      [5, 0x00],
    ]);
    expect([...reports[0].subarray(5 + 54, 5 + 56)]).toEqual([0xe7, 0xbb]); // 绿 = e7 bb bf
    expect([...reports[1].subarray(5, 10)]).toEqual([0xbf, 0x1d, 0xe8, 0x8c, 0xb6]);
    expect(reports.every((r) => r.subarray(2, 5).toString('latin1') === ']Q1')).toBe(true);
  });

  it('an empty read is one report with count 0; a format whose fields overlap is refused', () => {
    expect(encodeHidPosReports('').map((r) => [r[0], r[1], r[63]])).toEqual([[0x02, 0, 0]]);
    expect(() => encodeHidPosReports('x', { format: { flagsOffset: 10 } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
