/**
 * The order page's "Refund at the channel" section and its POST (admins only: `channels.manage`, the permission
 * over the merchant secrets the refund uses). Each request is audited (hq/refunds/hq-refund.ts); the refund id is
 * made when the page is drawn, so a form sent twice is one refund; a pending refund has an "Ask the channel" button
 * (the same refund id again → the refund query). A refunded one is sent to the kiosk (hq/refunds/kiosk-notice.ts);
 * its column "At the kiosk" says whether the kiosk has recorded it.
 */
import { randomUUID } from 'node:crypto';
import { isKioskError } from '../../kernel/errors';
import { formatMoney, formatTime } from '../console/format';
import { csrfField, html } from '../console/html';
import { can, type ConsoleContext, type ConsoleReply, type ConsoleRequest } from '../console/types';
import { hqRefund } from './hq-refund';
import { channelRefunders } from './refunders';
import { kioskNotices, sendHqRefundNotices, type KioskNotice } from './kiosk-notice';
import { hqRefunds, walletPayments } from './refund-rows';

type Ids = [string, string, string];

/** The section: HQ's refunds of this order with their state, and (admins, a QR wallet payment) the form. */
export async function hqRefundSection(req: ConsoleRequest, ctx: ConsoleContext, href: string, ids: Ids) {
  const t = req.t;
  const db = ctx.store.db.read;
  const [rows, wallets] = await Promise.all([hqRefunds(db, ids), walletPayments(db, ids)]);
  if (wallets.length === 0 && rows.length === 0) return '';
  const notices = await kioskNotices(db, rows.filter((r) => r.allocation.state === 'refunded'), ctx.clock.now());
  const kiosk = (n: KioskNotice | undefined) =>
    !n ? '' : n.state === 'recorded' ? html`<span class="badge ok">${t('refunds.hq.kiosk.recorded')}</span>`
      : n.state === 'failed' ? html`<span class="badge warn">${t('refunds.hq.kiosk.failed')}</span> ${n.error}`
      : n.state === 'not_sent' ? html`<span class="badge warn">${t('refunds.hq.kiosk.not_sent')}</span>`
      : html`<span class="badge warn">${t('refunds.hq.kiosk.sent')}</span>${n.state === 'waiting' ? html` ${n.detail}` : ''}`;
  const admin = can(req.user.role, 'channels.manage');
  const money = (v: number) => formatMoney(v, 'CNY', req.lang);
  const flash = req.query.hqrefund ? html`<p class="banner" id="hq-refund-result">${req.query.hqrefund}</p>` : '';
  return html`<section id="hq-refunds"><h2>${t('refunds.hq.title')}</h2>${flash}
    ${rows.length
      ? html`<div class="table-wrap"><table id="hq-refunds-table"><thead><tr><th>${t('orders.detail.time')}</th><th>${t('orders.detail.amount')}</th><th>${t('refunds.hq.state')}</th>
        <th>${t('refunds.hq.id')}</th><th>${t('refunds.hq.no')}</th><th>${t('refunds.hq.channelId')}</th><th>${t('refunds.hq.by')}</th><th>${t('refunds.hq.reason')}</th><th>${t('refunds.hq.lines')}</th><th>${t('refunds.hq.kiosk')}</th></tr></thead>
        <tbody>${rows.map((r) => {
          const a = r.allocation;
          const check = admin && a.state === 'pending'
            ? html` <form method="post" action="${href}/hq-refund" class="inline">${csrfField(req.csrfToken)}<input type="hidden" name="refundId" value="${a.hqRefundId}"><input type="hidden" name="amount" value="${String(r.amount)}"><input type="hidden" name="reason" value="${a.reason}"><button type="submit">${t('refunds.hq.check')}</button></form>`
            : '';
          return html`<tr><td class="nowrap">${formatTime(r.ts, ctx.settings.timezone, req.lang)}</td><td class="num">${money(r.amount)}</td>
            <td><span class="badge ${a.state === 'refunded' ? 'ok' : 'warn'}">${t(`refunds.hq.state.${a.state}`)}</span>${check}</td>
            <td><code>${a.hqRefundId}</code></td><td><code>${a.refundNo}</code></td><td>${a.refundId ? html`<code>${a.refundId}</code>` : ''}</td><td>${a.requestedBy}</td><td>${a.reason}</td><td>${(a.lineIds ?? []).join(', ')}</td><td class="kiosk-notice">${kiosk(notices.get(a.hqRefundId))}</td></tr>`;
        })}</tbody></table></div>`
      : ''}
    ${admin && wallets.length
      ? html`<form method="post" action="${href}/hq-refund" class="filters" id="hq-refund-form" data-confirm="${t('refunds.hq.confirm')}">
        ${csrfField(req.csrfToken)}<input type="hidden" name="refundId" value="hq-${randomUUID()}">
        <label>${t('refunds.hq.amount')}<input name="amount" required inputmode="numeric" pattern="[0-9]{1,15}"></label>
        <label>${t('refunds.hq.reason')}<input name="reason" required maxlength="64" pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}"></label>
        <label>${t('refunds.hq.lines')}<input name="lines" maxlength="200" placeholder="L1,L2"></label>
        <button type="submit" class="primary">${t('refunds.hq.send')}</button></form><p class="muted">${t('refunds.hq.help')}</p>`
      : ''}</section>`;
}

/** POST /orders/:store/:device/:order/hq-refund — the refund at the channel (or, for a known refund id, its state). */
export async function hqRefundPost(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const { store, device, order } = req.params;
  const known = await ctx.store.db.read.get<{ n: number }>('SELECT 1 AS n FROM orders WHERE store_id = ? AND device_id = ? AND order_id = ?', [store, device, order]);
  if (!known) return { error: { status: 404, message: req.t('orders.notFound') } };
  if (!ctx.secretsKey || !ctx.channelEndpoints) return { error: { status: 503, message: req.t('refunds.hq.unavailable') } };
  const v = (k: string) => (req.body[k] ?? '').trim();
  if (!/^\d{1,15}$/.test(v('amount'))) return { error: { status: 400, message: `${req.t('refunds.hq.amount')}: 1-15 digits` } };
  const deps = { db: ctx.store.db, clock: ctx.clock, audit: ctx.audit, refunderFor: channelRefunders(ctx.store.db, ctx.secretsKey, ctx.channelEndpoints, ctx.clock) };
  const lines = v('lines') ? v('lines').split(',').map((l) => l.trim()).filter(Boolean) : [];
  let message: string;
  try {
    const r = await hqRefund(deps, {
      store,
      device,
      order,
      amount: Number(v('amount')),
      reason: v('reason'),
      user: req.user.username,
      ...(v('refundId') ? { refundId: v('refundId') } : {}),
      ...(lines.length ? { lineIds: lines } : {}),
    });
    message = r.state === 'declined' ? req.t('refunds.hq.declined', { reason: r.reason ?? '' }) : req.t('refunds.hq.done', { state: req.t(`refunds.hq.state.${r.state}`), amount: formatMoney(r.amount, 'CNY', req.lang) });
  } catch (e) {
    if (!isKioskError(e)) throw e;
    const status = e.code === 'BAD_DATA' ? 400 : e.code === 'CONFIG_INVALID' ? 503 : e.code === 'ORDER_NOT_FOUND' ? 404 : 409;
    return { error: { status, message: e.message } };
  }
  // the kiosk is told at once (the notice service sends it again if it does not answer); no broker: the page says "not sent"
  if (ctx.mqtt && ctx.hqKey) await sendHqRefundNotices(ctx, req.user.username, [store, device, order]);
  ctx.live.publish('orders', store);
  return { redirect: `/orders/${encodeURIComponent(store)}/${encodeURIComponent(device)}/${encodeURIComponent(order)}?hqrefund=${encodeURIComponent(message)}#hq-refunds` };
}
