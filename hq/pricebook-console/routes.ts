import type { PriceItem } from '../../protocol/pricebook/price-item';
import { html, type Html } from '../console/html';
import { chosenStore, storeParam } from '../console/store-choice';
import { can, inScope, type ConsoleContext, type ConsoleReply, type ConsoleRequest, type RouteDef } from '../console/types';
import { diffBooks } from './diff';
import { confirmForm, diffView, historyTable, kiosksTable, latestLine, prefillNote, problemsTable, scheduleForm, schedulesTable, storePicker, uploadForm, type PageEnv } from './pages';
import { prefillBook } from './prefill';
import { BOOK_VERSION_RE, publishBook } from './publish';
import { PricebookRegistry, type PricebookVersionRow } from './registry';
import { parseLocalTime, ScheduleRegistry } from './schedules';
import { kioskBookStates } from './reports';
import { storeBookFacts } from './store-facts';
import { uploadedBookText } from './upload-file';
import { checkUploadedCsv } from './validate-upload';

/**
 * The console's price-book page: pick a store, see the book it last received and each kiosk's progress and applied
 * confirmation; admins upload a CSV (checked by the kiosk's own reader), see problems by row or the diff against the
 * last book, and publish it through the `hq pricebook push` path (signed manifest, chunks, audited).
 */


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


type Checked = { reply: ConsoleReply } | { store: string; version: string; csv: string; items: PriceItem[]; env: PageEnv };

/** The checks of an upload (preview and publish alike: a publish never trusts what the preview page carried). */
async function checked(req: ConsoleRequest, ctx: ConsoleContext, title: string, fields: Record<string, string | undefined> = req.body): Promise<Checked> {
  const store = storeParam(req, fields.store, 'pricebook.badStore');
  if (typeof store !== 'string') return { reply: store };
  const e = await env(req, ctx, store);
  const version = (fields.version ?? '').trim();
  let csv = fields.csv ?? '';
  const refuse = (problems: { line: number | null; field: string | null; reason: string }[]): { reply: ConsoleReply } => ({
    reply: { status: 422, page: { title, body: html`${problemsTable(e, problems)}${uploadForm(e, store, { version, csv })}` } },
  });
  if (!BOOK_VERSION_RE.test(version)) return refuse([{ line: null, field: 'version', reason: req.t('pricebook.badVersion') }]);
  if (req.raw) {
    // a file's bytes (CSV or XLSX), POSTed raw by the page's JS: the same reader checks the text they hold
    const file = await uploadedBookText(req.raw);
    if (!file.ok) return refuse(file.problems);
    csv = file.csv;
  }
  if (csv.trim() === '') return refuse([{ line: null, field: null, reason: req.t('pricebook.badCsv') }]);
  const { taxClasses } = await storeBookFacts(ctx.store.db.read, store);
  const r = await checkUploadedCsv(csv, taxClasses);
  if (!r.ok) return refuse(r.problems);
  return { store, version, csv, items: r.items, env: e };
}

/** The diff against the store's last book and the confirm form (or the problems) of a checked upload. */
async function preview(req: ConsoleRequest, ctx: ConsoleContext, c: Checked): Promise<ConsoleReply> {
  if ('reply' in c) return c.reply;
  const latest = await new PricebookRegistry(ctx.store.db.read).latest(c.store);
  // the last book was valid when published; read again without the tax check (the config may have changed since)
  const before = latest ? await checkUploadedCsv(latest.csv) : null;
  const diff = diffBooks(before?.ok ? before.items : [], c.items);
  const body = html`${diffView(c.env, diff, latest?.version ?? null)}
${ctx.hqKey && ctx.mqtt ? html`${confirmForm(c.env, c.store, c.version, c.csv)}${scheduleForm(c.env, c.store, c.version, c.csv)}` : html`<p class="problems" role="alert">${req.t('pricebook.unavailable')}</p>`}`;
  return { page: { title: req.t('pricebook.diffTitle', { store: c.store, version: c.version }), body } };
}

/**
 * The upload form, its textarea pre-filled with the book in force (the store's latest from the console) so an edit
 * starts from it: posted back unchanged it diffs to nothing. A book too large to post back is not put on the page.
 */
function editForm(e: PageEnv, store: string, latest: PricebookVersionRow | undefined): Html {
  if (!latest) return uploadForm(e, store);
  const p = prefillBook(latest.csv);
  return p.ok ? uploadForm(e, store, { csv: p.csv, note: prefillNote(e, latest.version, null) }) : uploadForm(e, store, { note: prefillNote(e, latest.version, p.bytes) });
}

export const ROUTES: RouteDef[] = [
  {
    method: 'GET',
    path: '/pricebook',
    permission: 'config.view',
    nav: { label: 'pricebook.nav', order: 65 },
    async handler(req, ctx) {
      const stores = await visibleStores(req, ctx);
      const chosen = chosenStore(req, stores, 'pricebook.badStore');
      if ('reply' in chosen) return chosen.reply;
      const store = chosen.store;
      const e = await env(req, ctx, store ?? null);
      if (!store) return { page: { title: req.t('pricebook.title'), body: storePicker(e, stores, undefined) } };
      const registry = new PricebookRegistry(ctx.store.db.read);
      const latest = await registry.latest(store);
      const published = req.query.published;
      const scheduled = req.query.scheduled;
      const flash =
        published && BOOK_VERSION_RE.test(published)
          ? html`<p class="flash" role="status">${req.t('pricebook.published', { version: published, store })}</p>`
          : scheduled && BOOK_VERSION_RE.test(scheduled)
            ? html`<p class="flash" role="status">${req.t('pricebook.scheduled', { version: scheduled, store })}</p>`
            : req.query.cancelled === '1'
              ? html`<p class="flash" role="status">${req.t('pricebook.cancelled')}</p>`
              : '';
      const body = html`${flash}${storePicker(e, stores.includes(store) ? stores : [...stores, store], store)}
${latestLine(e, latest)}
${kiosksTable(e, latest?.version ?? null, await kioskBookStates(ctx.store.db.read, store, latest?.version ?? null))}
${schedulesTable(e, store, await new ScheduleRegistry(ctx.store.db.read).forStore(store))}
${e.canPublish ? editForm(e, store, latest) : ''}
${historyTable(e, await registry.history(store))}`;
      return { page: { title: req.t('pricebook.title'), body, live: ['config', 'fleet'] } };
    },
  },
  {
    method: 'POST',
    path: '/pricebook/preview',
    permission: 'pricebook.publish',
    handler: async (req, ctx) => preview(req, ctx, await checked(req, ctx, req.t('pricebook.title'))),
  },
  {
    // a price-book FILE (CSV or XLSX): its bytes POSTed raw (application/octet-stream) by console.js, store and
    // version in the query; the same checks and diff as a pasted CSV
    method: 'POST',
    path: '/pricebook/upload',
    permission: 'pricebook.publish',
    async handler(req, ctx) {
      if (!req.raw) return { error: { status: 400, message: req.t('pricebook.badFile') } };
      return preview(req, ctx, await checked(req, ctx, req.t('pricebook.title'), req.query));
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
  {
    // publish later: the checked book is stored with its start time (the console's time zone); hq serve publishes it
    method: 'POST',
    path: '/pricebook/schedule',
    permission: 'pricebook.publish',
    async handler(req, ctx) {
      const c = await checked(req, ctx, req.t('pricebook.refused'));
      if ('reply' in c) return c.reply;
      const start = parseLocalTime(req.body.start ?? '', ctx.settings.timezone);
      if (start === null || start <= ctx.clock.now()) {
        return { status: 422, page: { title: req.t('pricebook.refused'), body: html`${problemsTable(c.env, [{ line: null, field: 'start', reason: req.t('pricebook.badStart') }])}${scheduleForm(c.env, c.store, c.version, c.csv)}` } };
      }
      // an optional end (same zone), after the start: the book before is then published again (./scheduler.ts)
      const endText = (req.body.end ?? '').trim();
      const end = endText === '' ? null : parseLocalTime(endText, ctx.settings.timezone);
      if (endText !== '' && (end === null || end <= start)) {
        return { status: 422, page: { title: req.t('pricebook.refused'), body: html`${problemsTable(c.env, [{ line: null, field: 'end', reason: req.t('pricebook.badEnd') }])}${scheduleForm(c.env, c.store, c.version, c.csv)}` } };
      }
      const now = ctx.clock.now();
      const id = await ctx.store.db.transaction((tx) =>
        ScheduleRegistry.insert(tx, { store_id: c.store, version: c.version, csv: c.csv, items: c.items.length, start_at: start, end_at: end, created_by: req.user.username, created_at: now }),
      );
      await ctx.audit.record({ actor: req.user.username, action: 'pricebook.schedule', target: `store:${c.store}`, detail: { id, version: c.version, items: c.items.length, startAt: start, ...(end !== null ? { endAt: end } : {}) }, ip: req.ip });
      ctx.live.publish('config', c.store);
      return { redirect: `/pricebook?store=${encodeURIComponent(c.store)}&scheduled=${encodeURIComponent(c.version)}` };
    },
  },
  {
    method: 'POST',
    path: '/pricebook/schedule/cancel',
    permission: 'pricebook.publish',
    async handler(req, ctx) {
      const store = storeParam(req, req.body.store, 'pricebook.badStore');
      if (typeof store !== 'string') return store;
      const id = req.body.id ?? '';
      const row = await new ScheduleRegistry(ctx.store.db.read).get(store, id);
      if (!row) return { error: { status: 404, message: req.t('pricebook.notPending') } };
      const done = await ctx.store.db.transaction((tx) => ScheduleRegistry.finish(tx, id, 'cancelled', ctx.clock.now(), req.user.username));
      if (!done) return { error: { status: 409, message: req.t('pricebook.notPending') } };
      await ctx.audit.record({ actor: req.user.username, action: 'pricebook.schedule.cancel', target: `store:${store}`, detail: { id, version: row.version, startAt: row.start_at }, ip: req.ip });
      ctx.live.publish('config', store);
      return { redirect: `/pricebook?store=${encodeURIComponent(store)}&cancelled=1` };
    },
  },
];
