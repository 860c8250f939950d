import * as fs from 'node:fs';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { packagePath } from './registry';

/**
 * `hq release serve`: the release packages over HTTPS, read-only, at `/releases/files/<sha256>.tgz` (GET and HEAD),
 * with single-range requests for resumable downloads (RFC 9110: `Range: bytes=a-b | a- | -n` → 206 with
 * Content-Range; past the end → 416 with `Content-Range: bytes *\/size`; several ranges → the whole file, 200, which
 * the RFC allows), `ETag` = the SHA-256 and `If-Range` honoured (a changed validator gets the whole file). Anything
 * else is 404 (only names of 64 lower-case hex digits are looked up, so no path leaves the folder). A package's
 * bytes are not secret (the kiosk checks HQ's signature over its hash); `clientCa` asks for and requires client
 * certificates from that CA (e.g. the fleet CA of `hq ca`) where only kiosks may download.
 */

const FILE_PATH = /^\/releases\/files\/([0-9a-f]{64})\.tgz$/;

export type ByteRange = { start: number; end: number };

/** Parses a Range header against a file of `size` bytes: a range, 'unsatisfiable', or null (serve the whole file). */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // several ranges or another unit: ignored (200)
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null; // invalid: ignored
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

export interface ReleaseFileServerOptions {
  dir: string;
  cert: string | Buffer;
  key: string | Buffer;
  /** Require client certificates issued by this CA (PEM). */
  clientCa?: string | Buffer;
  /** Called once per answered request (access log line). */
  log?: (line: string) => void;
}

function handle(dir: string, req: IncomingMessage, res: ServerResponse): { status: number; bytes: number } {
  const send = (status: number, headers: Record<string, string | number> = {}, body = ''): { status: number; bytes: number } => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
    return { status, bytes: 0 };
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { allow: 'GET, HEAD' }, 'method not allowed\n');
  const url = (req.url ?? '').split('?')[0];
  const m = FILE_PATH.exec(url);
  if (!m) return send(404, {}, 'not found\n');
  const file = packagePath(dir, m[1]);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return send(404, {}, 'not found\n');
  }
  const size = fs.fstatSync(fd).size;
  const etag = `"${m[1]}"`;
  const ifRange = req.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, size) : null;
  const common = { 'accept-ranges': 'bytes', etag, 'cache-control': 'public, max-age=31536000, immutable', 'content-type': 'application/gzip' };
  if (range === 'unsatisfiable') {
    fs.closeSync(fd);
    return send(416, { ...common, 'content-type': 'text/plain; charset=utf-8', 'content-range': `bytes */${size}` }, 'range not satisfiable\n');
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  const length = size === 0 ? 0 : end - start + 1;
  res.writeHead(range ? 206 : 200, { ...common, 'content-length': length, ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}) });
  if (req.method === 'HEAD' || length === 0) {
    fs.closeSync(fd);
    res.end();
    return { status: range ? 206 : 200, bytes: 0 };
  }
  const stream = fs.createReadStream('', { fd, start, end, autoClose: true });
  stream.on('error', () => res.destroy());
  stream.pipe(res);
  return { status: range ? 206 : 200, bytes: length };
}

export interface ReleaseFileServer {
  server: https.Server;
  port: number;
  close(): Promise<void>;
}

export async function startReleaseFileServer(o: ReleaseFileServerOptions, listen: { host: string; port: number }): Promise<ReleaseFileServer> {
  const server = https.createServer(
    { cert: o.cert, key: o.key, ...(o.clientCa ? { ca: o.clientCa, requestCert: true, rejectUnauthorized: true } : {}), minVersion: 'TLSv1.2' },
    (req, res) => {
      const r = handle(o.dir, req, res);
      o.log?.(`${req.socket.remoteAddress ?? '?'} ${req.method ?? '?'} ${(req.url ?? '').slice(0, 200)} ${r.status} ${r.bytes}${req.headers.range ? ` range=${String(req.headers.range).slice(0, 60)}` : ''}`);
    },
  );
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 0; // a slow, rate-limited kiosk download may take long; the socket's idle timeout still applies
  server.setTimeout(120_000, (s) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
