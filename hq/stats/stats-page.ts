import { formatMoney } from '../console/format';
import { html, jsonScript, type Html } from '../console/html';
import type { Lang, Translate } from '../console/types';
import type { SalesStats } from './sales-stats';
import { statsCharts, type ChartId } from './stats-charts';
import { cellText, statsTables, averageItems, type StatsTable, type TableId } from './stats-tables';

/** The body of GET /stats: filters, export links, KPI cards, each chart with its table (the accessible version). */

export interface StatsPageInput {
  stats: SalesStats;
  t: Translate;
  lang: Lang;
  currency: string;
  /** Stores the user may pick (their scope, or every store known). */
  stores: readonly string[];
}

/** `from=…&to=…[&store=…]` for the export links (URLSearchParams encodes; the html template escapes the `&`). */
export function filterQuery(f: SalesStats['filter'], extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ from: f.from, to: f.to });
  if (f.storeId !== undefined) q.set('store', f.storeId);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

function tableHtml(table: StatsTable, money: (n: number) => string): Html {
  return html`<div class="table-wrap"><table>
<caption class="muted">${table.title}</caption>
<thead><tr>${table.header.map((h, i) => html`<th scope="col"${i > 0 && table.rows[0] && !('text' in table.rows[0][i]) ? html` class="num"` : ''}>${h}</th>`)}</tr></thead>
<tbody>${table.rows.map((r) => html`<tr>${r.map((c) => html`<td${'text' in c ? '' : html` class="num"`}>${cellText(c, money)}</td>`)}</tr>`)}</tbody>
</table></div>`;
}

export function statsPage(p: StatsPageInput): Html {
  const { stats: s, t } = p;
  const f = s.filter;
  const money = (n: number) => formatMoney(n, p.currency, p.lang);
  const tables = new Map(statsTables(s, t).map((x) => [x.id, x]));
  const charts = statsCharts(s, t, p.currency);
  const block = (tableId: TableId, chartId: ChartId | null): Html => {
    const table = tables.get(tableId)!;
    return html`<section class="stats-block" id="stats-${tableId}">
<h2>${table.title}</h2>
${chartId ? html`<div data-chart="${chartId}" role="img" aria-label="${table.title}"></div>${jsonScript(chartId, charts[chartId])}` : ''}
${tableHtml(table, money)}
<p class="muted"><a href="/stats/export.csv?${filterQuery(f, { table: tableId })}" download>CSV</a></p>
</section>`;
  };
  const tot = s.totals;
  const card = (label: string, value: string, detail?: string) =>
    html`<div class="card"><div class="muted">${label}</div><div class="value">${value}</div>${detail ? html`<div class="muted">${detail}</div>` : ''}</div>`;
  return html`<h1>${t('stats.title')}</h1>
<form class="filters" method="get" action="/stats">
<label>${t('stats.from')}<input type="date" name="from" value="${f.from}" required></label>
<label>${t('stats.to')}<input type="date" name="to" value="${f.to}" required></label>
<label>${t('stats.store')}<select name="store">
<option value="">${t('stats.allStores')}</option>
${p.stores.map((id) => html`<option value="${id}"${id === f.storeId ? html` selected` : ''}>${id}</option>`)}
</select></label>
<button type="submit" class="primary">${t('stats.apply')}</button>
</form>
<p class="muted">${t('stats.period', { from: f.from, to: f.to, zone: f.timezone })} · ${t('stats.rules')}</p>
<p>${t('stats.export')}: <a href="/stats/export.csv?${filterQuery(f)}" download>${t('stats.export.csv')}</a> · <a href="/stats/export.pdf?${filterQuery(f)}" download>${t('stats.export.pdf')}</a></p>
<div class="cards" id="stats-kpis">
${card(t('stats.kpi.orders'), String(tot.orders))}
${card(t('stats.kpi.sales'), money(tot.gross), `${t('stats.kpi.tax')} ${money(tot.tax)}`)}
${card(t('stats.kpi.basket'), money(tot.averageAmount), t('stats.kpi.basketItems', { items: averageItems(tot.items, tot.orders) }))}
${card(t('stats.kpi.refunds'), money(tot.refundAmount), t('stats.kpi.refundsDetail', { count: tot.refundCount }))}
${card(t('stats.kpi.net'), money(tot.net))}
</div>
${tot.orders === 0 && tot.refundCount === 0 ? html`<p class="notice">${t('stats.none')}</p>` : ''}
${block('day', 'stats-chart-day')}
${block('hour', 'stats-chart-hour')}
${block('method', 'stats-chart-method')}
${block('store', 'stats-chart-store')}
${block('lane', 'stats-chart-lane')}
${block('tax', null)}
${block('top-amount', 'stats-chart-top')}
${block('top-quantity', null)}`;
}
