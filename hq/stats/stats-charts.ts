import { minorDigits } from '../console/format';
import type { Translate } from '../console/types';
import { csvMoney } from './csv';
import { channelLabel } from './messages';
import type { SalesStats } from './sales-stats';
import { hourLabel } from './stats-tables';

/**
 * Apache ECharts options for the statistics page (plain JSON: the page carries them in `jsonScript` elements and the
 * console's client script initialises every `[data-chart]`). Amounts are shown in the currency's major unit: the
 * integer minor units are turned into their exact decimal only here, for display.
 */

export type ChartId = 'stats-chart-day' | 'stats-chart-hour' | 'stats-chart-method' | 'stats-chart-store' | 'stats-chart-lane' | 'stats-chart-top';

/** 1234 minor units of a 2-digit currency → 12.34 (parsed from the exact decimal text). */
export const majorUnits = (minor: number, digits: number): number => Number(csvMoney(minor, digits).text);

const axisTooltip = { trigger: 'axis' };

function bar(t: Translate, names: string[], values: number[], horizontal = false): Record<string, unknown> {
  const cat = { type: 'category', data: names, axisLabel: { interval: 0, hideOverlap: true } };
  const val = { type: 'value' };
  return {
    tooltip: axisTooltip,
    grid: { left: horizontal ? 140 : 60, right: 20, top: 20, bottom: 40, containLabel: !horizontal },
    xAxis: horizontal ? val : cat,
    yAxis: horizontal ? { ...cat, inverse: true } : val,
    series: [{ name: t('stats.col.sales'), type: 'bar', data: values }],
  };
}

export function statsCharts(s: SalesStats, t: Translate, currency: string): Record<ChartId, Record<string, unknown>> {
  const d = minorDigits(currency);
  const m = (minor: number) => majorUnits(minor, d);
  return {
    'stats-chart-day': {
      tooltip: axisTooltip,
      // ECharts 6 puts a legend at the bottom by default, over the x-axis labels: at the top, above the plot
      legend: { top: 0, data: [t('stats.col.sales'), t('stats.col.net')] },
      grid: { left: 60, right: 20, top: 40, bottom: 40 },
      xAxis: { type: 'category', data: s.byDay.map((x) => x.date) },
      yAxis: { type: 'value' },
      series: [
        { name: t('stats.col.sales'), type: 'line', data: s.byDay.map((x) => m(x.gross)) },
        { name: t('stats.col.net'), type: 'line', data: s.byDay.map((x) => m(x.net)) },
      ],
    },
    'stats-chart-hour': bar(
      t,
      s.byHour.map((h) => hourLabel(h.hour)),
      s.byHour.map((h) => m(h.gross)),
    ),
    'stats-chart-method': {
      tooltip: { trigger: 'item' },
      legend: { bottom: 0, type: 'scroll' },
      series: [
        {
          name: t('stats.byMethod'),
          type: 'pie',
          radius: ['30%', '58%'],
          center: ['50%', '45%'],
          data: s.byMethod.map((x) => ({ name: channelLabel(t, x.method), value: m(x.amount) })),
        },
      ],
    },
    'stats-chart-store': bar(
      t,
      s.byStore.map((x) => x.storeId),
      s.byStore.map((x) => m(x.gross)),
    ),
    'stats-chart-lane': bar(
      t,
      s.byLane.map((x) => `${x.storeId} / ${x.deviceId}`),
      s.byLane.map((x) => m(x.gross)),
    ),
    'stats-chart-top': bar(
      t,
      s.topByAmount.map((x) => x.name),
      s.topByAmount.map((x) => m(x.amount)),
      true,
    ),
  };
}
