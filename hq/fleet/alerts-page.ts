import { csrfField, html } from '../console/html';
import { can, inScope, type ConsoleContext, type ConsoleReply, type ConsoleRequest } from '../console/types';
import { alertWords } from './alert-text';
import { SqlAlerts } from './alerts';
import { storesInScope } from './fleet-page';
import { kindLabel, kioskHref, queryId, severityBadge, timeCell } from './page-parts';

/** GET /alerts — open alerts (acknowledge) and the recent history, within the user's stores; filter by store. */
export async function alertsPage(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const t = req.t;
  const store = queryId(req.query.store);
  const alerts = new SqlAlerts(ctx.store.db);
  const [open, recent, stores] = await Promise.all([alerts.open(req.scope, { store }), alerts.recent(req.scope, 100, { store }), storesInScope(req, ctx)]);
  const canAck = can(req.user.role, 'alerts.ack');
  const reader = { t, lang: req.lang, timeZone: ctx.settings.timezone };
  const kiosk = (s: string | null, d: string | null) => (s && d ? html`<a href="${kioskHref(s, d)}">${s}/${d}</a>` : (s ?? '—'));
  const body = html`
    <h1>${t('fleet.alerts.title')}</h1>
    <form class="filters" method="get" action="/alerts">
      <label>${t('fleet.filter.store')}
        <select name="store"><option value="">${t('fleet.filter.all')}</option>${stores.map((s) => html`<option value="${s}"${s === store ? html` selected` : ''}>${s}</option>`)}</select>
      </label>
      <button type="submit">${t('fleet.filter.apply')}</button>
    </form>
    <h2>${t('fleet.alerts.open')} (<span id="open-count">${open.length}</span>)</h2>
    ${open.length === 0 ? html`<p class="muted">${t('fleet.alerts.none')}</p>` : html`<div class="table-wrap"><table id="open-alerts">
      <thead><tr><th>${t('fleet.alerts.raised')}</th><th>${t('fleet.alerts.severity')}</th><th>${t('fleet.alerts.kind')}</th><th>${t('fleet.alerts.kiosk')}</th><th>${t('fleet.alerts.message')}</th><th></th></tr></thead>
      <tbody>${open.map(
        (a) => html`<tr data-alert="${a.id}" data-kind="${a.kind}"><td>${timeCell(req, ctx, a.raisedAt)}</td><td>${severityBadge(req, a.severity)}</td><td>${kindLabel(req, a.kind)}</td><td>${kiosk(a.storeId, a.deviceId)}</td><td>${alertWords(a, reader)}</td>
          <td>${a.ackedBy ? html`<small class="muted">${t('fleet.alerts.acked', { user: a.ackedBy })}</small>` : canAck ? html`<form method="post" action="/alerts/${a.id}/ack">${csrfField(req.csrfToken)}<button type="submit">${t('fleet.alerts.ack')}</button></form>` : ''}</td></tr>`,
      )}</tbody></table></div>`}
    <h2>${t('fleet.alerts.recent')}</h2>
    <div class="table-wrap"><table id="recent-alerts">
      <thead><tr><th>${t('fleet.alerts.raised')}</th><th>${t('fleet.alerts.cleared')}</th><th>${t('fleet.alerts.severity')}</th><th>${t('fleet.alerts.kind')}</th><th>${t('fleet.alerts.kiosk')}</th><th>${t('fleet.alerts.message')}</th></tr></thead>
      <tbody>${recent.map(
        (a) => html`<tr><td>${timeCell(req, ctx, a.raisedAt)}</td><td>${a.clearedAt === null ? html`<span class="badge bad">${t('fleet.alerts.stillOpen')}</span>` : timeCell(req, ctx, a.clearedAt)}</td><td>${severityBadge(req, a.severity)}</td><td>${kindLabel(req, a.kind)}</td><td>${kiosk(a.storeId, a.deviceId)}</td><td>${alertWords(a, reader)}</td></tr>`,
      )}</tbody></table></div>`;
  return { page: { title: t('fleet.alerts.title'), body, live: ['alerts'] } };
}

/** POST /alerts/:id/ack — 404 for an unknown alert or one of a store outside the user's scope. */
export async function ackPost(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const id = /^\d{1,15}$/.test(req.params.id ?? '') ? Number(req.params.id) : NaN;
  const alerts = new SqlAlerts(ctx.store.db);
  const a = Number.isSafeInteger(id) ? await alerts.get(id) : undefined;
  const visible = a && (a.storeId === null ? req.scope.all : inScope(req.scope, a.storeId));
  if (!a || !visible) return { error: { status: 404, message: req.t('fleet.alerts.unknownAlert') } };
  await alerts.ack(a.id, req.user.username, ctx.clock.now());
  await ctx.audit.record({ actor: req.user.username, action: 'alert.ack', target: String(a.id), detail: { kind: a.kind, store: a.storeId, device: a.deviceId }, ip: req.ip });
  ctx.live.publish('alerts', a.storeId ?? undefined);
  return { redirect: '/alerts' };
}
