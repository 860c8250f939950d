import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { SerialPort } from 'serialport';
import * as os from 'node:os';
import * as path from 'node:path';
import { findOnPath } from '../kernel/path-presence';
import { PtyPair, sweepStalePtyDirs } from './pty-pair';

/** socat processes serving a pair with this (unique) name. */
const socats = (name: string) => spawnSync('pgrep', ['-f', `^socat PTY.*${name}-host`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;

describe('PtyPair without the tools it needs (one clear error, never a crash)', () => {
  const savedPath = process.env.PATH;
  let bin: string;
  beforeEach(() => (bin = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-ptybin-'))));
  afterEach(() => {
    process.env.PATH = savedPath;
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it('findOnPath finds executables only, in PATH order', () => {
    fs.writeFileSync(path.join(bin, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'plain'), 'not executable', { mode: 0o644 });
    fs.mkdirSync(path.join(bin, 'adir'));
    expect(findOnPath('tool', `/nonexistent${path.delimiter}${bin}`)).toBe(path.join(bin, 'tool'));
    expect(findOnPath('plain', bin)).toBeNull();
    expect(findOnPath('adir', bin)).toBeNull();
    expect(findOnPath('tool', '')).toBeNull();
  });

  it('no socat on PATH: create() rejects saying so, with the fix', async () => {
    process.env.PATH = bin;
    await expect(PtyPair.create('nosocat')).rejects.toThrow(/socat is not installed.*apt-get install socat/);
  });
});

describe('PtyPair (real pseudo-terminals)', () => {
  /** Each step of the story gets its own bound, so a hang names the step instead of a bare test timeout. */
  const step = <T>(what: string, p: Promise<T>, ms = 15_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`step "${what}" did not finish within ${ms} ms`)), ms);
      p.then(
        (v) => (clearTimeout(t), resolve(v)),
        (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
      );
    });

  it('carries bytes both ways, and unplug/replug make the ports vanish and return under the same paths', async () => {
    const pair = await step('create the pair', PtyPair.create('t'));
    const open = (p: string) =>
      new Promise<SerialPort>((resolve, reject) => {
        const port = new SerialPort({ path: p, baudRate: 9600 }, (err) => (err ? reject(err) : resolve(port)));
      });
    const host = await step('open the host end', open(pair.hostPath));
    const errors: Error[] = [];
    host.on('error', (e) => errors.push(e));
    const dev = await step('open the device end', open(pair.devicePath));
    dev.on('error', (e) => errors.push(e)); // the device end vanishes too
    let received = '';
    const got = new Promise<void>((resolve) => dev.on('data', (d: Buffer) => (received += d.toString()).endsWith('\r\n') && resolve()));
    host.write('ping\r\n');
    await step('the bytes reach the device end', got);
    expect(received).toBe('ping\r\n');
    const closed = new Promise((resolve) => host.once('close', resolve));
    host.resume(); // a port notices a vanished pty while it is reading (as every driver is) …
    await step('unplug', pair.unplug());
    expect(fs.existsSync(pair.hostPath)).toBe(false);
    // … when the read fails (EIO); a read may instead see end-of-file again and again (serialport's unixRead retries
    // 0-byte reads, busy, and never closes: one run in ~25 under load hung there), but a write to a pty whose other
    // end is gone always fails, and serialport closes the port on it
    host.write('?', () => undefined);
    await step('the open host port notices the cable is gone', closed);
    await step('replug', pair.replug());
    expect(fs.existsSync(pair.hostPath)).toBe(true);
    if (dev.isOpen) await step('close the device end', new Promise((r) => dev.close(r)));
    await step('close the pair', pair.close());
  }, 90_000);

  it('socat dies with the process that made the pair, even on SIGKILL', async () => {
    const name = `kill${process.pid}`;
    const script = `const { PtyPair } = require(${JSON.stringify(require.resolve('../dist/simulators/pty-pair.js'))}); PtyPair.create('${name}').then(() => console.log('up'));`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('up') && resolve()));
    expect(socats(name)).toBe(1);
    child.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while (socats(name) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(socats(name)).toBe(0);
  });

  it('sweepStalePtyDirs removes the pty dirs of processes that are gone, and only those', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-sweep-'));
    try {
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      const deadPid = Number(dead.stdout);
      const names = [`kiosk-pty-${deadPid}-abc123`, `kiosk-pty-${process.pid}-def456`, `kiosk-pty-${process.ppid}-ghi789`, 'kiosk-pty-XyZ123', 'other-dir'];
      for (const n of names) fs.mkdirSync(path.join(tmp, n, 'inner'), { recursive: true });
      expect(sweepStalePtyDirs(tmp)).toEqual([`kiosk-pty-${deadPid}-abc123`]);
      expect(fs.readdirSync(tmp).sort()).toEqual(names.slice(1).sort());
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a pair lives in a dir named for this process and close() removes it', async () => {
    const pair = await PtyPair.create('named');
    const dir = path.dirname(pair.hostPath);
    expect(path.basename(dir)).toMatch(new RegExp(`^kiosk-pty-${process.pid}-`));
    await pair.close();
    expect(fs.existsSync(dir)).toBe(false);
  });
});
