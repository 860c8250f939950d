import { html } from '../console/html';
import { chosenStore, storeParam } from '../console/store-choice';
import { can, inScope, type ConsoleContext, type ConsoleReply, type ConsoleRequest, type RouteDef } from '../console/types';
import { publishConfig } from '../config/publish';
import { uploadedBookText } from '../pricebook-console/upload-file';
import { diffPromotions } from './diff';
import { prefillBook } from '../pricebook-console/prefill';
import { confirmForm, diffView, kiosksTable, prefillNote, problemsTable, promotionsTable, storePicker, uploadForm, type PageEnv } from './pages';
import { readPromotions, type Promotion } from './reader';
import { promotionsSheet } from './sheet';
import { kioskStoreConfig, storePromotions } from './store-promotions';

/**
 * The console's promotions page: a store's promotions in force (the config HQ published for it, fleet ← store),
 * a CSV/XLSX sheet checked row by row with the config's own promotion schema, the diff, and publish — the store's
 * config with `promotions` replaced (every other section kept), signed and recorded by hq/config's publish (audited
 * `config.publish`) — then each kiosk's applied/rejected report for that version. valid_from/valid_to are the schedule.
 */


const env = (req: ConsoleRequest, ctx: ConsoleContext): PageEnv => ({
  t: req.t,
  lang: req.lang,
  timezone: ctx.settings.timezone,
  csrfToken: req.csrfToken,
  canPublish: can(req.user.role, 'promotions.publish'),
});

async function visibleStores(req: ConsoleRequest, ctx: ConsoleContext): Promise<string[]> {
  const rows = await ctx.store.db.read.all<{ s: string }>('SELECT DISTINCT store_id AS s FROM fleet ORDER BY s');
  return rows.map((r) => r.s).filter((s) => inScope(req.scope, s));
}


type Checked = { reply: ConsoleReply } | { store: string; csv: string; promotions: Promotion[]; env: PageEnv };

/** The checks of a sheet (preview and publish alike: a publish never trusts what the preview page carried). */
async function checked(req: ConsoleRequest, ctx: ConsoleContext, fields: Record<string, string | undefined>): Promise<Checked> {
  const store = storeParam(req, fields.store, 'promotions.badStore');
  if (typeof store !== 'string') return { reply: store };
  const e = env(req, ctx);
  let csv = fields.csv ?? '';
  const refuse = (problems: { line: number | null; field: string | null; reason: string }[]): { reply: ConsoleReply } => ({
    reply: { status: 422, page: { title: req.t('promotions.refused'), body: html`${problemsTable(e, problems)}${uploadForm(e, store, csv)}` } },
  });
  if (req.raw) {
    // a file's bytes (CSV or XLSX), POSTed raw by console.js: the price book's bounded reader makes them CSV text
    const file = await uploadedBookText(req.raw);
    if (!file.ok) return refuse(file.problems);
    csv = file.csv;
  }
  const r = readPromotions(csv);
  if (!r.ok) return refuse(r.problems);
  return { store, csv, promotions: r.promotions, env: e };
}

async function preview(req: ConsoleRequest, ctx: ConsoleContext, c: Checked): Promise<ConsoleReply> {
  if ('reply' in c) return c.reply;
  const now = await storePromotions(ctx.store.db.read, c.store);
  const body = html`${diffView(c.env, diffPromotions(now.promotions, c.promotions), now.storeVersion)}
${ctx.hqKey && ctx.mqtt ? confirmForm(c.env, c.store, c.csv) : html`<p class="problems" role="alert">${req.t('promotions.unavailable')}</p>`}`;
  return { page: { title: req.t('promotions.diffTitle', { store: c.store }), body } };
}

/**
 * The upload form, its textarea pre-filled with the promotions in force as the sheet the reader takes (./sheet.ts):
 * posted back unchanged it diffs to nothing. Bounded like the price book's (what a form can post back).
 */
function editForm(e: PageEnv, store: string, inForce: readonly Promotion[]) {
  const sheet = promotionsSheet(inForce);
  const p = prefillBook(sheet.csv);
  return p.ok
    ? uploadForm(e, store, p.csv, prefillNote(e, { count: inForce.length, inexact: sheet.inexact, tooLarge: null }))
    : uploadForm(e, store, '', prefillNote(e, { count: inForce.length, inexact: [], tooLarge: p.bytes }));
}

export const ROUTES: RouteDef[] = [
  {
    method: 'GET',
    path: '/promotions',
    permission: 'config.view',
    nav: { label: 'promotions.nav', order: 66 },
    async handler(req, ctx) {
      const stores = await visibleStores(req, ctx);
      const chosen = chosenStore(req, stores, 'promotions.badStore');
      if ('reply' in chosen) return chosen.reply;
      const store = chosen.store;
      const e = env(req, ctx);
      if (!store) return { page: { title: req.t('promotions.title'), body: storePicker(e, stores, undefined) } };
      const now = await storePromotions(ctx.store.db.read, store);
      const published = req.query.published;
      const flash = published && /^\d{1,15}$/.test(published) ? html`<p class="flash" role="status">${req.t('promotions.published', { version: published, store })}</p>` : '';
      const body = html`${flash}${storePicker(e, stores.includes(store) ? stores : [...stores, store], store)}
${promotionsTable(e, now.promotions, now.storeVersion)}
${kiosksTable(e, now.storeVersion, await kioskStoreConfig(ctx.store.db.read, store))}
${e.canPublish ? editForm(e, store, now.promotions) : ''}`;
      return { page: { title: req.t('promotions.title'), body, live: ['config', 'fleet'] } };
    },
  },
  {
    method: 'POST',
    path: '/promotions/preview',
    permission: 'promotions.publish',
    handler: async (req, ctx) => preview(req, ctx, await checked(req, ctx, req.body)),
  },
  {
    // a promotions FILE (CSV or XLSX): its bytes POSTed raw (application/octet-stream) by console.js, store in the query
    method: 'POST',
    path: '/promotions/upload',
    permission: 'promotions.publish',
    async handler(req, ctx) {
      if (!req.raw) return { error: { status: 400, message: req.t('promotions.badFile') } };
      return preview(req, ctx, await checked(req, ctx, req.query));
    },
  },
  {
    method: 'POST',
    path: '/promotions/publish',
    permission: 'promotions.publish',
    async handler(req, ctx) {
      const c = await checked(req, ctx, req.body);
      if ('reply' in c) return c.reply;
      if (!ctx.hqKey || !ctx.mqtt) return { error: { status: 503, message: req.t('promotions.unavailable') } };
      const now = await storePromotions(ctx.store.db.read, c.store);
      // the store's config in force with only `promotions` replaced: every other section it sets is kept
      const body = { ...(now.storeBody ?? {}), promotions: c.promotions };
      const r = await publishConfig(ctx, { scope: { kind: 'store', store: c.store }, body, user: req.user.username, kind: 'publish', ip: req.ip });
      if (r.ok) return { redirect: `/promotions?store=${encodeURIComponent(c.store)}&published=${r.version}` };
      const status = r.refusal === 'invalid' ? 422 : r.refusal === 'not_newer' ? 409 : 503;
      return { status, page: { title: req.t('promotions.refused'), body: html`<div class="problems" role="alert"><p>${req.t('promotions.refused')}</p><ul>${r.problems.map((p) => html`<li>${p}</li>`)}</ul></div>${uploadForm(c.env, c.store, c.csv)}` } };
    },
  },
];
