import { formatMoney, formatTime } from '../console/format';
import { html, jsonScript, raw, type Html } from '../console/html';
import type { ConsoleSettings, Lang, Translate } from '../console/types';
import { channelLabel } from './messages';
import { formatRate, formatThreshold, overThreshold, type ChannelOutcomes } from './payment-monitor';

/** The body of GET /payments: a table per window (last hour, last 24 h), the last hour by store, and a small chart. */

export interface PaymentsPageInput {
  t: Translate;
  lang: Lang;
  currency: string;
  timezone: string;
  now: number;
  limits: ConsoleSettings['paymentAlert'];
  lastHour: ChannelOutcomes[];
  lastDay: ChannelOutcomes[];
  lastHourByStore: ChannelOutcomes[];
}

export const PAYMENTS_CHART = 'payments-chart-hour';

function outcomesTable(rows: ChannelOutcomes[], p: PaymentsPageInput, withStore: boolean): Html {
  const { t } = p;
  if (rows.length === 0) return html`<p class="muted">${t('stats.payments.none')}</p>`;
  const c = (k: string) => t(`stats.payments.${k}`);
  const countRate = (n: number, of: number) => html`${n} <span class="muted">(${formatRate(n, of)})</span>`;
  return html`<div class="table-wrap"><table>
<thead><tr>${withStore ? html`<th scope="col">${c('store')}</th>` : ''}<th scope="col">${c('channel')}</th><th scope="col" class="num">${c('attempts')}</th><th scope="col" class="num">${c('approved')}</th><th scope="col" class="num">${c('declined')}</th><th scope="col" class="num">${c('unknown')}</th><th scope="col" class="num">${c('refunds')}</th><th scope="col" class="num">${c('pending')}</th><th scope="col" class="num">${c('cancelled')}</th><th scope="col"></th></tr></thead>
<tbody>${rows.map((r) => {
    const over = overThreshold(r, p.limits);
    const hot = over.decline || over.unknown;
    return html`<tr${hot ? raw(' class="over"') : ''} data-channel="${r.channel}">${withStore ? html`<td>${r.storeId ?? ''}</td>` : ''}<td>${channelLabel(t, r.channel) || '—'}</td>
<td class="num">${r.attempts}</td>
<td class="num">${countRate(r.approved, r.attempts)}</td>
<td class="num">${over.decline ? html`<span class="badge bad">${countRate(r.declined, r.attempts)}</span>` : countRate(r.declined, r.attempts)}</td>
<td class="num">${over.unknown ? html`<span class="badge bad">${countRate(r.unknown, r.attempts)}</span>` : countRate(r.unknown, r.attempts)}</td>
<td class="num">${r.refunds} <span class="muted">${formatMoney(r.refundAmount, p.currency, p.lang)}</span></td>
<td class="num">${r.pending}</td>
<td class="num">${r.cancelled}</td>
<td>${hot ? html`<span class="badge bad">${c('over')}</span>` : ''}</td></tr>`;
  })}</tbody></table></div>`;
}

/** A stacked bar per channel: approved / declined / unknown over the last hour. */
export function paymentsChart(rows: ChannelOutcomes[], t: Translate): Record<string, unknown> {
  const serie = (key: 'approved' | 'declined' | 'unknown', color: string) => ({
    name: t(`stats.payments.${key}`),
    type: 'bar',
    stack: 'outcome',
    itemStyle: { color },
    data: rows.map((r) => r[key]),
  });
  return {
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 50, right: 20, top: 20, bottom: 50 },
    xAxis: { type: 'category', data: rows.map((r) => channelLabel(t, r.channel) || '—') },
    yAxis: { type: 'value', minInterval: 1 },
    series: [serie('approved', '#1e7b3a'), serie('declined', '#b3261e'), serie('unknown', '#8a5a00')],
  };
}

export function paymentsPage(p: PaymentsPageInput): Html {
  const { t } = p;
  return html`<h1>${t('stats.payments.title')}</h1>
<p class="muted">${t('stats.payments.updated', { time: formatTime(p.now, p.timezone, p.lang) })} · ${t('stats.payments.thresholds', {
    decline: formatThreshold(p.limits.declineRate),
    unknown: formatThreshold(p.limits.unknownRate),
    min: p.limits.minAttempts,
  })}</p>
<section id="payments-hour"><h2>${t('stats.payments.lastHour')}</h2>
${p.lastHour.length ? html`<div data-chart="${PAYMENTS_CHART}" role="img" aria-label="${t('stats.payments.chart')}"></div>${jsonScript(PAYMENTS_CHART, paymentsChart(p.lastHour, t))}` : ''}
${outcomesTable(p.lastHour, p, false)}</section>
<section id="payments-day"><h2>${t('stats.payments.lastDay')}</h2>
${outcomesTable(p.lastDay, p, false)}</section>
<section id="payments-stores"><h2>${t('stats.payments.byStore')}</h2>
${outcomesTable(p.lastHourByStore, p, true)}</section>`;
}
