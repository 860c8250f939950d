import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deviceNumber, pathExists } from './path-presence';

describe('path presence', () => {
  it('tells a present path from a missing one, without rejecting', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'presence-'));
    const file = path.join(dir, 'f');
    expect(await pathExists(file)).toBe(false);
    fs.writeFileSync(file, '');
    expect(await pathExists(file)).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("names a device node's number through a link, and null once the path is gone", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'presence-'));
    const link = path.join(dir, 'tty');
    fs.symlinkSync('/dev/null', link);
    const n = await deviceNumber(link);
    expect(n).toBe(fs.statSync('/dev/null').rdev);
    expect(n).not.toBe(0);
    fs.rmSync(link);
    expect(await deviceNumber(link)).toBeNull();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
