import type { PriceItem } from '../../protocol/pricebook/price-item';
import { html } from '../console/html';
import { can, inScope, type ConsoleContext, type ConsoleReply, type ConsoleRequest, type RouteDef } from '../console/types';
import { diffBooks } from './diff';
import { confirmForm, diffView, historyTable, kiosksTable, latestLine, problemsTable, storePicker, uploadForm, type PageEnv } from './pages';
import { BOOK_VERSION_RE, publishBook } from './publish';
import { PricebookRegistry } from './registry';
import { kioskBookStates } from './reports';
import { storeBookFacts } from './store-facts';
import { checkUploadedCsv } from './validate-upload';

/**
 * The console's price-book page: pick a store, see the book it last received and each kiosk's progress and applied
 * confirmation; admins upload a CSV (checked by the kiosk's own reader), see problems by row or the diff against the
 * last book, and publish it through the `hq pricebook push` path (signed manifest, chunks, audited).
 */

/** A store id as the wire allows it (protocol/topics.ts assertTopicId: no `/ + #`, no leading `_`). */
const STORE_RE = /^[A-Za-z0-9][\w.-]{0,63}$/;

const env = async (req: ConsoleRequest, ctx: ConsoleContext, store: string | null): Promise<PageEnv> => ({
  t: req.t,
  lang: req.lang,
  timezone: ctx.settings.timezone,
  csrfToken: req.csrfToken,
  canPublish: can(req.user.role, 'pricebook.publish'),
  currency: store ? (await storeBookFacts(ctx.store.db.read, store)).currency : 'CNY',
});

/** The stores the user may see: those with a kiosk, or a book published from here. */
async function visibleStores(req: ConsoleRequest, ctx: ConsoleContext): Promise<string[]> {
  const rows = await ctx.store.db.read.all<{ s: string }>('SELECT store_id AS s FROM fleet UNION SELECT store_id AS s FROM pricebook_versions ORDER BY s');
  return rows.map((r) => r.s).filter((s) => inScope(req.scope, s));
}

/** The store named by a field, if the user may see it; otherwise the reply (400 malformed, 404 outside their stores). */
function storeParam(req: ConsoleRequest, value: string | undefined): string | ConsoleReply {
  if (value === undefined || !STORE_RE.test(value)) return { error: { status: 400, message: req.t('pricebook.badStore') } };
  if (!inScope(req.scope, value)) return { error: { status: 404, message: req.t('pricebook.badStore') } };
  return value;
}

type Checked = { reply: ConsoleReply } | { store: string; version: string; csv: string; items: PriceItem[]; env: PageEnv };

/** The checks of an upload (preview and publish alike: a publish never trusts what the preview page carried). */
async function checked(req: ConsoleRequest, ctx: ConsoleContext, title: string): Promise<Checked> {
  const store = storeParam(req, req.body.store);
  if (typeof store !== 'string') return { reply: store };
  const e = await env(req, ctx, store);
  const version = (req.body.version ?? '').trim();
  const csv = req.body.csv ?? '';
  const refuse = (problems: { line: number | null; field: string | null; reason: string }[]): { reply: ConsoleReply } => ({
    reply: { status: 422, page: { title, body: html`${problemsTable(e, problems)}${uploadForm(e, store, { version, csv })}` } },
  });
  if (!BOOK_VERSION_RE.test(version)) return refuse([{ line: null, field: 'version', reason: req.t('pricebook.badVersion') }]);
  if (csv.trim() === '') return refuse([{ line: null, field: null, reason: req.t('pricebook.badCsv') }]);
  const { taxClasses } = await storeBookFacts(ctx.store.db.read, store);
  const r = await checkUploadedCsv(csv, taxClasses);
  if (!r.ok) return refuse(r.problems);
  return { store, version, csv, items: r.items, env: e };
}

export const ROUTES: RouteDef[] = [
  {
    method: 'GET',
    path: '/pricebook',
    permission: 'config.view',
    nav: { label: 'pricebook.nav', order: 65 },
    async handler(req, ctx) {
      const stores = await visibleStores(req, ctx);
      let store: string | undefined;
      if (req.query.store !== undefined) {
        const s = storeParam(req, req.query.store);
        if (typeof s !== 'string') return s;
        store = s;
      } else store = stores[0];
      const e = await env(req, ctx, store ?? null);
      if (!store) return { page: { title: req.t('pricebook.title'), body: storePicker(e, stores, undefined) } };
      const registry = new PricebookRegistry(ctx.store.db.read);
      const latest = await registry.latest(store);
      const published = req.query.published;
      const flash = published && BOOK_VERSION_RE.test(published) ? html`<p class="flash" role="status">${req.t('pricebook.published', { version: published, store })}</p>` : '';
      const body = html`${flash}${storePicker(e, stores.includes(store) ? stores : [...stores, store], store)}
${latestLine(e, latest)}
${kiosksTable(e, latest?.version ?? null, await kioskBookStates(ctx.store.db.read, store, latest?.version ?? null))}
${e.canPublish ? uploadForm(e, store) : ''}
${historyTable(e, await registry.history(store))}`;
      return { page: { title: req.t('pricebook.title'), body, live: ['config', 'fleet'] } };
    },
  },
  {
    method: 'POST',
    path: '/pricebook/preview',
    permission: 'pricebook.publish',
    async handler(req, ctx) {
      const c = await checked(req, ctx, req.t('pricebook.title'));
      if ('reply' in c) return c.reply;
      const latest = await new PricebookRegistry(ctx.store.db.read).latest(c.store);
      // the last book was valid when published; read again without the tax check (the config may have changed since)
      const before = latest ? await checkUploadedCsv(latest.csv) : null;
      const diff = diffBooks(before?.ok ? before.items : [], c.items);
      const body = html`${diffView(c.env, diff, latest?.version ?? null)}
${ctx.hqKey && ctx.mqtt ? confirmForm(c.env, c.store, c.version, c.csv) : html`<p class="problems" role="alert">${req.t('pricebook.unavailable')}</p>`}`;
      return { page: { title: req.t('pricebook.diffTitle', { store: c.store, version: c.version }), body } };
    },
  },
  {
    method: 'POST',
    path: '/pricebook/publish',
    permission: 'pricebook.publish',
    async handler(req, ctx) {
      const c = await checked(req, ctx, req.t('pricebook.refused'));
      if ('reply' in c) return c.reply;
      const r = await publishBook(ctx, { store: c.store, version: c.version, csv: c.csv, items: c.items, user: req.user.username, ip: req.ip });
      if (r.ok) return { redirect: `/pricebook?store=${encodeURIComponent(c.store)}&published=${encodeURIComponent(r.version)}` };
      if (r.refusal === 'unavailable') return { error: { status: 503, message: req.t('pricebook.unavailable') } };
      return { status: 409, page: { title: req.t('pricebook.refused'), body: html`<div class="problems" role="alert"><p>${r.problem}</p></div>${uploadForm(c.env, c.store, { version: c.version, csv: c.csv })}` } };
    },
  },
];
