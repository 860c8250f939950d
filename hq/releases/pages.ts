import { formatTime } from '../console/format';
import { csrfField, html, type Html } from '../console/html';
import type { Lang, Translate } from '../console/types';
import type { ReleaseRow } from './registry';
import { shownStep, type RolloutKioskRow, type RolloutRow, type StateChange } from './rollouts';

/** The HTML of the console's release pages (every value escaped by `html`: reports come from kiosks). */

export interface PageEnv {
  t: Translate;
  lang: Lang;
  timezone: string;
  csrfToken: string;
  canChange: boolean;
}

const time = (env: PageEnv, ms: number | null): string => (ms === null ? '—' : formatTime(ms, env.timezone, env.lang));

function counts(env: PageEnv, steps: Record<string, number>): Html {
  const entries = Object.entries(steps);
  if (entries.length === 0) return html`—`;
  return html`${entries.map(([s, n], i) => html`${i ? ' · ' : ''}<span class="step step-${s}" data-step="${s}">${env.t(`release.step.${s}`)} ${n}</span>`)}`;
}

export function releasesTable(env: PageEnv, rows: readonly ReleaseRow[]): Html {
  if (rows.length === 0) return html`<p class="empty">${env.t('release.none')}</p>`;
  return html`<table class="releases"><thead><tr><th>${env.t('release.version')}</th><th>${env.t('release.sha256')}</th><th class="num">${env.t('release.size')}</th><th class="num">${env.t('release.minSchema')}</th><th>${env.t('release.notes')}</th><th>${env.t('release.published')}</th></tr></thead><tbody>${rows.map(
    (r) =>
      html`<tr data-release="${r.version}"><td>${r.version}</td><td><code title="${r.sha256}">${r.sha256.slice(0, 16)}…</code></td><td class="num">${r.size}</td><td class="num">${r.minConfigSchema}</td><td>${r.notes ?? ''}</td><td>${r.publishedBy} · ${time(env, r.publishedAt)}</td></tr>`,
  )}</tbody></table>`;
}

export function rolloutsTable(env: PageEnv, rows: readonly { rollout: RolloutRow; kiosks: number; steps: Record<string, number> }[]): Html {
  if (rows.length === 0) return html`<p class="empty">${env.t('release.noRollouts')}</p>`;
  return html`<table class="rollouts"><thead><tr><th>${env.t('release.rollout')}</th><th>${env.t('release.version')}</th><th>${env.t('release.state')}</th><th class="num">${env.t('release.target')}</th><th>${env.t('release.steps')}</th><th>${env.t('release.created')}</th></tr></thead><tbody>${rows.map(
    ({ rollout: r, kiosks, steps }) =>
      html`<tr data-rollout="${r.id}" class="state-${r.state}"><td><a href="/releases/rollouts/${encodeURIComponent(r.id)}">${r.id}</a></td><td>${r.version}</td><td>${env.t(`release.state.${r.state}`)}</td><td class="num">${kiosks}</td><td>${counts(env, steps)}</td><td>${r.createdBy} · ${time(env, r.createdAt)}</td></tr>`,
  )}</tbody></table>`;
}

const ALLOWED: Record<StateChange, readonly string[]> = { pause: ['active'], resume: ['paused'], abort: ['active', 'paused'] };

export function rolloutPage(env: PageEnv, o: { rollout: RolloutRow; kiosks: readonly RolloutKioskRow[]; hidden: number; steps: Record<string, number>; flash?: string; problem?: string }): Html {
  const r = o.rollout;
  const buttons = env.canChange
    ? (['pause', 'resume', 'abort'] as const)
        .filter((c) => ALLOWED[c].includes(r.state))
        .map(
          (c) =>
            html`<form method="post" action="/releases/rollouts/${encodeURIComponent(r.id)}/${c}" class="rollout-${c}">${csrfField(env.csrfToken)}<button type="submit"${c === 'abort' ? html` class="danger" title="${env.t('release.abortHelp')}"` : ''}>${env.t(`release.${c}`)}</button></form>`,
        )
    : [];
  const rows = o.kiosks.map((k) => {
    const step = shownStep(k);
    const progress = step === 'downloading' && k.received !== null && k.total ? `${Math.floor((100 * k.received) / k.total)} %` : '';
    return html`<tr data-kiosk="${k.storeId}/${k.deviceId}" data-step="${step}" class="step-${step}"><td>${k.storeId}/${k.deviceId}${k.canary ? html` <span class="badge">${env.t('release.canary')}</span>` : ''}</td><td>${env.t(`release.step.${step}`)}${k.withdrawnAt !== null ? html` <span class="badge">${env.t('release.withdrawn')}</span>` : ''}${k.supersededBy !== null ? html` <a class="superseded-by" href="/releases/rollouts/${encodeURIComponent(k.supersededBy)}">${env.t('release.supersededBy', { id: k.supersededBy })}</a>` : ''}</td><td>${k.running ?? ''}</td><td>${progress}</td><td>${k.reason ? `${k.reason}${k.detail ? `: ${k.detail}` : ''}` : ''}</td><td>${time(env, k.reportedAt)}</td></tr>`;
  });
  return html`${o.flash ? html`<p class="flash" role="status">${o.flash}</p>` : ''}${o.problem ? html`<p class="problems" role="alert">${o.problem}</p>` : ''}
<p class="rollout-summary">${env.t('release.summary', { state: env.t(`release.state.${r.state}`), percent: r.percent, max: r.maxFailures, user: r.createdBy, time: time(env, r.createdAt) })}</p>
${r.canaryTag ? html`<p>${env.t('release.canaryTag', { tag: r.canaryTag })}</p>` : ''}${r.reason ? html`<p class="rollout-reason">${env.t('release.reason', { reason: r.reason })}</p>` : ''}
<p class="rollout-steps">${counts(env, o.steps)}</p>
<div class="rollout-actions">${buttons}</div>
<table class="rollout-kiosks"><thead><tr><th>${env.t('release.kiosk')}</th><th>${env.t('release.step')}</th><th>${env.t('release.running')}</th><th>${env.t('release.progress')}</th><th>${env.t('release.detail')}</th><th>${env.t('release.reportedAt')}</th></tr></thead><tbody>${rows}</tbody></table>
${o.hidden ? html`<p class="muted">${env.t('release.hidden', { count: o.hidden })}</p>` : ''}`;
}

/** What the rollout form sends back when it is shown again (a refusal keeps what was typed). */
export interface RolloutFormValues {
  version?: string;
  stores?: string;
  tags?: string;
  all?: boolean;
  percent?: string;
  canaryTag?: string;
  maxFailures?: string;
  baseUrl?: string;
  supersede?: boolean;
}

/**
 * The form that starts a rollout (admins: `config.publish`), with the "supersede older rollouts" box: unticked, a
 * rollout whose kiosks an older active / paused rollout has not finished is refused with a message saying which.
 */
export function rolloutForm(env: PageEnv, versions: readonly string[], v: RolloutFormValues, problem?: string): Html {
  if (!env.canChange || versions.length === 0) return html``;
  const checked = (b: boolean | undefined): Html => (b ? html` checked` : html``);
  return html`<h2>${env.t('release.new')}</h2>${problem ? html`<p class="problems" role="alert" data-problem="rollout">${problem}</p>` : ''}
<form method="post" action="/releases/rollouts" class="rollout-new">${csrfField(env.csrfToken)}
<label>${env.t('release.version')} <select name="version" required>${versions.map((x) => html`<option value="${x}"${x === v.version ? html` selected` : ''}>${x}</option>`)}</select></label>
<label><input type="checkbox" name="all" value="1"${checked(v.all)}> ${env.t('release.f.all')}</label>
<label>${env.t('release.f.stores')} <input name="stores" value="${v.stores ?? ''}" placeholder="S1, S2"></label>
<label>${env.t('release.f.tags')} <input name="tags" value="${v.tags ?? ''}"></label>
<label>${env.t('release.f.percent')} <input name="percent" type="number" min="1" max="100" value="${v.percent ?? '100'}"></label>
<label>${env.t('release.f.canaryTag')} <input name="canary_tag" value="${v.canaryTag ?? ''}"></label>
<label>${env.t('release.f.maxFailures')} <input name="max_failures" type="number" min="1" value="${v.maxFailures ?? '1'}"></label>
<label>${env.t('release.f.baseUrl')} <input name="base_url" type="url" required value="${v.baseUrl ?? ''}" placeholder="https://hq.example:8443"></label>
<label title="${env.t('release.f.supersedeHelp')}"><input type="checkbox" name="supersede" value="1"${checked(v.supersede)}> ${env.t('release.f.supersede')}</label>
<button type="submit">${env.t('release.start')}</button></form>`;
}
