import { formatMoney, formatTime } from '../console/format';
import { html } from '../console/html';
import type { ConsoleContext, ConsoleReply, ConsoleRequest } from '../console/types';
import { orderDetail } from './detail';
import { channelLabels, receiptLabel, statusBadge } from './orders-page';
import { returnSection, storeReturnReasons } from './returns';
import { hqRefundSection } from '../refunds/console';
import { refundDoubtSection } from './refund-doubt-section';

/**
 * A payment's reference (stored as JSON: authorisation code, masked PAN, trade numbers …) as `key value` pairs that
 * wrap inside their cell — one JSON line of a card approval is wider than the page. Text that is not a JSON object is
 * shown as it is, wrapping too.
 */
export function referenceList(reference: string | null): ReturnType<typeof html> | string {
  if (reference === null || reference === '') return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(reference);
  } catch {
    parsed = null;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return html`<code class="wrap">${reference}</code>`;
  const pairs = Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as const);
  return html`<dl class="reference">${pairs.map(([k, v]) => html`<dt>${k}</dt><dd><code>${v}</code></dd>`)}</dl>`;
}

/** GET /orders/:store/:device/:order — 404 when the order does not exist or is outside the user's stores. */
export async function orderPage(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const t = req.t;
  const d = await orderDetail(
    ctx.store.db.read,
    req.scope,
    { storeId: req.params.store ?? '', deviceId: req.params.device ?? '', orderId: req.params.order ?? '' },
    { lang: req.lang, timeZone: ctx.settings.timezone },
  );
  if (!d) return { error: { status: 404, message: t('orders.notFound') } };
  const o = d.order;
  const reasons = await storeReturnReasons(ctx.store.db.read, o.store_id, o.device_id);
  const orderHref = `/orders/${encodeURIComponent(o.store_id)}/${encodeURIComponent(o.device_id)}/${encodeURIComponent(o.order_id)}`;
  // refunds at the channel made by HQ itself (QR wallet payments; the form for admins): hq/refunds
  const hqRefunds = await hqRefundSection(req, ctx, orderHref, [o.store_id, o.device_id, o.order_id]);
  const money = (v: number | null) => (v === null ? '' : formatMoney(v, 'CNY', req.lang));
  const time = (ms: number | null) => (ms === null ? '—' : formatTime(ms, ctx.settings.timezone, req.lang));
  const body = html`
    <p><a href="/orders">← ${t('orders.back')}</a></p>
    <h1>${t('orders.detail.title', { receipt: receiptLabel(o) })}</h1>
    ${d.training ? html`<p class="banner banner-bad" id="training-mark"><strong>${t('orders.trainingMark')}</strong></p>` : ''}
    <dl class="facts">
      <dt>${t('orders.col.store')}</dt><dd><a href="/fleet/${encodeURIComponent(o.store_id)}/${encodeURIComponent(o.device_id)}">${o.store_id} / ${o.device_id}</a></dd>
      <dt>${t('orders.detail.order')}</dt><dd><code>${o.order_id}</code></dd>
      <dt>${t('orders.col.status')}</dt><dd>${statusBadge(t, o.status)}</dd>
      <dt>${t('orders.detail.opened')}</dt><dd>${time(o.opened_at)}</dd>
      <dt>${t('orders.detail.completed')}</dt><dd>${time(o.completed_at)}</dd>
      <dt>${t('orders.col.items')}</dt><dd>${o.items}</dd>
      <dt>${t('orders.col.total')}</dt><dd id="order-total">${money(o.total)}</dd>
      <dt>${t('orders.detail.tax')}</dt><dd>${money(o.tax_total)}</dd>
      <dt>${t('orders.detail.discount')}</dt><dd>${money(o.discount_total)}</dd>
      <dt>${t('orders.detail.refunded')}</dt><dd>${money(o.refunded)}</dd>
      <dt>${t('orders.detail.member')}</dt><dd>${o.member_id ?? '—'}</dd>
    </dl>
    <h2>${t('orders.detail.payments')}</h2>
    <div class="table-wrap"><table id="payments-table"><thead><tr><th>${t('orders.detail.channel')}</th><th>${t('orders.col.status')}</th>
      <th>${t('orders.detail.amount')}</th><th>${t('orders.detail.started')}</th><th>${t('orders.detail.reason')}</th><th>${t('orders.detail.reference')}</th></tr></thead>
      <tbody>${d.payments.length
        ? d.payments.map((p) => html`<tr><td>${channelLabels(t, p.channel)}</td><td><span class="badge ${p.status === 'approved' ? 'ok' : p.status === 'unknown' ? 'bad' : 'warn'}">${t(`orders.pay.${p.status}`)}</span></td>
          <td class="num">${money(p.amount)}</td><td class="nowrap">${time(p.started_at)}</td><td>${p.reason ?? ''}</td><td>${referenceList(p.reference)}</td></tr>`)
        : html`<tr><td colspan="6" class="muted">${t('orders.none')}</td></tr>`}</tbody></table></div>
    <h2>${t('orders.detail.refunds')}</h2>
    <div class="table-wrap"><table id="refunds-table"><thead><tr><th>${t('orders.detail.time')}</th><th>${t('orders.detail.amount')}</th>
      <th>${t('orders.detail.channel')}</th><th>${t('orders.detail.attendant')}</th><th>${t('orders.return.reason')}</th><th>${t('orders.return.id')}</th></tr></thead>
      <tbody>${d.refunds.length
        ? d.refunds.map((r) => html`<tr><td>${time(r.ts)}</td><td class="num">${money(r.amount)}</td><td>${channelLabels(t, r.channel ?? '')}</td><td>${r.attendant_id ?? ''}</td><td>${r.reason ?? ''}</td><td>${r.returnId ? html`<code>${r.returnId}</code>` : ''}</td></tr>`)
        : html`<tr><td colspan="6" class="muted">${t('orders.none')}</td></tr>`}</tbody></table></div>
    ${refundDoubtSection(t, d.refundDoubts, money, time)}
    ${returnSection(req, `/orders/${encodeURIComponent(o.store_id)}/${encodeURIComponent(o.device_id)}/${encodeURIComponent(o.order_id)}`, d.returns, (ms) => time(ms), reasons)}
    ${hqRefunds}
    <h2>${t('orders.detail.timeline')}</h2>
    <div class="table-wrap"><table id="timeline-table"><thead><tr><th>seq</th><th>${t('orders.detail.time')}</th><th>${t('orders.detail.type')}</th>
      <th>${t('orders.detail.transition')}</th><th>${t('orders.detail.amount')}</th><th>${t('orders.detail.chain')}</th></tr></thead>
      <tbody>${d.timeline.map(
        (e) => html`<tr><td class="num">${e.seq}</td><td>${time(e.ts)}</td><td>${e.type}</td><td>${e.from ?? ''} → ${e.to ?? ''}</td>
          <td class="num">${money(e.amount)}</td><td>${e.verified ? html`<span class="badge ok">✓ ${t('orders.detail.verified')}</span>` : html`<span class="badge warn">${t('orders.detail.unverified')}</span>`}</td></tr>`,
      )}</tbody></table></div>
    <h2>${t('orders.detail.receipt')}</h2>
    ${d.receipt !== null ? html`<pre id="receipt" class="receipt">${d.receipt}</pre>` : html`<p class="muted">${t('orders.detail.noReceipt')}</p>`}`;
  return { page: { title: t('orders.detail.title', { receipt: receiptLabel(o) }), body, live: ['orders', 'commands'] } };
}
