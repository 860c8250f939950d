import { KioskError } from '../../kernel/errors';
import { formatMoney, formatTime } from '../console/format';
import type { ConsoleContext, ConsoleReply, ConsoleRequest, RouteDef, StoreScope } from '../console/types';
import { consoleCurrency } from './currency';
import { DAY_MS, HOUR_MS, paymentOutcomes } from './payment-monitor';
import { paymentsPage } from './payments-page';
import { salesStats, type SalesStats } from './sales-stats';
import { statsCsv } from './stats-csv';
import { parseStatsFilter } from './stats-filter';
import { statsPage } from './stats-page';
import { statsPdf } from './stats-pdf';
import { isTableId } from './stats-tables';

/** The console routes of hq/stats: the statistics page and its exports, and the live payment monitor. */

/** The stores a user may pick: their own, or every store that has sent HQ anything. */
async function pickableStores(ctx: ConsoleContext, scope: StoreScope): Promise<string[]> {
  if (!scope.all) return [...scope.stores].sort();
  const rows = await ctx.store.db.read.all<{ store_id: string }>('SELECT DISTINCT store_id FROM devices ORDER BY store_id');
  return rows.map((r) => r.store_id);
}

async function loadStats(req: ConsoleRequest, ctx: ConsoleContext): Promise<SalesStats | ConsoleReply> {
  const f = parseStatsFilter(req.query, req.scope, ctx.settings.timezone, ctx.clock.now());
  if (!f.ok) return { error: { status: f.status, message: f.message } };
  return salesStats(ctx.store.db, f.filter, req.lang);
}

const isReply = (v: SalesStats | ConsoleReply): v is ConsoleReply => !('totals' in v);

/** `sales-2026-11-20-2026-11-21[-S001].csv`; store ids reduced to file-name-safe characters. */
function exportName(s: SalesStats, ext: string, table?: string): string {
  const store = s.filter.storeId === undefined ? '' : `-${s.filter.storeId.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  return `sales-${s.filter.from}-${s.filter.to}${store}${table ? `-${table}` : ''}.${ext}`;
}

export const ROUTES: RouteDef[] = [
  {
    method: 'GET',
    path: '/stats',
    permission: 'stats.view',
    nav: { label: 'stats.nav', order: 40 },
    async handler(req, ctx) {
      const s = await loadStats(req, ctx);
      if (isReply(s)) return s;
      const body = statsPage({ stats: s, t: req.t, lang: req.lang, currency: consoleCurrency(ctx.settings), stores: await pickableStores(ctx, req.scope) });
      return { page: { title: req.t('stats.title'), body, live: ['stats'] } };
    },
  },
  {
    method: 'GET',
    path: '/stats/export.csv',
    permission: 'stats.view',
    async handler(req, ctx) {
      const table = req.query.table || undefined;
      if (table !== undefined && !isTableId(table)) return { error: { status: 400, message: 'unknown table' } };
      const s = await loadStats(req, ctx);
      if (isReply(s)) return s;
      const data = statsCsv(s, req.t, consoleCurrency(ctx.settings), table);
      return { file: { name: exportName(s, 'csv', table), type: 'text/csv; charset=utf-8', data } };
    },
  },
  {
    method: 'GET',
    path: '/stats/export.pdf',
    permission: 'stats.view',
    async handler(req, ctx) {
      const s = await loadStats(req, ctx);
      if (isReply(s)) return s;
      const currency = consoleCurrency(ctx.settings);
      try {
        const data = await statsPdf(s, {
          t: req.t,
          currency,
          formatMoney: (n) => formatMoney(n, currency, req.lang),
          generatedBy: req.user.username,
          generatedAt: formatTime(ctx.clock.now(), ctx.settings.timezone, req.lang),
        });
        return { file: { name: exportName(s, 'pdf'), type: 'application/pdf', data } };
      } catch (e) {
        if (e instanceof KioskError) return { error: { status: 503, message: e.message } };
        throw e;
      }
    },
  },
  {
    method: 'GET',
    path: '/payments',
    permission: 'payments.view',
    nav: { label: 'stats.payments.nav', order: 20 },
    async handler(req, ctx) {
      const now = ctx.clock.now();
      const db = ctx.store.db.read;
      const body = paymentsPage({
        t: req.t,
        lang: req.lang,
        currency: consoleCurrency(ctx.settings),
        timezone: ctx.settings.timezone,
        now,
        limits: ctx.settings.paymentAlert,
        lastHour: await paymentOutcomes(db, { now, windowMs: HOUR_MS, scope: req.scope }),
        lastDay: await paymentOutcomes(db, { now, windowMs: DAY_MS, scope: req.scope }),
        lastHourByStore: await paymentOutcomes(db, { now, windowMs: HOUR_MS, scope: req.scope, byStore: true }),
      });
      return { page: { title: req.t('stats.payments.title'), body, live: ['payments'] } };
    },
  },
];
