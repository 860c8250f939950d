import { spawnSync } from 'node:child_process';
import { verifyPin } from '../runtime/screen/pin';
import { CLI, ROOT } from './support/cli';

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

const hashBadgeCli = (input: string, id = 'att-7') => spawnSync(process.execPath, [CLI, 'attendant', 'hash-badge', '--id', id], { cwd: ROOT, input, encoding: 'utf8' });

describe('kiosk attendant hash-badge', () => {
  it('prints an attendant.badges entry whose scrypt hash verifies the badge code from stdin, and never the code', async () => {
    const r = hashBadgeCli('ATT0042\n');
    expect(r.status).toBe(0);
    const entry = JSON.parse(r.stdout) as { attendantId: string; hash: string };
    expect(entry.attendantId).toBe('att-7');
    expect(entry.hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(r.stdout + r.stderr).not.toContain('ATT0042');
    expect(await verifyPin('ATT0042', entry.hash)).toBe(true);
    expect(await verifyPin('ATT0043', entry.hash)).toBe(false);
  });

  it('--salt: badges share one salt (a scan then costs one scrypt for all); a bad salt is exit 2', async () => {
    const salt = Buffer.alloc(16, 3).toString('base64');
    const run = (code: string, id: string) => spawnSync(process.execPath, [CLI, 'attendant', 'hash-badge', '--id', id, '--salt', salt], { cwd: ROOT, input: code, encoding: 'utf8' });
    const a = JSON.parse(run('ATT0001\n', 'att-1').stdout) as { hash: string };
    const b = JSON.parse(run('ATT0002\n', 'att-2').stdout) as { hash: string };
    expect(a.hash.split('$')[4]).toBe(salt);
    expect(b.hash.split('$')[4]).toBe(salt);
    expect(await verifyPin('ATT0002', b.hash)).toBe(true);
    expect(await verifyPin('ATT0002', a.hash)).toBe(false);
    const bad = spawnSync(process.execPath, [CLI, 'attendant', 'hash-badge', '--id', 'att-1', '--salt', 'c2hvcnQ='], { cwd: ROOT, input: 'ATT0001\n', encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--salt/);
  });

  it('refuses an empty, overlong or control-character code and a bad attendant id with exit 2', () => {
    for (const bad of ['', '\n', 'A'.repeat(65), 'ATT\x000042']) {
      const r = hashBadgeCli(bad);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/badge code/);
      expect(r.stdout).toBe('');
    }
    const r = hashBadgeCli('ATT0042\n', 'bad id!');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/attendant id/);
  });
});
