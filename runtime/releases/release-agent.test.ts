import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import * as tar from 'tar';
import { createCa, issueCertificate } from '../../kernel/x509/certificates';
import { SystemClock } from '../../kernel/clock';
import { memoryTrust, signed, testKey } from '../../test/support/trust';
import type { ReleaseReported } from '../../protocol/releases/release-offer';
import { ReleaseAgent, type ReleaseAgentDeps } from './release-agent';
import { installRelease } from './install';
import { currentVersion, downloadFile, releaseDir } from './layout';
import { readReleaseState } from './release-state';
import { readPendingHealth, switchCurrent } from './switch';
import { partialOf } from './download';

const ca = createCa({ commonName: 'release agent test CA' });
const cert = issueCertificate(ca, 'server', { commonName: '127.0.0.1', ips: ['127.0.0.1'] });
const hq = testKey();
let srv: https.Server;
let base: string;
let dir: string;
let root: string;
const files = new Map<string, Buffer>();
/** Bytes per second the server sends (slow: a download that can be cut or withdrawn midway). */
let serverRate = 0;
const requests: { path: string; range?: string }[] = [];

beforeAll(async () => {
  srv = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    requests.push({ path: req.url ?? '', ...(req.headers.range ? { range: req.headers.range } : {}) });
    const data = files.get(req.url ?? '');
    if (!data) return void res.writeHead(404).end();
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = m ? Number(m[1]) : 0;
    const part = data.subarray(from);
    res.writeHead(from ? 206 : 200, { 'content-length': String(part.length), ...(from ? { 'content-range': `bytes ${from}-${data.length - 1}/${data.length}` } : {}) });
    if (!serverRate) return void res.end(part);
    let at = 0;
    const tick = setInterval(() => {
      if (res.destroyed) return clearInterval(tick);
      const n = Math.ceil(serverRate / 10);
      res.write(part.subarray(at, at + n));
      at += n;
      if (at >= part.length) {
        clearInterval(tick);
        res.end();
      }
    }, 100);
    res.on('close', () => clearInterval(tick));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(srv.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => srv.close(() => r())));

async function pack(version: string, filler = 0): Promise<{ url: string; sha256: string; size: number }> {
  const src = path.join(dir, `src-${version}`, 'package');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: 'kiosk-runtime', version, dependencies: { mqtt: '^5' } }));
  // incompressible filler makes a package big enough to take a while at a slow rate
  if (filler) fs.writeFileSync(path.join(src, 'filler.bin'), randomBytes(filler));
  const file = path.join(dir, `${version}.tgz`);
  await tar.c({ gzip: true, cwd: path.dirname(src), file }, ['package']);
  const data = fs.readFileSync(file);
  files.set(`/releases/${version}.tgz`, data);
  return { url: `${base}/releases/${version}.tgz`, sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
}

let ev = 0;
const offer = (version: string, pkg: { url: string; sha256: string; size: number }, over: Record<string, unknown> = {}) =>
  signed(
    hq,
    {
      kind: 'release',
      scope: { kind: 'device', store: 'S1', device: 'K1' },
      version: ++ev,
      body: { action: 'install', rollout: `r-${version}`, version, package: pkg, minConfigSchema: 1, ...over },
    },
    Date.now(),
  );

let reports: ReleaseReported[];
let idle: boolean;
let restarts: number;
function agent(over: Partial<ReleaseAgentDeps> = {}): ReleaseAgent {
  return new ReleaseAgent({
    root,
    clock: new SystemClock(),
    trust: memoryTrust(hq),
    store: 'S1',
    device: 'K1',
    configSchema: 1,
    maxBytesPerSecond: 50_000_000,
    healthWindowMs: 60_000,
    ca: ca.certPem,
    report: (r) => reports.push(r),
    idle: () => Promise.resolve(idle),
    backup: () => Promise.resolve({ file: path.join(dir, 'backup.db'), schemaVersion: 13 }),
    restart: () => restarts++,
    retry: { baseMs: 50, capMs: 200 },
    progressEveryMs: 100,
    ...over,
  });
}
const steps = () => reports.map((r) => r.step);
async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out; steps so far: ${steps().join(',')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'release-agent-'));
  root = path.join(dir, 'root');
  reports = [];
  idle = true;
  restarts = 0;
  serverRate = 0;
  requests.length = 0;
  // the running release 0.1.0, installed side by side with its node_modules
  const src = path.join(dir, 'src-0.1.0', 'package');
  fs.mkdirSync(path.join(src, 'node_modules', 'mqtt'), { recursive: true });
  fs.writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: 'kiosk-runtime', version: '0.1.0', dependencies: { mqtt: '^5' } }));
  await tar.c({ gzip: true, cwd: path.dirname(src), file: path.join(dir, '0.1.0.tgz') }, ['package']);
  expect((await installRelease({ root, tgz: path.join(dir, '0.1.0.tgz'), version: '0.1.0', runningDir: null })).ok).toBe(true);
  switchCurrent(root, '0.1.0');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('release agent', () => {
  it('takes an offer through download, verification and install, waits for an idle lane, then switches and asks for a restart', async () => {
    idle = false;
    const a = agent();
    const pkg = await pack('0.2.0', 300_000);
    expect(await a.offer(offer('0.2.0', pkg))).toMatchObject({ ok: true });
    await until(() => steps().includes('waiting_for_idle'));
    expect(steps().filter((s) => s !== 'downloading')).toEqual(['offered', 'downloaded', 'verified', 'installed', 'waiting_for_idle']);
    const progress = reports.filter((r) => r.step === 'downloading');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.every((r) => r.total === pkg.size && r.received! <= pkg.size)).toBe(true);
    expect(reports.every((r) => r.rollout === 'r-0.2.0' && r.version === '0.2.0' && r.running === '0.1.0')).toBe(true);
    // an open order: no switch
    await a.notifyIdle();
    expect(currentVersion(root)).toBe('0.1.0');
    expect(restarts).toBe(0);
    idle = true;
    await a.notifyIdle();
    expect(currentVersion(root)).toBe('0.2.0');
    expect(restarts).toBe(1);
    expect(steps().at(-1)).toBe('switching');
    expect(readPendingHealth(root)).toMatchObject({ version: '0.2.0', previous: '0.1.0', backup: path.join(dir, 'backup.db'), schemaBefore: 13, boots: 0, rollout: 'r-0.2.0' });
    expect(fs.realpathSync(path.join(root, 'current/node_modules'))).toBe(fs.realpathSync(path.join(releaseDir(root, '0.1.0'), 'node_modules')));
    expect(fs.existsSync(downloadFile(root, '0.2.0'))).toBe(false);
    expect(readReleaseState(root).active).toBeNull();
    await a.close();
  });

  it('refuses a replayed offer without reporting over the offer in force, and reports other refusals as failed', async () => {
    const a = agent();
    const pkg = await pack('0.2.0');
    const first = offer('0.2.0', pkg);
    await a.offer(first);
    await until(() => steps().includes('switching'));
    const before = reports.length;
    expect(await a.offer(first)).toMatchObject({ ok: false, reason: 'not_newer' });
    expect(reports.length).toBe(before);
    expect(await a.offer(offer('0.3.0', pkg, { minConfigSchema: 9 }))).toMatchObject({ ok: false, reason: 'config_schema_too_old' });
    expect(reports.at(-1)).toMatchObject({ step: 'failed', reason: 'config_schema_too_old', version: '0.3.0', rollout: 'r-0.3.0' });
    // the refused, verified offer counts as seen: its replay is not_newer
    expect(readReleaseState(root).acceptedOfferVersion).toBe(ev);
    await a.close();
  });

  it('refuses a package whose hash is not the offer\'s, and installs nothing', async () => {
    const a = agent();
    const pkg = await pack('0.2.0');
    await a.offer(offer('0.2.0', { ...pkg, sha256: 'b'.repeat(64) }));
    await until(() => steps().includes('failed'));
    expect(reports.at(-1)).toMatchObject({ step: 'failed', reason: 'hash_mismatch' });
    expect(fs.existsSync(releaseDir(root, '0.2.0'))).toBe(false);
    expect(readReleaseState(root).active).toBeNull();
    await a.close();
  });

  it('a withdraw cancels a download under way: nothing kept, nothing switched', async () => {
    serverRate = 100_000;
    const a = agent();
    const pkg = await pack('0.2.0', 400_000);
    await a.offer(offer('0.2.0', pkg));
    await until(() => reports.some((r) => r.step === 'downloading' && (r.received ?? 0) > 0));
    expect(await a.offer(offer('0.2.0', pkg, { action: 'withdraw' }))).toMatchObject({ ok: true });
    expect(reports.at(-1)).toMatchObject({ step: 'withdrawn', version: '0.2.0' });
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.existsSync(partialOf(downloadFile(root, '0.2.0')))).toBe(false);
    expect(fs.existsSync(releaseDir(root, '0.2.0'))).toBe(false);
    expect(readReleaseState(root).active).toBeNull();
    expect(currentVersion(root)).toBe('0.1.0');
    expect(steps().slice(steps().lastIndexOf('withdrawn'))).toEqual(['withdrawn']);
    await a.close();
  });

  it('a restart mid-download resumes from the partial file with a Range request', async () => {
    serverRate = 100_000;
    const pkg = await pack('0.2.0', 300_000);
    const a = agent();
    await a.offer(offer('0.2.0', pkg));
    await until(() => reports.some((r) => r.step === 'downloading' && (r.received ?? 0) > 50_000));
    await a.close(); // the kiosk stops
    const kept = fs.statSync(partialOf(downloadFile(root, '0.2.0'))).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(pkg.size);
    serverRate = 0;
    idle = false;
    const b = agent(); // the kiosk starts again
    await b.resume();
    await until(() => steps().includes('waiting_for_idle'));
    expect(requests.map((r) => r.range)).toEqual([undefined, `bytes=${kept}-`]);
    expect(fs.existsSync(releaseDir(root, '0.2.0'))).toBe(true);
    await b.close();
  });

  it('a newer offer replaces one not yet switched to', async () => {
    idle = false;
    const a = agent();
    await a.offer(offer('0.2.0', await pack('0.2.0')));
    await until(() => steps().includes('waiting_for_idle'));
    await a.offer(offer('0.3.0', await pack('0.3.0')));
    await until(() => reports.filter((r) => r.version === '0.3.0').some((r) => r.step === 'waiting_for_idle'));
    expect(fs.existsSync(releaseDir(root, '0.2.0'))).toBe(false);
    idle = true;
    await a.notifyIdle();
    expect(currentVersion(root)).toBe('0.3.0');
    await a.close();
  });

  it('refuses to install when the kiosk does not run from releases/ (no current link)', async () => {
    fs.rmSync(path.join(root, 'current'));
    const a = agent();
    expect(await a.offer(offer('0.2.0', await pack('0.2.0')))).toMatchObject({ ok: false, reason: 'not_side_by_side' });
    expect(reports.at(-1)).toMatchObject({ step: 'failed', reason: 'not_side_by_side', running: 'unknown' });
    await a.close();
  });
});

describe('release agent across restarts', () => {
  it('a release installed before a restart is not downloaded again; the switch follows when the lane is idle', async () => {
    idle = false;
    const a = agent();
    await a.offer(offer('0.2.0', await pack('0.2.0')));
    await until(() => steps().includes('waiting_for_idle'));
    await a.close();
    const fetched = requests.length;
    reports = [];
    idle = true;
    const b = agent();
    await b.resume();
    await until(() => restarts === 1);
    expect(requests.length).toBe(fetched);
    expect(steps()).toEqual(['waiting_for_idle', 'switching']);
    expect(currentVersion(root)).toBe('0.2.0');
    await b.close();
  });
});
