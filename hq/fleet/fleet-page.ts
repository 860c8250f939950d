import { KIOSK_COMMANDS } from '../../protocol/control/commands';
import { csrfField, html, type Html } from '../console/html';
import { can, type ConsoleContext, type ConsoleReply, type ConsoleRequest } from '../console/types';
import { scopeWhere } from '../console/scope-sql';
import { FLEET_STATES, fleetPageOf, fleetRows, matchesState, type FleetStateFilter } from './fleet-query';
import { kioskValue } from './batch-pages';
import { pushChoices, pushFields, type PushChoices } from './push-pages';
import { devicesCell, kioskHref, laneBadge, queryId, releaseNote, statusBadge, timeCell } from './page-parts';
import { isValidTag, tagNamesInScope, tagsInScope } from './tags';

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
  const tag = req.query.tag && isValidTag(req.query.tag) ? req.query.tag : undefined;
  const [fetched, stores, tags, tagNames] = await Promise.all([
    fleetRows(ctx.store, req.scope, { store, includeRetired: state === 'retired' }, now),
    storesInScope(req, ctx),
    tagsInScope(ctx.store.db, req.scope),
    tagNamesInScope(ctx.store.db, req.scope),
  ]);
  const tagsOf = (r: { storeId: string; deviceId: string }) => tags.get(`${r.storeId}/${r.deviceId}`) ?? [];
  const all = fetched.filter((r) => r.retiredAt === null);
  const shown = fleetPageOf(
    fetched.filter((r) => matchesState(r, state) && (tag === undefined || tagsOf(r).includes(tag))),
    req.query.page,
  );
  const rows = shown.rows;
  const link = (p: number) => {
    const params = new URLSearchParams();
    if (store) params.set('store', store);
    if (state) params.set('state', state);
    if (tag) params.set('tag', tag);
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
  const canBatch = can(req.user.role, 'fleet.command');
  const body = html`
    <h1>${t('fleet.title')}</h1>
    <form class="filters" method="get" action="/fleet">
      <label>${t('fleet.filter.store')}
        <select name="store"><option value="">${t('fleet.filter.all')}</option>${stores.map((s) => html`<option value="${s}"${s === store ? html` selected` : ''}>${s}</option>`)}</select>
      </label>
      <label>${t('fleet.filter.state')}
        <select name="state"><option value="">${t('fleet.filter.all')}</option>${FLEET_STATES.map((s) => html`<option value="${s}"${s === state ? html` selected` : ''}>${t(`fleet.state.${s}`)}</option>`)}</select>
      </label>
      <label>${t('fleet.filter.tag')}
        <select name="tag"><option value="">${t('fleet.filter.all')}</option>${tagNames.map((s) => html`<option value="${s}"${s === tag ? html` selected` : ''}>${s}</option>`)}</select>
      </label>
      <button type="submit">${t('fleet.filter.apply')}</button>
    </form>
    ${canBatch ? batchForm(req, store, tag, await pushChoices(req, ctx)) : ''}
    <div class="cards">
      <div class="card"><div class="muted">${t('fleet.count.total')}</div><div class="value" id="count-total">${count.total}</div></div>
      <div class="card"><div class="muted">${t('fleet.count.online')}</div><div class="value" id="count-online">${count.online}</div></div>
      <div class="card"><div class="muted">${t('fleet.count.offline')}</div><div class="value" id="count-offline">${count.offline}</div></div>
      <div class="card"><div class="muted">${t('fleet.count.alert')}</div><div class="value" id="count-alert">${count.alert}</div></div>
    </div>
    <div class="table-wrap">
      <table id="fleet">
        <thead><tr>
          ${canBatch ? html`<th><span class="sr-only">${t('fleet.batch.select')}</span></th>` : ''}<th>${t('fleet.col.store')}</th><th>${t('fleet.col.device')}</th><th>${t('fleet.col.status')}</th><th>${t('fleet.col.software')}</th>
          <th>${t('fleet.col.config')}</th><th>${t('fleet.col.pricebook')}</th><th>${t('fleet.col.lane')}</th><th>${t('fleet.col.devices')}</th>
          <th class="num">${t('fleet.col.backlog')}</th><th>${t('fleet.col.lastEvent')}</th><th>${t('fleet.col.lastSeen')}</th>
          <th class="num">${t('fleet.col.alerts')}</th><th>${t('fleet.col.health')}</th><th>${t('fleet.col.tags')}</th>
        </tr></thead>
        <tbody>
          ${rows.length === 0 ? html`<tr><td colspan="${canBatch ? 15 : 14}" class="muted">${t('fleet.empty')}</td></tr>` : ''}
          ${rows.map(
            (r) => html`<tr data-kiosk="${r.storeId}/${r.deviceId}">
              ${canBatch && r.retiredAt === null ? html`<td><input type="checkbox" name="kiosk" form="batch-form" value="${kioskValue(r.storeId, r.deviceId)}" aria-label="${t('fleet.batch.select')} ${r.storeId}/${r.deviceId}"></td>` : canBatch ? html`<td></td>` : ''}
              <td>${r.storeId}</td>
              <td><a href="${kioskHref(r.storeId, r.deviceId)}">${r.deviceId}</a></td>
              <td>${statusBadge(req, ctx, r)}</td>
              <td>${r.software ?? '—'}${releaseNote(req, r)}</td>
              <td>${r.configVersion === null ? '—' : String(r.configVersion)}</td>
              <td>${r.pricebookVersion === null ? '—' : String(r.pricebookVersion)}${r.pricebookStatus && r.pricebookStatus.status !== 'applied' ? html`<br><small class="muted">${String(r.pricebookStatus.version ?? '?')}: ${r.pricebookStatus.status}</small>` : ''}</td>
              <td>${laneBadge(req, r.lane, r.online)}</td>
              <td>${devicesCell(req, r)}</td>
              <td class="num">${r.backlog ?? '—'}</td>
              <td>${timeCell(req, ctx, r.lastEventTs)}</td>
              <td>${timeCell(req, ctx, r.lastSeen)}</td>
              <td class="num">${r.openAlerts > 0 ? html`<a class="badge bad" href="/alerts?store=${encodeURIComponent(r.storeId)}">${r.openAlerts}</a>` : '0'}</td>
              <td>${r.health}</td>
              <td>${tagsOf(r).map((x) => html`<span class="badge" data-tag="${x}">${x}</span> `)}</td>
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

/** The batch form: one signed command to the kiosks ticked in the table, or to every kiosk of the store/tag filter. */
function batchForm(req: ConsoleRequest, store: string | undefined, tag: string | undefined, choices: PushChoices): Html {
  const t = req.t;
  const push = pushFields(req, choices);
  return html`<details class="batch"><summary>${t('fleet.batch.form')}</summary>
    <form id="batch-form" method="post" action="/batches" class="filters" data-confirm="${t('fleet.batch.confirm')}">
      ${csrfField(req.csrfToken)}
      ${store ? html`<input type="hidden" name="store" value="${store}">` : ''}${tag ? html`<input type="hidden" name="tag" value="${tag}">` : ''}
      <label>${t('fleet.batch.target')}<select name="target">
        <option value="checked">${t('fleet.batch.target.checked')}</option>
        <option value="filter">${t('fleet.batch.target.filter', { store: store ?? t('fleet.filter.all'), tag: tag ?? t('fleet.filter.all') })}</option>
      </select></label>
      ${push.kind}
      <label>${t('fleet.cmd.name')}<select name="name">${KIOSK_COMMANDS.map((n) => html`<option value="${n}">${n}</option>`)}</select></label>
      <label>${t('fleet.cmd.reason')}<input name="reason" maxlength="200"></label>
      <label>${t('fleet.cmd.fromSeq')}<input name="fromSeq" inputmode="numeric" pattern="[0-9]*"></label>
      <label>${t('fleet.cmd.date')}<input name="date" pattern="\\d{4}-\\d{2}-\\d{2}"></label>
      ${push.fields}
      <button type="submit" class="primary">${t('fleet.batch.send')}</button>
    </form></details>`;
}
