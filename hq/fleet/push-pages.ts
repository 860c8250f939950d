import { tryParseJson } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import { ConfigRegistry, parseScopeKey, scopeKey, scopeVisible } from '../config/registry';
import { html, type Html } from '../console/html';
import { scopeWhere } from '../console/scope-sql';
import { can, type ConsoleContext, type ConsoleReply, type ConsoleRequest } from '../console/types';
import type { Kiosk } from './batches';
import { pushBookBatch, pushConfigBatch, type PushOutcome } from './batch-push';
import type { KioskSelection } from './tags';

/**
 * The fleet page's batch form, push part: "push config" (a JSON body of config sections, or a saved config version
 * of the registry) and "push price book" (a price book published from the console), and their POST (the batch form's
 * `kind` field; POST /batches routes here when it is not `command`). Config needs `config.publish`, a price book
 * `pricebook.publish`, as on their own pages.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `store/version` of a console price book (both percent-encoded: versions may hold `/`-free `.:-`, ids `.`). */
const bookValue = (store: string, version: string) => `${encodeURIComponent(store)}/${encodeURIComponent(version)}`;

export interface PushChoices {
  configs: { key: string; label: string }[];
  books: { value: string; label: string }[];
}

/** What the push part of the form offers this user: saved config versions and console price books in their scope. */
export async function pushChoices(req: ConsoleRequest, ctx: ConsoleContext): Promise<PushChoices> {
  const configs = can(req.user.role, 'config.publish')
    ? (await new ConfigRegistry(ctx.store.db.read).inForce(req.scope)).map((r) => ({ key: `${r.scope}@${r.version}`, label: `${r.scope} v${r.version}` }))
    : [];
  let books: PushChoices['books'] = [];
  if (can(req.user.role, 'pricebook.publish')) {
    const w = scopeWhere(req.scope, 'store_id');
    const rows = await ctx.store.db.read.all<{ store_id: string; version: string }>(
      `SELECT store_id, version FROM pricebook_versions WHERE ${w.sql} ORDER BY published_at DESC, version DESC LIMIT 50`,
      w.params,
    );
    books = rows.map((r) => ({ value: bookValue(r.store_id, r.version), label: `${r.store_id} · ${r.version}` }));
  }
  return { configs, books };
}

/** The kind selector and the push fields of the batch form (only what the user may push). */
export function pushFields(req: ConsoleRequest, c: PushChoices): { kind: Html; fields: Html } {
  const t = req.t;
  const canConfig = can(req.user.role, 'config.publish');
  const canBook = can(req.user.role, 'pricebook.publish');
  if (!canConfig && !canBook) return { kind: html``, fields: html`` };
  const kind = html`<label>${t('fleet.batch.kind')}<select name="kind">
    <option value="command">${t('fleet.batch.kind.command')}</option>
    ${canConfig ? html`<option value="config">${t('fleet.batch.kind.config')}</option>` : ''}
    ${canBook ? html`<option value="pricebook">${t('fleet.batch.kind.pricebook')}</option>` : ''}
  </select></label>`;
  const fields = html`${canConfig
    ? html`<label>${t('fleet.batch.configFrom')}<select name="configFrom"><option value="">${t('fleet.batch.configFrom.json')}</option>${c.configs.map((o) => html`<option value="${o.key}">${o.label}</option>`)}</select></label>
    <label class="wide">${t('fleet.batch.configJson')}<textarea name="config" rows="3" maxlength="65536" placeholder='{"timeouts": {"idlePromptMs": 45000}}'></textarea></label>`
    : ''}${canBook
    ? html`<label>${t('fleet.batch.book')}<select name="book"><option value="">—</option>${c.books.map((o) => html`<option value="${o.value}">${o.label}</option>`)}</select></label>`
    : ''}`;
  return { kind, fields };
}

function refusal(req: ConsoleRequest, out: Extract<PushOutcome, { ok: false }>): ConsoleReply {
  const message = out.reason === 'no_kiosk' ? req.t('fleet.batch.noKiosk') : out.reason === 'bad_tag' ? req.t('fleet.tags.bad') : out.message;
  if (!out.problems?.length) return { error: { status: out.status, message } };
  return {
    status: out.status,
    page: { title: req.t('fleet.batch.refused'), body: html`<div class="problems" role="alert"><p>${message}</p><ul>${out.problems.slice(0, 50).map((p) => html`<li>${p}</li>`)}</ul></div><p><a href="/fleet">${req.t('fleet.nav')}</a></p>` },
  };
}

/** The config body a push form names: a saved version the user may see, or the JSON text; else the refusal. */
async function configBody(req: ConsoleRequest, ctx: ConsoleContext): Promise<{ body: Obj; source: string } | ConsoleReply> {
  const from = (req.body.configFrom ?? '').trim();
  if (from) {
    const at = from.lastIndexOf('@');
    const scope = at > 0 ? parseScopeKey(from.slice(0, at)) : null;
    const version = at > 0 && /^\d{1,15}$/.test(from.slice(at + 1)) ? Number(from.slice(at + 1)) : null;
    const row = scope && version && scopeVisible(req.scope, scope) ? await new ConfigRegistry(ctx.store.db.read).get(scope, version) : undefined;
    if (!scope || !row) return { error: { status: 404, message: req.t('config.badVersion') } };
    return { body: JSON.parse(row.body) as Obj, source: `${scopeKey(scope)}@${row.version}` };
  }
  const parsed = tryParseJson(req.body.config ?? '', { maxBytes: JSON_LIMITS.configFile });
  if (!parsed.ok || !isObj(parsed.value) || Object.keys(parsed.value).length === 0) return { error: { status: 400, message: req.t('config.badBody') } };
  return { body: parsed.value, source: 'form' };
}

const forbidden = (req: ConsoleRequest): ConsoleReply => ({ status: 403, page: { title: req.t('fleet.batch.refused'), body: html`<p class="problems" role="alert">${req.t('fleet.batch.forbidden')}</p>` } });

/** POST /batches with `kind=config|pricebook`: the push to the selection; 403 without the permission of its own page. */
export async function pushPost(req: ConsoleRequest, ctx: ConsoleContext, selection: KioskSelection, kiosks: Kiosk[] | undefined): Promise<ConsoleReply> {
  const kind = req.body.kind;
  const r = { selection, kiosks, ip: req.ip };
  let out: PushOutcome;
  if (kind === 'config') {
    if (!can(req.user.role, 'config.publish')) return forbidden(req);
    const b = await configBody(req, ctx);
    if (!('body' in b)) return b;
    out = await pushConfigBatch(ctx, req.user.username, req.scope, b.body, b.source, r);
  } else {
    if (!can(req.user.role, 'pricebook.publish')) return forbidden(req);
    const m = /^([^/]+)\/([^/]+)$/.exec(req.body.book ?? '');
    let store = '';
    let version = '';
    try {
      store = m ? decodeURIComponent(m[1]) : '';
      version = m ? decodeURIComponent(m[2]) : '';
    } catch {
      /* not percent-encoding: no book */
    }
    if (!store || !version) return { error: { status: 400, message: req.t('fleet.batch.noBook') } };
    out = await pushBookBatch(ctx, req.user.username, req.scope, store, version, r);
  }
  if (!out.ok) return refusal(req, out);
  return { redirect: `/batches/${encodeURIComponent(out.id)}` };
}
