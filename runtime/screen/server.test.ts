import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import WebSocket from 'ws';
import type { ScreenView, ServerMessage } from '../../protocol/screen';
import { loadConfig } from '../../config/load';
import { bootKiosk, type Kiosk } from '../../device/kiosk';
import { tempDir } from '../../test/support/engine-fixture';
import { SimulatedClock } from '../../kernel/clock';
import { AttendantGate } from './attendant-gate';
import { MAX_FRAME_BYTES } from './client-messages';
import { ScreenSession } from './screen-session';
import { startScreenServer, type ScreenServer } from './server';

const ROOT = path.resolve(__dirname, '..', '..');
const STATIC_DIR = path.join(ROOT, 'screen-ui');
const APP_JS = 'export const hello = "screen-test";\n';
/** Upper bound for waiting on a frame: only a guard against hanging, nothing is timed. */
const WAIT_MS = 15_000;

type ViewFrame = Extract<ServerMessage, { type: 'view' }>;
type ResultFrame = Extract<ServerMessage, { type: 'result' }>;

interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with a raw (unnormalized) path and optional Host header; no keep-alive. */
function request(port: number, p: string, opts: { method?: string; host?: string; headers?: http.OutgoingHttpHeaders } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: p, method: opts.method ?? 'GET', agent: false, headers: { host: opts.host ?? `127.0.0.1:${port}`, ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A WebSocket client that keeps every frame and lets a test wait for the next one matching a predicate. */
class Client {
  readonly frames: ServerMessage[] = [];
  private readonly waiters: { pred: (m: ServerMessage) => boolean; from: number; resolve: (m: ServerMessage) => void }[] = [];
  closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      expect(isBinary).toBe(false);
      const m = JSON.parse(data.toString()) as ServerMessage;
      this.frames.push(m);
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(port: number, opts: WebSocket.ClientOptions = {}): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, opts);
      const c = new Client(ws); // listening before the first frame can arrive
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  /** The first frame from index `from` on that matches (already received or still to come). */
  next<T extends ServerMessage>(pred: (m: ServerMessage) => m is T, from = 0, what = 'frame'): Promise<T> {
    const seen = this.frames.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS} ms; frames: ${JSON.stringify(this.frames.slice(from)).slice(0, 2000)}`)), WAIT_MS);
      this.waiters.push({
        pred,
        from,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
      });
    });
  }

  result(id: number, from = 0): Promise<ResultFrame> {
    return this.next((m): m is ResultFrame => m.type === 'result' && m.id === id, from, `result ${id}`);
  }

  view(pred: (v: ScreenView) => boolean = () => true, from = 0): Promise<ViewFrame> {
    return this.next((m): m is ViewFrame => m.type === 'view' && pred(m.view), from, 'view');
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}

/** Connecting must fail: resolves with the HTTP status of the refused upgrade. */
function refusedUpgrade(port: number, opts: WebSocket.ClientOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, opts);
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', () => undefined); // after terminate()
  });
}

describe('screen server (real ScreenSession on a booted kiosk without devices)', () => {
  let dir: string;
  let scriptDir: string;
  let kiosk: Kiosk;
  let session: ScreenSession;
  let server: ScreenServer;
  let port: number;
  const errors: unknown[] = [];
  const clients: Client[] = [];

  const connect = async (opts: WebSocket.ClientOptions = {}) => {
    const c = await Client.open(port, opts);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = tempDir('kiosk-screen-server-');
    scriptDir = path.join(dir, 'public');
    fs.mkdirSync(scriptDir);
    fs.writeFileSync(path.join(scriptDir, 'app.js'), APP_JS);
    const clock = new SimulatedClock();
    const config = loadConfig({ env: {}, overrides: { dataDir: path.join(dir, 'data') } });
    kiosk = await bootKiosk(config, { clock });
    const gate = new AttendantGate({ pins: [], maxAttempts: 5, lockoutMs: 60_000, clock });
    session = new ScreenSession({
      clock,
      engine: kiosk.engine,
      lane: kiosk.lane,
      checkout: kiosk.checkout,
      gate,
      storeName: config.device.name,
      currency: { code: config.currency.code, minorUnits: config.currency.minorUnits },
      languages: ['zh-CN', 'en'],
      defaultLang: 'zh-CN',
      onError: (e) => errors.push(e),
    });
    await session.start();
    server = await startScreenServer(session, { port: 0, staticDir: STATIC_DIR, scriptDir, onError: (e) => errors.push(e) });
    port = server.port;
  }, 60_000);

  /** Waits (polling, bounded) until the server has noticed every closed socket. */
  const serverForgets = async (n = 0) => {
    const deadline = Date.now() + WAIT_MS;
    while (server.clients() !== n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(server.clients()).toBe(n);
  };

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await serverForgets(0);
  });

  afterAll(async () => {
    await server?.close();
    session?.stop();
    await kiosk?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 on the port it reports', () => {
    expect(port).toBeGreaterThan(0);
    expect(server.clients()).toBe(0);
  });

  describe('HTTP', () => {
    it('GET / serves index.html with CSP, nosniff and no-store', async () => {
      const r = await request(port, '/');
      expect(r.status).toBe(200);
      expect(r.body).toBe(fs.readFileSync(path.join(STATIC_DIR, 'index.html'), 'utf8'));
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['content-security-policy']).toContain("default-src 'self'");
      expect(r.headers['content-security-policy']).not.toContain('unsafe');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['cache-control']).toBe('no-store');
    });

    it('GET /index.html and /style.css come from the static folder', async () => {
      const index = await request(port, '/index.html');
      expect(index.status).toBe(200);
      expect(index.body).toContain('<html');
      const css = await request(port, '/style.css');
      expect(css.status).toBe(200);
      expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
      expect(css.body).toBe(fs.readFileSync(path.join(STATIC_DIR, 'style.css'), 'utf8'));
    });

    it('GET /app.js is served from the script folder as JavaScript', async () => {
      const r = await request(port, '/app.js');
      expect(r.status).toBe(200);
      expect(r.body).toBe(APP_JS);
      expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['content-security-policy']).toBeDefined();
    });

    it('a query string does not change what is served', async () => {
      const r = await request(port, '/app.js?v=1');
      expect(r.status).toBe(200);
      expect(r.body).toBe(APP_JS);
    });

    it('a script name that fits the pattern but does not exist is a 404, not a 500 nor a file from elsewhere', async () => {
      const r = await request(port, '/missing.js');
      expect(r.status).toBe(404);
      expect(r.body).toBe('not found');
    });

    it('HEAD / answers 200 with the headers and no body', async () => {
      const r = await request(port, '/', { method: 'HEAD' });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.body).toBe('');
    });

    it('GET /view returns the current view as JSON with an increasing seq', async () => {
      const a = await request(port, '/view');
      expect(a.status).toBe(200);
      expect(a.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(a.headers['cache-control']).toBe('no-store');
      const v = JSON.parse(a.body) as ScreenView;
      expect(typeof v.seq).toBe('number');
      expect(v.languages).toEqual(['zh-CN', 'en']);
      expect(v.order).toBeNull();
      const b = JSON.parse((await request(port, '/view')).body) as ScreenView;
      expect(b.seq).toBeGreaterThan(v.seq);
    });

    it.each([
      '/package.json',
      '/..%2fpackage.json',
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/%2E%2E/package.json',
      '/..%5cpackage.json',
      '/foo/app.js',
      '/screen-ui/index.html',
      '/app.ts',
      '/App.js',
      '/.app.js',
      '/app.js/',
      '/app.js%00.html',
      '/%2e%2e%2fpackage.json',
      '/..%2f..%2f..%2fetc%2fpasswd',
      '/../../../../etc/passwd',
      '/index.html/..%2f..%2fpackage.json',
      '/i18n.ts',
      '/protocol.ts',
      '/ws',
      '/view/',
      '/favicon.png',
      '/logo', // no logo configured
    ])('GET %s is 404', async (p) => {
      const r = await request(port, p);
      expect(r.status).toBe(404);
      expect(r.body).toBe('not found');
    });

    it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s is 405 with Allow: GET, HEAD', async (method) => {
      for (const p of ['/', '/view', '/ws']) {
        const r = await request(port, p, { method });
        expect(r.status).toBe(405);
        expect(r.headers.allow).toBe('GET, HEAD');
      }
    });

    it.each(['evil.example', 'evil.example:{port}', '127.0.0.1', '127.0.0.1:1', '127.0.0.1:{port}.evil.example', 'localhost', '0.0.0.0:{port}', '[::1]:{port}', 'LOCALHOST:{port}'])(
      'Host %s is 403',
      async (host) => {
        for (const p of ['/', '/view', '/app.js']) {
          const r = await request(port, p, { host: host.replace('{port}', String(port)) });
          expect(r.status).toBe(403);
        }
      },
    );

    it('Host localhost:<port> is accepted', async () => {
      const r = await request(port, '/view', { host: `localhost:${port}` });
      expect(r.status).toBe(200);
    });

    it('an absolute-form request URI for another host still needs the local Host header', async () => {
      const r = await request(port, `http://evil.example/view`, { host: 'evil.example' });
      expect(r.status).toBe(403);
    });
  });

  it('a request line whose absolute-form URI is not a valid URL is answered 400, and the server keeps serving', async () => {
    const net = await import('node:net');
    const statusLine = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(`GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
      let out = '';
      s.setTimeout(5_000, () => s.destroy());
      s.on('data', (d: Buffer) => (out += d.toString()));
      s.on('error', reject);
      s.on('close', () => resolve(out.split('\r\n')[0]));
    });
    expect(statusLine).toMatch(/^HTTP\/1\.1 400 /);
    expect((await request(port, '/view')).status).toBe(200);
  });

  describe('WebSocket', () => {
    const isView = (m: ServerMessage): m is ViewFrame => m.type === 'view';

    it('a new connection gets a view first', async () => {
      const c = await connect();
      const first = await c.next(isView, 0, 'first view');
      expect(c.frames[0]).toBe(first);
      expect(typeof first.view.seq).toBe('number');
      expect(first.view.screen).toBe('welcome');
      expect(server.clients()).toBe(1);
    });

    it('a valid command is answered ok with its id, and a view with the change follows', async () => {
      const c = await connect();
      await c.view();
      const from = c.frames.length;
      c.send({ type: 'command', id: 1, command: { kind: 'language', lang: 'en' } });
      await expect(c.result(1, from)).resolves.toEqual({ type: 'result', id: 1, ok: true });
      const v = await c.view((x) => x.lang === 'en', from);
      expect(v.view.seq).toBeGreaterThan((c.frames[0] as ViewFrame).view.seq);
      // the HTTP view agrees
      expect((JSON.parse((await request(port, '/view')).body) as ScreenView).lang).toBe('en');
    });

    it('a command that does not fit the state is answered ok:false with the reason', async () => {
      const c = await connect();
      await c.view();
      c.send({ type: 'command', id: 2, command: { kind: 'checkout' } });
      const r = await c.result(2);
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/no open order/);
      c.send({ type: 'command', id: 3, command: { kind: 'done' } });
      await expect(c.result(3)).resolves.toEqual({ type: 'result', id: 3, ok: false, error: 'nothing to finish' });
    });

    it('malformed JSON is answered ok:false with id -1 and the connection stays usable', async () => {
      const c = await connect();
      await c.view();
      c.send('{not json');
      await expect(c.result(-1)).resolves.toEqual({ type: 'result', id: -1, ok: false, error: 'not JSON' });
      c.send({ type: 'command', id: 4, command: { kind: 'language', lang: 'zh-CN' } });
      await expect(c.result(4)).resolves.toEqual({ type: 'result', id: 4, ok: true });
    });

    it('an invalid command echoes its id', async () => {
      const c = await connect();
      await c.view();
      c.send({ type: 'command', id: 5, command: { kind: 'open_drawer' } });
      const r = await c.result(5);
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/^invalid command: command\.kind /);
    });

    it('a binary frame is refused with id -1 (text frames only)', async () => {
      const c = await connect();
      await c.view();
      c.ws.send(Buffer.from(JSON.stringify({ type: 'command', id: 6, command: { kind: 'start' } })), { binary: true });
      await expect(c.result(-1)).resolves.toEqual({ type: 'result', id: -1, ok: false, error: 'text frames only' });
      expect(c.frames.some((m) => m.type === 'result' && m.id === 6)).toBe(false);
    });

    it('a frame of exactly MAX_FRAME_BYTES is read', async () => {
      const c = await connect();
      await c.view();
      const f = JSON.stringify({ type: 'command', id: 7, command: { kind: 'language', lang: 'zh-CN' } });
      c.send(f + ' '.repeat(MAX_FRAME_BYTES - Buffer.byteLength(f)));
      await expect(c.result(7)).resolves.toEqual({ type: 'result', id: 7, ok: true });
    });

    it('a frame larger than MAX_FRAME_BYTES closes the connection with 1009 (message too big), unanswered', async () => {
      const c = await connect();
      await c.view();
      c.send({ type: 'command', id: 80, command: { kind: 'language', lang: 'zh-CN' } });
      await expect(c.result(80)).resolves.toMatchObject({ ok: true });
      const f = JSON.stringify({ type: 'command', id: 8, command: { kind: 'language', lang: 'en' } });
      c.send(f + ' '.repeat(MAX_FRAME_BYTES + 1 - Buffer.byteLength(f)));
      const closed = await c.closed;
      expect(closed.code).toBe(1009);
      expect(c.frames.some((m) => m.type === 'result' && m.id === 8)).toBe(false);
      expect((JSON.parse((await request(port, '/view')).body) as ScreenView).lang).toBe('zh-CN');
    });

    it('a foreign Origin on the upgrade is refused (401) and no socket is added', async () => {
      const before = server.clients();
      await expect(refusedUpgrade(port, { origin: 'http://evil.example' })).resolves.toBe(401);
      await expect(refusedUpgrade(port, { origin: `http://evil.example:${port}` })).resolves.toBe(401);
      await expect(refusedUpgrade(port, { origin: 'null' })).resolves.toBe(401);
      await expect(refusedUpgrade(port, { origin: `https://127.0.0.1:${port}` })).resolves.toBe(401);
      await expect(refusedUpgrade(port, { origin: `http://127.0.0.1:${port + 1}` })).resolves.toBe(401);
      expect(server.clients()).toBe(before);
    });

    it('a foreign Host on the upgrade is refused (401)', async () => {
      await expect(refusedUpgrade(port, { headers: { host: 'evil.example' } })).resolves.toBe(401);
      await expect(refusedUpgrade(port, { headers: { host: `evil.example:${port}` } })).resolves.toBe(401);
    });

    it('the loopback Origin (127.0.0.1 or localhost) is accepted', async () => {
      const a = await connect({ origin: `http://127.0.0.1:${port}` });
      await a.view();
      const b = await connect({ origin: `http://localhost:${port}`, headers: { host: `localhost:${port}` } });
      await b.view();
    });

    it('two clients both receive the view after one of them sends a command', async () => {
      const a = await connect();
      const b = await connect();
      await a.view();
      await b.view();
      expect(server.clients()).toBe(2);
      const fa = a.frames.length;
      const fb = b.frames.length;
      a.send({ type: 'command', id: 9, command: { kind: 'language', lang: 'en' } });
      await expect(a.result(9, fa)).resolves.toMatchObject({ ok: true });
      const [va, vb] = await Promise.all([a.view((v) => v.lang === 'en', fa), b.view((v) => v.lang === 'en', fb)]);
      expect(vb.view).toEqual(va.view);
      // only the sender gets the result
      expect(b.frames.slice(fb).some((m) => m.type === 'result')).toBe(false);
      a.send({ type: 'command', id: 10, command: { kind: 'language', lang: 'zh-CN' } });
      await b.view((v) => v.lang === 'zh-CN', fb);
    });

    it('a client that closes is forgotten', async () => {
      const a = await connect();
      await a.view();
      expect(server.clients()).toBe(1);
      await a.close();
      await serverForgets(0);
    });
  });

  describe('close()', () => {
    it('terminates connected clients, stops listening and stops following the session', async () => {
      const other = await startScreenServer(session, { port: 0, staticDir: STATIC_DIR, scriptDir });
      const a = await Client.open(other.port);
      const b = await Client.open(other.port);
      await a.view();
      await b.view();
      expect(other.clients()).toBe(2);
      const listeners = session.listenerCount('view');
      await other.close();
      const [ca, cb] = await Promise.all([a.closed, b.closed]);
      expect(ca.code).toBe(1006); // terminated, no close frame
      expect(cb.code).toBe(1006);
      expect(session.listenerCount('view')).toBe(listeners - 1);
      await expect(request(other.port, '/view')).rejects.toThrow(/ECONNREFUSED/);
      // the main server is unaffected
      expect((await request(port, '/view')).status).toBe(200);
    });
  });

  it('no unexpected background errors', () => {
    expect(errors).toEqual([]);
  });
});
