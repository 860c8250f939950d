/**
 * `hq release publish` / `list` on a real HQ store (SQLite file and PostgreSQL) with real `npm pack` archives, and
 * the package server over real HTTPS (a test CA) with Range requests split at several offsets, 416, If-Range,
 * HEAD, and client certificates when asked for.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { createCa, issueCertificate } from '../../kernel/x509/certificates';
import { closeConsoleBackends, INGEST_TARGETS } from '../../test/support/console-fixture';
import { npmPack } from '../../test/support/npm-pack';
import { tmpDir } from '../../test/support/sync-fixtures';
import { releaseList, releasePublish } from '../commands/release';
import { IngestStore } from '../ingest/store';
import { inspectPackage } from './package-file';
import { startReleaseFileServer, type ReleaseFileServer } from './file-server';
import { listReleases, packageUrlPath } from './registry';

jest.setTimeout(120_000);

const dir = tmpDir('hq-release-');
afterAll(async () => {
  await closeConsoleBackends();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('inspecting a package', () => {
  it('reads an npm pack archive: hash and size of the file, name and version of package/package.json', async () => {
    const file = npmPack(dir, { version: '0.2.0', padding: 10_000 });
    const bytes = fs.readFileSync(file);
    const facts = await inspectPackage(file);
    expect(facts).toEqual({ sha256: sha(bytes), size: bytes.length, name: 'kiosk-test-pkg', version: '0.2.0', entries: expect.any(Number) });
    expect(facts.entries).toBeGreaterThanOrEqual(3);
  });

  it('refuses what is not an npm pack archive: not gzip, truncated gzip, gzip of no tar, a tar without package/package.json', async () => {
    const good = fs.readFileSync(npmPack(dir, { version: '0.2.1', padding: 50_000 }));
    const write = (name: string, b: Buffer) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, b);
      return f;
    };
    await expect(inspectPackage(write('plain.tgz', Buffer.from('{"name":"x"}')))).rejects.toThrow(/not gzip/);
    await expect(inspectPackage(write('cut.tgz', good.subarray(0, Math.floor(good.length / 2))))).rejects.toThrow(/not a readable gzip tar|ends early/);
    await expect(inspectPackage(write('notar.tgz', gzipSync(Buffer.alloc(5000, 7))))).rejects.toThrow(/tar|package\.json/);
    const other = path.join(dir, 'other');
    fs.mkdirSync(path.join(other, 'lib'), { recursive: true });
    fs.writeFileSync(path.join(other, 'lib', 'package.json'), '{"name":"x","version":"1.0.0"}');
    const noPkg = path.join(dir, 'nopkg.tgz');
    await tar.c({ gzip: true, file: noPkg, cwd: other }, ['lib']);
    await expect(inspectPackage(noPkg)).rejects.toThrow(/no package\/package\.json/);
    await expect(inspectPackage(path.join(dir, 'missing.tgz'))).rejects.toThrow(/ENOENT/);
  });
});

describe.each(INGEST_TARGETS)('hq release publish on %s', (_name, fresh) => {
  it('stores the package content-addressed, records the version once, refuses another package under it', async () => {
    const db = await fresh();
    const relDir = path.join(dir, `rel-${_name}`);
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) };
    const v1 = npmPack(dir, { version: '1.0.0', marker: 'first' });
    const v1b = npmPack(dir, { version: '1.0.0', marker: 'other bytes' });
    const v2 = npmPack(dir, { version: '1.1.0' });
    const h1 = sha(fs.readFileSync(v1));

    await releasePublish(v1, { db, version: '1.0.0', minConfigSchema: '3', notes: 'first', dir: relDir }, io);
    expect(out.pop()).toMatch(new RegExp(`^release 1\\.0\\.0 published: sha256 ${h1}, \\d+ bytes, min config schema 3`));
    expect(fs.readFileSync(path.join(relDir, `${h1}.tgz`)).equals(fs.readFileSync(v1))).toBe(true);
    // the same bytes again: nothing changes
    await releasePublish(v1, { db, version: '1.0.0', dir: relDir }, io);
    expect(out.pop()).toMatch(/was already published with this package/);
    // other bytes under the same version, a version the package does not carry, a bad version
    await expect(releasePublish(v1b, { db, version: '1.0.0', dir: relDir }, io)).rejects.toThrow(/published with another package/);
    await expect(releasePublish(v2, { db, version: '1.2.0', dir: relDir }, io)).rejects.toThrow(/package\.json says version 1\.1\.0/);
    await expect(releasePublish(v2, { db, version: 'v1.1', dir: relDir }, io)).rejects.toThrow(/bad version/);
    await releasePublish(v2, { db, version: '1.1.0', dir: relDir, json: true }, io);
    expect(JSON.parse(out.pop()!)).toMatchObject({ version: '1.1.0', created: true, minConfigSchema: 1 });
    expect(fs.readdirSync(relDir).sort()).toEqual([`${h1}.tgz`, `${sha(fs.readFileSync(v2))}.tgz`].sort());

    const store = await IngestStore.open(db);
    try {
      const rows = await listReleases(store.db.read);
      expect(rows.map((r) => [r.version, r.sha256, r.minConfigSchema, r.notes])).toEqual(
        expect.arrayContaining([
          ['1.0.0', h1, 3, 'first'],
          ['1.1.0', sha(fs.readFileSync(v2)), 1, null],
        ]),
      );
      expect(rows).toHaveLength(2);
      const audit = await store.db.read.all<{ action: string; target: string }>("SELECT action, target FROM audit_log WHERE action = 'release.publish' ORDER BY seq");
      expect(audit.map((a) => a.target)).toEqual(['1.0.0', '1.1.0']);
    } finally {
      await store.close();
    }
    await releaseList({ db }, io);
    expect(out.pop()).toMatch(/^1\.(0|1)\.0 {2}sha256 [0-9a-f]{64}/);
  });
});

describe('the package server over HTTPS', () => {
  const ca = createCa({ commonName: 'release test CA' });
  const server = issueCertificate(ca, 'server', { commonName: '127.0.0.1', ips: ['127.0.0.1'] });
  const client = issueCertificate(ca, 'client', { commonName: 'S1/D1' });
  const relDir = path.join(dir, 'served');
  let pkg: Buffer;
  let hash: string;
  let srv: ReleaseFileServer;
  const logs: string[] = [];

  beforeAll(async () => {
    const file = npmPack(dir, { version: '2.0.0', padding: 300_000 });
    pkg = fs.readFileSync(file);
    hash = sha(pkg);
    fs.mkdirSync(relDir, { recursive: true });
    fs.copyFileSync(file, path.join(relDir, `${hash}.tgz`));
    srv = await startReleaseFileServer({ dir: relDir, cert: server.certPem, key: server.keyPem, log: (l) => void logs.push(l) }, { host: '127.0.0.1', port: 0 });
  });
  afterAll(() => srv?.close());

  function get(p: string, headers: Record<string, string> = {}, o: { method?: string; port?: number; cert?: string; key?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port: o.port ?? srv.port, path: p, method: o.method ?? 'GET', headers, ca: ca.certPem, ...(o.cert ? { cert: o.cert, key: o.key } : {}) }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves the whole package with its ETag, and resumable ranges split at several offsets that rebuild it exactly', async () => {
    const whole = await get(packageUrlPath(hash));
    expect(whole.status).toBe(200);
    expect(whole.headers).toMatchObject({ 'accept-ranges': 'bytes', etag: `"${hash}"`, 'content-length': String(pkg.length) });
    expect(sha(whole.body)).toBe(hash);

    const size = pkg.length;
    for (const cuts of [[0, 1, size], [0, 511, 512, 65_536, size - 1, size], [0, Math.floor(size / 3), Math.floor((2 * size) / 3), size]]) {
      const parts: Buffer[] = [];
      for (let i = 0; i + 1 < cuts.length; i++) {
        const [a, b] = [cuts[i], cuts[i + 1] - 1];
        const r = await get(packageUrlPath(hash), { range: `bytes=${a}-${b}` });
        expect([r.status, r.headers['content-range'], r.headers['content-length']]).toEqual([206, `bytes ${a}-${b}/${size}`, String(b - a + 1)]);
        parts.push(r.body);
      }
      expect(sha(Buffer.concat(parts))).toBe(hash);
    }
    // resume from an offset to the end; the last n bytes; an end past the size is clipped
    const from = await get(packageUrlPath(hash), { range: `bytes=${size - 1000}-` });
    expect([from.status, from.body.equals(pkg.subarray(size - 1000))]).toEqual([206, true]);
    const suffix = await get(packageUrlPath(hash), { range: 'bytes=-100' });
    expect([suffix.status, suffix.headers['content-range'], suffix.body.equals(pkg.subarray(size - 100))]).toEqual([206, `bytes ${size - 100}-${size - 1}/${size}`, true]);
    const clipped = await get(packageUrlPath(hash), { range: `bytes=10-${size + 5000}` });
    expect([clipped.status, clipped.headers['content-range'], clipped.body.equals(pkg.subarray(10))]).toEqual([206, `bytes 10-${size - 1}/${size}`, true]);
  });

  it('answers 416 past the end, 200 for a changed If-Range or several ranges, HEAD without a body, 404 for anything else', async () => {
    const size = pkg.length;
    const past = await get(packageUrlPath(hash), { range: `bytes=${size}-` });
    expect([past.status, past.headers['content-range']]).toEqual([416, `bytes */${size}`]);
    expect((await get(packageUrlPath(hash), { range: 'bytes=-0' })).status).toBe(416);
    const stale = await get(packageUrlPath(hash), { range: 'bytes=0-9', 'if-range': '"another"' });
    expect([stale.status, stale.body.length]).toEqual([200, size]);
    const fresh = await get(packageUrlPath(hash), { range: 'bytes=0-9', 'if-range': `"${hash}"` });
    expect([fresh.status, fresh.body.equals(pkg.subarray(0, 10))]).toEqual([206, true]);
    expect((await get(packageUrlPath(hash), { range: 'bytes=0-1,5-6' })).status).toBe(200);
    const head = await get(packageUrlPath(hash), { range: 'bytes=5-9' }, { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([206, '5', 0]);
    for (const p of [`/releases/files/${'0'.repeat(64)}.tgz`, `/releases/files/${hash.toUpperCase()}.tgz`, '/releases/files/../../etc/passwd', `/releases/files/${hash}.tgz/..`, '/']) expect([p, (await get(p)).status]).toEqual([p, 404]);
    expect((await get(packageUrlPath(hash), {}, { method: 'POST' })).status).toBe(405);
    expect(logs.some((l) => / GET \/releases\/files\/[0-9a-f]{64}\.tgz 206 10 range=bytes=0-9$/.test(l))).toBe(true);
  });

  it('with a client CA: a kiosk without a certificate of that CA is refused, one with it downloads', async () => {
    const strict = await startReleaseFileServer({ dir: relDir, cert: server.certPem, key: server.keyPem, clientCa: ca.certPem }, { host: '127.0.0.1', port: 0 });
    try {
      await expect(get(packageUrlPath(hash), {}, { port: strict.port })).rejects.toThrow();
      const other = createCa({ commonName: 'someone else' });
      const stranger = issueCertificate(other, 'client', { commonName: 'S1/D9' });
      await expect(get(packageUrlPath(hash), {}, { port: strict.port, cert: stranger.certPem, key: stranger.keyPem })).rejects.toThrow();
      const ok = await get(packageUrlPath(hash), { range: 'bytes=0-99' }, { port: strict.port, cert: client.certPem, key: client.keyPem });
      expect([ok.status, ok.body.equals(pkg.subarray(0, 100))]).toEqual([206, true]);
    } finally {
      await strict.close();
    }
  });
});
