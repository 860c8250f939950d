import type { Clock } from '../../kernel/clock';
import { businessDayOf } from '../../kernel/local-time';
import type { ScanResult } from '../barcodes/result';
import type { RecallLookup } from '../recalls/lookup';
import type { RecallCandidate } from '../recalls/match';

/** The GS1 date AIs the lane can refuse on: 15 best before, 16 sell by, 17 use by / expiry. */
export const EXPIRY_AIS = ['15', '16', '17'] as const;
export type ExpiryAi = (typeof EXPIRY_AIS)[number];

/** What the lane checks a scanned trade item against before it adds it. */
export interface ItemCheckDeps {
  clock: Clock;
  /** The store's IANA zone: "today" is the store's calendar day, not UTC's. */
  timeZone: string;
  /** The date AIs whose date passed refuses the item (config `expiry.refuse`). */
  refuse: readonly ExpiryAi[];
  /** The recall list in force (runtime/recalls); absent: nothing is checked. */
  recalls?: RecallLookup;
}

/** Why the lane stops an item (or adds it but asks the attendant to look). */
export type ItemStop =
  | { kind: 'recalled'; gtin14: string; lot: string | null; serial: string | null; recall: RecallCandidate }
  /** The code carries no lot / serial but a recall of its GTIN names one: added, the attendant reads the pack. */
  | { kind: 'recall_check'; gtin14: string; recall: RecallCandidate }
  | { kind: 'expired'; gtin14: string | null; ai: ExpiryAi; date: string; today: string };

const DATE_OF: Record<ExpiryAi, 'bestBeforeDate' | 'sellByDate' | 'expiryDate'> = { '15': 'bestBeforeDate', '16': 'sellByDate', '17': 'expiryDate' };
/** Checked in this order: the strictest date first (a use-by past is what the log should say). */
const ORDER: readonly ExpiryAi[] = ['17', '16', '15'];

/**
 * The first refusing date AI of a GS1 scan whose date is before `today` (ISO dates compare as strings; a date of
 * today is still good today), or null. DD 00 arrives already mapped to the month's last day (runtime/barcodes).
 */
export function passedDate(scan: ScanResult, today: string, refuse: readonly ExpiryAi[]): { ai: ExpiryAi; date: string } | null {
  if (!scan.ok || scan.kind !== 'gs1') return null;
  for (const ai of ORDER) {
    if (!refuse.includes(ai)) continue;
    const date = scan[DATE_OF[ai]];
    if (date !== undefined && date < today) return { ai, date };
  }
  return null;
}

/** The store's calendar day at `ms` (midnight to midnight local time). */
export const storeToday = (ms: number, timeZone: string): string => businessDayOf(ms, timeZone, 0);

/**
 * The checks of one scan, recall first (a recalled item is never sold, whatever its date), then the dates. Only trade
 * items are checked: a GTIN (1D: no lot, no serial) or GS1 element string / Digital Link with an AI 01.
 */
export async function checkItem(scan: ScanResult, deps: ItemCheckDeps): Promise<ItemStop | null> {
  if (!scan.ok || (scan.kind !== 'gtin' && scan.kind !== 'gs1')) return null;
  const gtin14 = scan.gtin14 ?? null;
  let lotCheck: ItemStop | null = null;
  if (gtin14 && deps.recalls) {
    const lot = scan.kind === 'gs1' ? (scan.batch ?? null) : null;
    const serial = scan.kind === 'gs1' ? (scan.serial ?? null) : null;
    const v = await deps.recalls.check({ gtin14, lot, serial });
    if (v.status === 'recalled') return { kind: 'recalled', gtin14, lot, serial, recall: v.recall };
    if (v.status === 'check') lotCheck = { kind: 'recall_check', gtin14, recall: v.recall };
  }
  const today = storeToday(deps.clock.now(), deps.timeZone);
  const passed = passedDate(scan, today, deps.refuse);
  if (passed) return { kind: 'expired', gtin14, ai: passed.ai, date: passed.date, today };
  return lotCheck;
}

/** One line for staff, the log and the journal's help request: what stopped the item and why (≤ 300 characters). */
export function stopDetail(stop: ItemStop): string {
  switch (stop.kind) {
    case 'recalled': {
      const unit = stop.recall.lot !== null ? ` lot ${stop.recall.lot}` : stop.recall.serial !== null ? ` serial ${stop.recall.serial}` : '';
      return `recalled: GTIN ${stop.gtin14}${unit} is under recall ${stop.recall.recallId}: ${stop.recall.reason}`.slice(0, 300);
    }
    case 'recall_check': {
      const which = stop.recall.lot !== null ? `lot ${stop.recall.lot} (AI 10)` : `serial ${stop.recall.serial ?? ''} (AI 21)`;
      return `check the pack: recall ${stop.recall.recallId} of GTIN ${stop.gtin14} names ${which}, which this code does not carry: ${stop.recall.reason}`.slice(0, 300);
    }
    case 'expired': {
      const what = stop.ai === '17' ? 'use-by / expiry' : stop.ai === '16' ? 'sell-by' : 'best-before';
      return `date passed: ${what} date (AI ${stop.ai}) ${stop.date} is before the store's today ${stop.today}${stop.gtin14 ? ` (GTIN ${stop.gtin14})` : ''}`;
    }
  }
}
