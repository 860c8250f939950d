import { html } from '../console/html';
import type { ConsoleContext, ConsoleReply, ConsoleRequest } from '../console/types';
import { scopeWhere } from '../console/scope-sql';
import { FLEET_STATES, fleetPageOf, fleetRows, matchesState, type FleetStateFilter } from './fleet-query';
import { devicesCell, kioskHref, laneBadge, queryId, statusBadge, timeCell } from './page-parts';

/** The stores the user may pick in filters: the fleet's stores within their scope. */
export async function storesInScope(req: ConsoleRequest, ctx: ConsoleContext): Promise<string[]> {
  const w = scopeWhere(req.scope, 'store_id');
  const rows = await ctx.store.db.read.all<{ store_id: string }>(`SELECT DISTINCT store_id FROM fleet WHERE ${w.sql} ORDER BY store_id`, w.params);
  const stores = new Set(rows.map((r) => r.store_id));
  if (!req.scope.all) for (const s of req.scope.stores) stores.add(s);
  return [...stores].sort();
}

/** GET /fleet: every kiosk in scope with its state, versions, lane, devices, backlog, last event/seen and alerts. */
export async function fleetPage(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const store = queryId(req.query.store);
  const state = (FLEET_STATES as readonly string[]).includes(req.query.state ?? '') ? (req.query.state as FleetStateFilter) : undefined;
  const now = ctx.clock.now();
  // One read of the fleet: the counts are over the kiosks in service, the table over the state asked, one page of it.
  const [fetched, stores] = await Promise.all([fleetRows(ctx.store, req.scope, { store, includeRetired: state === 'retired' }, now), storesInScope(req, ctx)]);
  const all = fetched.filter((r) => r.retiredAt === null);
  const shown = fleetPageOf(
    fetched.filter((r) => matchesState(r, state)),
    req.query.page,
  );
  const rows = shown.rows;
  const link = (p: number) => {
    const params = new URLSearchParams();
    if (store) params.set('store', store);
    if (state) params.set('state', state);
    params.set('page', String(p));
    return `/fleet?${params.toString()}`;
  };
  const count = {
    total: all.length,
    online: all.filter((r) => r.online === true).length,
    offline: all.filter((r) => r.online === false).length,
    alert: all.filter((r) => r.openAlerts > 0).length,
  };
  const t = req.t;
  const body = html`
    <h1>${t('fleet.title')}</h1>
    <form class="filters" method="get" action="/fleet">
      <label>${t('fleet.filter.store')}
        <select name="store"><option value="">${t('fleet.filter.all')}</option>${stores.map((s) => html`<option value="${s}"${s === store ? html` selected` : ''}>${s}</option>`)}</select>
      </label>
      <label>${t('fleet.filter.state')}
        <select name="state"><option value="">${t('fleet.filter.all')}</option>${FLEET_STATES.map((s) => html`<option value="${s}"${s === state ? html` selected` : ''}>${t(`fleet.state.${s}`)}</option>`)}</select>
      </label>
      <button type="submit">${t('fleet.filter.apply')}</button>
    </form>
    <div class="cards">
      <div class="card"><div class="muted">${t('fleet.count.total')}</div><div class="value" id="count-total">${count.total}</div></div>
      <div class="card"><div class="muted">${t('fleet.count.online')}</div><div class="value" id="count-online">${count.online}</div></div>
      <div class="card"><div class="muted">${t('fleet.count.offline')}</div><div class="value" id="count-offline">${count.offline}</div></div>
      <div class="card"><div class="muted">${t('fleet.count.alert')}</div><div class="value" id="count-alert">${count.alert}</div></div>
    </div>
    <div class="table-wrap">
      <table id="fleet">
        <thead><tr>
          <th>${t('fleet.col.store')}</th><th>${t('fleet.col.device')}</th><th>${t('fleet.col.status')}</th><th>${t('fleet.col.software')}</th>
          <th>${t('fleet.col.config')}</th><th>${t('fleet.col.pricebook')}</th><th>${t('fleet.col.lane')}</th><th>${t('fleet.col.devices')}</th>
          <th class="num">${t('fleet.col.backlog')}</th><th>${t('fleet.col.lastEvent')}</th><th>${t('fleet.col.lastSeen')}</th>
          <th class="num">${t('fleet.col.alerts')}</th><th>${t('fleet.col.health')}</th>
        </tr></thead>
        <tbody>
          ${rows.length === 0 ? html`<tr><td colspan="13" class="muted">${t('fleet.empty')}</td></tr>` : ''}
          ${rows.map(
            (r) => html`<tr data-kiosk="${r.storeId}/${r.deviceId}">
              <td>${r.storeId}</td>
              <td><a href="${kioskHref(r.storeId, r.deviceId)}">${r.deviceId}</a></td>
              <td>${statusBadge(req, ctx, r)}</td>
              <td>${r.software ?? '—'}</td>
              <td>${r.configVersion === null ? '—' : String(r.configVersion)}</td>
              <td>${r.pricebookVersion === null ? '—' : String(r.pricebookVersion)}${r.pricebookStatus && r.pricebookStatus.status !== 'applied' ? html`<br><small class="muted">${String(r.pricebookStatus.version ?? '?')}: ${r.pricebookStatus.status}</small>` : ''}</td>
              <td>${laneBadge(req, r.lane, r.online)}</td>
              <td>${devicesCell(req, r)}</td>
              <td class="num">${r.backlog ?? '—'}</td>
              <td>${timeCell(req, ctx, r.lastEventTs)}</td>
              <td>${timeCell(req, ctx, r.lastSeen)}</td>
              <td class="num">${r.openAlerts > 0 ? html`<a class="badge bad" href="/alerts?store=${encodeURIComponent(r.storeId)}">${r.openAlerts}</a>` : '0'}</td>
              <td>${r.health}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${shown.pages > 1
      ? html`<nav class="pager" aria-label="${t('fleet.pages')}">
      ${shown.page > 1 ? html`<a rel="prev" href="${link(shown.page - 1)}">${t('fleet.prev')}</a>` : ''}
      <span>${t('fleet.page', { page: shown.page, pages: shown.pages })}</span>
      ${shown.page < shown.pages ? html`<a rel="next" href="${link(shown.page + 1)}">${t('fleet.next')}</a>` : ''}
    </nav>`
      : ''}`;
  return { page: { title: t('fleet.title'), body, live: ['fleet', 'alerts'] } };
}
