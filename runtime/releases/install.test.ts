import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { installRelease } from './install';
import { releaseDir } from './layout';

let dir: string;
let root: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'release-inst-'));
  root = path.join(dir, 'root');
  fs.mkdirSync(path.join(root, 'releases'), { recursive: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const deps = { mqtt: '^5.0.0', sqlite3: '^6.0.1' };

/** A package folder packed the way `npm pack` does (every file under `package/`). */
async function pack(version: string, opts: { dependencies?: object; bundled?: boolean; name?: string } = {}): Promise<string> {
  const src = path.join(dir, `src-${version}`, 'package');
  fs.mkdirSync(path.join(src, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: opts.name ?? 'kiosk-runtime', version, dependencies: opts.dependencies ?? deps }));
  fs.writeFileSync(path.join(src, 'dist', 'cli.js'), `console.log(${JSON.stringify(version)})\n`);
  if (opts.bundled) {
    fs.mkdirSync(path.join(src, 'node_modules', 'mqtt'), { recursive: true });
    fs.writeFileSync(path.join(src, 'node_modules', 'mqtt', 'index.js'), '');
  }
  const file = path.join(dir, `kiosk-runtime-${version}.tgz`);
  await tar.c({ gzip: true, cwd: path.dirname(src), file }, ['package']);
  return file;
}

/** A gzip tar written entry by entry (what `tar.c` will not make: links, paths that climb out). */
function rawTgz(entries: { path: string; type: 'File' | 'SymbolicLink' | 'Link' | 'Directory'; body?: string; linkpath?: string }[]): string {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const h = new tar.Header({ path: e.path, mode: 0o644, size: e.type === 'File' ? body.length : 0, type: e.type, linkpath: e.linkpath, mtime: new Date(0), uid: 0, gid: 0 });
    const head = Buffer.alloc(512);
    h.encode(head, 0);
    blocks.push(head);
    if (e.type === 'File') blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  const file = path.join(dir, `raw-${blocks.length}-${Math.random()}.tgz`);
  fs.writeFileSync(file, gzipSync(Buffer.concat(blocks)));
  return file;
}

/** The running release 0.1.0 with its node_modules. */
async function running(): Promise<string> {
  const r = await installRelease({ root, tgz: await pack('0.1.0', { bundled: true }), version: '0.1.0', runningDir: null });
  expect(r).toMatchObject({ ok: true, dependencies: 'bundled' });
  return releaseDir(root, '0.1.0');
}

describe('installing a release side by side', () => {
  it('unpacks package/ into releases/<version> and shares node_modules when the dependencies are the same', async () => {
    const run = await running();
    const r = await installRelease({ root, tgz: await pack('0.2.0'), version: '0.2.0', runningDir: run });
    expect(r).toEqual({ ok: true, dir: releaseDir(root, '0.2.0'), dependencies: 'linked' });
    expect(fs.readFileSync(path.join(root, 'releases/0.2.0/dist/cli.js'), 'utf8')).toContain('0.2.0');
    expect(fs.realpathSync(path.join(root, 'releases/0.2.0/node_modules'))).toBe(fs.realpathSync(path.join(run, 'node_modules')));
    // no staging folder left; installing again is a no-op
    expect(fs.readdirSync(path.join(root, 'releases')).sort()).toEqual(['0.1.0', '0.2.0']);
    expect((await installRelease({ root, tgz: '/nonexistent', version: '0.2.0', runningDir: run })).ok).toBe(true);
  });

  it('links a first install by hand to a given node_modules (nothing running to share with yet)', async () => {
    const modules = path.join(dir, 'npm-ci', 'node_modules');
    fs.mkdirSync(path.join(modules, 'mqtt'), { recursive: true });
    expect(await installRelease({ root, tgz: await pack('0.1.0'), version: '0.1.0', runningDir: null })).toMatchObject({ ok: false, reason: 'dependencies_changed' });
    expect(await installRelease({ root, tgz: await pack('0.1.0'), version: '0.1.0', runningDir: null, nodeModulesFrom: modules })).toMatchObject({ ok: true, dependencies: 'linked' });
    expect(fs.realpathSync(path.join(root, 'releases/0.1.0/node_modules'))).toBe(fs.realpathSync(modules));
  });

  it('refuses a release whose dependencies changed (no npm install at the lane) and leaves nothing behind', async () => {
    const run = await running();
    const r = await installRelease({ root, tgz: await pack('0.2.0', { dependencies: { ...deps, leftpad: '1.0.0' } }), version: '0.2.0', runningDir: run });
    expect(r).toMatchObject({ ok: false, reason: 'dependencies_changed' });
    expect(fs.readdirSync(path.join(root, 'releases'))).toEqual(['0.1.0']);
  });

  it('takes a package that bundles its own node_modules whatever its dependencies', async () => {
    const run = await running();
    const r = await installRelease({ root, tgz: await pack('0.2.0', { dependencies: { other: '1.0.0' }, bundled: true }), version: '0.2.0', runningDir: run });
    expect(r).toMatchObject({ ok: true, dependencies: 'bundled' });
  });

  it('refuses a package of another version or another name than offered', async () => {
    const run = await running();
    expect(await installRelease({ root, tgz: await pack('0.3.0'), version: '0.2.0', runningDir: run })).toMatchObject({ ok: false, reason: 'package_mismatch' });
    expect(await installRelease({ root, tgz: await pack('0.2.0', { name: 'other' }), version: '0.2.0', runningDir: run })).toMatchObject({ ok: false, reason: 'package_mismatch' });
  });

  it.each([
    ['a path that climbs out', [{ path: 'package/../../evil.js', type: 'File' as const, body: 'x' }]],
    ['an absolute path', [{ path: '/tmp/evil.js', type: 'File' as const, body: 'x' }]],
    ['a file outside package/', [{ path: 'other/evil.js', type: 'File' as const, body: 'x' }]],
    ['a symbolic link', [{ path: 'package/link', type: 'SymbolicLink' as const, linkpath: '/etc/passwd' }]],
    ['a hard link', [{ path: 'package/hard', type: 'Link' as const, linkpath: 'package/package.json' }]],
  ])('refuses %s and writes nothing outside its staging folder', async (_what, entries) => {
    const tgz = rawTgz([{ path: 'package/package.json', type: 'File', body: JSON.stringify({ name: 'kiosk-runtime', version: '0.2.0' }) }, ...entries]);
    const r = await installRelease({ root, tgz, version: '0.2.0', runningDir: null });
    expect(r).toMatchObject({ ok: false, reason: 'unsafe_entry' });
    expect(fs.existsSync(path.join(dir, 'evil.js'))).toBe(false);
    expect(fs.existsSync('/tmp/evil.js')).toBe(false);
    expect(fs.readdirSync(path.join(root, 'releases'))).toEqual([]);
  });

  it('refuses what is not a gzip tar', async () => {
    const file = path.join(dir, 'x.tgz');
    fs.writeFileSync(file, 'not a tarball');
    expect(await installRelease({ root, tgz: file, version: '0.2.0', runningDir: null })).toMatchObject({ ok: false, reason: 'bad_archive' });
  });
});
