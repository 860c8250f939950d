/**
 * Issue 11 point 12: the simulated serial devices of `kiosk start` in pty mode (`devices.simulatedLink: "pty"`) live
 * on socat pty pairs in `kiosk-pty-*` temp dirs. A kiosk killed with SIGKILL cannot remove them; the next start must, so they never pile up.
 * The kiosk runs with a private TMPDIR, so other tests' pty dirs never interfere.
 */
import * as fs from 'node:fs';
import { exited, kioskAsync, killStrays, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';

const ptyDirs = (tmp: string): string[] => fs.readdirSync(tmp).filter((n) => n.startsWith('kiosk-pty-'));

async function startKiosk(dir: string, tmp: string) {
  // pty mode: the default in-process links make no pty dirs at all (test/start-without-socat.test.ts)
  const child = kioskAsync(['start', '--data', dir], { env: { TMPDIR: tmp, KIOSK_DEVICES__SIMULATED_LINK: 'pty' } });
  let ready = '';
  await watchLines(child, (l) => {
    if (l.startsWith('ready ')) ready = l;
    return !!ready;
  });
  if (!ready) throw new Error(`kiosk start did not get ready (exit ${child.exitCode})`);
  return child;
}

describe('kiosk-pty-* temp dirs of simulated devices', () => {
  afterEach(killStrays);

  it('a SIGKILLed kiosk leaves none behind once the kiosk has started and stopped again', async () => {
    const dir = tempDir('kiosk-ptydirs-');
    const tmp = tempDir('kiosk-ptydirs-tmp-');
    try {
      const killed = await startKiosk(dir, tmp);
      const fromKilled = ptyDirs(tmp);
      expect(fromKilled.length).toBeGreaterThanOrEqual(4); // scanner, terminal, printer, display, light
      killed.kill('SIGKILL');
      expect((await exited(killed)).signal).toBe('SIGKILL');
      expect(ptyDirs(tmp)).toEqual(expect.arrayContaining(fromKilled)); // nobody could clean up

      const again = await startKiosk(dir, tmp);
      expect(ptyDirs(tmp).filter((d) => fromKilled.includes(d))).toEqual([]);
      again.kill('SIGTERM');
      expect((await exited(again)).code).toBe(0);
      expect(ptyDirs(tmp)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
