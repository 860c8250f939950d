/**
 * Issue 13, "embedded default with no system packages": `npm start`'s code path (`kiosk start`) on a machine
 * without socat reaches `ready` with all five simulated devices, the real drivers running over in-process serial
 * links. The child's PATH holds node and nothing else, and the test first proves socat is not resolvable in it.
 * In pty mode the same machine gets one clear line with the fix and exit 1, never a stack trace.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findOnPath } from '../kernel/path-presence';
import { exited, kiosk, kioskAsync, killStrays, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';

/** A PATH with `node` (a symlink to this node) and nothing else. */
function nodeOnlyPath(): { bin: string; PATH: string } {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-nosocat-bin-'));
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  return { bin, PATH: bin };
}

describe('kiosk start with no socat on PATH', () => {
  let dir: string;
  let bin: string;
  let PATH: string;
  beforeEach(() => {
    dir = tempDir('kiosk-nosocat-');
    ({ bin, PATH } = nodeOnlyPath());
  });
  afterEach(() => {
    killStrays();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it('the PATH given to the kiosk has node but no socat', () => {
    expect(findOnPath('node', PATH)).toBe(path.join(bin, 'node'));
    expect(findOnPath('socat', PATH)).toBeNull();
    expect(findOnPath('sh', PATH)).toBeNull(); // nothing to spawn socat through either
  });

  it('reaches ready with all five simulated devices on in-process links (the default), lane in service; SIGTERM exits 0', async () => {
    const tmp = tempDir('kiosk-nosocat-tmp-');
    try {
      const child = kioskAsync(['start', '--data', dir], { env: { PATH, TMPDIR: tmp } });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let ready = '';
      await watchLines(child, (l) => {
        if (l.startsWith('ready ')) ready = l;
        return !!ready;
      });
      expect({ ready, stderr }).toEqual({ ready: expect.stringMatching(/^ready /), stderr: expect.any(String) });
      const simulated = /(?:^| )simulated=(\S+)/.exec(ready)?.[1]?.split(',') ?? [];
      expect(simulated.sort()).toEqual(['display', 'light', 'printer', 'scanner', 'terminal']);
      expect(ready).toMatch(/ lane=in-service /);
      // no pty pair was made: nothing of socat's kind in the kiosk's temp dir
      expect(fs.readdirSync(tmp).filter((n) => n.startsWith('kiosk-pty-'))).toEqual([]);
      child.kill('SIGTERM');
      expect((await exited(child)).code).toBe(0);
      expect(stderr).not.toMatch(/socat|unexpected error|\n\s+at /);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('pty mode without socat: one line naming the fix, exit 1, no stack trace', () => {
    const r = kiosk(['start', '--data', dir], { env: { PATH, KIOSK_DEVICES__SIMULATED_LINK: 'pty' } });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kiosk: .*simulated devices in pty mode need socat — install it: apt-get install socat \(or set devices\.simulatedLink to "in-process"\)$/);
    expect(r.stderr).not.toMatch(/\n\s+at |unexpected error/);
  });
});
