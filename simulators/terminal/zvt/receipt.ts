import type { JournalEntry } from '../journal';

/** The text of the simulator's receipts (what it sends as 06 D1 lines when the registration asks for print lines). */

const CURRENCY_LABELS: Record<number, string> = { 978: 'EUR', 156: 'CNY', 756: 'CHF', 840: 'USD', 826: 'GBP' };

export function currencyLabel(code: number): string {
  return CURRENCY_LABELS[code] ?? code.toString().padStart(3, '0');
}

export function receiptLines(terminalId: string, e: JournalEntry, title: string): string[] {
  const money = `${Math.floor(e.amount / 100)},${(e.amount % 100).toString().padStart(2, '0')}`;
  const lines = [title, `Terminal-ID ${terminalId}`, `Trace ${e.traceNumber}  Beleg ${e.receiptNumber}`, `Betrag ${currencyLabel(e.currency)} ${money}`];
  if (e.maskedPan) lines.push(`${e.cardName ?? 'Karte'} ${e.maskedPan}`);
  return lines;
}
