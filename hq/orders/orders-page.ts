import { ORDER_STATES, type OrderState } from '../../protocol/orders/order-states';
import { formatMoney, formatTime } from '../console/format';
import { html, type Html } from '../console/html';
import type { ConsoleContext, ConsoleReply, ConsoleRequest, Translate } from '../console/types';
import { parseOrderQuery, searchOrders, type OrderSummary } from './search';

/** The order states a search may ask for, in lifecycle order: the wire's, less `idle` (no order rests in it). */
export const ORDER_STATUSES: readonly Exclude<OrderState, 'idle'>[] = ORDER_STATES.filter((s): s is Exclude<OrderState, 'idle'> => s !== 'idle');

const BADGE: Record<string, string> = {
  completed: 'ok',
  partially_refunded: 'warn',
  refunded: 'warn',
  cancelled: '',
  payment_unknown: 'bad',
};

export const statusBadge = (t: Translate, status: string): Html =>
  html`<span class="badge ${BADGE[status] ?? 'warn'}">${(ORDER_STATUSES as readonly string[]).includes(status) ? t(`orders.status.${status}`) : status}</span>`;

/** Payment channels with a label of their own; any other channel shows as the kiosk or gateway named it. */
const CHANNELS = ['card', 'qr', 'qr_merchant', 'cash', 'alipay', 'wechat', 'unionpay'];

/** `card,alipay` → `Card, Alipay` (`银行卡、支付宝`). */
export const channelLabels = (t: Translate, methods: string): string =>
  methods
    .split(',')
    .filter((m) => m !== '')
    .map((m) => (CHANNELS.includes(m) ? t(`orders.method.${m}`) : m))
    .join(t('orders.method.sep'));

export const orderHref = (o: { store_id: string; device_id: string; order_id: string }): string =>
  `/orders/${encodeURIComponent(o.store_id)}/${encodeURIComponent(o.device_id)}/${encodeURIComponent(o.order_id)}`;

export const receiptLabel = (o: { receipt_no: number | null; training: number }): string =>
  o.receipt_no === null ? '—' : `${o.training ? 'T' : ''}${String(o.receipt_no).padStart(6, '0')}`;

function field(label: string, name: string, value: string | undefined, attrs: Html = html``): Html {
  return html`<label>${label}<br><input name="${name}" value="${value ?? ''}" ${attrs}></label>`;
}

/** GET /orders: the search form (GET: a search is a bookmarkable URL) and one page of results. */
export async function ordersPage(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const t = req.t;
  const q = req.query;
  const parsed = parseOrderQuery(q);
  const page = Number(q.page ?? '1');
  const result = 'filter' in parsed ? await searchOrders(ctx.store.db.read, req.scope, parsed.filter, page, ctx.settings.timezone) : null;
  const form = html`<form method="get" action="/orders" class="filters" role="search">
    ${field(t('orders.f.store'), 'store', q.store)} ${field(t('orders.f.device'), 'device', q.device)}
    ${field(t('orders.f.from'), 'from', q.from, html`type="date"`)} ${field(t('orders.f.to'), 'to', q.to, html`type="date"`)}
    ${field(t('orders.f.receipt'), 'receipt', q.receipt)} ${field(t('orders.f.amount'), 'amount', q.amount, html`inputmode="decimal" size="8"`)}
    ${field(t('orders.f.minAmount'), 'minAmount', q.minAmount, html`inputmode="decimal" size="8"`)}
    ${field(t('orders.f.maxAmount'), 'maxAmount', q.maxAmount, html`inputmode="decimal" size="8"`)}
    <label>${t('orders.f.status')}<br><select name="status"><option value="">${t('orders.f.any')}</option>${ORDER_STATUSES.map(
      (s) => html`<option value="${s}" ${q.status === s ? html`selected` : ''}>${t(`orders.status.${s}`)}</option>`,
    )}</select></label>
    ${field(t('orders.f.method'), 'method', q.method, html`size="8"`)}
    <label><input type="checkbox" name="training" value="1" ${q.training === '1' ? html`checked` : ''}> ${t('orders.f.training')}</label>
    <button class="primary" type="submit">${t('orders.search')}</button>
  </form>`;
  if (!result) {
    const err = 'error' in parsed ? parsed.error : 'range';
    return {
      status: 400,
      page: { title: t('orders.title'), body: html`<h1>${t('orders.title')}</h1>${form}<p class="error" role="alert">${t(`orders.err.${err}`)}</p>`, live: ['orders'] },
    };
  }
  const money = (v: number) => formatMoney(v, 'CNY', req.lang);
  const row = (o: OrderSummary) => html`<tr>
    <td>${formatTime(o.completed_at ?? o.opened_at, ctx.settings.timezone, req.lang)}</td>
    <td>${o.store_id}</td><td>${o.device_id}</td>
    <td><a href="${orderHref(o)}">${receiptLabel(o)}</a></td>
    <td class="num">${o.items}</td><td class="num">${money(o.total)}</td>
    <td>${channelLabels(t, o.methods)}</td>
    <td>${statusBadge(t, o.status)} ${o.training ? html`<span class="badge">${t('orders.training')}</span>` : ''}</td>
  </tr>`;
  const link = (p: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (typeof v === 'string' && v !== '' && k !== 'page') params.set(k, v);
    params.set('page', String(p));
    return `/orders?${params.toString()}`;
  };
  const count = result.more ? t('orders.countMore', { n: result.total.toLocaleString('en').replace(/,/g, ' ') }) : t('orders.count', { n: result.total });
  const body = html`<h1>${t('orders.title')}</h1>${form}
    <p class="muted" id="orders-count">${count}</p>
    <div class="table-wrap"><table id="orders-table">
      <thead><tr><th>${t('orders.col.time')}</th><th>${t('orders.col.store')}</th><th>${t('orders.col.lane')}</th><th>${t('orders.col.receipt')}</th>
      <th>${t('orders.col.items')}</th><th>${t('orders.col.total')}</th><th>${t('orders.col.methods')}</th><th>${t('orders.col.status')}</th></tr></thead>
      <tbody>${result.rows.length ? result.rows.map(row) : html`<tr><td colspan="8" class="muted">${t('orders.none')}</td></tr>`}</tbody>
    </table></div>
    <nav class="pager" aria-label="${t('orders.pages')}">
      ${result.page > 1 ? html`<a rel="prev" href="${link(result.page - 1)}">${t('orders.prev')}</a>` : ''}
      <span>${t('orders.page', { page: result.page, pages: result.pages })}</span>
      ${result.page < result.pages ? html`<a rel="next" href="${link(result.page + 1)}">${t('orders.next')}</a>` : ''}
    </nav>`;
  return { page: { title: t('orders.title'), body, live: ['orders'] } };
}
