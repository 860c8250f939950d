/**
 * systemd's notification protocol (sd_notify(3)): the messages the kiosk builds, when it pings the watchdog, what a
 * failing socket does — and `kiosk start` as systemd sees it through a fake NOTIFY_SOCKET (a real unix datagram
 * socket bound to a temp path): READY=1 with the ready line, STATUS= on lane changes, WATCHDOG=1 every half
 * WATCHDOG_USEC, STOPPING=1 at SIGTERM before the process exits.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SimulatedClock } from '../kernel/clock';
import { laneCondition } from '../runtime/supervision/lane-condition';
import { commandTransport, MAX_STATUS_CHARS, notifyDatagram, sdNotifier, takeNotifyEnv, watchdogIntervalMs, type NotifyTransport } from '../device/sd-notify';
import { notifyListener } from './support/notify-listener';
import { serviceStatus } from '../device/service-status';
import { exited, kiosk, kioskAsync, killStrays, ROOT, watchLines } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { waitFor } from './support/wait';

/** A transport that records what it is given and fails when told to. */
function recorder() {
  const sent: string[] = [];
  let fail: Error | null = null;
  let closed = 0;
  const transport: NotifyTransport = {
    send: (d, done) => {
      sent.push(d.toString('utf8'));
      done(fail ?? undefined);
    },
    close: () => void closed++,
  };
  return { sent, transport, failWith: (e: Error | null) => (fail = e), closed: () => closed };
}

const quietLog = () => {
  const warns: { obj: object; msg: string }[] = [];
  return { warns, log: { warn: (obj: object, msg: string) => void warns.push({ obj, msg }) } };
};

describe('sd_notify messages', () => {
  it('joins KEY=VALUE lines with \\n; a value never spans lines; STATUS is bounded; a bad key is refused', () => {
    expect(notifyDatagram({ READY: '1', STATUS: 'in service' }).toString()).toBe('READY=1\nSTATUS=in service');
    expect(notifyDatagram({ STATUS: 'out of service:\nprinter\r\npaper out' }).toString()).toBe('STATUS=out of service: printer paper out');
    const long = notifyDatagram({ STATUS: 'x'.repeat(5000) }).toString('utf8');
    expect([...long.slice('STATUS='.length)].length).toBe(MAX_STATUS_CHARS);
    expect(() => notifyDatagram({ 'READY\nMAINPID': '1' })).toThrow(/bad key/);
  });

  it('the watchdog interval is half of WATCHDOG_USEC, only for our pid', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: '42' }, 42)).toBe(1000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: '43' }, 42)).toBeNull();
    expect(watchdogIntervalMs({}, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42)).toBeNull();
  });

  it('takeNotifyEnv removes the variables, so no child process notifies in the kiosk\'s name', () => {
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '1000', WATCHDOG_PID: '7', PATH: '/bin' };
    expect(takeNotifyEnv(env)).toEqual({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '1000', WATCHDOG_PID: '7' });
    expect(env).toEqual({ PATH: '/bin' });
  });

  it('the lane as STATUS: in service with devices and HQ, or out of service with the reasons', () => {
    const ok = laneCondition({}, [], null);
    expect(serviceStatus(ok, { ok: 5, total: 5 }, true)).toBe('in service, 5 of 5 devices ok, HQ connected');
    expect(serviceStatus(ok, { ok: 4, total: 5 }, false)).toBe('in service, 4 of 5 devices ok, HQ not connected');
    const out = laneCondition({ printer: { online: true, lifecycle: 'enabled', faults: ['PAPER_OUT'], since: 0 } }, ['printer'], null);
    expect(serviceStatus(out, { ok: 5, total: 5 }, true)).toBe('out of service: printer: paper out, HQ connected');
    expect(serviceStatus(laneCondition({}, [], null, ['storage: disk full']), { ok: 0, total: 0 }, null)).toBe('out of service: storage: disk full');
  });
});

describe('the notifier', () => {
  it('without NOTIFY_SOCKET does nothing', async () => {
    const r = recorder();
    const n = sdNotifier({ env: { WATCHDOG_USEC: '2000000' }, clock: new SimulatedClock(), log: quietLog().log, transport: () => r.transport });
    n.ready('x');
    n.status('y');
    n.stopping();
    await n.close();
    expect(n.enabled).toBe(false);
    expect(r.sent).toEqual([]);
  });

  it('pings WATCHDOG=1 every half WATCHDOG_USEC on the clock, drops repeated STATUS, only pings after STOPPING=1, nothing after close', async () => {
    const clock = new SimulatedClock();
    const r = recorder();
    const n = sdNotifier({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '2000000' }, clock, log: quietLog().log, pid: 9, transport: () => r.transport });
    clock.advance(999);
    expect(r.sent).toEqual([]);
    clock.advance(1);
    expect(r.sent).toEqual(['WATCHDOG=1']);
    n.ready('in service');
    n.status('in service');
    n.status('out of service: printer: paper out');
    clock.advance(2000);
    expect(r.sent).toEqual(['WATCHDOG=1', 'READY=1\nSTATUS=in service', 'STATUS=out of service: printer: paper out', 'WATCHDOG=1', 'WATCHDOG=1']);
    n.stopping();
    n.status('late');
    n.ready('late');
    clock.advance(1000);
    expect(r.sent.slice(5)).toEqual(['STOPPING=1\nSTATUS=stopping', 'WATCHDOG=1']);
    await n.close();
    clock.advance(10_000);
    expect(r.sent).toHaveLength(7);
    expect(r.closed()).toBe(1);
  });

  it('no watchdog pings when WATCHDOG_PID names another process', () => {
    const clock = new SimulatedClock();
    const r = recorder();
    sdNotifier({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '2000000', WATCHDOG_PID: '1' }, clock, log: quietLog().log, pid: 9, transport: () => r.transport });
    clock.advance(10_000);
    expect(r.sent).toEqual([]);
  });

  it('a full socket queue loses one message and notifying goes on', () => {
    const clock = new SimulatedClock();
    const r = recorder();
    const q = quietLog();
    const n = sdNotifier({ env: { NOTIFY_SOCKET: '/busy' }, clock, log: q.log, transport: () => r.transport });
    r.failWith(new Error('Resource temporarily unavailable (os error 11)'));
    n.ready('in service');
    r.failWith(null);
    n.status('out of service');
    expect(r.sent).toEqual(['READY=1\nSTATUS=in service', 'STATUS=out of service']);
    expect(q.warns).toEqual([]);
    expect(n.enabled).toBe(true);
  });

  it('a failed send logs one warning and notifying stops (watchdog included)', () => {
    const clock = new SimulatedClock();
    const r = recorder();
    const q = quietLog();
    const n = sdNotifier({ env: { NOTIFY_SOCKET: '/gone', WATCHDOG_USEC: '2000000' }, clock, log: q.log, transport: () => r.transport });
    r.failWith(new Error('No such file or directory'));
    n.ready('in service');
    clock.advance(10_000);
    n.status('out of service');
    expect(r.sent).toEqual(['READY=1\nSTATUS=in service']);
    expect(q.warns).toEqual([{ obj: { socket: '/gone', err: 'No such file or directory' }, msg: 'systemd notification failed: not notifying any more' }]);
    expect(n.enabled).toBe(false);
    expect(r.closed()).toBe(1);
  });

  it('through systemd-notify to a real datagram socket: delivered in order to a bound path; a missing socket path is one warning, no throw', async () => {
    const dir = tempDir('sd-notify-');
    const l = await notifyListener(dir);
    try {
      const q = quietLog();
      const n = sdNotifier({ env: { NOTIFY_SOCKET: l.socketPath }, clock: new SimulatedClock(), log: q.log });
      n.ready('in service, 5 of 5 devices ok');
      for (let i = 0; i < 5; i++) n.status(`status ${i}`);
      await waitFor('six messages at the socket', () => l.messages.length >= 6);
      expect(l.messages).toEqual([{ READY: '1', STATUS: 'in service, 5 of 5 devices ok' }, ...[0, 1, 2, 3, 4].map((i) => ({ STATUS: `status ${i}` }))]);
      await n.close();

      const gone = sdNotifier({ env: { NOTIFY_SOCKET: path.join(dir, 'nobody.sock') }, clock: new SimulatedClock(), log: q.log });
      expect(() => gone.ready('x')).not.toThrow();
      await waitFor('the warning', () => q.warns.length > 0);
      gone.status('y');
      await gone.close();
      expect(q.warns).toHaveLength(1);
      expect(q.warns[0].obj).toEqual({ socket: path.join(dir, 'nobody.sock'), err: expect.stringMatching(/systemd-notify exited/) });
      expect(q.warns).toEqual(q.warns.slice(0, 1));
    } finally {
      l.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('WATCHDOG=1 comes from the event loop: while the loop is stuck no ping goes out, after it they resume', async () => {
    const dir = tempDir('sd-notify-stuck-');
    const l = await notifyListener(dir);
    try {
      // a process pinging every 50 ms that blocks its event loop for 1 s between two STATUS markers
      const script = `
        const { sdNotifier } = require(${JSON.stringify(path.join(ROOT, 'dist/device/sd-notify.js'))});
        const { SystemClock } = require(${JSON.stringify(path.join(ROOT, 'dist/kernel/clock.js'))});
        const n = sdNotifier({ env: { NOTIFY_SOCKET: process.argv[1], WATCHDOG_USEC: '100000' }, clock: new SystemClock(), log: console });
        setTimeout(() => {
          n.status('blocking');
          const until = Date.now() + 1000;
          while (Date.now() < until);
          n.status('unblocked');
          setTimeout(() => n.close(), 300);
        }, 300);`;
      const child = spawn(process.execPath, ['-e', script, l.socketPath], { stdio: 'inherit' });
      await new Promise((resolve) => child.on('exit', resolve));
      await waitFor('the last datagram', () => l.messages.some((m) => m.STATUS === 'unblocked'));
      const seq = l.messages.map((m) => m.STATUS ?? (m.WATCHDOG ? 'ping' : '?'));
      const from = seq.indexOf('blocking');
      const to = seq.indexOf('unblocked');
      expect(seq.slice(0, from).filter((x) => x === 'ping').length).toBeGreaterThanOrEqual(2);
      expect(seq.slice(from + 1, to)).toEqual([]);
      expect(seq.slice(to + 1).filter((x) => x === 'ping').length).toBeGreaterThanOrEqual(1);
    } finally {
      l.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an abstract @address works too; a missing systemd-notify is an error for the notifier, not a throw', async () => {
    const name = `kiosk-notify-test-${process.pid}`;
    // socat receives datagrams on the abstract address and prints them
    const socat = spawn('socat', ['-u', `ABSTRACT-RECV:${name}`, 'STDOUT']);
    let out = '';
    socat.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    try {
      const transport = commandTransport(`@${name}`);
      // socat binds asynchronously: send until it has it
      await waitFor('the datagram through systemd-notify', async () => {
        await new Promise<void>((resolve) => transport.send(notifyDatagram({ STATUS: 'in service' }), () => resolve()));
        return out.includes('STATUS=in service');
      });
      const err = await new Promise<Error | undefined>((resolve) => commandTransport(`@${name}`, 'no-such-systemd-notify').send(notifyDatagram({ READY: '1' }), resolve));
      expect(err?.message).toMatch(/ENOENT/);
    } finally {
      socat.kill();
    }
  });
});

describe('`kiosk start` under a fake NOTIFY_SOCKET', () => {
  afterEach(killStrays);

  it('READY=1 after the ready line, STATUS= on lane changes, WATCHDOG=1 pings, STOPPING=1 at SIGTERM before exit', async () => {
    const dir = tempDir('sd-notify-start-');
    // one ordered log of what the kiosk printed and what it notified. The ready line went into the pipe before the
    // datagram was sent, so stdout already readable is read in the same poll phase: by setImmediate it is in the log
    const log: string[] = [];
    const l = await notifyListener(dir, (m) => setImmediate(() => log.push(`notify ${Object.entries(m).map(([k, v]) => `${k}=${v}`).join('|')}`)));
    try {
      const data = path.join(dir, 'data');
      const child = kioskAsync(['start', '--data', data], { env: { NOTIFY_SOCKET: l.socketPath, WATCHDOG_USEC: '2000000' } });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
      let readyLine = '';
      void watchLines(child, (line) => {
        log.push(`stdout ${line.split(' ')[0]}`);
        if (line.startsWith('ready ')) readyLine = line;
      });
      {
        await waitFor('READY=1', () => log.some((e) => e.startsWith('notify READY=1')), 60_000);
        expect(readyLine).toMatch(/lane=in-service/);
        const readyAt = log.findIndex((e) => e.startsWith('notify READY=1'));
        expect(log.indexOf('stdout ready')).toBeGreaterThanOrEqual(0);
        expect(log.indexOf('stdout ready')).toBeLessThan(readyAt);
        expect(log.slice(0, readyAt).filter((e) => e.startsWith('notify') && !e.includes('WATCHDOG'))).toEqual([]);
        expect(log[readyAt]).toMatch(/^notify READY=1\|STATUS=in service, \d of \d devices ok/);

        expect(kiosk(['sim', 'printer', 'paper-out', '--data', data]).code).toBe(0);
        await waitFor('STATUS out of service', () => log.some((e) => e === 'notify STATUS=out of service: printer: paper out, HQ connected' || e === 'notify STATUS=out of service: printer: paper out, HQ not connected'));
        expect(kiosk(['sim', 'printer', 'paper-ok', '--data', data]).code).toBe(0);
        await waitFor('STATUS back in service', () => log.slice(log.findIndex((e) => e.includes('printer: paper out'))).some((e) => /^notify STATUS=in service/.test(e)));
        await waitFor('two WATCHDOG=1', () => log.filter((e) => e === 'notify WATCHDOG=1').length >= 2, 10_000);

        child.kill('SIGTERM');
        log.push(`exit ${(await exited(child)).code}`);
        const stoppingAt = log.findIndex((e) => e.startsWith('notify STOPPING=1'));
        expect(stoppingAt).toBeGreaterThan(readyAt);
        expect(stoppingAt).toBeLessThan(log.indexOf('exit 0'));
        expect(log.slice(stoppingAt + 1).filter((e) => e.startsWith('notify') && e !== 'notify WATCHDOG=1')).toEqual([]);
        expect(stderr).not.toMatch(/notification failed/);
      }
    } finally {
      l.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('a storage fault at boot: still READY=1 for systemd (the kiosk is up, out of service), STATUS= says why', async () => {
    const dir = tempDir('sd-notify-fault-');
    const l = await notifyListener(dir);
    try {
      const data = path.join(dir, 'data');
      fs.mkdirSync(data);
      fs.writeFileSync(path.join(data, 'kiosk.sqlite'), Buffer.alloc(8192, 0x5a)); // not a database
      const child = kioskAsync(['start', '--data', data], { env: { NOTIFY_SOCKET: l.socketPath } });
      let readyLine = '';
      void watchLines(child, (line) => {
        if (line.startsWith('ready ')) readyLine = line;
      });
      await waitFor('READY=1', () => l.messages.some((m) => m.READY === '1'), 60_000);
      expect(readyLine).toMatch(/lane=out-of-service .*fault=/);
      const ready = l.messages.find((m) => m.READY === '1')!;
      expect(ready.STATUS).toMatch(/^out of service: storage: .*kiosk\.sqlite is not a SQLite database \(SQLITE_NOTADB\)/);
      child.kill('SIGTERM');
      expect((await exited(child)).code).toBe(0);
      expect(l.messages.filter((m) => !m.WATCHDOG).pop()).toEqual({ STOPPING: '1', STATUS: 'stopping' });
    } finally {
      l.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
