/**
 * The recall list's wire contract (protocol/recalls/recall-list.ts): what checkRecallList accepts (property: any list
 * built from valid parts, through JSON and back) and the first problem it names for each kind of bad input; topics;
 * the lenient reader of `recalls/reported`.
 */
import fc from 'fast-check';
import { gtinCheckDigit } from '../../kernel/gs1-check-digit';
import {
  checkRecallList,
  MAX_RECALL_ENTRIES,
  readRecallsReported,
  recallsReportedTopic,
  recallsTopic,
  toGtin14,
  type RecallEntry,
  type RecallList,
} from './recall-list';

const gtin14 = fc.stringMatching(/^\d{13}$/).map((d) => d + String(gtinCheckDigit(d)));
const lot = fc.stringMatching(/^[A-Za-z0-9_\-./]{1,20}$/);
const recallId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/);
const reason = fc.string({ minLength: 1, maxLength: 200 }).filter((s) => s.trim() !== '' && [...s].every((c) => c.charCodeAt(0) > 0x1f && c !== '\u007f'));

const validList: fc.Arbitrary<RecallList> = fc
  .uniqueArray(fc.record({ id: recallId, reason, since: fc.nat() }), { selector: (r) => r.id, minLength: 1, maxLength: 5 })
  .chain((recalls) => {
    const sorted = [...recalls].sort((a, b) => (a.id < b.id ? -1 : 1));
    const entry: fc.Arbitrary<RecallEntry> = fc.tuple(
      gtin14,
      fc.oneof(fc.constant([null, null] as const), lot.map((l) => [l, null] as const), lot.map((s) => [null, s] as const)),
      fc.constantFrom(...sorted.map((r) => r.id)),
    ).map(([g, [l, s], id]) => [g, l, s, id]);
    return fc.uniqueArray(entry, { selector: (e) => JSON.stringify(e), maxLength: 20 }).map((entries) => ({ v: 1 as const, recalls: sorted, entries }));
  });

describe('checkRecallList', () => {
  it('accepts every list built from valid parts, also after a JSON round trip', () => {
    fc.assert(
      fc.property(validList, (l) => {
        expect(checkRecallList(l)).toBeNull();
        expect(checkRecallList(JSON.parse(JSON.stringify(l)))).toBeNull();
      }),
    );
  });

  const G = '09506000134352';
  const base = (): RecallList => ({ v: 1, recalls: [{ id: 'R1', reason: 'Listeria', since: 0 }], entries: [[G, null, null, 'R1']] });
  it.each<[string, (l: RecallList) => unknown, RegExp]>([
    ['not an object', () => [], /^body: expected an object/],
    ['an unknown field', (l) => ({ ...l, extra: 1 }), /^extra: unknown field/],
    ['another version', (l) => ({ ...l, v: 2 }), /^v: expected 1/],
    ['unsorted recall ids', (l) => ({ ...l, recalls: [{ id: 'R2', reason: 'a', since: 0 }, ...l.recalls] }), /ids must be unique and sorted/],
    ['a control character in a reason', (l) => ({ ...l, recalls: [{ id: 'R1', reason: 'a\u0007', since: 0 }] }), /recalls\[0\]\.reason/],
    ['a reason of 201 characters', (l) => ({ ...l, recalls: [{ id: 'R1', reason: 'x'.repeat(201), since: 0 }] }), /recalls\[0\]\.reason/],
    ['a bad check digit', (l) => ({ ...l, entries: [['09506000134353', null, null, 'R1']] }), /entries\[0\]\[0\]: expected a GTIN-14/],
    ['a 13-digit GTIN', (l) => ({ ...l, entries: [['9506000134352', null, null, 'R1']] }), /entries\[0\]\[0\]/],
    ['a lot of 21 characters', (l) => ({ ...l, entries: [[G, 'x'.repeat(21), null, 'R1']] }), /entries\[0\]\[1\]/],
    ['a lot and a serial', (l) => ({ ...l, entries: [[G, 'L', 'S', 'R1']] }), /a lot or a serial, not both/],
    ['an unknown recall id', (l) => ({ ...l, entries: [[G, null, null, 'R9']] }), /entries\[0\]\[3\]/],
    ['a duplicate entry', (l) => ({ ...l, entries: [l.entries[0], l.entries[0]] }), /entries\[1\]: duplicate entry/],
  ])('refuses %s', (_what, mutate, problem) => {
    expect(checkRecallList(mutate(base()))).toMatch(problem);
  });

  it('refuses more than the entry bound', () => {
    const l = base();
    const many = Array.from({ length: MAX_RECALL_ENTRIES + 1 }, () => l.entries[0]);
    expect(checkRecallList({ ...l, entries: many })).toBe(`entries: more than ${MAX_RECALL_ENTRIES}`);
  });
});

describe('the rest of the contract', () => {
  it('toGtin14 pads GTIN-8/12/13 and refuses a bad check digit', () => {
    expect(toGtin14('9506000134352')).toBe('09506000134352');
    expect(toGtin14('96385074')).toBe('00000096385074');
    expect(toGtin14('9506000134353')).toBeNull();
    expect(toGtin14('95060001343')).toBeNull();
  });

  it('topics, and a bad store id is a TypeError', () => {
    expect(recallsTopic('s1')).toBe('kiosk/v1/s1/_all/recalls');
    expect(recallsReportedTopic('s1', 'lane-1')).toBe('kiosk/v1/s1/lane-1/recalls/reported');
    expect(() => recallsTopic('a/b')).toThrow(TypeError);
  });

  it('reads a report leniently (texts clipped), and nothing that is not one', () => {
    expect(readRecallsReported({ v: 1, version: 3, status: 'rejected', reason: 'x'.repeat(500), detail: 'd', ts: 5 })).toEqual({ v: 1, version: 3, status: 'rejected', reason: 'x'.repeat(100), detail: 'd', ts: 5 });
    expect(readRecallsReported({ v: 1, version: 3, status: 'applied', entries: 2, ts: 5 })).toEqual({ v: 1, version: 3, status: 'applied', entries: 2, ts: 5 });
    expect(readRecallsReported({ v: 1, status: 'maybe', ts: 5 })).toBeNull();
    expect(readRecallsReported([])).toBeNull();
  });
});
