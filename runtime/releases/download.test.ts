import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { createCa, issueCertificate } from '../../kernel/x509/certificates';
import { SystemClock } from '../../kernel/clock';
import { downloadPackage, partialOf } from './download';

/** A real HTTPS server (test CA) serving one body, whose behaviour each test sets. */
type Mode = 'normal' | 'cut' | 'no-range' | 'wrong' | 'longer' | 'longer-chunked';
const ca = createCa({ commonName: 'release test CA' });
const server = issueCertificate(ca, 'server', { commonName: '127.0.0.1', ips: ['127.0.0.1'] });
const body = randomBytes(200_000);
const sha = createHash('sha256').update(body).digest('hex');
let mode: Mode = 'normal';
let cutAt = 0;
const ranges: (string | undefined)[] = [];
let srv: https.Server;
let url: string;
let dir: string;

beforeAll(async () => {
  srv = https.createServer({ key: server.keyPem, cert: server.certPem }, (req, res) => {
    ranges.push(req.headers.range);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = mode !== 'no-range' && m ? Number(m[1]) : 0;
    const data = mode === 'wrong' ? Buffer.from(body).fill(7, 1000, 1001) : mode === 'longer' || mode === 'longer-chunked' ? Buffer.concat([body, Buffer.alloc(10)]) : body;
    const part = data.subarray(from);
    res.writeHead(from > 0 ? 206 : 200, {
      // chunked (no length announced): the kiosk finds out by counting
      ...(mode === 'longer-chunked' ? {} : { 'content-length': String(part.length) }),
      ...(from > 0 ? { 'content-range': `bytes ${from}-${data.length - 1}/${data.length}` } : {}),
    });
    if (mode === 'cut') {
      // half a body, then the connection drops (the next request is served whole)
      mode = 'normal';
      res.write(part.subarray(0, cutAt), () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    res.end(part);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(srv.address() as AddressInfo).port}/releases/0.2.0.tgz`;
});
afterAll(() => new Promise<void>((r) => srv.close(() => r())));
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'release-dl-'));
  mode = 'normal';
  ranges.length = 0;
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const opts = (over: Partial<Parameters<typeof downloadPackage>[0]> = {}) => ({
  url,
  sha256: sha,
  size: body.length,
  file: path.join(dir, '0.2.0.tgz'),
  clock: new SystemClock(),
  maxBytesPerSecond: 100_000_000,
  ca: ca.certPem,
  ...over,
});

describe('release download over HTTPS', () => {
  it('downloads, verifies the SHA-256 and names the file only then', async () => {
    const r = await downloadPackage(opts());
    expect(r).toEqual({ ok: true, file: path.join(dir, '0.2.0.tgz'), resumedFrom: 0 });
    expect(fs.readFileSync(path.join(dir, '0.2.0.tgz')).equals(body)).toBe(true);
    expect(fs.existsSync(partialOf(path.join(dir, '0.2.0.tgz')))).toBe(false);
  });

  it('refuses a server its CA does not vouch for', async () => {
    const other = createCa({ commonName: 'another CA' });
    const r = await downloadPackage(opts({ ca: other.certPem }));
    expect(r).toMatchObject({ ok: false, reason: 'network' });
  });

  it('resumes with a Range request after the connection is cut mid-body (no byte fetched twice)', async () => {
    mode = 'cut';
    cutAt = 70_000;
    const first = await downloadPackage(opts());
    expect(first).toMatchObject({ ok: false, reason: 'network' });
    const kept = fs.statSync(partialOf(path.join(dir, '0.2.0.tgz'))).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(70_000);
    const second = await downloadPackage(opts());
    expect(second).toEqual({ ok: true, file: path.join(dir, '0.2.0.tgz'), resumedFrom: kept });
    expect(ranges).toEqual([undefined, `bytes=${kept}-`]);
    expect(fs.readFileSync(path.join(dir, '0.2.0.tgz')).equals(body)).toBe(true);
  });

  it('starts over when the server ignores Range (200), and still ends with the right file', async () => {
    fs.writeFileSync(partialOf(path.join(dir, '0.2.0.tgz')), body.subarray(0, 5000));
    mode = 'no-range';
    const r = await downloadPackage(opts());
    expect(r).toMatchObject({ ok: true, resumedFrom: 5000 });
    expect(ranges).toEqual(['bytes=5000-']);
    expect(fs.readFileSync(path.join(dir, '0.2.0.tgz')).equals(body)).toBe(true);
  });

  it('refuses a body that does not hash to the offer and drops it (the next try starts over)', async () => {
    mode = 'wrong';
    const r = await downloadPackage(opts());
    expect(r).toMatchObject({ ok: false, reason: 'hash_mismatch' });
    expect(fs.existsSync(partialOf(path.join(dir, '0.2.0.tgz')))).toBe(false);
    expect(fs.existsSync(path.join(dir, '0.2.0.tgz'))).toBe(false);
  });

  it('refuses more bytes than the offer says, announced or sent', async () => {
    mode = 'longer';
    const r = await downloadPackage(opts());
    expect(r).toMatchObject({ ok: false, reason: 'too_large' });
    expect(fs.existsSync(path.join(dir, '0.2.0.tgz'))).toBe(false);
    // an offer smaller than the file: the server's Content-Length already says too much
    mode = 'normal';
    const small = await downloadPackage(opts({ size: 1000, file: path.join(dir, 'small.tgz') }));
    expect(small).toMatchObject({ ok: false, reason: 'too_large', detail: expect.stringContaining('announces') });
    // no length announced: counted as it comes, cut at the offer's size
    mode = 'longer-chunked';
    const counted = await downloadPackage(opts({ file: path.join(dir, 'counted.tgz') }));
    expect(counted).toMatchObject({ ok: false, reason: 'too_large', detail: expect.stringContaining('sent more') });
    expect(fs.existsSync(path.join(dir, 'counted.tgz'))).toBe(false);
  });

  it('keeps to maxBytesPerSecond and reports progress throttled', async () => {
    const seen: number[] = [];
    const t0 = Date.now();
    const r = await downloadPackage(opts({ maxBytesPerSecond: 100_000, progressEveryMs: 200, onProgress: (n, total) => (seen.push(n), expect(total).toBe(body.length)) }));
    const ms = Date.now() - t0;
    expect(r.ok).toBe(true);
    // 200 000 bytes at 100 000 B/s with a 1 s burst: at least ~1 s, and not much more than 2
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(4000);
    expect(seen[seen.length - 1]).toBe(body.length);
    expect(seen.length).toBeLessThan(15);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('stops when aborted (a withdrawn offer) and keeps what it has', async () => {
    const ac = new AbortController();
    const p = downloadPackage(opts({ maxBytesPerSecond: 50_000, signal: ac.signal }));
    setTimeout(() => ac.abort(new Error('withdrawn')), 300);
    const r = await p;
    expect(r).toMatchObject({ ok: false, reason: 'aborted' });
    expect(fs.existsSync(path.join(dir, '0.2.0.tgz'))).toBe(false);
    const kept = fs.statSync(partialOf(path.join(dir, '0.2.0.tgz'))).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(body.length);
  });
});

describe('release download from a server that admits only kiosks with a certificate', () => {
  it('presents the kiosk certificate; without it the server refuses the connection', async () => {
    const client = issueCertificate(ca, 'client', { commonName: 'S1/K1' });
    const strict = https.createServer({ key: server.keyPem, cert: server.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (_req, res) => res.end(body));
    await new Promise<void>((r) => strict.listen(0, '127.0.0.1', r));
    try {
      const at = `https://127.0.0.1:${(strict.address() as AddressInfo).port}/x.tgz`;
      expect(await downloadPackage(opts({ url: at }))).toMatchObject({ ok: false, reason: 'network' });
      const r = await downloadPackage(opts({ url: at, clientCert: { cert: Buffer.from(client.certPem), key: Buffer.from(client.keyPem) } }));
      expect(r).toMatchObject({ ok: true });
    } finally {
      await new Promise<void>((r) => strict.close(() => r()));
    }
  });
});
