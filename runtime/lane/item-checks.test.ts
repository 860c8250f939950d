/**
 * The lane's item checks as pure functions: the store's "today" in its own time zone (not UTC's), the dates of a
 * parsed GS1 code (DD 00 = the month's last day), and what a recall entry stops (every unit / one lot / one serial,
 * and a code that cannot show the lot).
 */
import { defaultBarcodeRules } from '../../config/barcode-rules';
import { gtinCheckDigit } from '../../kernel/gs1-check-digit';
import { SimulatedClock } from '../../kernel/clock';
import { parseScan } from '../barcodes';
import { matchRecall, type RecallCandidate } from '../recalls/match';
import { checkItem, passedDate, stopDetail, storeToday } from './item-checks';

const gtin13 = (twelve: string) => twelve + String(gtinCheckDigit(twelve));
const G13 = gtin13('690123456789');
const G14 = `0${G13}`;
const scan = (raw: string) => parseScan(raw, defaultBarcodeRules);

describe("the store's today", () => {
  it('is the calendar day in the store zone: 2026-03-01 23:30 UTC is already 2 March in Shanghai, still 1 March in New York', () => {
    const ms = Date.UTC(2026, 2, 1, 23, 30);
    expect(storeToday(ms, 'Asia/Shanghai')).toBe('2026-03-02');
    expect(storeToday(ms, 'America/New_York')).toBe('2026-03-01');
    expect(storeToday(ms, 'UTC')).toBe('2026-03-01');
  });

  it('a use-by of 1 March refuses in Shanghai just after local midnight, not a minute before', () => {
    const s = scan(`]d201${G14}17260301`);
    expect(s).toMatchObject({ ok: true, kind: 'gs1', expiryDate: '2026-03-01' });
    const before = Date.UTC(2026, 2, 1, 15, 59); // 23:59 in Shanghai, 1 March
    const after = Date.UTC(2026, 2, 1, 16, 0); // 00:00 in Shanghai, 2 March
    expect(passedDate(s, storeToday(before, 'Asia/Shanghai'), ['17'])).toBeNull();
    expect(passedDate(s, storeToday(after, 'Asia/Shanghai'), ['17'])).toEqual({ ai: '17', date: '2026-03-01' });
    // the same instant in UTC is still 1 March: not passed
    expect(passedDate(s, storeToday(after, 'UTC'), ['17'])).toBeNull();
  });

  it('DD 00 means the last day of the month (February 2028 is a leap month)', () => {
    const s = scan(`]d201${G14}15280200`);
    expect(s).toMatchObject({ ok: true, bestBeforeDate: '2028-02-29' });
    expect(passedDate(s, '2028-02-29', ['15'])).toBeNull();
    expect(passedDate(s, '2028-03-01', ['15'])).toEqual({ ai: '15', date: '2028-02-29' });
  });

  it('refuses only on the configured AIs, the use-by first', () => {
    const s = scan(`]d201${G14}152601011626010117260101`); // fixed-length AIs: no separator
    expect(s).toMatchObject({ ok: true, bestBeforeDate: '2026-01-01', sellByDate: '2026-01-01', expiryDate: '2026-01-01' });
    expect(passedDate(s, '2026-06-01', ['15', '16', '17'])).toMatchObject({ ai: '17' });
    expect(passedDate(s, '2026-06-01', ['15', '16'])).toMatchObject({ ai: '16' });
    expect(passedDate(s, '2026-06-01', ['15'])).toMatchObject({ ai: '15' });
    expect(passedDate(s, '2026-06-01', [])).toBeNull();
    // a 1D code carries no date
    expect(passedDate(scan(G13), '2099-01-01', ['17'])).toBeNull();
  });
});

const rc = (id: string, lot: string | null = null, serial: string | null = null): RecallCandidate => ({ recallId: id, reason: `reason ${id}`, since: 1, lot, serial });

describe('recall matching', () => {
  it('a GTIN-wide entry stops every unit, with or without a lot', () => {
    expect(matchRecall([rc('R1')], {})).toMatchObject({ status: 'recalled', recall: { recallId: 'R1' } });
    expect(matchRecall([rc('R1')], { lot: 'A1' })).toMatchObject({ status: 'recalled' });
  });

  it('a lot entry stops that lot, lets other lots through, and asks for a check when the code has no lot', () => {
    const c = [rc('R2', 'L7')];
    expect(matchRecall(c, { lot: 'L7' })).toMatchObject({ status: 'recalled', recall: { recallId: 'R2', lot: 'L7' } });
    expect(matchRecall(c, { lot: 'L8' })).toEqual({ status: 'clear' });
    expect(matchRecall(c, {})).toMatchObject({ status: 'check', recall: { recallId: 'R2' } });
    // a lot is compared exactly (GS1 lots are case-sensitive)
    expect(matchRecall(c, { lot: 'l7' })).toEqual({ status: 'clear' });
  });

  it('a serial entry stops that serial only; a code without a serial needs a check', () => {
    const c = [rc('R3', null, 'S100')];
    expect(matchRecall(c, { serial: 'S100', lot: 'X' })).toMatchObject({ status: 'recalled' });
    expect(matchRecall(c, { serial: 'S101' })).toEqual({ status: 'clear' });
    expect(matchRecall(c, { lot: 'X' })).toMatchObject({ status: 'check' });
  });

  it('a match wins over a check, whatever the order of the entries', () => {
    expect(matchRecall([rc('A', null, 'S1'), rc('B', 'L1')], { lot: 'L1' })).toMatchObject({ status: 'recalled', recall: { recallId: 'B' } });
    expect(matchRecall([], { lot: 'L1' })).toEqual({ status: 'clear' });
  });
});

describe('checkItem', () => {
  const clock = new SimulatedClock(Date.UTC(2026, 2, 2, 4)); // 12:00 in Shanghai, 2 March
  const recalls = (c: RecallCandidate[]) => ({ check: async () => matchRecall(c, {}) });

  it('a recall wins over a passed date; a lot check still lets a passed date refuse', async () => {
    const expired = scan(`]d201${G14}17260301`);
    const deps = { clock, timeZone: 'Asia/Shanghai', refuse: ['17'] as const };
    expect(await checkItem(expired, { ...deps, recalls: recalls([rc('R1')]) })).toMatchObject({ kind: 'recalled', gtin14: G14 });
    expect(await checkItem(expired, { ...deps, recalls: recalls([rc('R2', 'L1')]) })).toMatchObject({ kind: 'expired', ai: '17', date: '2026-03-01', today: '2026-03-02' });
    const stop = await checkItem(scan(G13), { ...deps, recalls: recalls([rc('R2', 'L1')]) });
    expect(stop).toMatchObject({ kind: 'recall_check', gtin14: G14 });
    expect(stopDetail(stop!)).toMatch(/recall R2 of GTIN \d{14} names lot L1 \(AI 10\)/);
    expect(await checkItem(scan(`]d201${G14}17260302`), deps)).toBeNull();
  });
});
