import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../kernel/clock';
import { fsyncPath } from '../../kernel/atomic-file';
import { sleepOn, TokenBucket } from './token-bucket';

/**
 * Downloads one release package in the background: HTTPS GET into `<file>.partial`, resumed with a Range request from
 * the bytes already there (a restart mid-download goes on, it does not start over), rate-limited by a token bucket,
 * never more than the offer's size, and SHA-256-checked over the whole file before it gets its final name — nothing
 * is unpacked from a file that did not match. A server that ignores Range (200) is taken from the start again.
 *
 * The server's certificate is checked against `ca` (the kiosk's identity CA) or the system's CAs; never disabled.
 * A kiosk provisioned with a certificate presents it (`clientCert`).
 */

export type DownloadFailure =
  /** The server sent more than the offer's size (or announced it). */
  | 'too_large'
  /** The whole file does not hash to the offer's SHA-256 (the partial file is dropped: the next try starts over). */
  | 'hash_mismatch'
  /** The server answered neither 200 nor 206 (or a Content-Range that is not the one asked for). */
  | 'http_status'
  /** The connection failed or was cut (the partial file stays: the next try resumes). */
  | 'network'
  | 'aborted';

export type DownloadResult = { ok: true; file: string; resumedFrom: number } | { ok: false; reason: DownloadFailure; detail: string; received: number };

export interface DownloadOptions {
  url: string;
  sha256: string;
  size: number;
  /** The final path; bytes go to `<file>.partial` until verified. */
  file: string;
  clock: Clock;
  maxBytesPerSecond: number;
  ca?: Buffer | string;
  /** The kiosk's client certificate (HQ's file server may admit only kiosks with one: `hq release serve --client-ca`). */
  clientCert?: { cert: Buffer; key: Buffer };
  signal?: AbortSignal;
  /** Called with the bytes stored so far, at most every `progressEveryMs` (and once at the end). */
  onProgress?: (received: number, total: number) => void;
  progressEveryMs?: number;
  /** No byte for this long: the connection is given up (network). */
  idleTimeoutMs?: number;
}

export const partialOf = (file: string): string => `${file}.partial`;

function sizeOf(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

async function hashFile(p: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(p)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function get(url: string, from: number, o: DownloadOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, {
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.clientCert ? { cert: o.clientCert.cert, key: o.clientCert.key } : {}),
      headers: from > 0 ? { range: `bytes=${from}-` } : {},
      signal: o.signal,
      timeout: o.idleTimeoutMs ?? 30_000,
    });
    req.on('response', resolve);
    req.on('timeout', () => req.destroy(new Error(`no data for ${o.idleTimeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
  });
}

/** One attempt: resumes from what `.partial` holds. Never throws. */
export async function downloadPackage(o: DownloadOptions): Promise<DownloadResult> {
  const partial = partialOf(o.file);
  let received = sizeOf(partial);
  if (received > o.size) {
    fs.rmSync(partial, { force: true });
    received = 0;
  }
  const resumedFrom = received;
  const fail = (reason: DownloadFailure, detail: string): DownloadResult => ({ ok: false, reason, detail, received });
  let lastProgress = -Infinity;
  const progress = (force = false) => {
    const now = o.clock.now();
    if (!force && now - lastProgress < (o.progressEveryMs ?? 1000)) return;
    lastProgress = now;
    o.onProgress?.(received, o.size);
  };

  if (received < o.size) {
    let res: IncomingMessage;
    try {
      res = await get(o.url, received, o);
    } catch (e) {
      return o.signal?.aborted ? fail('aborted', 'withdrawn') : fail('network', (e as Error).message);
    }
    let fd: number | null = null;
    try {
      if (res.statusCode === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
        if (!m || Number(m[1]) !== received) return fail('http_status', `asked for bytes from ${received}, got Content-Range ${res.headers['content-range'] ?? '(none)'}`);
        if (m[3] !== '*' && Number(m[3]) !== o.size) return fail('too_large', `the server's file has ${m[3]} bytes; the offer says ${o.size}`);
      } else if (res.statusCode === 200) {
        received = 0; // the server ignored Range: the whole file comes again
      } else {
        return fail('http_status', `HTTP ${res.statusCode ?? '?'} from ${new URL(o.url).host}`);
      }
      const announced = Number(res.headers['content-length'] ?? NaN);
      if (Number.isFinite(announced) && received + announced > o.size) return fail('too_large', `the server announces ${received + announced} bytes; the offer says ${o.size}`);
      fd = fs.openSync(partial, received === 0 ? 'w' : 'a', 0o600);
      const bucket = new TokenBucket(o.clock, o.maxBytesPerSecond);
      for await (const c of res) {
        const chunk = c as Buffer;
        if (received + chunk.length > o.size) {
          // what fits is kept only if it could be right; the rest proves the server sends another file
          fs.ftruncateSync(fd, received);
          return fail('too_large', `the server sent more than the offer's ${o.size} bytes`);
        }
        fs.writeSync(fd, chunk);
        received += chunk.length;
        progress();
        await sleepOn(o.clock, bucket.take(chunk.length), o.signal);
      }
      if (!res.complete) return fail('network', 'the connection closed before the body was complete');
    } catch (e) {
      res.destroy();
      return o.signal?.aborted ? fail('aborted', 'withdrawn') : fail('network', (e as Error).message);
    } finally {
      if (fd !== null) {
        fs.fsyncSync(fd);
        fs.closeSync(fd);
      }
    }
    if (received < o.size) return fail('network', `the body ended after ${received} of ${o.size} bytes`);
  }
  progress(true);
  const hash = await hashFile(partial);
  if (hash !== o.sha256) {
    fs.rmSync(partial, { force: true });
    return { ok: false, reason: 'hash_mismatch', detail: `SHA-256 ${hash} is not the offer's ${o.sha256}`, received: 0 };
  }
  fs.renameSync(partial, o.file);
  fsyncPath(path.dirname(o.file));
  return { ok: true, file: o.file, resumedFrom };
}
