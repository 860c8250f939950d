/**
 * Issue 13: a data dir the kiosk's user may only read. The read-only commands (journal verify, orders list/show,
 * storage status, report eod) work on it and change nothing in it; the commands that write (start, demo) exit 1 with
 * one line naming the folder, the cause (permission) and the fix — never a SQLITE_CANTOPEN stack. The children run
 * as an unprivileged user (uid/gid 65534 via util-linux `setpriv`): the tests run as root, for whom modes stop nothing.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, kiosk } from './support/cli';
import { tempDir } from './support/engine-fixture';

const NOBODY = 65534;

/** The built `kiosk` CLI run as uid/gid 65534. */
function kioskAsNobody(args: string[]) {
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, CLI, ...args], {
    env: { PATH: process.env.PATH, KIOSK_LOG_LEVEL: 'warn', KIOSK_HQ__EMBEDDED_PORT: '0', KIOSK_SCREEN__PORT: '0' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir` with its mode, size, mtime and content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d)) {
      const f = path.join(d, name);
      const st = fs.statSync(f);
      if (st.isDirectory()) walk(f);
      else out[path.relative(dir, f)] = `${(st.mode & 0o777).toString(8)} ${st.size} ${st.mtimeMs} ${createHash('sha256').update(fs.readFileSync(f)).digest('hex')}`;
    }
  };
  walk(dir);
  return out;
}

function chownTree(dir: string, uid: number): void {
  fs.chownSync(dir, uid, uid);
  for (const name of fs.readdirSync(dir)) {
    const f = path.join(dir, name);
    if (fs.statSync(f).isDirectory()) chownTree(f, uid);
    else fs.chownSync(f, uid, uid);
  }
}

function expectOneLine(r: { code: number | null; stderr: string }, code: number, what: RegExp) {
  expect({ code: r.code, stderr: r.stderr.trimEnd() }).toEqual({ code, stderr: expect.stringMatching(what) });
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

describe('a data dir the kiosk may only read', () => {
  let root: string;
  let data: string;
  beforeAll(() => {
    expect(process.getuid?.()).toBe(0); // setpriv needs root to switch users
    root = tempDir('kiosk-cli-ro-');
    fs.chmodSync(root, 0o755); // the unprivileged user may walk in
    data = path.join(root, 'data');
    const demo = kiosk(['demo', '--data', data]);
    expect(demo.code).toBe(0);
    // the unprivileged user owns it but may only read: folder 0500, files 0400
    chownTree(data, NOBODY);
    for (const name of fs.readdirSync(data)) if (fs.statSync(path.join(data, name)).isFile()) fs.chmodSync(path.join(data, name), 0o400);
    fs.chmodSync(data, 0o500);
  });
  afterAll(() => {
    fs.chmodSync(data, 0o700);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('journal verify, orders list/show, storage status and report eod read it and write nothing into it', () => {
    const before = snapshot(data);
    expect(Object.keys(before)).toContain('kiosk.sqlite');
    const verify = kioskAsNobody(['journal', 'verify', '--data', data]);
    expect({ code: verify.code, stderr: verify.stderr }).toEqual({ code: 0, stderr: '' });
    expect(verify.stdout).toMatch(/^ok \d+ entries\n$/);
    const list = kioskAsNobody(['orders', 'list', '--json', '--data', data]);
    expect({ code: list.code, stderr: list.stderr }).toEqual({ code: 0, stderr: '' });
    const [order] = JSON.parse(list.stdout) as { id: string; state: string }[];
    expect(order.state).toBe('completed');
    const show = kioskAsNobody(['orders', 'show', order.id, '--data', data]);
    expect({ code: show.code, stderr: show.stderr }).toEqual({ code: 0, stderr: '' });
    const status = kioskAsNobody(['storage', 'status', '--data', data]);
    expect({ code: status.code, stderr: status.stderr }).toEqual({ code: 0, stderr: '' });
    expect(status.stdout).toMatch(/\nok\n$/);
    const outDir = path.join(root, 'out');
    fs.mkdirSync(outDir);
    fs.chownSync(outDir, NOBODY, NOBODY);
    const report = kioskAsNobody(['report', 'eod', '--out', path.join(outDir, 'z.pdf'), '--data', data]);
    expect({ code: report.code, stderr: report.stderr }).toEqual({ code: 0, stderr: '' });
    expect(fs.readFileSync(path.join(outDir, 'z.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
    // no -wal / -shm, no marker rewrite, no migration: byte for byte as it was
    expect(snapshot(data)).toEqual(before);
  });

  it('start on it: exit 1, one line naming the folder, the missing permission and the fix', () => {
    expectOneLine(
      kioskAsNobody(['start', '--data', data]),
      1,
      new RegExp(`^kiosk: STORAGE_FAILED: cannot .*\\(SQLITE_[A-Z_]+\\): no permission: uid ${NOBODY} may not write ${data} \\(owner uid ${NOBODY}, mode 0500\\): give it write permission \\(chmod u\\+w ${data}\\)$`),
    );
  });

  it("demo on a folder root owns: exit 1, one line saying whose it is and to run as its owner or chown it", () => {
    const rootsDir = path.join(root, 'roots');
    fs.mkdirSync(rootsDir, { mode: 0o755 });
    expectOneLine(
      kioskAsNobody(['demo', '--data', rootsDir]),
      1,
      new RegExp(`^kiosk: STORAGE_FAILED: cannot .*: no permission: uid ${NOBODY} may not write ${rootsDir} \\(owner uid 0, mode 0755\\): run the kiosk as the user owning it, or chown ${rootsDir} to the kiosk's user$`),
    );
    expect(fs.readdirSync(rootsDir)).toEqual([]);
  });
});
