import { withIsoTimes } from './json-times';

describe('--json times', () => {
  it('epoch-ms fields named …At / at become ISO 8601, at any depth; names, other numbers and strings stay', () => {
    const t = Date.UTC(2026, 11, 6, 11, 30, 0, 5);
    expect(
      withIsoTimes({ id: 'o1', updatedAt: t, total: 1977, payments: [{ at: t, amount: t }], marker: { writtenAt: t, journalSeq: 13 }, startedAt: '2026-12-06T11:30:00.005Z', countAt: 3 }),
    ).toEqual({
      id: 'o1',
      updatedAt: '2026-12-06T11:30:00.005Z',
      total: 1977,
      payments: [{ at: '2026-12-06T11:30:00.005Z', amount: t }],
      marker: { writtenAt: '2026-12-06T11:30:00.005Z', journalSeq: 13 },
      startedAt: '2026-12-06T11:30:00.005Z',
      countAt: 3,
    });
  });

  it('keeps an own "__proto__" key as data', () => {
    const v = withIsoTimes(JSON.parse('{"__proto__":{"createdAt":1765020600000}}')) as object;
    expect(JSON.stringify(v)).toBe('{"__proto__":{"createdAt":"2025-12-06T11:30:00.000Z"}}');
  });
});
