import { html, type Html } from '../console/html';
import type { Translate } from '../console/types';
import { channelLabels } from './orders-page';
import type { RefundDoubt } from './refund-doubts';

/** What the status cell says of one refund doubt: in doubt at the lane, or its outcome and who decided it. */
export function refundDoubtStatus(t: Translate, d: RefundDoubt): Html {
  if (d.state === 'in_doubt') return html`<span class="badge bad">${t('orders.doubt.inDoubt')}</span>`;
  const text =
    d.state === 'refunded'
      ? d.decidedBy !== null
        ? t('orders.doubt.refundedByAttendant', { attendant: d.decidedBy })
        : t('orders.doubt.refundedByLane')
      : d.decidedBy !== null
        ? t('orders.doubt.notRefundedByAttendant', { attendant: d.decidedBy })
        : t('orders.doubt.notRefundedByLane');
  return html`<span class="badge ${d.state === 'refunded' ? 'ok' : 'warn'}">${text}</span>`;
}

/**
 * The order page's refunds in doubt at the lane (hq/orders/refund-doubts.ts): a warning while one is open, and one
 * row per refund attempt — amount, method, since when, its id, the status. Nothing when the order had none.
 */
export function refundDoubtSection(t: Translate, doubts: readonly RefundDoubt[], money: (v: number | null) => string, time: (ms: number | null) => string): Html | string {
  if (doubts.length === 0) return '';
  const open = doubts.some((d) => d.state === 'in_doubt');
  return html`<section id="refund-doubts"><h2>${t('orders.doubt.title')}</h2>
    ${open ? html`<p class="banner banner-bad" id="refund-doubt-open"><strong>${t('orders.doubt.open')}</strong></p>` : ''}
    <div class="table-wrap"><table id="refund-doubts-table"><thead><tr><th>${t('orders.doubt.since')}</th><th>${t('orders.detail.amount')}</th>
      <th>${t('orders.detail.channel')}</th><th>${t('orders.doubt.attempt')}</th><th>${t('orders.col.status')}</th><th>${t('orders.doubt.settledAt')}</th>
      <th>${t('orders.detail.reason')}</th><th>${t('orders.detail.attendant')}</th><th>${t('orders.return.id')}</th></tr></thead>
      <tbody>${doubts.map(
        (d) => html`<tr data-refund-attempt="${d.refundAttemptId}" data-state="${d.state}"><td class="nowrap">${time(d.since)}</td><td class="num">${money(d.amount)}</td>
          <td>${channelLabels(t, d.method ?? '')}</td><td><code>${d.refundAttemptId}</code></td><td>${refundDoubtStatus(t, d)}</td>
          <td class="nowrap">${d.settledAt === null ? '' : time(d.settledAt)}</td><td>${d.reason ?? ''}</td><td>${d.attendantId ?? ''}</td>
          <td>${d.returnId ? html`<code>${d.returnId}</code>` : ''}</td></tr>`,
      )}</tbody></table></div></section>`;
}
