import { comparePointsEntries } from '../../protocol/members/points-ledger';
import { html } from '../console/html';
import { can, inScope, type ConsoleContext, type ConsoleReply, type ConsoleRequest, type RouteDef } from '../console/types';
import { announceMemberChange } from './changes';
import { adjustPoints } from './operations';
import { memberPage, membersTable, kiosksTable, searchForm, type PageEnv } from './pages';
import { balances, getMember, isMemberId, ledgerRows, listMembers } from './registry';
import { kioskMembersStates } from './reported';
import { latestSnapshot, snapshotStores } from './snapshot';

/**
 * The console's members pages: `/members` (search by id, type and balance, each kiosk's applied snapshot version) and
 * `/members/:id` (the ledger entries with their source and order, the conflicts in plain words; admins adjust,
 * audited). Members are the chain's, not a store's: everyone with `members.view` sees the records and balances; a
 * store manager sees the kiosks and ledger entries of their own stores (entries elsewhere are counted, not listed).
 */

const LIST_LIMIT = 200;

const env = (req: ConsoleRequest, ctx: ConsoleContext): PageEnv => ({
  t: req.t,
  lang: req.lang,
  timezone: ctx.settings.timezone,
  csrfToken: req.csrfToken,
  canAdjust: can(req.user.role, 'members.adjust'),
});

/** An entry the user may see listed: HQ's, or a kiosk of a store in their scope. */
const visibleSource = (req: ConsoleRequest, source: string): boolean => source === 'hq' || inScope(req.scope, source.slice(0, source.indexOf('/')));

async function showMember(req: ConsoleRequest, ctx: ConsoleContext, id: string, o: { flash?: string; problem?: string; status?: number } = {}): Promise<ConsoleReply> {
  if (!isMemberId(id)) return { error: { status: 404, message: req.t('members.unknown') } };
  const db = ctx.store.db.read;
  const member = await getMember(db, id);
  const all = (await ledgerRows(db, id)).sort(comparePointsEntries);
  if (!member && all.length === 0) return { error: { status: 404, message: req.t('members.unknown') } };
  const balance = (await balances(db, id)).get(id) ?? { memberId: id, balance: 0, earned: 0, redeemed: 0, adjusted: 0, reversed: 0, conflicts: [] };
  const entries = all.filter((e) => visibleSource(req, e.source));
  // a conflict names a kiosk: shown when the user may see that kiosk's store
  const shown = { ...balance, conflicts: balance.conflicts.filter((c) => visibleSource(req, c.entry.source)) };
  const body = memberPage(env(req, ctx), { id, member, balance: shown, entries, hidden: all.length - entries.length, visible: (s) => inScope(req.scope, s), ...o });
  return { ...(o.status ? { status: o.status } : {}), page: { title: req.t('members.memberTitle', { id }), body, live: ['orders'] } };
}

export const ROUTES: RouteDef[] = [
  {
    method: 'GET',
    path: '/members',
    permission: 'members.view',
    nav: { label: 'members.nav', order: 68 },
    async handler(req, ctx) {
      const q = (req.query.q ?? '').trim();
      const prefix = /^[A-Za-z0-9_-]{0,64}$/.test(q) ? q : '';
      const db = ctx.store.db.read;
      const list = await listMembers(db, prefix, LIST_LIMIT + 1);
      const bal = await balances(db);
      const rows = list.slice(0, LIST_LIMIT).map((m) => ({ m, b: bal.get(m.id) }));
      const stores = (await snapshotStores(db)).filter((s) => inScope(req.scope, s));
      const kiosks = await Promise.all(stores.map(async (store) => ({ store, latest: await latestSnapshot(db, store), kiosks: await kioskMembersStates(db, store) })));
      const e = env(req, ctx);
      const body = html`${searchForm(e, prefix)}${membersTable(e, rows, list.length > LIST_LIMIT)}${kiosksTable(e, kiosks)}`;
      return { page: { title: req.t('members.title'), body, live: ['config', 'orders'] } };
    },
  },
  {
    method: 'GET',
    path: '/members/:id',
    permission: 'members.view',
    handler: (req, ctx) => {
      const adjusted = req.query.adjusted;
      return showMember(req, ctx, req.params.id ?? '', adjusted && /^-?\d{1,10}$/.test(adjusted) ? { flash: req.t('members.adjusted', { points: adjusted }) } : {});
    },
  },
  {
    method: 'POST',
    path: '/members/:id/adjust',
    permission: 'members.adjust',
    async handler(req, ctx) {
      const id = req.params.id ?? '';
      if (!isMemberId(id)) return { error: { status: 404, message: req.t('members.unknown') } };
      const text = (req.body.points ?? '').trim().replace('−', '-');
      const points = /^[+-]?\d{1,10}$/.test(text) ? Number(text) : NaN;
      const r = Number.isSafeInteger(points)
        ? await adjustPoints(ctx.store, ctx.audit, { memberId: id, points, reason: req.body.reason ?? '', actor: req.user.username, now: ctx.clock.now(), ip: req.ip })
        : ({ ok: false, problem: 'bad_points' } as const);
      if (r.ok) {
        announceMemberChange(ctx.store); // hq serve's publisher sends the stores a new snapshot (debounced)
        return { redirect: `/members/${encodeURIComponent(id)}?adjusted=${r.entry.points}` };
      }
      if (r.problem === 'unknown_member') return { error: { status: 404, message: req.t('members.unknown') } };
      return showMember(req, ctx, id, { problem: req.t(r.problem === 'no_reason' ? 'members.noReason' : 'members.badPoints'), status: 422 });
    },
  },
];
