/**
 * One kiosk per data dir, and a clean start and stop (issue 13): a second `kiosk start` (or `demo`) on a data dir
 * in use exits 1 with `kiosk already running on DIR (pid N)` and touches nothing — the first keeps serving, its
 * control.json unchanged; read-only commands still work beside it; the lock dies with a SIGKILLed kiosk, so the
 * next start succeeds. A busy screen, health or control port is one clear line (exit 1) with everything already
 * started closed again (the database checkpointed and closed, the lock let go). A clean SIGTERM logs no warning.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { callControl, controlFilePath } from '../device/control-server';
import { exited, kiosk, kioskAsync, killStrays, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';

/** Starts `kiosk start` on `data`, resolving with the child and its ready line (or null if it ended first). */
async function startKiosk(data: string, env: NodeJS.ProcessEnv = {}) {
  const child = kioskAsync(['start', '--data', data], { env });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let ready: string | null = null;
  await watchLines(child, (line) => {
    if (!line.startsWith('ready ')) return false;
    ready = line;
    return true;
  });
  return { child, ready: ready as string | null, stderr: () => stderr };
}

/** A port some other program listens on. */
async function busyPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('one kiosk per data dir', () => {
  afterEach(() => killStrays());

  it('the second start exits 1 naming the first, touching nothing; the lock dies with a SIGKILLed kiosk; a clean stop logs no warning', async () => {
    const data = tempDir('kiosk-lock-e2e-');
    const first = await startKiosk(data);
    expect(first.ready).toMatch(/ listening=control=127\.0\.0\.1:\d+,.*screen=127\.0\.0\.1:\d+,health=127\.0\.0\.1:\d+ /);
    const control = fs.readFileSync(controlFilePath(data));

    const second = kiosk(['start', '--data', data]);
    expect(second).toEqual({ code: 1, stdout: '', stderr: `kiosk already running on ${path.resolve(data)} (pid ${first.child.pid})\n` });
    // a demo would sell on the same database and devices: refused the same way
    const demo = kiosk(['demo', '--data', data]);
    expect({ code: demo.code, stderr: demo.stderr }).toEqual({ code: 1, stderr: `kiosk already running on ${path.resolve(data)} (pid ${first.child.pid})\n` });
    // the first is untouched and keeps serving; read-only commands do not need the lock
    expect(fs.readFileSync(controlFilePath(data)).equals(control)).toBe(true);
    expect((await callControl(data, 'GET', '/status'))?.status).toBe(200);
    expect(kiosk(['orders', 'list', '--data', data]).code).toBe(0);
    expect(first.child.exitCode).toBeNull();

    // killed: no cleanup ran, yet the OS dropped the lock with the process
    first.child.kill('SIGKILL');
    await exited(first.child);
    const third = await startKiosk(data);
    expect(third.ready).toMatch(/^ready /);
    third.child.kill('SIGTERM');
    expect(await exited(third.child)).toEqual({ code: 0, signal: null });
    // a clean stop: no warn or error line (KIOSK_LOG_LEVEL=warn in these tests: stderr is empty)
    expect(third.stderr()).toBe('');
  }, 120_000); // three kiosk processes start and stop in turn: slow on a loaded 2-core machine

  it.each([
    ['screen', 'KIOSK_SCREEN__PORT', 'screen.port'],
    ['health', 'KIOSK_HEALTH__PORT', 'health.port'],
    ['control', 'KIOSK_DEVICES__SIM_CONTROL_PORT', 'devices.simControlPort'],
  ])('a busy %s port: one line naming it and its setting, exit 1, everything started closed again', async (what, env, setting) => {
    const data = tempDir('kiosk-port-');
    const other = await busyPort();
    try {
      const k = await startKiosk(data, { [env]: String(other.port) });
      expect(k.ready).toBeNull();
      expect(await exited(k.child)).toEqual({ code: 1, signal: null });
      const line = `kiosk: ${what} port 127.0.0.1:${other.port} is in use (EADDRINUSE: another kiosk or program listens there) — set ${setting} in the config or ${env} (0 = any free port)\n`;
      expect(k.stderr()).toBe(line);
      // closed, not abandoned: the database (opened unless the health port, bound before the boot, was the busy one)
      // checkpointed and closed (no WAL left), no control.json, the lock let go
      expect(fs.existsSync(path.join(data, 'kiosk.sqlite'))).toBe(what !== 'health');
      expect(fs.existsSync(path.join(data, 'kiosk.sqlite-wal'))).toBe(false);
      expect(fs.existsSync(controlFilePath(data))).toBe(false);
      expect(fs.existsSync(path.join(data, 'kiosk.pid'))).toBe(false);
    } finally {
      await other.close();
    }
  });
});
