import { SimulatedClock } from '../../kernel/clock';
import { translator } from '../../hq/console/i18n';
import type { ConsoleContext, ConsoleReply, ConsoleRequest, ConsoleUser, Lang, LiveTopic, RouteDef } from '../../hq/console/types';
import type { IngestStore } from '../../hq/ingest/store';

/**
 * Calls feature route handlers directly, as the console core does after its session, permission, scope and CSRF
 * checks (those are the core's tests): a ConsoleRequest for a user, a context on a real store.
 */
export function handlerContext(store: IngestStore, over: Partial<ConsoleContext> = {}): ConsoleContext & { clock: SimulatedClock; published: { topic: LiveTopic; storeId?: string }[] } {
  const clock = new SimulatedClock(Date.UTC(2026, 11, 6, 9, 0));
  const published: { topic: LiveTopic; storeId?: string }[] = [];
  return {
    store,
    clock,
    audit: { record: async () => undefined },
    live: { publish: (topic, storeId) => void published.push({ topic, storeId }) },
    alerts: { sync: async () => undefined },
    settings: { timezone: 'UTC', offlineAlertMs: 5 * 60_000, paymentAlert: { declineRate: 0.3, unknownRate: 0.1, minAttempts: 10 } },
    mqtt: null,
    hqKey: null,
    ingest: null,
    published,
    ...over,
  } as ConsoleContext & { clock: SimulatedClock; published: { topic: LiveTopic; storeId?: string }[] };
}

export function consoleRequest(
  user: ConsoleUser,
  r: { params?: Record<string, string>; query?: Record<string, string>; body?: Record<string, string>; lang?: Lang; ip?: string } = {},
): ConsoleRequest {
  const lang = r.lang ?? 'en';
  return {
    user,
    scope: user.role === 'store_manager' ? { all: false, stores: user.stores } : { all: true },
    lang,
    t: translator(lang),
    params: r.params ?? {},
    query: r.query ?? {},
    body: r.body ?? {},
    csrfToken: 'test-csrf-token',
    ip: r.ip ?? '192.0.2.7',
  };
}

/** The route of `routes` for a method and path (as written in the RouteDef). */
export function routeOf(routes: readonly RouteDef[], method: 'GET' | 'POST', path: string): RouteDef {
  const r = routes.find((x) => x.method === method && x.path === path);
  if (!r) throw new Error(`no route ${method} ${path}`);
  return r;
}

/** The page body's HTML of a reply (throws for any other reply). */
export function pageHtml(reply: ConsoleReply): string {
  if (!('page' in reply)) throw new Error(`not a page: ${JSON.stringify(reply)}`);
  return reply.page.body.text;
}
