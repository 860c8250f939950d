import { html } from '../console/html';
import { can, inScope, type ConsoleContext, type ConsoleReply, type ConsoleRequest, type RouteDef } from '../console/types';
import { rolloutPage, releasesTable, rolloutsTable, type PageEnv } from './pages';
import { listReleases } from './registry';
import { changeRollout, driveRollout, getRollout, listRollouts, rolloutKiosks, stepCounts, type StateChange } from './rollouts';

/**
 * The console's release pages: `/releases` (releases, rollouts with their kiosks per step) and
 * `/releases/rollouts/:id` (each kiosk's step; pause / resume / abort). Seeing them is `config.view` (a store manager
 * sees and counts only the kiosks of their stores); changing a rollout is `config.publish` (admins: a rollout spans
 * the chain), audited as `release.pause|resume|abort`. The change is recorded, then sent at once when `hq serve`
 * has its key and the broker (otherwise its release service sends it when it can).
 */

const env = (req: ConsoleRequest, ctx: ConsoleContext): PageEnv => ({ t: req.t, lang: req.lang, timezone: ctx.settings.timezone, csrfToken: req.csrfToken, canChange: can(req.user.role, 'config.publish') });

const ROLLOUT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

async function showRollout(req: ConsoleRequest, ctx: ConsoleContext, id: string, o: { flash?: string; problem?: string; status?: number } = {}): Promise<ConsoleReply> {
  const rollout = ROLLOUT_ID.test(id) ? await getRollout(ctx.store.db.read, id) : undefined;
  if (!rollout) return { error: { status: 404, message: req.t('release.unknown') } };
  const all = await rolloutKiosks(ctx.store.db.read, id);
  const kiosks = all.filter((k) => inScope(req.scope, k.storeId));
  const body = rolloutPage(env(req, ctx), { rollout, kiosks, hidden: all.length - kiosks.length, steps: stepCounts(kiosks), ...o });
  return { ...(o.status ? { status: o.status } : {}), page: { title: req.t('release.rolloutTitle', { id: rollout.id, version: rollout.version }), body, live: ['fleet'] } };
}

function changeRoute(change: StateChange): RouteDef {
  return {
    method: 'POST',
    path: `/releases/rollouts/:id/${change}`,
    permission: 'config.publish',
    async handler(req, ctx) {
      const id = req.params.id ?? '';
      if (!ROLLOUT_ID.test(id)) return { error: { status: 404, message: req.t('release.unknown') } };
      const r = await changeRollout(ctx.store.db, ctx.audit, id, change, { actor: req.user.username, now: ctx.clock.now(), ip: req.ip });
      if (!r.ok) {
        if (r.problem === 'unknown_rollout') return { error: { status: 404, message: req.t('release.unknown') } };
        const current = await getRollout(ctx.store.db.read, id);
        return showRollout(req, ctx, id, { problem: req.t('release.badState', { state: current ? req.t(`release.state.${current.state}`) : '' }), status: 409 });
      }
      let sent = change === 'pause';
      if (!sent && ctx.mqtt?.connected && ctx.hqKey) {
        try {
          await driveRollout({ db: ctx.store.db, mqtt: ctx.mqtt, hqKey: ctx.hqKey, clock: ctx.clock, audit: ctx.audit }, id);
          sent = true;
        } catch {
          /* recorded; the release service sends it on its next pass */
        }
      }
      ctx.live.publish('fleet');
      return { redirect: `/releases/rollouts/${encodeURIComponent(id)}?done=${change}${sent ? '' : '&pending=1'}` };
    },
  };
}

export const ROUTES: RouteDef[] = [
  {
    method: 'GET',
    path: '/releases',
    permission: 'config.view',
    nav: { label: 'release.nav', order: 62 },
    async handler(req, ctx) {
      const db = ctx.store.db.read;
      const rollouts = await Promise.all(
        (await listRollouts(db)).map(async (rollout) => {
          const kiosks = (await rolloutKiosks(db, rollout.id)).filter((k) => inScope(req.scope, k.storeId));
          return { rollout, kiosks: kiosks.length, steps: stepCounts(kiosks) };
        }),
      );
      const e = env(req, ctx);
      // a store manager sees the rollouts that touch their stores
      const shown = req.scope.all ? rollouts : rollouts.filter((r) => r.kiosks > 0);
      const body = html`<h2>${req.t('release.releases')}</h2>${releasesTable(e, await listReleases(db))}<h2>${req.t('release.rollouts')}</h2>${rolloutsTable(e, shown)}`;
      return { page: { title: req.t('release.title'), body, live: ['fleet'] } };
    },
  },
  {
    method: 'GET',
    path: '/releases/rollouts/:id',
    permission: 'config.view',
    handler: (req, ctx) => {
      const done = req.query.done;
      const flash = done === 'pause' || done === 'resume' || done === 'abort' ? `${req.t(`release.done.${done}`)}${req.query.pending ? ` ${req.t('release.noSender')}` : ''}` : undefined;
      return showRollout(req, ctx, req.params.id ?? '', flash ? { flash } : {});
    },
  },
  changeRoute('pause'),
  changeRoute('resume'),
  changeRoute('abort'),
];
