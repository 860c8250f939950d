import { html } from '../console/html';
import { can, inScope, type ConsoleContext, type ConsoleReply, type ConsoleRequest, type RouteDef } from '../console/types';
import { parseStores } from '../users/routes';
import { rolloutForm, rolloutPage, releasesTable, rolloutsTable, type PageEnv, type RolloutFormValues } from './pages';
import { listReleases } from './registry';
import { changeRollout, createRollout, driveRollout, getRollout, listRollouts, rolloutKiosks, stepCounts, type StateChange } from './rollouts';

/**
 * The console's release pages: `/releases` (releases, rollouts with their kiosks per step) and
 * `/releases/rollouts/:id` (each kiosk's step; pause / resume / abort). Seeing them is `config.view` (a store manager
 * sees and counts only the kiosks of their stores); starting or changing a rollout is `config.publish` (admins: a
 * rollout spans the chain), audited as `release.rollout` (and `release.supersede`) / `release.pause|resume|abort`.
 * A rollout refused because older rollouts hold its kiosks answers 409 with the form again and the message (tick
 * "supersede older rollouts" to take them over: ./rollouts.ts). The change is recorded, then sent at once when `hq serve`
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

/** The kiosk package's base URL of the latest rollout (the form's default): `https://hq:8443/releases/files/x.tgz` → `https://hq:8443`. */
const lastBaseUrl = (urls: readonly string[]): string | undefined => {
  const u = urls[0];
  const i = u === undefined ? -1 : u.indexOf('/releases/files/');
  return i > 0 ? u!.slice(0, i) : undefined;
};

async function showReleases(req: ConsoleRequest, ctx: ConsoleContext, o: { form?: RolloutFormValues; problem?: string; status?: 409 | 400 } = {}): Promise<ConsoleReply> {
  const db = ctx.store.db.read;
  const all = await listRollouts(db);
  const rollouts = await Promise.all(
    all.map(async (rollout) => {
      const kiosks = (await rolloutKiosks(db, rollout.id)).filter((k) => inScope(req.scope, k.storeId));
      return { rollout, kiosks: kiosks.length, steps: stepCounts(kiosks) };
    }),
  );
  const e = env(req, ctx);
  // a store manager sees the rollouts that touch their stores
  const shown = req.scope.all ? rollouts : rollouts.filter((r) => r.kiosks > 0);
  const releases = await listReleases(db);
  const baseUrl = lastBaseUrl(all.map((r) => r.url));
  const form = rolloutForm(e, releases.map((r) => r.version), o.form ?? (baseUrl ? { baseUrl } : {}), o.problem);
  const body = html`<h2>${req.t('release.releases')}</h2>${releasesTable(e, releases)}<h2>${req.t('release.rollouts')}</h2>${rolloutsTable(e, shown)}${form}`;
  return { ...(o.status ? { status: o.status } : {}), page: { title: req.t('release.title'), body, live: ['fleet'] } };
}

const CREATE: RouteDef = {
  method: 'POST',
  path: '/releases/rollouts',
  permission: 'config.publish',
  async handler(req, ctx) {
    const b = req.body;
    const form: RolloutFormValues = {
      version: (b.version ?? '').trim(),
      stores: b.stores ?? '',
      tags: b.tags ?? '',
      all: b.all === '1' || b.all === 'on',
      percent: (b.percent ?? '').trim() || '100',
      canaryTag: (b.canary_tag ?? '').trim(),
      maxFailures: (b.max_failures ?? '').trim() || '1',
      baseUrl: (b.base_url ?? '').trim(),
      supersede: b.supersede === '1' || b.supersede === 'on',
    };
    const whole = (v: string): number => (/^\d{1,9}$/.test(v) ? Number(v) : NaN);
    const selection = { all: form.all === true, stores: form.all ? [] : parseStores(form.stores), tags: form.all ? [] : parseStores(form.tags) };
    const badUrl = !/^https:\/\/[^\s/]+/.test(form.baseUrl ?? '');
    const r = badUrl
      ? ({ ok: false, problem: 'bad_request', message: `bad HQ package URL "${(form.baseUrl ?? '').slice(0, 100)}": expected https://host[:port]` } as const)
      : await createRollout(ctx.store.db, ctx.audit, {
          version: form.version!,
          selection,
          percent: whole(form.percent!),
          maxFailures: whole(form.maxFailures!),
          ...(form.canaryTag ? { canaryTag: form.canaryTag } : {}),
          baseUrl: form.baseUrl!,
          actor: req.user.username,
          now: ctx.clock.now(),
          supersede: form.supersede === true,
          ip: req.ip,
        });
    if (!r.ok) {
      if (r.problem === 'conflict') {
        const holders = r.holders.map((h) => req.t('release.holder', { id: h.id, version: h.version, state: req.t(`release.state.${h.state}`), count: h.kiosks })).join('; ');
        const problem = req.t('release.conflict', { count: r.holders.reduce((n, h) => n + h.kiosks, 0), holders });
        return showReleases(req, ctx, { form, problem, status: 409 });
      }
      return showReleases(req, ctx, { form, problem: req.t('release.badRequest', { message: r.message }), status: 400 });
    }
    const id = r.rollout.id;
    let sent = false;
    if (ctx.mqtt?.connected && ctx.hqKey) {
      try {
        await driveRollout({ db: ctx.store.db, mqtt: ctx.mqtt, hqKey: ctx.hqKey, clock: ctx.clock, audit: ctx.audit }, id);
        sent = true;
      } catch {
        /* recorded; the release service sends it on its next pass */
      }
    }
    ctx.live.publish('fleet');
    const q = new URLSearchParams({ done: 'create' });
    if (!sent) q.set('pending', '1');
    if (r.superseded.length) q.set('superseded', r.superseded.map((s) => `${s.id}:${s.kiosks}`).join(','));
    return { redirect: `/releases/rollouts/${encodeURIComponent(id)}?${q.toString()}` };
  },
};

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
    handler: (req, ctx) => showReleases(req, ctx),
  },
  {
    method: 'GET',
    path: '/releases/rollouts/:id',
    permission: 'config.view',
    handler: (req, ctx) => {
      const done = req.query.done;
      // `superseded=r1:3,r0:2`: the older rollouts a new one took kiosks over from (ids checked: shown escaped anyway)
      const over = (req.query.superseded ?? '')
        .split(',')
        .slice(0, 20)
        .map((x) => /^([A-Za-z0-9][A-Za-z0-9._-]{0,63}):(\d{1,9})$/.exec(x))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ` ${req.t('release.supersededFlash', { id: m[1]!, count: Number(m[2]) })}`)
        .join('');
      const flash =
        done === 'pause' || done === 'resume' || done === 'abort' || done === 'create'
          ? `${req.t(`release.done.${done}`)}${over}${req.query.pending ? ` ${req.t('release.noSender')}` : ''}`
          : undefined;
      return showRollout(req, ctx, req.params.id ?? '', flash ? { flash } : {});
    },
  },
  CREATE,
  changeRoute('pause'),
  changeRoute('resume'),
  changeRoute('abort'),
];
