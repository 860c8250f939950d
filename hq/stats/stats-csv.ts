import { minorDigits } from '../console/format';
import type { Translate } from '../console/types';
import { csvDocument, csvMoney, type CsvSection, type CsvValue } from './csv';
import type { SalesStats } from './sales-stats';
import { statsTables, type Cell, type TableId } from './stats-tables';

/**
 * The statistics as CSV: every table as a section (title line, header, rows) after a short header block (period,
 * store, currency), or one table alone (`table`) with just its header and rows — easy to load into a pivot table.
 * Money as decimal numbers in the currency's major unit, named in the header block.
 */
export function statsCsv(s: SalesStats, t: Translate, currency: string, table?: TableId): string {
  const digits = minorDigits(currency);
  const cell = (c: Cell): CsvValue => ('text' in c ? c.text : 'count' in c ? c.count : csvMoney(c.money, digits));
  const tables = statsTables(s, t).filter((x) => table === undefined || x.id === table);
  const sections: CsvSection[] = tables.map((x) => ({ title: table === undefined ? x.title : undefined, header: x.header, rows: x.rows.map((r) => r.map(cell)) }));
  if (table !== undefined) return csvDocument(sections);
  const about: CsvSection = {
    title: t('stats.title'),
    header: [t('stats.period', { from: s.filter.from, to: s.filter.to, zone: s.filter.timezone })],
    rows: [[t('stats.storeLine', { store: s.filter.storeId ?? t('stats.allStores') })], [t('stats.currency', { currency })]],
  };
  return csvDocument([about, ...sections]);
}
