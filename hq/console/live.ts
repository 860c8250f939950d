import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../../kernel/clock';
import { inScope, type LiveHub, type LiveTopic, type StoreScope } from './types';

/** Every live topic (the order is the one `parseTopics` keeps). */
export const LIVE_TOPICS: readonly LiveTopic[] = ['fleet', 'alerts', 'orders', 'payments', 'stats', 'config', 'commands', 'audit'];

/** `fleet,alerts` / `fleet alerts` → the known topics in it, each once; anything else is ignored. */
export function parseTopics(text: string | undefined): LiveTopic[] {
  const asked = new Set((text ?? '').split(/[\s,]+/));
  return LIVE_TOPICS.filter((t) => asked.has(t));
}

export interface LiveHubOptions {
  /** At most this many subscribers at once (default 1 000); `subscribe` beyond it delivers nothing (see `full`). */
  maxSubscribers?: number;
  /** At most one message per topic per subscriber per this many ms (default 250). */
  coalesceMs?: number;
}

interface Subscriber {
  scope: StoreScope;
  topics: ReadonlySet<LiveTopic>;
  send: (topic: LiveTopic) => void;
  /** Per topic: when the last message went out, and the timer of a trailing one due. */
  last: Map<LiveTopic, number>;
  due: Map<LiveTopic, TimerHandle>;
  closed: boolean;
}

/**
 * Tells open console pages that data of a topic changed. A message carries only the topic name, never data: the
 * page re-fetches itself with the user's own session (so the server's scope and permission checks apply again).
 *
 * - A publish for a store reaches only subscribers whose scope holds that store; one without a store reaches all.
 * - Bursts are coalesced per subscriber and topic: the first change goes out at once, changes within the next
 *   `coalesceMs` are folded into one trailing message at the end of that window — at most one per window, and the
 *   last change is never lost.
 * - Subscribers are bounded; `publish` and `subscribe` never throw (a `send` that throws unsubscribes its subscriber).
 */
export class LiveHubImpl implements LiveHub {
  private readonly subs = new Set<Subscriber>();
  private readonly max: number;
  private readonly coalesceMs: number;

  constructor(
    private readonly clock: Clock,
    opts: LiveHubOptions = {},
  ) {
    this.max = opts.maxSubscribers ?? 1_000;
    this.coalesceMs = opts.coalesceMs ?? 250;
  }

  get size(): number {
    return this.subs.size;
  }

  /** No room for another subscriber (the SSE endpoint answers 503 then). */
  get full(): boolean {
    return this.subs.size >= this.max;
  }

  publish(topic: LiveTopic, storeId?: string): void {
    for (const s of this.subs) {
      if (!s.topics.has(topic)) continue;
      if (storeId !== undefined && !inScope(s.scope, storeId)) continue;
      this.deliver(s, topic);
    }
  }

  subscribe(scope: StoreScope, topics: readonly LiveTopic[], send: (topic: LiveTopic) => void): () => void {
    if (this.full || topics.length === 0) return () => undefined;
    const s: Subscriber = { scope, topics: new Set(topics), send, last: new Map(), due: new Map(), closed: false };
    this.subs.add(s);
    return () => this.drop(s);
  }

  private drop(s: Subscriber): void {
    s.closed = true;
    for (const t of s.due.values()) this.clock.clearTimeout(t);
    s.due.clear();
    this.subs.delete(s);
  }

  private deliver(s: Subscriber, topic: LiveTopic): void {
    if (s.due.has(topic)) return; // a trailing message is already due: it will carry this change
    const now = this.clock.now();
    const last = s.last.get(topic);
    if (last === undefined || now - last >= this.coalesceMs) {
      this.fire(s, topic, now);
      return;
    }
    s.due.set(
      topic,
      this.clock.setTimeout(() => {
        s.due.delete(topic);
        if (!s.closed) this.fire(s, topic, this.clock.now());
      }, last + this.coalesceMs - now),
    );
  }

  private fire(s: Subscriber, topic: LiveTopic, now: number): void {
    s.last.set(topic, now);
    try {
      s.send(topic);
    } catch {
      this.drop(s);
    }
  }
}

/** Above this many unsent bytes the client is not reading: the stream is ended (it reconnects and reloads). */
const MAX_BACKLOG = 64 * 1024;
export const SSE_HEARTBEAT_MS = 20_000;
export const SSE_RETRY_MS = 5_000;

/**
 * Serves one Server-Sent Events stream (HTML Living Standard §9.2) on `raw`: `text/event-stream`, a `retry:` hint,
 * one `data: <topic>` event per (coalesced) change in the subscriber's scope, a comment line (`: ping`) every 20 s
 * so proxies keep the connection, and cleanup (unsubscribe, timers) when the connection closes. A full hub answers
 * 503 with Retry-After. The caller has authenticated the request and taken the response over (Fastify:
 * `reply.hijack()`). Returns a function that ends the stream.
 */
export function serveSse(hub: LiveHubImpl, raw: ServerResponse, scope: StoreScope, topics: readonly LiveTopic[], clock: Clock): () => void {
  if (hub.full) {
    raw.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '30', 'Cache-Control': 'no-store' });
    raw.end('too many live connections\n');
    return () => undefined;
  }
  raw.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  let open = true;
  let heartbeat: TimerHandle | null = null;
  const write = (text: string): void => {
    if (!open) return;
    if (raw.writableLength > MAX_BACKLOG || raw.destroyed) {
      stop();
      return;
    }
    try {
      raw.write(text);
    } catch {
      stop();
    }
  };
  const beat = (): void => {
    heartbeat = clock.setTimeout(() => {
      write(': ping\n\n');
      if (open) beat();
    }, SSE_HEARTBEAT_MS);
  };
  const unsubscribe = hub.subscribe(scope, topics, (topic) => write(`data: ${topic}\n\n`));
  function stop(): void {
    if (!open) return;
    open = false;
    unsubscribe();
    if (heartbeat) clock.clearTimeout(heartbeat);
    if (!raw.writableEnded) raw.end();
  }
  raw.on('close', stop);
  raw.on('error', stop);
  write(`retry: ${SSE_RETRY_MS}\n: live ${topics.join(' ')}\n\n`);
  beat();
  return stop;
}
