import type { Translate } from '../console/types';
import { channelLabel } from './messages';
import type { SalesStats } from './sales-stats';

/**
 * The statistics as tables — one definition for the page's accessible tables, the CSV export and the PDF, so the
 * three always agree. Cells are typed: money stays integer minor units until each output formats it.
 */

export type Cell = { text: string } | { count: number } | { money: number };

export interface StatsTable {
  /** Stable id: the CSV `?table=` value and the chart id. */
  id: TableId;
  title: string;
  header: string[];
  rows: Cell[][];
}

export const TABLE_IDS = ['kpis', 'day', 'hour', 'store', 'lane', 'method', 'tax', 'top-quantity', 'top-amount'] as const;
export type TableId = (typeof TABLE_IDS)[number];

export const isTableId = (s: string): s is TableId => (TABLE_IDS as readonly string[]).includes(s);

const text = (s: string): Cell => ({ text: s });
const count = (n: number): Cell => ({ count: n });
const money = (n: number): Cell => ({ money: n });

/** Average items per order with one decimal, from integers (no float sums): 6 items / 4 orders → "1.5". */
export function averageItems(items: number, orders: number): string {
  if (orders <= 0) return '0';
  const tenths = Math.round((items * 10) / orders);
  return `${Math.floor(tenths / 10)}.${tenths % 10}`;
}

export const hourLabel = (h: number): string => `${String(h).padStart(2, '0')}:00`;

export function statsTables(s: SalesStats, t: Translate): StatsTable[] {
  const c = (k: string) => t(`stats.col.${k}`);
  const salesCols = [c('orders'), c('sales'), c('tax')];
  const refundCols = [c('refunds'), c('refundAmount'), c('net')];
  const tot = s.totals;
  return [
    {
      id: 'kpis',
      title: t('stats.kpis'),
      header: [c('figure'), c('value')],
      rows: [
        [text(t('stats.kpi.orders')), count(tot.orders)],
        [text(t('stats.kpi.sales')), money(tot.gross)],
        [text(t('stats.kpi.tax')), money(tot.tax)],
        [text(t('stats.kpi.refunds')), money(tot.refundAmount)],
        [text(t('stats.col.refunds')), count(tot.refundCount)],
        [text(t('stats.kpi.net')), money(tot.net)],
        [text(t('stats.kpi.basket')), money(tot.averageAmount)],
        [text(t('stats.kpi.items')), text(averageItems(tot.items, tot.orders))],
      ],
    },
    {
      id: 'day',
      title: t('stats.byDay'),
      header: [c('date'), ...salesCols, ...refundCols],
      rows: s.byDay.map((d) => [text(d.date), count(d.orders), money(d.gross), money(d.tax), count(d.refundCount), money(d.refundAmount), money(d.net)]),
    },
    {
      id: 'hour',
      title: t('stats.byHour'),
      header: [c('hour'), ...salesCols],
      rows: s.byHour.map((h) => [text(hourLabel(h.hour)), count(h.orders), money(h.gross), money(h.tax)]),
    },
    {
      id: 'store',
      title: t('stats.byStore'),
      header: [c('store'), ...salesCols, ...refundCols],
      rows: s.byStore.map((r) => [text(r.storeId), count(r.orders), money(r.gross), money(r.tax), count(r.refundCount), money(r.refundAmount), money(r.net)]),
    },
    {
      id: 'lane',
      title: t('stats.byLane'),
      header: [c('store'), c('lane'), ...salesCols],
      rows: s.byLane.map((r) => [text(r.storeId), text(r.deviceId), count(r.orders), money(r.gross), money(r.tax)]),
    },
    {
      id: 'method',
      title: t('stats.byMethod'),
      header: [c('method'), c('payments'), c('amount')],
      rows: s.byMethod.map((m) => [text(channelLabel(t, m.method)), count(m.payments), money(m.amount)]),
    },
    {
      id: 'tax',
      title: t('stats.byTaxClass'),
      header: [c('taxClass'), c('lines'), c('quantity'), c('sales'), c('tax')],
      rows: s.byTaxClass.map((x) => [text(x.taxClass || t('stats.noTaxClass')), count(x.lines), count(x.quantity), money(x.sales), money(x.tax)]),
    },
    {
      id: 'top-quantity',
      title: t('stats.topQuantity'),
      header: [c('code'), c('item'), c('quantity'), c('amount')],
      rows: s.topByQuantity.map((i) => [text(i.item), text(i.name), count(i.quantity), money(i.amount)]),
    },
    {
      id: 'top-amount',
      title: t('stats.topAmount'),
      header: [c('code'), c('item'), c('quantity'), c('amount')],
      rows: s.topByAmount.map((i) => [text(i.item), text(i.name), count(i.quantity), money(i.amount)]),
    },
  ];
}

/** A cell as display text (page, PDF): money through the console's formatter. */
export function cellText(cell: Cell, formatMoney: (minor: number) => string): string {
  if ('text' in cell) return cell.text;
  if ('count' in cell) return String(cell.count);
  return formatMoney(cell.money);
}
