import fc from 'fast-check';
import { formatYuan, parseYuan } from './yuan';

describe("the simulator's yuan amounts", () => {
  it('round-trips every fen amount', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000_000_00 }), (fen) => parseYuan(formatYuan(fen)) === fen), { numRuns: 2000 });
  });

  it('formats negative amounts for the bill', () => {
    expect(formatYuan(-7)).toBe('-0.07');
    expect(formatYuan(-1234)).toBe('-12.34');
    expect(formatYuan(5)).toBe('0.05');
  });

  it.each(['12.345', '-1', '1e3', '01.00', '.5', '1.', '', ' 1', 'abc'])('refuses %j', (text) => {
    expect(parseYuan(text)).toBeNull();
  });

  it('refuses a JSON number', () => {
    expect(parseYuan(12.34)).toBeNull();
  });
});
