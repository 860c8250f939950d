import { randomBytes } from 'node:crypto';
import fastifyFormbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isKioskError } from '../../kernel/errors';
import { clearCookie, requestCookie, setCookie } from './cookies';
import { foreignOrigin, sameToken } from './csrf';
import { SECURITY_HEADERS } from './headers';
import { html, type Html } from './html';
import { isLang, langFromAcceptLanguage, translator } from './i18n';
import { renderLayout, navEntries } from './layout';
import { FEATURE_ROUTES } from './routes';
import { findSession, SESSION_COOKIE, type Session } from './sessions';
import { staticFile } from './static-files';
import { can, inScope, type ConsoleContext, type ConsoleReply, type ConsoleRequest, type Lang, type LiveTopic, type RouteDef, type StoreScope, type Translate } from './types';
import { registerAccount } from './account';
import { registerLogin } from './login';
import { LiveHubImpl, parseTopics, serveSse } from './live';

/**
 * The HQ console's HTTP server (Fastify). Every feature route goes through one pipeline, in this order:
 * 1. a session (cookie `hq_session`): none → a GET is redirected to /login?next=…, a POST gets 401;
 * 2. a POST carries the session's CSRF token (form field `_csrf` or header `x-csrf-token`) and no foreign Origin → else 403;
 * 3. the role has the route's permission → else 403;
 * 4. the route's `storeParam` is in the user's scope → else 404 (the answer for an unknown store too);
 * then the handler runs and its ConsoleReply becomes the response. Handler faults are logged with their cause and
 * answered by a 500 page with a reference id (no stack trace).
 */
export interface ConsoleOptions {
  /** Cookies with `Secure` (the console is served over HTTPS, directly or behind a proxy). */
  secureCookies?: boolean;
  /** The feature routes (default: every feature's, hq/console/routes.ts). */
  routes?: readonly RouteDef[];
  /** Where faults are logged (default: stderr). */
  log?: (message: string, cause?: unknown) => void;
  /** True while the broker is unreachable: the layout shows a banner. */
  brokerDown?: () => boolean;
  /** Extra raw routes (e.g. the live-update stream), given the session lookup. */
  extend?: (app: FastifyInstance, core: ConsoleCore) => void;
}

/** What the console's own modules (login, account, live stream) share. */
export interface ConsoleCore {
  ctx: ConsoleContext;
  opts: ConsoleOptions;
  routes: readonly RouteDef[];
  session(req: FastifyRequest): Promise<Session | undefined>;
  lang(req: FastifyRequest, reply: FastifyReply): Lang;
  /** Sends a page in the layout (or only main's content for `X-Console-Partial: 1`). */
  sendPage(req: FastifyRequest, reply: FastifyReply, page: { title: string; body: Html; live?: readonly LiveTopic[] }, session: Session | undefined, status?: number): FastifyReply;
  sendError(req: FastifyRequest, reply: FastifyReply, status: number, message: string, session: Session | undefined): FastifyReply;
  /** Checks a POST's CSRF token and Origin against the session. */
  csrfOk(req: FastifyRequest, session: Session): boolean;
  setSessionCookie(reply: FastifyReply, value: string): void;
  clearSessionCookie(reply: FastifyReply): void;
  log(message: string, cause?: unknown): void;
}

export const scopeOf = (user: Session['user']): StoreScope => (user.role === 'store_manager' ? { all: false, stores: user.stores } : { all: true });

/** Form or JSON fields as strings (repeated fields joined with `,`); `_csrf` removed. */
export function flatFields(v: unknown, drop?: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k === drop || k === '__proto__') continue;
    if (typeof x === 'string') out[k] = x;
    else if (typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
    else if (Array.isArray(x)) out[k] = x.filter((y) => typeof y === 'string' || typeof y === 'number').join(',');
  }
  return out;
}

const LANG_COOKIE = 'hq_lang';
const PARTIAL_HEADER = 'x-console-partial';

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'download';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function pathOf(req: FastifyRequest): string {
  const u = req.url;
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

export async function buildConsole(ctx: ConsoleContext, opts: ConsoleOptions = {}): Promise<FastifyInstance> {
  const routes = opts.routes ?? FEATURE_ROUTES;
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, trustProxy: false, forceCloseConnections: true });
  await app.register(fastifyFormbody);
  // raw file uploads (a page's JS POSTs a file's bytes; CSRF in the x-csrf-token header): the route gets them as req.raw
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const log = opts.log ?? ((message: string, cause?: unknown) => console.error(message, cause ?? ''));

  const cookieBase = () => ({ httpOnly: true, sameSite: 'Strict' as const, path: '/', secure: opts.secureCookies === true });

  const core: ConsoleCore = {
    ctx,
    opts,
    routes,
    log,
    session: (req) => findSession(ctx.store.db, requestCookie(req, SESSION_COOKIE), ctx.clock.now()),
    lang(req, reply) {
      const q = (req.query as Record<string, unknown> | undefined)?.lang;
      if (isLang(q)) {
        setCookie(reply, LANG_COOKIE, q, { ...cookieBase(), sameSite: 'Lax', maxAge: 365 * 86_400 });
        return q;
      }
      const c = requestCookie(req, LANG_COOKIE);
      if (isLang(c)) return c;
      return langFromAcceptLanguage(req.headers['accept-language']);
    },
    sendPage(req, reply, page, session, status = 200) {
      const lang = (reply as FastifyReply & { consoleLang?: Lang }).consoleLang ?? core.lang(req, reply);
      reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store');
      if (req.headers[PARTIAL_HEADER] === '1') return reply.send(page.body.text);
      return reply.send(
        renderLayout({
          lang,
          t: translator(lang),
          title: page.title,
          body: page.body,
          live: page.live,
          user: session?.user ?? null,
          csrfToken: session?.csrfToken,
          routes,
          path: pathOf(req),
          query: flatFields(req.query),
          brokerDown: opts.brokerDown?.() ?? false,
        }),
      );
    },
    sendError(req, reply, status, message, session) {
      const lang = core.lang(req, reply);
      const t = translator(lang);
      return core.sendPage(
        req,
        reply,
        { title: t('core.error.title'), body: html`<section class="error-page"><h1>${status}</h1><p class="error">${message}</p><p><a href="/">${t('core.error.back')}</a></p></section>` },
        session,
        status,
      );
    },
    csrfOk(req, session) {
      if (foreignOrigin(req.headers.origin, req.headers.host)) return false;
      const body = req.body as Record<string, unknown> | undefined;
      const field = body && typeof body === 'object' && typeof body._csrf === 'string' ? body._csrf : undefined;
      const header = typeof req.headers['x-csrf-token'] === 'string' ? req.headers['x-csrf-token'] : undefined;
      return sameToken(field ?? header, session.csrfToken);
    },
    setSessionCookie(reply, value) {
      setCookie(reply, SESSION_COOKIE, value, cookieBase());
    },
    clearSessionCookie(reply) {
      clearCookie(reply, SESSION_COOKIE, cookieBase());
    },
  };

  app.addHook('onRequest', async (_req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
  });

  app.setErrorHandler(async (err: Error & { statusCode?: number }, req, reply) => {
    const t = translator(core.lang(req, reply));
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status < 500) return core.sendError(req, reply, status, err.statusCode === 413 ? 'Request too large' : 'Bad request', undefined);
    const ref = randomBytes(4).toString('hex');
    log(`hq console: ${req.method} ${pathOf(req)} failed [ref ${ref}]`, err);
    return core.sendError(req, reply, 500, t('core.error.500', { ref }), undefined);
  });

  app.setNotFoundHandler(async (req, reply) => {
    const session = await core.session(req).catch(() => undefined);
    return core.sendError(req, reply, 404, translator(core.lang(req, reply))('core.error.404'), session);
  });

  app.get('/static/:name', async (req, reply) => {
    const f = staticFile((req.params as { name: string }).name);
    if (!f) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
    return reply.header('content-type', f.type).header('cache-control', 'no-cache').send(f.body);
  });

  app.get('/', async (req, reply) => {
    const session = await core.session(req);
    if (!session) return reply.redirect('/login', 303);
    const first = navEntries(session.user, routes)[0];
    return reply.redirect(first ? first.path : '/account', 303);
  });

  registerLogin(app, core);
  registerAccount(app, core);

  // the live-update stream of console.js (Server-Sent Events, ./live.ts): a session is required, its scope filters
  app.get('/live', async (req, reply) => {
    const session = await core.session(req);
    if (!session) return reply.code(401).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('sign in first');
    if (!(ctx.live instanceof LiveHubImpl)) return reply.code(503).type('text/plain; charset=utf-8').send('no live updates');
    const topics = parseTopics(flatFields(req.query).topics);
    reply.hijack();
    serveSse(ctx.live, reply.raw, scopeOf(session.user), topics, ctx.clock);
    return reply;
  });

  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.path,
      handler: async (req, reply) => {
        const lang = core.lang(req, reply);
        (reply as FastifyReply & { consoleLang?: Lang }).consoleLang = lang;
        const t = translator(lang);
        const session = await core.session(req);
        if (!session) {
          if (route.method === 'GET') return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
          return reply.code(401).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(t('core.error.401'));
        }
        if (route.method === 'POST' && !core.csrfOk(req, session)) return core.sendError(req, reply, 403, t('core.error.csrf'), session);
        if (!can(session.user.role, route.permission)) return core.sendError(req, reply, 403, t('core.error.403'), session);
        const params = (req.params ?? {}) as Record<string, string>;
        const scope = scopeOf(session.user);
        if (route.storeParam !== undefined && !inScope(scope, params[route.storeParam] ?? '')) return core.sendError(req, reply, 404, t('core.error.404'), session);
        const creq: ConsoleRequest = {
          user: session.user,
          scope,
          lang,
          t,
          params: { ...params },
          query: flatFields(req.query),
          body: route.method === 'POST' && !Buffer.isBuffer(req.body) ? flatFields(req.body, '_csrf') : {},
          ...(route.method === 'POST' && Buffer.isBuffer(req.body) ? { raw: req.body } : {}),
          csrfToken: session.csrfToken,
          ip: req.ip,
        };
        let out: ConsoleReply;
        try {
          out = await route.handler(creq, ctx);
        } catch (e) {
          return handlerFault(req, reply, e, session, t);
        }
        return sendReply(req, reply, out, session);
      },
    });
  }

  function handlerFault(req: FastifyRequest, reply: FastifyReply, e: unknown, session: Session, t: Translate): FastifyReply {
    if (isKioskError(e, 'USER_INVALID') || isKioskError(e, 'CONFIG_INVALID')) return core.sendError(req, reply, 422, e.message, session);
    if (isKioskError(e, 'USER_EXISTS')) return core.sendError(req, reply, 409, e.message, session);
    if (isKioskError(e, 'USER_UNKNOWN')) return core.sendError(req, reply, 404, e.message, session);
    const ref = randomBytes(4).toString('hex');
    log(`hq console: ${req.method} ${pathOf(req)} failed [ref ${ref}]`, e);
    return core.sendError(req, reply, 500, t('core.error.500', { ref }), session);
  }

  function sendReply(req: FastifyRequest, reply: FastifyReply, out: ConsoleReply, session: Session): FastifyReply {
    if ('page' in out) return core.sendPage(req, reply, out.page, session, out.status ?? 200);
    if ('json' in out)
      return reply
        .code(out.status ?? 200)
        .header('cache-control', 'no-store')
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(out.json ?? null));
    if ('redirect' in out) return reply.header('cache-control', 'no-store').redirect(out.redirect, 303);
    if ('file' in out)
      return reply
        .header('cache-control', 'no-store')
        .header('content-type', out.file.type)
        .header('content-disposition', contentDisposition(out.file.name))
        .send(out.file.data);
    return core.sendError(req, reply, out.error.status, out.error.message, session);
  }

  opts.extend?.(app, core);
  return app;
}
