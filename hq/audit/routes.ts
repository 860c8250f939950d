import { businessDayBounds, isCalendarDate } from '../../kernel/local-time';
import { formatTime } from '../console/format';
import { html, type Html } from '../console/html';
import type { ConsoleContext, ConsoleReply, ConsoleRequest, RouteDef } from '../console/types';
import { SqlAuditLog, type AuditFilter, type AuditVerdict } from './audit-log';
import { CSV_HEADER, csvLine, csvRow, jsonlRow } from './export';

const PAGE_SIZE = 50;
/** The page walks only the entries after the last verified one, and the whole chain at least this often. */
const FULL_CHECK_MS = 5 * 60_000;
const checkpoints = new WeakMap<object, { seq: number; hash: string; fullAt: number }>();

/**
 * The chain check behind the page: the whole chain on the first view, every 5 minutes and with `?verify=full`; in
 * between from the last verified entry on (its row re-checked), so a live page stays fast on a long log.
 */
async function checkChain(log: SqlAuditLog, db: object, now: number, forceFull: boolean): Promise<AuditVerdict> {
  const cp = checkpoints.get(db);
  const full = forceFull || !cp || now - cp.fullAt >= FULL_CHECK_MS;
  const verdict = await log.verify(full ? undefined : cp);
  if (verdict.ok && verdict.last) checkpoints.set(db, { ...verdict.last, fullAt: full || !cp ? now : cp.fullAt });
  else checkpoints.delete(db);
  return verdict;
}
/** Shown in the table; the export has every character. */
const DETAIL_SHOWN = 300;

type Parsed = { filter: AuditFilter; query: Record<string, string> } | { error: ConsoleReply };

/** The page's and the exports' filters from the query: actor, action, from/to (dates in the chain's zone), before. */
function parseFilter(req: ConsoleRequest, ctx: ConsoleContext): Parsed {
  const q = req.query;
  const filter: AuditFilter = {};
  const query: Record<string, string> = {};
  const actor = q.actor?.trim().slice(0, 200);
  const action = q.action?.trim().slice(0, 200);
  if (actor) filter.actor = query.actor = actor;
  if (action) filter.action = query.action = action;
  for (const key of ['from', 'to'] as const) {
    const v = q[key]?.trim();
    if (!v) continue;
    if (!isCalendarDate(v)) return { error: { error: { status: 400, message: req.t('audit.badDate') } } };
    const day = businessDayBounds(v, ctx.settings.timezone);
    if (key === 'from') filter.from = day.from;
    else filter.to = day.to;
    query[key] = v;
  }
  if (q.before) {
    if (!/^[1-9]\d{0,15}$/.test(q.before)) return { error: { error: { status: 400, message: req.t('audit.badPage') } } };
    filter.before = Number(q.before);
  }
  return { filter, query };
}

const href = (path: string, query: Record<string, string>): string => {
  const s = new URLSearchParams(query).toString();
  return s ? `${path}?${s}` : path;
};

const options = (values: readonly string[], selected: string | undefined, anyLabel: string): Html =>
  html`<option value="">${anyLabel}</option>${values.map((v) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${v}</option>`)}`;

async function page(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const parsed = parseFilter(req, ctx);
  if ('error' in parsed) return parsed.error;
  const { filter, query } = parsed;
  const log = new SqlAuditLog(ctx.store.db, ctx.clock);
  const [verdict, entries, facets] = await Promise.all([checkChain(log, ctx.store.db, ctx.clock.now(), req.query.verify === 'full'), log.list({ ...filter, limit: PAGE_SIZE }), log.facets()]);
  const t = req.t;
  const tz = ctx.settings.timezone;
  const status = verdict.ok
    ? html`<p class="notice" id="audit-chain" data-ok="1">${t('audit.verified', { n: verdict.entries })}</p>`
    : html`<p class="error" id="audit-chain" data-ok="0" role="alert"><strong>${t('audit.broken', { seq: verdict.brokenAt ?? 0, reason: verdict.reason ?? '' })}</strong></p>`;
  const older = entries.length === PAGE_SIZE ? href('/audit', { ...query, before: String(entries[entries.length - 1].seq) }) : null;
  const body = html`<h1>${t('audit.title')}</h1>
${status}
<form method="get" action="/audit" class="filters">
<label>${t('audit.actor')}<select name="actor">${options(facets.actors, filter.actor, t('audit.any'))}</select></label>
<label>${t('audit.action')}<select name="action">${options(facets.actions, filter.action, t('audit.any'))}</select></label>
<label>${t('audit.from')}<input type="date" name="from" value="${query.from ?? ''}"></label>
<label>${t('audit.to')}<input type="date" name="to" value="${query.to ?? ''}"></label>
<button type="submit">${t('audit.filter')}</button>
<a href="/audit">${t('audit.reset')}</a>
<span>${t('audit.export')}: <a href="${href('/audit/export.csv', query)}" download>${t('audit.exportCsv')}</a> · <a href="${href('/audit/export.jsonl', query)}" download>${t('audit.exportJsonl')}</a></span>
</form>
${
  entries.length === 0
    ? html`<p class="muted">${t('audit.none')}</p>`
    : html`<div class="table-wrap"><table id="audit-table">
<thead><tr><th class="num">${t('audit.seq')}</th><th>${t('audit.time')}</th><th>${t('audit.actor')}</th><th>${t('audit.action')}</th><th>${t('audit.target')}</th><th>${t('audit.detail')}</th><th>${t('audit.ip')}</th></tr></thead>
<tbody>${entries.map(
        (e) => html`<tr data-seq="${e.seq}"${verdict.brokenAt === e.seq ? html` class="error"` : ''}><td class="num">${e.seq}</td><td>${formatTime(e.ts, tz, req.lang)}</td><td>${e.actor}</td><td>${e.action}</td><td>${e.target ?? ''}</td><td><code>${e.detail === 'null' ? '' : e.detail.length > DETAIL_SHOWN ? `${e.detail.slice(0, DETAIL_SHOWN)}…` : e.detail}</code></td><td>${e.ip ?? ''}</td></tr>`,
      )}</tbody></table></div>`
}
<p>${filter.before !== undefined ? html`<a href="${href('/audit', query)}">${t('audit.newest')}</a> ` : ''}${older ? html`<a href="${older}" rel="next">${t('audit.older')}</a>` : ''}</p>`;
  return { page: { title: t('audit.title'), body, live: ['audit'] } };
}

function exporter(format: 'csv' | 'jsonl'): RouteDef['handler'] {
  return async (req, ctx) => {
    const parsed = parseFilter(req, ctx);
    if ('error' in parsed) return parsed.error;
    const filter: AuditFilter = { ...parsed.filter, before: undefined };
    const log = new SqlAuditLog(ctx.store.db, ctx.clock);
    const parts: string[] = format === 'csv' ? ['\ufeff', csvLine(CSV_HEADER)] : [];
    const entries = await log.forEach(filter, (rows) => parts.push(rows.map(format === 'csv' ? csvRow : jsonlRow).join('')));
    await ctx.audit.record({ actor: req.user.username, action: 'audit.export', detail: { format, filter: parsed.query, entries }, ip: req.ip });
    const day = new Date(ctx.clock.now()).toISOString().slice(0, 10);
    return {
      file: {
        name: `audit-${day}.${format}`,
        type: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        data: parts.join(''),
      },
    };
  };
}

/** The audit log page and its exports (audit.view): newest first, filtered, paged; the chain checked on every view. */
export const ROUTES: RouteDef[] = [
  { method: 'GET', path: '/audit', permission: 'audit.view', nav: { label: 'audit.nav', order: 90 }, handler: page },
  { method: 'GET', path: '/audit/export.csv', permission: 'audit.view', handler: exporter('csv') },
  { method: 'GET', path: '/audit/export.jsonl', permission: 'audit.view', handler: exporter('jsonl') },
];
