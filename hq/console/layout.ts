import { csrfField, html, raw, type Html } from './html';
import { can, LANGS, type ConsoleUser, type Lang, type LiveTopic, type RouteDef, type Translate } from './types';

/**
 * The console's page frame: navigation from the routes the user's role may open (ordered by `nav.order`), who is
 * signed in, the language switch, logout, and `<main>` carrying the page's live topics for console.js. Every value is
 * escaped by the `html` template (usernames and store ids come from outside).
 */
export interface LayoutInput {
  lang: Lang;
  t: Translate;
  title: string;
  body: Html;
  live?: readonly LiveTopic[];
  /** Null on the sign-in and error pages of anonymous visitors. */
  user: ConsoleUser | null;
  csrfToken?: string;
  routes: readonly RouteDef[];
  /** The request's path (marks the current nav entry) and query (kept by the language links). */
  path: string;
  query?: Record<string, string | undefined>;
  /** Shown as a banner while the broker is unreachable. */
  brokerDown?: boolean;
}

export interface NavEntry {
  path: string;
  label: string;
  order: number;
}

/** The GET pages with a nav entry the role may open, in order (paths with parameters are never nav entries). */
export function navEntries(user: ConsoleUser, routes: readonly RouteDef[]): NavEntry[] {
  return routes
    .filter((r) => r.method === 'GET' && r.nav && !r.path.includes(':') && can(user.role, r.permission))
    .map((r) => ({ path: r.path, label: r.nav!.label, order: r.nav!.order }))
    .sort((a, b) => a.order - b.order || a.path.localeCompare(b.path));
}

const LANG_LABEL: Record<Lang, string> = { en: 'English', 'zh-CN': '中文' };

function langHref(path: string, query: Record<string, string | undefined> | undefined, lang: Lang): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && k !== 'lang') q.set(k, v);
  q.set('lang', lang);
  return `${path}?${q.toString()}`;
}

export const isActive = (current: string, navPath: string): boolean => current === navPath || (navPath !== '/' && current.startsWith(navPath + '/'));

export function renderLayout(p: LayoutInput): string {
  const { t, user } = p;
  const nav = user ? navEntries(user, p.routes) : [];
  const hasChart = p.body.text.includes('data-chart');
  const page = html`<!doctype html>
<html lang="${p.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · ${t('core.console')}</title>
<link rel="stylesheet" href="/static/console.css">
<script src="/static/console.js" defer></script>
${hasChart ? raw('<script src="/static/echarts.min.js" defer></script>\n') : ''}</head>
<body>
<a class="skip" href="#main">${t('core.skip')}</a>
<header class="top">
<a class="brand" href="/">${t('core.console')}</a>
${
  user
    ? html`<nav class="nav" aria-label="main">${nav.map(
        (n) => html`<a href="${n.path}"${isActive(p.path, n.path) ? raw(' aria-current="page" class="active"') : ''}>${t(n.label)}</a>`,
      )}</nav>`
    : ''
}
<div class="who">
<span class="langs" aria-label="${t('core.language')}">${LANGS.map((l) =>
    l === p.lang ? html`<strong>${LANG_LABEL[l]}</strong>` : html`<a href="${langHref(p.path, p.query, l)}" hreflang="${l}">${LANG_LABEL[l]}</a>`,
  )}</span>
${
  user
    ? html`<a class="user" href="/account" title="${t('core.signedInAs', { user: user.username, role: t(`core.role.${user.role}`) })}">${user.username}</a>
<span class="role">${t(`core.role.${user.role}`)}</span>
<form method="post" action="/logout" class="logout">${csrfField(p.csrfToken ?? '')}<button type="submit">${t('core.logout')}</button></form>`
    : ''
}
</div>
</header>
${p.brokerDown ? html`<div class="banner banner-bad" role="alert" id="broker-banner">${t('core.brokerDown')}</div>` : ''}
<main id="main" data-live="${(p.live ?? []).join(' ')}">
${p.body}
</main>
</body>
</html>
`;
  return page.text;
}
