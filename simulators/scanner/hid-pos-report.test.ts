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

  it('an empty read is one report with count 0; a format whose fields overlap is refused', () => {
    expect(encodeHidPosReports('').map((r) => [r[0], r[1], r[63]])).toEqual([[0x02, 0, 0]]);
    expect(() => encodeHidPosReports('x', { format: { flagsOffset: 10 } })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
