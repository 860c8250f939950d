import { formatTime } from '../console/format';
import { csrfField, html } from '../console/html';
import { addUser, checkUsername, listUsers, MIN_PASSWORD_LENGTH, setDisabled, setPassword, setRole, type UserRow } from '../console/users';
import { can, ROLES, type ConsoleContext, type ConsoleReply, type ConsoleRequest, type Role, type RouteDef } from '../console/types';
import { removesLastAdmin } from './last-admin';

const DONE = ['added', 'disabled', 'enabled', 'role', 'password'] as const;
type Done = (typeof DONE)[number];

/** `S1, S2 S3` → ['S1', 'S2', 'S3'] (users.ts checks each id). */
export const parseStores = (text: string | undefined): string[] => (text ?? '').split(/[\s,]+/).filter((s) => s.length > 0);

const done = (what: Done, username: string): ConsoleReply => ({ redirect: `/users?${new URLSearchParams({ done: what, user: username }).toString()}` });

function roleSelect(req: ConsoleRequest, selected: Role | undefined) {
  return html`<select name="role" required>${ROLES.map((r) => html`<option value="${r}"${r === selected ? html` selected` : ''}>${req.t(`core.role.${r}`)}</option>`)}</select>`;
}

function row(req: ConsoleRequest, ctx: ConsoleContext, u: UserRow, manage: boolean) {
  const t = req.t;
  const tz = ctx.settings.timezone;
  const now = ctx.clock.now();
  const base = `/users/${encodeURIComponent(u.username)}`;
  const locked = u.lockedUntil !== null && u.lockedUntil > now ? formatTime(u.lockedUntil, tz, req.lang) : '';
  const actions = manage
    ? html`<td class="actions">
${
  u.disabled
    ? html`<form method="post" action="${base}/enable">${csrfField(req.csrfToken)}<button type="submit">${t('users.enable')}</button></form>`
    : html`<form method="post" action="${base}/disable" data-confirm="${t('users.confirmDisable', { user: u.username })}">${csrfField(req.csrfToken)}<button type="submit" class="danger">${t('users.disable')}</button></form>`
}
<form method="post" action="${base}/role" data-confirm="${t('users.confirmRole', { user: u.username })}">${csrfField(req.csrfToken)}${roleSelect(req, u.role)}<input name="stores" value="${u.stores.join(', ')}" aria-label="${t('users.stores')}" placeholder="${t('users.stores')}"><button type="submit">${t('users.changeRole')}</button></form>
<form method="post" action="${base}/password" data-confirm="${t('users.confirmPassword', { user: u.username })}">${csrfField(req.csrfToken)}<input type="password" name="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required aria-label="${t('users.newPassword')}" placeholder="${t('users.newPassword')}"><button type="submit">${t('users.resetPassword')}</button></form>
</td>`
    : '';
  return html`<tr data-user="${u.username}"><td>${u.username}</td><td>${t(`core.role.${u.role}`)}</td><td>${u.role === 'store_manager' ? u.stores.join(', ') : t('users.allStores')}</td><td>${
    u.disabled ? html`<span class="badge bad">${t('users.disabled')}</span>` : html`<span class="badge ok">${t('users.active')}</span>`
  }</td><td>${locked}</td><td>${u.lastLoginAt === null ? t('users.never') : formatTime(u.lastLoginAt, tz, req.lang)}</td>${actions}</tr>`;
}

async function page(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const t = req.t;
  const users = await listUsers(ctx.store.db);
  const manage = can(req.user.role, 'users.manage');
  const what = DONE.find((d) => d === req.query.done);
  const who = users.find((u) => u.username === req.query.user);
  const notice = what && who ? html`<p class="notice" role="status">${t(`users.done.${what}`, { user: who.username })}</p>` : '';
  const body = html`<h1>${t('users.title')}</h1>
${notice}
${
  users.length === 0
    ? html`<p class="muted">${t('users.none')}</p>`
    : html`<div class="table-wrap"><table id="users-table"><thead><tr><th>${t('users.username')}</th><th>${t('users.role')}</th><th>${t('users.stores')}</th><th>${t('users.status')}</th><th>${t('users.lockedUntil')}</th><th>${t('users.lastLogin')}</th>${
        manage ? html`<th>${t('users.actions')}</th>` : ''
      }</tr></thead><tbody>${users.map((u) => row(req, ctx, u, manage))}</tbody></table></div>`
}
${
  manage
    ? html`<section><h2>${t('users.add')}</h2><form method="post" action="/users" class="form" id="user-add">${csrfField(req.csrfToken)}
<label>${t('users.username')}<input name="username" required pattern="[A-Za-z0-9._\\-]{2,64}" autocomplete="off"></label>
<label>${t('users.role')}${roleSelect(req, undefined)}</label>
<label>${t('users.stores')}<input name="stores" placeholder="${t('users.storesHint')}"></label>
<label>${t('users.password', { n: MIN_PASSWORD_LENGTH })}<input type="password" name="password" required minlength="${MIN_PASSWORD_LENGTH}" autocomplete="new-password"></label>
<button type="submit" class="primary">${t('users.save')}</button>
</form></section>`
    : ''
}`;
  return { page: { title: t('users.title'), body, live: ['audit'] } };
}

/** The user a /users/:username/… route acts on (a well-formed name; users.ts answers USER_UNKNOWN when there is none). */
const target = (req: ConsoleRequest): string => checkUsername(req.params.username);

async function add(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const username = req.body.username ?? '';
  const role = (req.body.role ?? '') as Role;
  const stores = parseStores(req.body.stores);
  await addUser(ctx.store.db, { username, password: req.body.password ?? '', role, stores }, ctx.clock.now());
  const added = role === 'store_manager' ? stores : [];
  await ctx.audit.record({ actor: req.user.username, action: 'user.add', target: username, detail: { role, stores: added }, ip: req.ip });
  return done('added', username);
}

function setEnabled(enabled: boolean): RouteDef['handler'] {
  return async (req, ctx) => {
    const username = target(req);
    if (!enabled) {
      if (username === req.user.username) return { error: { status: 409, message: req.t('users.notSelf') } };
      if (await removesLastAdmin(ctx.store.db, username, { disable: true })) return { error: { status: 409, message: req.t('users.lastAdmin') } };
    }
    await setDisabled(ctx.store.db, username, !enabled, ctx.clock.now());
    await ctx.audit.record({ actor: req.user.username, action: enabled ? 'user.enable' : 'user.disable', target: username, ip: req.ip });
    return done(enabled ? 'enabled' : 'disabled', username);
  };
}

async function changeRole(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const username = target(req);
  const role = (req.body.role ?? '') as Role;
  const stores = parseStores(req.body.stores);
  if (username === req.user.username) return { error: { status: 409, message: req.t('users.notSelf') } };
  if (await removesLastAdmin(ctx.store.db, username, { role })) return { error: { status: 409, message: req.t('users.lastAdmin') } };
  await setRole(ctx.store.db, username, role, stores, ctx.clock.now());
  await ctx.audit.record({ actor: req.user.username, action: 'user.role', target: username, detail: { role, stores: role === 'store_manager' ? stores : [] }, ip: req.ip });
  return done('role', username);
}

async function resetPassword(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const username = target(req);
  await setPassword(ctx.store.db, username, req.body.password ?? '', ctx.clock.now());
  await ctx.audit.record({ actor: req.user.username, action: 'user.passwd', target: username, detail: { reset: true }, ip: req.ip });
  return done('password', username);
}

/** User administration: the list (users.view) and every change (users.manage), each audited with the acting user. */
export const ROUTES: RouteDef[] = [
  { method: 'GET', path: '/users', permission: 'users.view', nav: { label: 'users.nav', order: 80 }, handler: page },
  { method: 'POST', path: '/users', permission: 'users.manage', handler: add },
  { method: 'POST', path: '/users/:username/disable', permission: 'users.manage', handler: setEnabled(false) },
  { method: 'POST', path: '/users/:username/enable', permission: 'users.manage', handler: setEnabled(true) },
  { method: 'POST', path: '/users/:username/role', permission: 'users.manage', handler: changeRole },
  { method: 'POST', path: '/users/:username/password', permission: 'users.manage', handler: resetPassword },
];
