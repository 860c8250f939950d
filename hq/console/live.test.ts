import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatedClock } from '../../kernel/clock';
import { LiveHubImpl, parseTopics, serveSse, SSE_HEARTBEAT_MS } from './live';
import type { LiveTopic, StoreScope } from './types';

const ALL: StoreScope = { all: true };
const S1: StoreScope = { all: false, stores: ['S1'] };

describe('LiveHubImpl', () => {
  it('sends a store-specific change only to subscribers whose scope has that store', () => {
    const hub = new LiveHubImpl(new SimulatedClock());
    const got: Record<string, string[]> = { all: [], s1: [], s2: [] };
    hub.subscribe(ALL, ['fleet'], (t) => got.all.push(t));
    hub.subscribe(S1, ['fleet'], (t) => got.s1.push(t));
    hub.subscribe({ all: false, stores: ['S2', 'S3'] }, ['fleet'], (t) => got.s2.push(t));
    hub.publish('fleet', 'S2');
    expect(got).toEqual({ all: ['fleet'], s1: [], s2: ['fleet'] });
  });

  it('sends a change without a store to every subscriber of the topic, and nothing of other topics', () => {
    const clock = new SimulatedClock();
    const hub = new LiveHubImpl(clock);
    const got: string[] = [];
    hub.subscribe(S1, ['orders', 'alerts'], (t) => got.push(t));
    hub.publish('fleet');
    hub.publish('orders');
    hub.publish('alerts');
    expect(got).toEqual(['orders', 'alerts']);
  });

  it('coalesces a burst into the first message and one trailing message per 250 ms window', () => {
    const clock = new SimulatedClock();
    const hub = new LiveHubImpl(clock);
    const got: [LiveTopic, number][] = [];
    const t0 = clock.now();
    hub.subscribe(ALL, ['fleet', 'orders'], (t) => got.push([t, clock.now() - t0]));
    for (let i = 0; i < 10; i++) hub.publish('fleet', 'S1');
    expect(got).toEqual([['fleet', 0]]);
    clock.advance(100);
    for (let i = 0; i < 10; i++) hub.publish('fleet');
    hub.publish('orders'); // another topic has its own window
    expect(got).toEqual([
      ['fleet', 0],
      ['orders', 100],
    ]);
    clock.advance(149);
    expect(got.length).toBe(2);
    clock.advance(1); // t = 250: the trailing message of the burst
    expect(got).toEqual([
      ['fleet', 0],
      ['orders', 100],
      ['fleet', 250],
    ]);
    clock.advance(1_000);
    expect(got.length).toBe(3); // nothing more was published: no more messages
    hub.publish('fleet');
    expect(got[3]).toEqual(['fleet', 1_250]);
  });

  it('sends nothing after unsubscribe, not even a trailing message already due', () => {
    const clock = new SimulatedClock();
    const hub = new LiveHubImpl(clock);
    const got: string[] = [];
    const off = hub.subscribe(ALL, ['fleet'], (t) => got.push(t));
    hub.publish('fleet');
    hub.publish('fleet');
    off();
    clock.advance(1_000);
    hub.publish('fleet');
    expect(got).toEqual(['fleet']);
    expect(hub.size).toBe(0);
  });

  it('bounds its subscribers and never throws, dropping a subscriber whose send throws', () => {
    const clock = new SimulatedClock();
    const hub = new LiveHubImpl(clock, { maxSubscribers: 2 });
    const got: string[] = [];
    hub.subscribe(ALL, ['fleet'], () => {
      throw new Error('socket gone');
    });
    hub.subscribe(ALL, ['fleet'], (t) => got.push(`b:${t}`));
    expect(hub.full).toBe(true);
    hub.subscribe(ALL, ['fleet'], (t) => got.push(`c:${t}`)); // beyond the bound: never called
    expect(() => hub.publish('fleet')).not.toThrow();
    expect(got).toEqual(['b:fleet']);
    expect(hub.size).toBe(1);
    expect(hub.full).toBe(false);
  });

  it('parses topics from a query, ignoring unknown ones', () => {
    expect(parseTopics('fleet,alerts,bogus,fleet')).toEqual(['fleet', 'alerts']);
    expect(parseTopics('audit orders')).toEqual(['orders', 'audit']);
    expect(parseTopics(undefined)).toEqual([]);
  });
});

describe('serveSse over a real HTTP server', () => {
  let server: http.Server;
  let port: number;
  let clock: SimulatedClock;
  let hub: LiveHubImpl;
  let scopeOf: (url: string) => StoreScope;

  beforeEach(async () => {
    clock = new SimulatedClock();
    hub = new LiveHubImpl(clock, { maxSubscribers: 2 });
    scopeOf = (url) => (url.includes('store=S1') ? S1 : ALL);
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      serveSse(hub, res, scopeOf(req.url ?? ''), parseTopics(url.searchParams.get('topics') ?? ''), clock);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  /** Opens a stream; `text()` is everything received so far, `until(re)` waits for it. */
  async function open(pathAndQuery: string) {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ port, host: '127.0.0.1', path: pathAndQuery }, resolve).on('error', reject));
    let text = '';
    const waiters: (() => void)[] = [];
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      text += d;
      waiters.splice(0).forEach((w) => w());
    });
    const until = async (re: RegExp) => {
      while (!re.test(text)) await new Promise<void>((r) => waiters.push(r));
    };
    return { res, text: () => text, until };
  }

  it('streams text/event-stream with a retry hint, one event per change in scope, and heartbeats', async () => {
    const s = await open('/live?topics=fleet,alerts&store=S1');
    expect(s.res.statusCode).toBe(200);
    expect(s.res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(s.res.headers['cache-control']).toMatch(/no-store/);
    await s.until(/retry: \d+\n/);
    hub.publish('fleet', 'S2'); // not this user's store
    hub.publish('orders'); // not asked for
    hub.publish('alerts', 'S1');
    await s.until(/data: alerts\n\n/);
    expect(s.text()).not.toMatch(/data: fleet|data: orders/);
    clock.advance(SSE_HEARTBEAT_MS);
    await s.until(/: ping\n\n/);
    clock.advance(SSE_HEARTBEAT_MS);
    await s.until(/: ping\n\n[^]*: ping\n\n/);
    s.res.destroy();
  });

  it('unsubscribes and stops its heartbeat when the client goes away', async () => {
    const s = await open('/live?topics=fleet');
    await s.until(/retry:/);
    expect(hub.size).toBe(1);
    s.res.destroy();
    for (let i = 0; hub.size > 0 && i < 200; i++) await new Promise((r) => setTimeout(r, 10));
    expect(hub.size).toBe(0);
    expect(() => clock.advance(SSE_HEARTBEAT_MS * 3)).not.toThrow();
  });

  it('answers 503 when the hub is full', async () => {
    const a = await open('/live?topics=fleet');
    const b = await open('/live?topics=fleet');
    await a.until(/retry:/);
    await b.until(/retry:/);
    const c = await open('/live?topics=fleet');
    expect(c.res.statusCode).toBe(503);
    expect(c.res.headers['retry-after']).toBe('30');
    a.res.destroy();
    b.res.destroy();
  });
});
