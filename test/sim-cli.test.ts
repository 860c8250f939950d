/** Black-box: a running `kiosk start` in simulated mode, driven from outside with `kiosk sim …` and `kiosk doctor`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exited, kiosk, kioskAsync, killStrays, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { waitFor } from './support/wait';

describe('kiosk sim / kiosk doctor against a running kiosk', () => {
  afterEach(killStrays);

  it('scans, shows the total, names faults in doctor and on the light, and recovers', async () => {
    const dir = tempDir('kiosk-simcli-');
    expect(kiosk(['sim', 'light', '--data', dir]).stderr).toMatch(/no kiosk is running/);
    const child = kioskAsync(['start', '--data', dir]);
    let ready = '';
    await watchLines(child, (l) => !!(ready = l.startsWith('ready ') ? l : ready));
    expect(ready).toMatch(/lane=in-service simulated=scanner,terminal,printer,display,light listening=control=127\.0\.0\.1:\d+/);
    const info = JSON.parse(fs.readFileSync(path.join(dir, 'control.json'), 'utf8'));
    expect(fs.statSync(path.join(dir, 'control.json')).mode & 0o777).toBe(0o600);
    expect(info.token).toMatch(/^[0-9a-f]{32}$/);
    const sim = (...args: string[]) => kiosk(['sim', ...args, '--data', dir]);
    try {
      const book = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'config', 'starter', 'pricebook.json'), 'utf8'));
      const item = book.items.find((i: { soldByWeight: boolean; ageLimit: number | null; barcodes: string[] }) => !i.soldByWeight && i.ageLimit === null && i.barcodes[0].length === 13);
      expect(sim('scan', item.barcodes[0]).code).toBe(0);
      const total = `TOTAL ¥${(item.unitPrice / 100).toFixed(2)}`;
      await waitFor('the display shows the total', () => sim('display').stdout.includes(total));
      expect(sim('light').stdout).toBe('green steady\n');

      expect(sim('printer', 'paper-out').code).toBe(0);
      const doc = kiosk(['doctor', '--data', dir]);
      expect(doc.code).toBe(1);
      expect(doc.stdout).toMatch(/FAIL\s+printer external.*paper out/);
      expect(doc.stdout).toMatch(/PASS\s+journal verify/);
      await waitFor('red light', () => sim('light').stdout === 'red steady\n');
      expect(sim('printer', 'paper-ok').code).toBe(0);
      await waitFor('green light', () => sim('light').stdout === 'green steady\n');
      expect(kiosk(['doctor', '--data', dir]).code).toBe(0);

      expect(sim('terminal', 'unplug').code).toBe(0);
      await waitFor('doctor names the terminal', () => /FAIL\s+terminal external.*offline/.test(kiosk(['doctor', '--data', dir]).stdout));
      expect(sim('terminal', 'replug').code).toBe(0);
      await waitFor('doctor passes again', () => kiosk(['doctor', '--data', dir]).code === 0, 20_000, 500);

      expect(sim('printer', 'last').stderr).toMatch(/printed nothing yet/);
      expect(sim('terminal', 'explode').code).toBe(2);
    } finally {
      child.kill('SIGTERM');
      expect((await exited(child)).code).toBe(0);
    }
    expect(fs.existsSync(path.join(dir, 'control.json'))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 90_000);
});
