import { inScope, type ConsoleReply, type ConsoleRequest } from './types';

/** A store id as the wire allows it (protocol/topics.ts assertTopicId: no `/ + #`, no leading `_`). */
export const STORE_RE = /^[A-Za-z0-9][\w.-]{0,63}$/;

/**
 * The store named by a field, if the user may see it; otherwise the reply (400 malformed, 404 outside their stores),
 * with `badStore` (a message key of the page) as its message.
 */
export function storeParam(req: ConsoleRequest, value: string | undefined, badStore: string): string | ConsoleReply {
  if (value === undefined || !STORE_RE.test(value)) return { error: { status: 400, message: req.t(badStore) } };
  if (!inScope(req.scope, value)) return { error: { status: 404, message: req.t(badStore) } };
  return value;
}

/** The store a per-store page shows: `?store=` when given (checked as {@link storeParam}), else the first of `stores`. */
export function chosenStore(req: ConsoleRequest, stores: readonly string[], badStore: string): { store: string | undefined } | { reply: ConsoleReply } {
  if (req.query.store === undefined) return { store: stores[0] };
  const s = storeParam(req, req.query.store, badStore);
  return typeof s === 'string' ? { store: s } : { reply: s };
}
