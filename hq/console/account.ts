import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatTime } from './format';
import { csrfField, html } from './html';
import { translator } from './i18n';
import { verifyPassword } from './passwords';
import type { ConsoleCore } from './server';
import { createSession, type Session } from './sessions';
import { getUser, getUserForLogin, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, setPassword } from './users';

/**
 * /account — any signed-in user: who they are, and changing their own password (the current one required). A new
 * password ends every session of the user (other browsers too) and this browser gets a fresh one. Audited.
 */
export function registerAccount(app: FastifyInstance, core: ConsoleCore): void {
  const { ctx } = core;
  const db = ctx.store.db;

  async function page(req: FastifyRequest, reply: FastifyReply, session: Session, note?: { ok: boolean; text: string }, status = 200): Promise<FastifyReply> {
    const lang = core.lang(req, reply);
    const t = translator(lang);
    const u = await getUser(db, session.user.username);
    const body = html`<section class="account">
<h1>${t('core.account.title')}</h1>
<dl class="facts">
<dt>${t('core.account.user')}</dt><dd>${session.user.username}</dd>
<dt>${t('core.account.role')}</dt><dd>${t(`core.role.${session.user.role}`)}</dd>
<dt>${t('core.account.stores')}</dt><dd>${session.user.role === 'store_manager' ? session.user.stores.join(', ') : t('core.account.allStores')}</dd>
<dt>${t('core.account.lastLogin')}</dt><dd>${u?.lastLoginAt ? formatTime(u.lastLoginAt, ctx.settings.timezone, lang) : '—'}</dd>
</dl>
<h2>${t('core.account.change')}</h2>
${note ? html`<p class="${note.ok ? 'notice' : 'error'}" role="status">${note.text}</p>` : ''}
<form method="post" action="/account" class="form">
${csrfField(session.csrfToken)}
<label>${t('core.account.old')}<input name="old" type="password" autocomplete="current-password" required></label>
<label>${t('core.account.new', { n: MIN_PASSWORD_LENGTH })}<input name="new" type="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required></label>
<label>${t('core.account.repeat')}<input name="repeat" type="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required></label>
<button type="submit" class="primary">${t('core.account.save')}</button>
</form>
</section>`;
    return core.sendPage(req, reply, { title: t('core.account.title'), body }, session, status);
  }

  app.get('/account', async (req, reply) => {
    const session = await core.session(req);
    if (!session) return reply.redirect(`/login?next=${encodeURIComponent('/account')}`, 303);
    return page(req, reply, session);
  });

  app.post('/account', async (req, reply) => {
    const t = translator(core.lang(req, reply));
    const session = await core.session(req);
    if (!session) return reply.code(401).type('text/plain; charset=utf-8').send(t('core.error.401'));
    if (!core.csrfOk(req, session)) return core.sendError(req, reply, 403, t('core.error.csrf'), session);
    const b = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const str = (k: string): string => (typeof b[k] === 'string' ? (b[k] as string) : '');
    const user = await getUserForLogin(db, session.user.username);
    if (!user || !(await verifyPassword(str('old').slice(0, MAX_PASSWORD_LENGTH), user.passwordHash)))
      return page(req, reply, session, { ok: false, text: t('core.account.wrongOld') }, 422);
    if (str('new') !== str('repeat')) return page(req, reply, session, { ok: false, text: t('core.account.mismatch') }, 422);
    if (str('new').length < MIN_PASSWORD_LENGTH || str('new').length > MAX_PASSWORD_LENGTH)
      return page(req, reply, session, { ok: false, text: t('core.account.tooShort') }, 422);
    const now = ctx.clock.now();
    await setPassword(db, user.username, str('new'), now); // ends every session of the user, this one included
    const s = await createSession(db, user.username, req.ip, now);
    core.setSessionCookie(reply, s.cookie);
    await ctx.audit.record({ actor: user.username, action: 'user.passwd', target: user.username, ip: req.ip });
    return page(req, reply, { idHash: '', user: session.user, csrfToken: s.csrfToken }, { ok: true, text: t('core.account.changed') });
  });
}
