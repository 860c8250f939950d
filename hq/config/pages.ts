import { canonicalJson } from '../../kernel/canonical-json';
import { formatTime } from '../console/format';
import { csrfField, html, type Html } from '../console/html';
import type { Translate } from '../console/types';
import { showValue, type BodyChange } from './diff';
import { advancedPart, formFields, inputName, valueAt, type FormField } from './form';
import type { ConfigVersionRow } from './registry';
import { RENEW_WITHIN_MS } from './renew';
import { problemsAt } from './validate';

/** The HTML of hq/config's pages (every value escaped by the `html` template: bodies and reasons come from outside). */

export interface PageEnv {
  t: Translate;
  timezone: string;
  csrfToken: string;
  canPublish: boolean;
}

const time = (env: PageEnv, ms: number | null | undefined): string => (ms === null || ms === undefined ? '—' : formatTime(ms, env.timezone));

const kindLabel = (env: PageEnv, r: ConfigVersionRow): string =>
  r.kind === 'rollback' ? env.t('config.kind.rollback', { from: r.rolled_back_from ?? '?' }) : env.t(`config.kind.${r.kind}`);

const pretty = (bodyText: string): string => {
  try {
    return JSON.stringify(JSON.parse(bodyText), null, 2);
  } catch {
    return bodyText;
  }
};

export function scopesTable(env: PageEnv, rows: readonly ConfigVersionRow[]): Html {
  if (!rows.length) return html`<p class="empty">${env.t('config.none')}</p>`;
  return html`<table class="config-scopes">
<thead><tr><th>${env.t('config.scope')}</th><th>${env.t('config.version')}</th><th>${env.t('config.kind')}</th><th>${env.t('config.publishedBy')}</th><th>${env.t('config.publishedAt')}</th><th>${env.t('config.expiresAt')}</th><th>${env.t('config.renewsAt')}</th><th></th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr data-scope="${r.scope}"><td><a href="/config?scope=${encodeURIComponent(r.scope)}">${r.scope}</a></td><td>v${r.version}</td><td>${kindLabel(env, r)}</td><td>${r.published_by}</td><td>${time(env, r.published_at)}</td><td>${time(env, r.expires_at)}</td><td>${time(env, r.expires_at - RENEW_WITHIN_MS)}</td><td>${
      env.canPublish ? html`<a href="/config/edit?scope=${encodeURIComponent(r.scope)}">${env.t('config.edit')}</a>` : ''
    }</td></tr>`,
  )}</tbody></table>`;
}

export function historyTable(env: PageEnv, scope: string, rows: readonly ConfigVersionRow[]): Html {
  const latest = rows[0]?.version;
  return html`<h2>${env.t('config.history', { scope })}</h2>
<table class="config-history">
<thead><tr><th>${env.t('config.version')}</th><th>${env.t('config.kind')}</th><th>${env.t('config.publishedBy')}</th><th>${env.t('config.publishedAt')}</th><th>${env.t('config.expiresAt')}</th><th>${env.t('config.body')}</th><th></th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr data-version="${r.version}"><td>v${r.version}</td><td>${kindLabel(env, r)}</td><td>${r.published_by}</td><td>${time(env, r.published_at)}</td><td>${time(env, r.expires_at)}</td><td><pre>${pretty(r.body)}</pre></td><td>${
      env.canPublish && r.version !== latest
        ? html`<form method="post" action="/config/rollback" data-confirm="${env.t('config.confirmRollback', { scope, version: r.version })}">${csrfField(env.csrfToken)}<input type="hidden" name="scope" value="${scope}"><input type="hidden" name="version" value="${r.version}"><button type="submit">${env.t('config.rollback', { version: r.version })}</button></form>`
        : ''
    }</td></tr>`,
  )}</tbody></table>`;
}

/** One kiosk level's last outcome, as the kiosk reported it (`config/reported`). */
export interface ReportedLevel {
  store: string;
  device: string;
  level: string;
  version: number | null;
  status: string;
  reason: string | null;
  detail: string | null;
  at: number | null;
}

export function reportedTable(env: PageEnv, rows: readonly ReportedLevel[]): Html {
  if (!rows.length) return html`<h2>${env.t('config.reported')}</h2><p class="empty">${env.t('config.noReports')}</p>`;
  const status = (s: string) => (['applied', 'pending', 'rejected'].includes(s) ? env.t(`config.status.${s}`) : s);
  return html`<h2>${env.t('config.reported')}</h2>
<table class="config-reported">
<thead><tr><th>${env.t('config.kiosk')}</th><th>${env.t('config.level')}</th><th>${env.t('config.version')}</th><th>${env.t('config.status')}</th><th>${env.t('config.reason')}</th><th>${env.t('config.reportedAt')}</th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr class="status-${r.status === 'rejected' ? 'rejected' : r.status === 'pending' ? 'pending' : 'ok'}"><td><a href="/fleet/${encodeURIComponent(r.store)}/${encodeURIComponent(r.device)}">${r.store}/${r.device}</a></td><td>${r.level}</td><td>${r.version === null ? '—' : `v${r.version}`}</td><td>${status(r.status)}</td><td>${r.reason ? `${r.reason}${r.detail ? `: ${r.detail}` : ''}` : ''}</td><td>${time(env, r.at)}</td></tr>`,
  )}</tbody></table>`;
}

export function newScopeForm(env: PageEnv): Html {
  return html`<form method="get" action="/config/edit" class="config-new"><label>${env.t('config.newScope')} <input name="scope" required pattern="fleet|store:[A-Za-z0-9][A-Za-z0-9._-]{0,63}|device:[A-Za-z0-9][A-Za-z0-9._-]{0,63}/[A-Za-z0-9][A-Za-z0-9._-]{0,63}"></label> <button type="submit">${env.t('config.open')}</button></form>`;
}

export interface EditFormInput {
  scope: string;
  /** The body to prefill (the one in force, or the one submitted). */
  body: Record<string, unknown>;
  /** The body in force (its booleans are kept when unchecked). */
  inForce: ConfigVersionRow | undefined;
  /** The advanced JSON text (default: the prefill body's parts without a field). */
  advancedText?: string;
  version?: string;
  problems?: readonly string[];
}

function inputFor(env: PageEnv, f: FormField, value: unknown): Html {
  const name = inputName(f);
  const fallback = f.fallback === undefined ? '' : typeof f.fallback === 'string' ? f.fallback : canonicalJson(f.fallback);
  if (f.kind === 'boolean') {
    return html`<input type="hidden" name="b.${f.path}" value="1"><input type="checkbox" name="${name}" value="on"${value === true || (value === undefined && f.fallback === true) ? html` checked` : ''}>`;
  }
  if (f.kind === 'enum') {
    return html`<select name="${name}"><option value="">${env.t('config.inherit')} (${fallback})</option>${(f.options ?? []).map(
      (o) => html`<option value="${o}"${value === o ? html` selected` : ''}>${o}</option>`,
    )}</select>`;
  }
  const text = value === undefined || value === null ? '' : typeof value === 'string' ? value : canonicalJson(value);
  // numbers are text inputs on purpose: what was typed reaches the kiosk's own validation, which names the problem
  const mode = f.kind === 'number' ? 'decimal' : f.kind === 'integer' ? 'numeric' : 'text';
  return html`<input type="text" inputmode="${mode}" name="${name}" value="${text}" placeholder="${env.t('config.default', { value: fallback })}">`;
}

export function editForm(env: PageEnv, p: EditFormInput): Html {
  const problems = p.problems ?? [];
  const sections = new Map<string, FormField[]>();
  for (const f of formFields()) {
    const section = f.path.split('.')[0];
    sections.set(section, [...(sections.get(section) ?? []), f]);
  }
  const had = formFields().filter((f) => f.kind === 'boolean' && p.inForce && valueAt(JSON.parse(p.inForce.body), f.path) !== undefined);
  const advancedText = p.advancedText ?? (Object.keys(advancedPart(p.body)).length ? JSON.stringify(advancedPart(p.body), null, 2) : '');
  const advancedProblems = problems.filter((line) => !formFields().some((f) => problemsAt([line], f.path).length));
  return html`<p>${p.inForce ? env.t('config.inForce', { version: p.inForce.version, expires: time(env, p.inForce.expires_at) }) : env.t('config.nothingInForce')}</p>
${problems.length ? html`<div class="problems" role="alert"><p>${env.t('config.problems')}</p><ul>${problems.map((x) => html`<li>${x}</li>`)}</ul><p>${env.t('config.fixBelow')}</p></div>` : ''}
<form method="post" action="/config/preview" class="config-edit">
${csrfField(env.csrfToken)}<input type="hidden" name="scope" value="${p.scope}">
${had.map((f) => html`<input type="hidden" name="had.${f.path}" value="1">`)}
${[...sections.entries()].map(
  ([section, fields]) => html`<fieldset><legend>${env.t('config.section', { name: section })}</legend>
${fields.map((f) => {
  const mine = problemsAt(problems, f.path);
  return html`<div class="field${mine.length ? ' invalid' : ''}" data-path="${f.path}"><label>${f.path} ${inputFor(env, f, valueAt(p.body, f.path))}</label>${mine.map((m) => html`<span class="problem">${m}</span>`)}</div>`;
})}</fieldset>`,
)}
<fieldset><legend>${env.t('config.advanced')}</legend>
<textarea name="advanced" rows="12" cols="80" spellcheck="false">${advancedText}</textarea>${advancedProblems.map((m) => html`<span class="problem">${m}</span>`)}</fieldset>
<label>${env.t('config.versionField')} <input type="text" inputmode="numeric" name="version" value="${p.version ?? ''}"></label>
<button type="submit">${env.t('config.preview')}</button>
</form>`;
}

export function diffTable(env: PageEnv, changes: readonly BodyChange[]): Html {
  if (!changes.length) return html`<h2>${env.t('config.diff')}</h2><p class="empty">${env.t('config.noChanges')}</p>`;
  return html`<h2>${env.t('config.diff')}</h2>
<table class="config-diff"><tbody>${changes.map(
    (c) => html`<tr class="diff-${c.change}"><td>${env.t(`config.${c.change}`)}</td><td><code>${c.path}</code></td><td>${c.change === 'added' ? '' : showValue(c.before)}</td><td>${c.change === 'removed' ? '' : showValue(c.after)}</td></tr>`,
  )}</tbody></table>`;
}

export function confirmForm(env: PageEnv, scope: string, body: Record<string, unknown>, version: string | undefined): Html {
  return html`<form method="post" action="/config/publish" class="config-confirm" data-confirm="${env.t('config.confirmPublish', { scope })}">
${csrfField(env.csrfToken)}<input type="hidden" name="scope" value="${scope}"><input type="hidden" name="body" value="${canonicalJson(body)}"><input type="hidden" name="version" value="${version ?? ''}">
<button type="submit">${env.t('config.publish')}</button></form>`;
}
