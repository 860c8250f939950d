import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ScreenView, ServerMessage } from '../../protocol/screen';
import { isKioskError } from '../../kernel/errors';
import { MAX_FRAME_BYTES, parseClientMessage } from './client-messages';
import { ScreenCommandError, type ScreenSession } from './screen-session';

export interface ScreenServerOptions {
  /** TCP port on 127.0.0.1; 0 = any free port. */
  port: number;
  /** Folder with index.html and style.css (hand-written). */
  staticDir: string;
  /** Folder with the compiled app.js (tsconfig.ui.json). */
  scriptDir: string;
  /** The store's logo (config `screen.branding.logo`), served at /logo; read per request, at most LOGO_MAX_BYTES. */
  logo?: { file: string; type: 'image/svg+xml' | 'image/png' } | null;
  onError?: (e: unknown) => void;
}

export interface ScreenServer {
  port: number;
  /** Connected screens. */
  clients(): number;
  close(): Promise<void>;
}

const FILES: Record<string, { dir: 'static' | 'script'; file: string; type: string }> = {
  '/': { dir: 'static', file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { dir: 'static', file: 'index.html', type: 'text/html; charset=utf-8' },
  '/style.css': { dir: 'static', file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { dir: 'static', file: 'favicon.svg', type: 'image/svg+xml' },
  // browsers ask for /favicon.ico on their own: the same SVG (they go by the content type)
  '/favicon.ico': { dir: 'static', file: 'favicon.svg', type: 'image/svg+xml' },
};

/** A logo larger than this is not served (a misconfigured file must not stall the screen). */
export const LOGO_MAX_BYTES = 512 * 1024;

/** Reads `file` if it is a regular file of at most `max` bytes; null when missing, not a file, or too large. */
async function readBounded(file: string, max: number): Promise<Buffer | null> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch {
    return null;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > max) return null;
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await fh.read(buf, 0, st.size, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The connection id GET /view is answered for (never registered, so never an attendant's). */
const HTTP_VIEWER = 'http-view';

/** The compiled UI modules: plain names only, so nothing outside the script folder can be asked for. */
const SCRIPT = /^\/([a-z0-9-]{1,40}\.js)$/;

function asset(pathname: string): { dir: 'static' | 'script'; file: string; type: string } | undefined {
  const m = SCRIPT.exec(pathname);
  return m ? { dir: 'script', file: m[1], type: 'text/javascript; charset=utf-8' } : FILES[pathname];
}

/**
 * Serves the shopper's screen on 127.0.0.1 only: GET of the few UI files (nothing else is readable), a view as JSON
 * at GET /view, and the WebSocket at /ws. Rules: each new socket gets the current view at once and every later
 * view; commands arrive as validated JSON frames (parseClientMessage) and are answered with a `result` frame;
 * requests from another Host/Origin than the loopback screen are refused (no cross-site commands from a browser).
 */
/** What the server needs of a session (the kiosk's ScreenSession, or the out-of-service screen of a kiosk that could not boot). */
export interface ScreenSource extends Pick<ScreenSession, 'view' | 'attendantView' | 'command' | 'connect' | 'disconnect'> {
  on(event: 'view', listener: (view: ScreenView) => void): unknown;
  off(event: 'view', listener: (view: ScreenView) => void): unknown;
}

export async function startScreenServer(session: ScreenSource, opts: ScreenServerOptions): Promise<ScreenServer> {
  const sockets = new Set<WebSocket>();
  let port = 0;
  const local = (host: string | undefined) => host === `127.0.0.1:${port}` || host === `localhost:${port}`;

  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request target');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (!local(req.headers.host)) {
      res.writeHead(403).end();
      return;
    }
    if (url.pathname === '/view') {
      // as a connection that never authenticated sees it: no attendant session is ever shown here
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(session.view(HTTP_VIEWER)));
      return;
    }
    if (url.pathname === '/logo') {
      const logo = opts.logo;
      void (logo ? readBounded(logo.file, LOGO_MAX_BYTES) : Promise.resolve(null)).then(
        (body) => {
          if (!body || !logo) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          res.writeHead(200, { 'content-type': logo.type, 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'", 'x-content-type-options': 'nosniff' });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (e: unknown) => {
          opts.onError?.(e);
          res.writeHead(500, { 'content-type': 'text/plain' }).end('logo unreadable');
        },
      );
      return;
    }
    const f = asset(url.pathname);
    if (!f) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    fs.readFile(path.join(f.dir === 'static' ? opts.staticDir : opts.scriptDir, f.file), (err, body) => {
      if (err) {
        // a name the UI does not have (GET /x.js) is simply not found; anything else is a broken install
        if (err.code === 'ENOENT') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`screen asset missing: ${f.file} (run npm run build)`);
        return;
      }
      res.writeHead(200, {
        'content-type': f.type,
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'self'; img-src 'self' data:; connect-src 'self'; style-src 'self'",
        'x-content-type-options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });

  const wss = new WebSocketServer({
    server,
    path: '/ws',
    maxPayload: MAX_FRAME_BYTES,
    verifyClient: ({ req, origin }: { req: http.IncomingMessage; origin: string }) => local(req.headers.host) && (!origin || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`),
  });
  const send = (ws: WebSocket, m: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };
  /** Each socket's connection id: attendant mode belongs to the one that authenticated (ScreenSession.command). */
  const conns = new Map<WebSocket, string>();
  let connSeq = 0;
  const onView = (view: ServerMessage & { type: 'view' }) => {
    for (const ws of sockets) {
      const conn = conns.get(ws);
      if (conn !== undefined) send(ws, { type: 'view', view: { ...view.view, attendant: session.attendantView(conn) } });
    }
  };
  const viewListener = (view: Parameters<typeof onView>[0]['view']) => onView({ type: 'view', view });
  session.on('view', viewListener);

  wss.on('connection', (ws) => {
    const conn = `ws-${++connSeq}`;
    sockets.add(ws);
    conns.set(ws, conn);
    session.connect(conn);
    const gone = () => {
      sockets.delete(ws);
      if (conns.delete(ws)) session.disconnect(conn); // an attendant session on this socket ends with it
    };
    ws.on('close', gone);
    ws.on('error', gone);
    send(ws, { type: 'view', view: session.view(conn) });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return send(ws, { type: 'result', id: -1, ok: false, error: 'text frames only' });
      const m = parseClientMessage(data.toString());
      if ('error' in m) return send(ws, { type: 'result', id: m.id ?? -1, ok: false, error: m.error });
      session.command(m.command, conn).then(
        () => send(ws, { type: 'result', id: m.id, ok: true }),
        (e: unknown) => {
          const expected = e instanceof ScreenCommandError || isKioskError(e);
          if (!expected) opts.onError?.(e);
          send(ws, { type: 'result', id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) });
        },
      );
    });
  });

  // ws re-emits the HTTP server's errors on the WebSocketServer: without a listener a busy port (EADDRINUSE) was an
  // unhandled 'error' event that ended the process; the listen promise below reports it to the caller instead
  wss.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    session.off('view', viewListener);
    wss.close();
    throw e;
  }
  port = (server.address() as AddressInfo).port;

  return {
    port,
    clients: () => sockets.size,
    async close() {
      session.off('view', viewListener);
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
