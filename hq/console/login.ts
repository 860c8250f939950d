import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IngestDb } from '../ingest/pg-db';
import { clearCookie, requestCookie, setCookie } from './cookies';
import { foreignOrigin, sameToken } from './csrf';
import { formatClock } from './format';
import { html } from './html';
import { translator } from './i18n';
import { LOCK_MS, MAX_FAILED_LOGINS } from './lockout-policy';
import { UnknownNameLockout } from './login-lockout';
import { dummyHash, verifyPassword } from './passwords';
import type { ConsoleCore } from './server';
import { createSession, endSession, hashSessionId, randomToken, SESSION_COOKIE } from './sessions';
import { getUserForLogin, MAX_PASSWORD_LENGTH, USERNAME_RE } from './users';

/**
 * GET/POST /login and POST /logout.
 * - One answer ("wrong username or password") for an unknown user, a wrong password and a disabled user; an unknown
 *   user costs a scrypt verification too.
 * - 5 consecutive wrong passwords lock the username for 15 minutes (HQ's clock); while locked even the right password
 *   is refused with the time it unlocks. A successful login resets the count. A name that does not exist locks the
 *   same way (./login-lockout.ts), and a locked answer costs a scrypt verification too: "locked" never tells that a
 *   username is real.
 * - Every login makes a NEW session (a cookie presented at login is ended, never adopted: no session fixation).
 * - The form carries a pre-session CSRF token, double-submitted in the `hq_login_csrf` cookie, so another site cannot
 *   sign a browser in to an account of its choosing; a foreign Origin is refused as well.
 */
export { LOCK_MS, MAX_FAILED_LOGINS } from './lockout-policy';
const LOGIN_CSRF_COOKIE = 'hq_login_csrf';

/** A safe place to go after login: a path on this console (not `//host`, not back to /login). */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000 || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if ([...next].some((c) => c < ' ' || c === '\\') || next.startsWith('/login')) return '/';
  return next;
}

async function recordFailure(db: IngestDb, username: string, now: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const r = await tx.get<{ failed_logins: number }>('SELECT failed_logins FROM users WHERE username = ?', [username]);
    const n = Number(r?.failed_logins ?? 0) + 1;
    if (n >= MAX_FAILED_LOGINS) {
      await tx.run('UPDATE users SET failed_logins = 0, locked_until = ? WHERE username = ?', [now + LOCK_MS, username]);
      return true;
    }
    await tx.run('UPDATE users SET failed_logins = ? WHERE username = ?', [n, username]);
    return false;
  });
}

export function registerLogin(app: FastifyInstance, core: ConsoleCore): void {
  const { ctx } = core;
  const db = ctx.store.db;
  const unknownNames = new UnknownNameLockout();

  function loginCsrf(req: FastifyRequest, reply: FastifyReply): string {
    const have = requestCookie(req, LOGIN_CSRF_COOKIE);
    const token = typeof have === 'string' && /^[A-Za-z0-9_-]{43}$/.test(have) ? have : randomToken();
    setCookie(reply, LOGIN_CSRF_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/login', secure: core.opts.secureCookies === true });
    return token;
  }

  function form(req: FastifyRequest, reply: FastifyReply, opts: { username?: string; next: string; message?: string; status?: number }): FastifyReply {
    const t = translator(core.lang(req, reply));
    const token = loginCsrf(req, reply);
    const body = html`<section class="login">
<h1>${t('core.login.title')}</h1>
${opts.message ? html`<p class="error" role="alert">${opts.message}</p>` : ''}
<form method="post" action="/login" class="form">
<input type="hidden" name="_csrf" value="${token}">
<input type="hidden" name="next" value="${opts.next}">
<label>${t('core.login.username')}<input name="username" autocomplete="username" required maxlength="64" value="${opts.username ?? ''}" autofocus></label>
<label>${t('core.login.password')}<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit" class="primary">${t('core.login.submit')}</button>
</form>
</section>`;
    return core.sendPage(req, reply, { title: t('core.login.title'), body }, undefined, opts.status ?? 200);
  }

  app.get('/login', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    return form(req, reply, { next: safeNext(q.next) });
  });

  app.post('/login', async (req, reply) => {
    const t = translator(core.lang(req, reply));
    const b = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const next = safeNext(b.next);
    const rawName = typeof b.username === 'string' ? b.username.trim() : '';
    const username = rawName.slice(0, 64);
    const password = typeof b.password === 'string' ? b.password : '';
    if (foreignOrigin(req.headers.origin, req.headers.host) || !sameToken(typeof b._csrf === 'string' ? b._csrf : undefined, requestCookie(req, LOGIN_CSRF_COOKIE)))
      return form(req, reply, { username, next, message: t('core.login.expired'), status: 403 });
    const now = ctx.clock.now();
    const failed = () => form(req, reply, { username, next, message: t('core.login.failed'), status: 401 });
    const lockedAnswer = async (until: number) => {
      await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), await dummyHash());
      return form(req, reply, { username, next, message: t('core.login.locked', { time: formatClock(until, ctx.settings.timezone) }), status: 401 });
    };
    const user = USERNAME_RE.test(rawName) && password.length <= MAX_PASSWORD_LENGTH ? await getUserForLogin(db, rawName) : undefined;
    if (!user) {
      const until = unknownNames.lockedUntil(username, now);
      await ctx.audit.record({ actor: 'anonymous', action: 'login.failed', target: username, detail: { reason: until !== null ? 'locked' : 'unknown user' }, ip: req.ip });
      if (until !== null) return lockedAnswer(until);
      await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), await dummyHash());
      unknownNames.fail(username, now);
      return failed();
    }
    if (user.lockedUntil !== null && user.lockedUntil > now) {
      await ctx.audit.record({ actor: user.username, action: 'login.failed', target: user.username, detail: { reason: 'locked' }, ip: req.ip });
      return lockedAnswer(user.lockedUntil);
    }
    const ok = await verifyPassword(password, user.passwordHash);
    if (!ok) {
      const locked = await recordFailure(db, user.username, now);
      await ctx.audit.record({ actor: user.username, action: 'login.failed', target: user.username, detail: { reason: 'wrong password', locked }, ip: req.ip });
      return failed();
    }
    if (user.disabled) {
      await ctx.audit.record({ actor: user.username, action: 'login.failed', target: user.username, detail: { reason: 'disabled' }, ip: req.ip });
      return failed();
    }
    const old = requestCookie(req, SESSION_COOKIE);
    if (old) await endSession(db, hashSessionId(old));
    await db.transaction((tx) => tx.run('UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE username = ?', [now, user.username]));
    const s = await createSession(db, user.username, req.ip, now);
    core.setSessionCookie(reply, s.cookie);
    clearCookie(reply, LOGIN_CSRF_COOKIE, { httpOnly: true, path: '/login', secure: core.opts.secureCookies === true });
    await ctx.audit.record({ actor: user.username, action: 'login', ip: req.ip });
    return reply.header('cache-control', 'no-store').redirect(next, 303);
  });

  app.post('/logout', async (req, reply) => {
    const t = translator(core.lang(req, reply));
    const session = await core.session(req);
    if (!session) return reply.code(401).type('text/plain; charset=utf-8').send(t('core.error.401'));
    if (!core.csrfOk(req, session)) return core.sendError(req, reply, 403, t('core.error.csrf'), session);
    await endSession(db, session.idHash);
    core.clearSessionCookie(reply);
    await ctx.audit.record({ actor: session.user.username, action: 'logout', ip: req.ip });
    return reply.redirect('/login', 303);
  });
}
