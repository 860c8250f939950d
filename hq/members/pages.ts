import { formatTime } from '../console/format';
import { csrfField, html, type Html } from '../console/html';
import type { Lang, Translate } from '../console/types';
import type { CustomerType } from '../../protocol/members/customer-type';
import type { MemberBalance, PointsConflict } from '../../protocol/members/points-ledger';
import type { LedgerRow, MemberRecord } from './registry';
import type { KioskMembersState } from './reported';
import type { SnapshotRow } from './snapshot';

/** The HTML of the console's members pages (every value escaped by `html`: names and reports come from outside). */

export interface PageEnv {
  t: Translate;
  lang: Lang;
  timezone: string;
  csrfToken: string;
  canAdjust: boolean;
}

const time = (env: PageEnv, ms: number | null): string => (ms === null ? '—' : formatTime(ms, env.timezone, env.lang));
const typeName = (env: PageEnv, t: CustomerType): string => env.t(`members.type.${t}`);
const signed = (n: number): string => (n > 0 ? `+${n}` : String(n));

export function searchForm(env: PageEnv, q: string): Html {
  return html`<form method="get" action="/members" class="members-search"><label>${env.t('members.search')} <input type="search" name="q" value="${q}" maxlength="64" pattern="[A-Za-z0-9_-]*"></label> <button type="submit">${env.t('members.find')}</button></form>`;
}

export function membersTable(env: PageEnv, rows: readonly { m: MemberRecord; b: MemberBalance | undefined }[], more: boolean): Html {
  if (rows.length === 0) return html`<p class="empty">${env.t('members.none')}</p><p class="muted">${env.t('members.importHelp')}</p>`;
  return html`<table class="members-list"><thead><tr><th>${env.t('members.id')}</th><th>${env.t('members.type')}</th><th>${env.t('members.name')}</th><th class="num">${env.t('members.balance')}</th><th class="num">${env.t('members.conflicts')}</th></tr></thead><tbody>${rows.map(
    ({ m, b }) =>
      html`<tr data-member="${m.id}"${b && b.balance < 0 ? html` class="negative"` : ''}><td><a href="/members/${encodeURIComponent(m.id)}">${m.id}</a></td><td>${typeName(env, m.type)}</td><td>${m.name}</td><td class="num">${b?.balance ?? 0}</td><td class="num">${b?.conflicts.length ? b.conflicts.length : ''}</td></tr>`,
  )}</tbody></table>${more ? html`<p class="muted">${env.t('members.more', { count: rows.length })}</p>` : ''}`;
}

/** Per store in the user's scope: the last snapshot published and each kiosk's applied version. */
export function kiosksTable(env: PageEnv, stores: readonly { store: string; latest: SnapshotRow | undefined; kiosks: KioskMembersState[] }[]): Html {
  const rows = stores.flatMap(({ store, latest, kiosks }) =>
    kiosks.map((k) => {
      const r = k.report;
      const status = !r
        ? env.t('members.status.none')
        : r.status === 'applied'
          ? env.t('members.status.applied', { version: r.version ?? '—', members: r.members ?? '—' })
          : env.t('members.status.rejected', { version: r.version ?? '—', reason: `${r.reason ?? ''}${r.detail ? ` (${r.detail})` : ''}` });
      const behind = latest !== undefined && (r?.status !== 'applied' || (r.version ?? 0) < latest.version);
      return html`<tr data-kiosk="${store}/${k.device}" class="${r?.status === 'rejected' ? 'status-rejected' : behind ? 'status-behind' : 'status-applied'}"><td>${store}</td><td>${k.device}</td><td>${latest ? env.t('members.publishedLine', { version: latest.version, members: latest.members, user: latest.published_by, time: time(env, latest.published_at) }) : env.t('members.notPublished')}</td><td>${status}${behind && r?.status === 'applied' ? html` <span class="badge">${env.t('members.status.behind')}</span>` : ''}</td><td>${time(env, k.at)}</td></tr>`;
    }),
  );
  return html`<h2>${env.t('members.kiosks')}</h2>${
    rows.length === 0
      ? html`<p class="empty">${env.t('members.noKiosks')}</p>`
      : html`<table class="members-kiosks"><thead><tr><th>${env.t('members.store')}</th><th>${env.t('members.kiosk')}</th><th>${env.t('members.published')}</th><th>${env.t('members.applied')}</th><th>${env.t('members.reportedAt')}</th></tr></thead><tbody>${rows}</tbody></table>`
  }`;
}

/** `S/D` + order id → the console's order page (only for a kiosk source the user may see). */
function orderLink(source: string, orderId: string | null | undefined, visible: (store: string) => boolean): Html | string {
  if (!orderId) return '';
  const i = source.indexOf('/');
  if (i <= 0 || !visible(source.slice(0, i))) return orderId;
  return html`<a href="/orders/${encodeURIComponent(source.slice(0, i))}/${encodeURIComponent(source.slice(i + 1))}/${encodeURIComponent(orderId)}">${orderId}</a>`;
}

export function memberPage(
  env: PageEnv,
  o: { id: string; member: MemberRecord | undefined; balance: MemberBalance; entries: readonly LedgerRow[]; hidden: number; visible: (store: string) => boolean; flash?: string; problem?: string },
): Html {
  const b = o.balance;
  const head = o.member
    ? html`<p class="member-head"><strong class="member-id">${o.id}</strong> · <span class="member-type">${typeName(env, o.member.type)}</span> · ${o.member.name}</p>`
    : html`<p class="member-head"><strong class="member-id">${o.id}</strong></p><p class="empty">${env.t('members.noRecord')}</p>`;
  const entries = o.entries.length
    ? html`<table class="members-ledger"><thead><tr><th>${env.t('members.when')}</th><th>${env.t('members.source')}</th><th>${env.t('members.kind')}</th><th class="num">${env.t('members.points')}</th><th>${env.t('members.order')}</th><th>${env.t('members.note')}</th></tr></thead><tbody>${o.entries.map(
        (e) =>
          html`<tr data-entry="${e.source}#${e.seq}:${e.kind}" class="kind-${e.kind}"><td>${time(env, e.ts)}</td><td>${e.source}${e.source === 'hq' ? '' : html` #${e.seq}`}</td><td>${env.t(`members.kind.${e.kind}`)}</td><td class="num">${signed(e.kind === 'redeem' || e.kind === 'reverse' ? -e.points : e.points)}</td><td>${orderLink(e.source, e.orderId, o.visible)}</td><td>${
            e.origin === 'import'
              ? env.t('members.origin.import', { actor: e.actor ?? '' })
              : e.origin === 'adjust'
                ? env.t('members.origin.adjust', { actor: e.actor ?? '', reason: e.reason ?? '' })
                : e.origin === 'refund'
                  ? env.t('members.origin.refund', { actor: e.actor ?? '', reason: e.reason ?? '' })
                  : ''
          }</td></tr>`,
      )}</tbody></table>`
    : html`<p class="empty">${env.t('members.noEntries')}</p>`;
  const conflict = (c: PointsConflict): Html =>
    html`<li data-conflict="${c.entry.source}#${c.entry.seq}">${env.t(c.entry.kind === 'reverse' ? 'members.conflictReverse' : 'members.conflict', { source: c.entry.source, points: c.entry.points, time: time(env, c.entry.ts), before: c.balanceBefore, shortfall: c.shortfall })} ${orderLink(c.entry.source, c.entry.orderId, o.visible)}</li>`;
  return html`${o.flash ? html`<p class="flash" role="status">${o.flash}</p>` : ''}${o.problem ? html`<p class="problems" role="alert">${o.problem}</p>` : ''}${head}
<p class="member-balance${b.balance < 0 ? ' negative' : ''}">${env.t('members.summary', { balance: b.balance, earned: b.earned, redeemed: b.redeemed, adjusted: b.adjusted })}${b.reversed ? env.t('members.summaryReversed', { reversed: b.reversed }) : ''}</p>
<h2>${env.t('members.conflictsTitle')}</h2>
${b.conflicts.length ? html`<ul class="members-conflicts" role="alert">${b.conflicts.map(conflict)}</ul>` : html`<p class="muted members-no-conflicts">${env.t('members.noConflicts')}</p>`}
<h2>${env.t('members.ledger')}</h2>
${entries}${o.hidden ? html`<p class="muted">${env.t('members.hiddenEntries', { count: o.hidden })}</p>` : ''}
${env.canAdjust && o.member ? adjustForm(env, o.id) : ''}`;
}

export function adjustForm(env: PageEnv, id: string, o: { points?: string; reason?: string } = {}): Html {
  return html`<h2>${env.t('members.adjust')}</h2>
<form method="post" action="/members/${encodeURIComponent(id)}/adjust" class="members-adjust">${csrfField(env.csrfToken)}
<label>${env.t('members.adjustPoints')} <input type="text" name="points" value="${o.points ?? ''}" required pattern="[+-]?[0-9]{1,10}" inputmode="numeric"></label>
<label>${env.t('members.adjustReason')} <input type="text" name="reason" value="${o.reason ?? ''}" required maxlength="200"></label>
<button type="submit">${env.t('members.adjustSubmit')}</button></form>`;
}
