import { isKioskError } from '../../kernel/errors';
import { isCalendarDate } from '../../kernel/local-time';
import { can, inScope, type ConsoleContext, type ConsoleReply, type ConsoleRequest, type RouteDef } from '../console/types';
import { html } from '../console/html';
import { beijingDayOf } from './beijing-time';
import { BILL_CHANNELS, BILL_LIMITS, type BillChannel } from './bill-types';
import { feeRates } from './fee-rates';
import { DISCREPANCY_KINDS, type DiscrepancyKind } from './items';
import { filterForm, PAGE_CHANNELS, runBody, runForms, runHref, runsTable, type PageEnv } from './page';
import { reconcileBill, reconcileCard } from './reconcile';
import { getRun, listRuns, runItems } from './run-store';

const STORE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const bad = (status: 400 | 404 | 422, message: string): ConsoleReply => ({ error: { status, message } });
const env = (req: ConsoleRequest, ctx: ConsoleContext): PageEnv => ({ req, timeZone: ctx.settings.timezone });

/** `/reconcile`: the runs by day and channel (filtered), and for admins the forms that start one. */
async function runsPage(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const channel = req.query.channel?.trim() || undefined;
  const day = req.query.day?.trim() || undefined;
  if (channel && !(PAGE_CHANNELS as readonly string[]).includes(channel)) return bad(400, req.t('reconcile.badChannel'));
  if (day && !isCalendarDate(day)) return bad(400, req.t('reconcile.badDay'));
  const runs = await listRuns(ctx.store.db, req.scope, { channel, day });
  const e = env(req, ctx);
  // yesterday in Beijing: the day whose bills the channels publish this morning
  const yesterday = beijingDayOf(ctx.clock.now() - 86_400_000);
  const body = html`<h1>${req.t('reconcile.title')}</h1>
${filterForm(e, { channel, day })}
${runsTable(e, runs)}
${can(req.user.role, 'reconcile.run') ? runForms(e, yesterday) : ''}`;
  return { page: { title: req.t('reconcile.title'), body } };
}

/** `/reconcile/run?channel=&day=[&store=][&kind=]`: one run's totals and discrepancies, within the user's stores. */
async function runPage(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const { channel = '', day = '', store = '' } = req.query;
  const kind = req.query.kind || undefined;
  if (!(PAGE_CHANNELS as readonly string[]).includes(channel)) return bad(400, req.t('reconcile.badChannel'));
  if (!isCalendarDate(day)) return bad(400, req.t('reconcile.badDay'));
  if (kind && !(DISCREPANCY_KINDS as readonly string[]).includes(kind)) return bad(400, req.t('reconcile.notFound'));
  if (store && !inScope(req.scope, store)) return bad(404, req.t('reconcile.notFound'));
  const run = await getRun(ctx.store.db, channel, day, store);
  if (!run) return bad(404, req.t('reconcile.notFound'));
  const all = await runItems(ctx.store.db, run, req.scope);
  const counts = new Map<DiscrepancyKind, number>();
  for (const i of all) counts.set(i.kind, (counts.get(i.kind) ?? 0) + 1);
  const items = kind ? all.filter((i) => i.kind === kind) : all;
  return { page: { title: req.t('reconcile.title'), body: runBody(env(req, ctx), run, items, counts, kind as DiscrepancyKind | undefined) } };
}

/** The audit entry of a run started on the console (started, or refused with the reason). */
function auditRun(req: ConsoleRequest, ctx: ConsoleContext, f: { channel: string; day: string; store?: string }) {
  return (detail: Record<string, unknown>) =>
    ctx.audit.record({ actor: req.user.username, action: 'reconcile.run', target: `${f.channel}:${f.day}${f.store ? `:${f.store}` : ''}`, detail, ip: req.ip });
}

/** Reconciles a wallet bill's bytes (pasted text, or an uploaded file as downloaded: the Alipay / UnionPay zip too). */
async function billRun(req: ConsoleRequest, ctx: ConsoleContext, f: { channel: string; day: string; bytes: Buffer; source: string }): Promise<ConsoleReply> {
  if (!isCalendarDate(f.day)) return bad(400, req.t('reconcile.badDay'));
  if (!(BILL_CHANNELS as readonly string[]).includes(f.channel)) return bad(400, req.t('reconcile.badChannel'));
  if (f.bytes.length === 0 || (f.source === 'console' && f.bytes.toString('utf8').trim() === '')) return bad(400, req.t('reconcile.noBill'));
  const audit = auditRun(req, ctx, f);
  if (f.bytes.length > BILL_LIMITS.maxBytes) return bad(422, req.t('reconcile.badBill', { reason: `more than ${BILL_LIMITS.maxBytes} bytes` }));
  try {
    const rates = await feeRates(ctx.store.db);
    const r = await reconcileBill(
      ctx.store.db,
      { channel: f.channel as BillChannel, day: f.day, bill: f.bytes, bps: rates[f.channel as BillChannel] },
      { by: req.user.username, now: ctx.clock.now(), source: f.source, alerts: ctx.alerts },
    );
    await audit({ matched: r.totals.matched, discrepancies: r.items.length, sha256: r.sha256, bytes: f.bytes.length });
    return { redirect: runHref(r) };
  } catch (e) {
    if (!isKioskError(e, 'BAD_DATA')) throw e;
    await audit({ refused: e.message });
    return bad(422, req.t('reconcile.badBill', { reason: e.message }));
  }
}

/**
 * POST `/reconcile/run` (admins: reconcile.run): `mode=bill` with a channel, a day and the bill pasted as text, or
 * `mode=card` with a store and a day; the run is stored (replacing that day's previous one), audited, and the page
 * of the run shown. A malformed bill answers 422 with the line at fault, and is audited too.
 */
async function runPost(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const { mode, channel = '', day = '', store = '', bill = '' } = req.body;
  if (!isCalendarDate(day)) return bad(400, req.t('reconcile.badDay'));
  if (mode === 'bill') return billRun(req, ctx, { channel, day, bytes: Buffer.from(bill, 'utf8'), source: 'console' });
  if (mode !== 'card') return bad(400, req.t('reconcile.badChannel'));
  if (!STORE.test(store) || !inScope(req.scope, store)) return bad(400, req.t('reconcile.badStore'));
  const audit = auditRun(req, ctx, { channel, day, store });
  try {
    const rates = await feeRates(ctx.store.db, { store });
    const r = await reconcileCard(ctx.store.db, { store, day, timeZone: ctx.settings.timezone, rates }, { by: req.user.username, now: ctx.clock.now(), alerts: ctx.alerts });
    await audit({ matched: r.totals.matched, discrepancies: r.items.length, sha256: r.sha256 });
    return { redirect: runHref(r) };
  } catch (e) {
    if (!isKioskError(e, 'BAD_DATA')) throw e;
    await audit({ refused: e.message });
    return bad(422, req.t('reconcile.badBill', { reason: e.message }));
  }
}

/**
 * POST `/reconcile/upload?channel=&day=` (admins): a bill FILE as the channel's download gave it — the
 * WeChat Pay text, Alipay's `….csv.zip` or its detail CSV, UnionPay's zip or its ZM file — its bytes POSTed raw
 * (application/octet-stream, CSRF in the x-csrf-token header) by console.js (`<form data-upload>`); at most the
 * console's 1 MiB body limit (larger: `hq reconcile`). Same run, audit and answers as a pasted bill.
 */
async function uploadPost(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  if (!req.raw) return bad(400, req.t('reconcile.noBill'));
  const { channel = '', day = '' } = req.query;
  return billRun(req, ctx, { channel, day, bytes: req.raw, source: 'console upload' });
}

/** Reconciliation (对账): runs and discrepancies for admins, store managers (their stores) and auditors; admins run it. */
export const ROUTES: RouteDef[] = [
  { method: 'GET', path: '/reconcile', permission: 'reconcile.view', nav: { label: 'reconcile.nav', order: 45 }, handler: runsPage },
  { method: 'GET', path: '/reconcile/run', permission: 'reconcile.view', handler: runPage },
  { method: 'POST', path: '/reconcile/run', permission: 'reconcile.run', handler: runPost },
  { method: 'POST', path: '/reconcile/upload', permission: 'reconcile.run', handler: uploadPost },
];
