import { clip } from '../../kernel/json/bounded-format';
import { tryParseJson } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import type { Scope } from '../../protocol/signed-envelope';
import { html } from '../console/html';
import { scopeWhere } from '../console/scope-sql';
import { can, type ConsoleContext, type ConsoleReply, type ConsoleRequest, type RouteDef, type StoreScope } from '../console/types';
import { diffBodies } from './diff';
import { bodyFromForm } from './form';
import { confirmForm, diffTable, editForm, historyTable, newScopeForm, reportedTable, scopesTable, type PageEnv, type ReportedLevel } from './pages';
import { publishConfig, type PublishResult } from './publish';
import { ConfigRegistry, parseScopeKey, scopeKey, scopeVisible } from './registry';
import { bundleProblems } from './validate';

/** The console routes of hq/config: versions in force and their history, the edit form, preview, publish, roll back. */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const env = (req: ConsoleRequest, ctx: ConsoleContext): PageEnv => ({
  t: req.t,
  timezone: ctx.settings.timezone,
  csrfToken: req.csrfToken,
  canPublish: can(req.user.role, 'config.publish'),
});

/** The scope named by a form or query field, if it is one this user may see; otherwise the reply to send. */
function scopeParam(req: ConsoleRequest, value: string | undefined): Scope | ConsoleReply {
  const scope = value === undefined ? null : parseScopeKey(value);
  // out of a store manager's stores reads as unknown (404), as everywhere in the console
  if (!scope) return { error: { status: 400, message: req.t('config.badScope') } };
  if (!scopeVisible(req.scope, scope)) return { error: { status: 404, message: req.t('config.badScope') } };
  return scope;
}
const isScope = (v: Scope | ConsoleReply): v is Scope => 'kind' in v;

/**
 * The handler of a route that publishes to a scope: it runs only when the field `scope` of the query or of the form
 * names a scope the user may see (else 400, or 404 out of their stores) and HQ can sign and send (else 503).
 */
const publishing =
  (from: 'query' | 'body', act: (req: ConsoleRequest, ctx: ConsoleContext, scope: Scope) => Promise<ConsoleReply>): RouteDef['handler'] =>
  async (req, ctx) => {
    const scope = scopeParam(req, req[from].scope);
    if (!isScope(scope)) return scope;
    if (!ctx.hqKey || !ctx.mqtt) return { error: { status: 503, message: req.t('config.unavailable') } };
    return act(req, ctx, scope);
  };

/** Each kiosk's last `config/reported` levels (fleet.config_reported), for the stores the user may see. */
async function reportedLevels(ctx: ConsoleContext, visible: StoreScope): Promise<ReportedLevel[]> {
  const where = scopeWhere(visible, 'store_id');
  const rows = await ctx.store.db.read.all<{ store_id: string; device_id: string; config_reported: string | null; config_reported_at: number | null }>(
    `SELECT store_id, device_id, config_reported, config_reported_at FROM fleet WHERE config_reported IS NOT NULL AND retired_at IS NULL AND ${where.sql} ORDER BY store_id, device_id`,
    where.params,
  );
  const out: ReportedLevel[] = [];
  for (const r of rows) {
    // what a kiosk sent: parsed bounded, every field checked, texts clipped (and escaped when rendered)
    const parsed = tryParseJson(r.config_reported ?? '', { maxBytes: JSON_LIMITS.envelope });
    const levels = parsed.ok && isObj(parsed.value) && Array.isArray(parsed.value.levels) ? parsed.value.levels.slice(0, 3) : [];
    for (const l of levels) {
      if (!isObj(l)) continue;
      out.push({
        store: r.store_id,
        device: r.device_id,
        level: typeof l.level === 'string' ? clip(l.level, 16) : '?',
        version: typeof l.version === 'number' && Number.isSafeInteger(l.version) ? l.version : null,
        status: typeof l.status === 'string' ? clip(l.status, 16) : '?',
        reason: typeof l.reason === 'string' ? clip(l.reason, 40) : null,
        detail: typeof l.detail === 'string' ? clip(l.detail, 400) : null,
        at: r.config_reported_at,
      });
    }
  }
  return out;
}

/** The result of a publish as a reply: back to the overview, or the refusal as a page. */
function publishReply(req: ConsoleRequest, scope: Scope, r: PublishResult): ConsoleReply {
  if (r.ok) return { redirect: `/config?scope=${encodeURIComponent(scopeKey(scope))}&published=${r.version}` };
  const status = r.refusal === 'invalid' ? 422 : r.refusal === 'not_newer' ? 409 : 503;
  return {
    status,
    page: { title: req.t('config.refused'), body: html`<div class="problems" role="alert"><p>${req.t('config.refused')}</p><ul>${r.problems.map((p) => html`<li>${p}</li>`)}</ul></div><p><a href="/config/edit?scope=${encodeURIComponent(scopeKey(scope))}">${req.t('config.edit')}</a></p>` },
  };
}

function parseVersion(text: string | undefined): number | undefined | null {
  if (text === undefined || text.trim() === '') return undefined;
  return /^\d{1,15}$/.test(text.trim()) && Number(text) >= 1 ? Number(text) : null;
}

export const ROUTES: RouteDef[] = [
  {
    method: 'GET',
    path: '/config',
    permission: 'config.view',
    nav: { label: 'config.nav', order: 60 },
    async handler(req, ctx) {
      const e = env(req, ctx);
      const registry = new ConfigRegistry(ctx.store.db.read);
      let history = html``;
      if (req.query.scope !== undefined) {
        const scope = scopeParam(req, req.query.scope);
        if (!isScope(scope)) return scope;
        history = historyTable(e, scopeKey(scope), await registry.history(scope));
      }
      const published = parseVersion(req.query.published);
      const flash = published && req.query.scope ? html`<p class="flash" role="status">${req.t('config.published', { version: published, scope: req.query.scope })}</p>` : '';
      const body = html`${flash}
<h2>${req.t('config.scopes')}</h2>${scopesTable(e, await registry.inForce(req.scope))}
${e.canPublish ? newScopeForm(e) : ''}
${history}
${reportedTable(e, await reportedLevels(ctx, req.scope))}`;
      return { page: { title: req.t('config.title'), body, live: ['config', 'fleet'] } };
    },
  },
  {
    method: 'GET',
    path: '/config/edit',
    permission: 'config.publish',
    handler: publishing('query', async (req, ctx, scope) => {
      const inForce = await new ConfigRegistry(ctx.store.db.read).latest(scope);
      const body = inForce ? (JSON.parse(inForce.body) as Obj) : {};
      return { page: { title: req.t('config.editTitle', { scope: scopeKey(scope) }), body: editForm(env(req, ctx), { scope: scopeKey(scope), body, inForce }) } };
    }),
  },
  {
    method: 'POST',
    path: '/config/preview',
    permission: 'config.publish',
    handler: publishing('body', async (req, ctx, scope) => {
      const key = scopeKey(scope);
      const registry = new ConfigRegistry(ctx.store.db.read);
      const inForce = await registry.latest(scope);
      const version = parseVersion(req.body.version);
      const form = bodyFromForm(req.body);
      const e = env(req, ctx);
      const title = req.t('config.previewTitle', { scope: key });
      if (!form.ok || version === null) {
        const problems = [!form.ok ? form.problem : `version: ${req.t('config.badVersion')}`];
        const body = editForm(e, { scope: key, body: form.ok ? form.body : {}, inForce, advancedText: req.body.advanced ?? '', version: req.body.version, problems });
        return { status: 422, page: { title, body } };
      }
      const problems = bundleProblems(form.body, { before: await registry.layersUnder(scope) });
      if (problems.length) {
        const body = editForm(e, { scope: key, body: form.body, inForce, advancedText: req.body.advanced ?? '', version: req.body.version, problems });
        return { status: 422, page: { title, body } };
      }
      const current = inForce ? (JSON.parse(inForce.body) as Obj) : {};
      const body = html`${diffTable(e, diffBodies(current, form.body))}
<h2>${req.t('config.body')}</h2><pre>${JSON.stringify(form.body, null, 2)}</pre>
${confirmForm(e, key, form.body, version === undefined ? undefined : String(version))}`;
      return { page: { title, body } };
    }),
  },
  {
    method: 'POST',
    path: '/config/publish',
    permission: 'config.publish',
    handler: publishing('body', async (req, ctx, scope) => {
      const version = parseVersion(req.body.version);
      if (version === null) return { error: { status: 400, message: req.t('config.badVersion') } };
      const parsed = tryParseJson(req.body.body ?? '', { maxBytes: JSON_LIMITS.configFile });
      if (!parsed.ok || !isObj(parsed.value)) return { error: { status: 400, message: req.t('config.badBody') } };
      const r = await publishConfig(ctx, {
        scope,
        body: parsed.value,
        user: req.user.username,
        kind: 'publish',
        ip: req.ip,
        ...(version !== undefined ? { version } : {}),
      });
      return publishReply(req, scope, r);
    }),
  },
  {
    method: 'POST',
    path: '/config/rollback',
    permission: 'config.publish',
    handler: publishing('body', async (req, ctx, scope) => {
      const version = parseVersion(req.body.version);
      const old = version ? await new ConfigRegistry(ctx.store.db.read).get(scope, version) : undefined;
      if (!old || !version) return { error: { status: 404, message: req.t('config.badVersion') } };
      const r = await publishConfig(ctx, { scope, body: JSON.parse(old.body) as Obj, user: req.user.username, kind: 'rollback', rolledBackFrom: version, ip: req.ip });
      return publishReply(req, scope, r);
    }),
  },
];

