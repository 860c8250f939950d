import { spawnSync } from 'node:child_process';
import { verifyPin } from '../runtime/screen/pin';
import { CLI, ROOT } from './helpers/cli';

const hashPin = (input: string, id = 'att-9') => spawnSync(process.execPath, [CLI, 'attendant', 'hash-pin', '--id', id], { cwd: ROOT, input, encoding: 'utf8' });

describe('kiosk attendant hash-pin', () => {
  it('prints an attendant.pins entry whose scrypt hash verifies the PIN from stdin, and never the PIN', async () => {
    const r = hashPin('480913\n');
    expect(r.status).toBe(0);
    const entry = JSON.parse(r.stdout) as { attendantId: string; hash: string };
    expect(entry.attendantId).toBe('att-9');
    expect(entry.hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(r.stdout + r.stderr).not.toContain('480913');
    expect(await verifyPin('480913', entry.hash)).toBe(true);
    expect(await verifyPin('480914', entry.hash)).toBe(false);
  });

  it('refuses a PIN that is not 4-12 digits and a bad attendant id with exit 2', () => {
    for (const bad of ['', '123', '12a4', '1234567890123']) {
      const r = hashPin(`${bad}\n`);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/4-12 digits/);
      expect(r.stdout).toBe('');
    }
    const r = hashPin('1234\n', 'bad id!');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/attendant id/);
  });
});
