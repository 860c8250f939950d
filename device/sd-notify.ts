import { spawn } from 'node:child_process';
import type { Clock, TimerHandle } from '../kernel/clock';

/**
 * The systemd notification protocol (sd_notify(3), "systemd.service Type=notify"): the service manager passes the
 * path of an AF_UNIX SOCK_DGRAM socket in `NOTIFY_SOCKET`; the service sends it datagrams of newline-separated
 * `KEY=VALUE` assignments — `READY=1` when start-up is done, `STATUS=…` free text shown by `systemctl status`,
 * `WATCHDOG=1` keep-alive pings (needed at least every `WATCHDOG_USEC` microseconds when the unit sets `WatchdogSec=`;
 * sd_watchdog_enabled(3) advises half of it), `STOPPING=1` when shutdown begins. A leading `@` in NOTIFY_SOCKET is an
 * address in the Linux abstract namespace.
 *
 * Node has no unix datagram socket, and the native modules that add one ship per-platform prebuilt packages that a
 * lockfile made on one machine cannot always name for the others (the arm64 one of a Raspberry Pi included). So each
 * message goes through systemd's own `systemd-notify` tool, one at a time and in order. The tool is a short-lived
 * child process: systemd accepts its messages with `NotifyAccess=all` (the shipped unit sets it), and the tool waits
 * (BARRIER=1) until the manager has read each one, so a message is never dropped because its sender already exited
 * (the race `--no-block` has, systemd-notify(1)). Sending never throws into the kiosk: the first failure logs one
 * warning and notifying stops.
 */

/** What the notifier reads from the environment (sd_notify(3), sd_watchdog_enabled(3)). */
export interface NotifyEnv {
  NOTIFY_SOCKET?: string;
  WATCHDOG_USEC?: string;
  WATCHDOG_PID?: string;
}

/** How one datagram leaves; `done` gets the error when it could not be delivered. */
export interface NotifyTransport {
  send(datagram: Buffer, done: (err?: Error) => void): void;
  close(): void;
}

interface WarnLog {
  warn(obj: object, msg: string): void;
}

/** A STATUS text longer than this is cut (systemctl shows one line; a datagram must stay small). */
export const MAX_STATUS_CHARS = 400;
/** Send errors that lose one message but say nothing about the next (the manager's queue is full for a moment). */
const TRANSIENT = /EAGAIN|EWOULDBLOCK|ENOBUFS|temporarily unavailable|would block|no buffer space/i;
/** How long close() waits for datagrams still on their way. */
const CLOSE_WAIT_MS = 2000;
const KEY = /^[A-Z][A-Z0-9_]*$/;

/**
 * One notification datagram: `KEY=VALUE` lines joined by `\n`. A value never spans lines (a newline would start a
 * new assignment), so line breaks become spaces; STATUS is cut to MAX_STATUS_CHARS.
 */
export function notifyDatagram(fields: Readonly<Record<string, string>>): Buffer {
  const lines = Object.entries(fields).map(([key, value]) => {
    if (!KEY.test(key)) throw new Error(`sd_notify: bad key ${JSON.stringify(key)}`);
    let v = value.replace(/[\r\n]+/g, ' ');
    if (key === 'STATUS' && v.length > MAX_STATUS_CHARS) v = `${v.slice(0, MAX_STATUS_CHARS - 1)}…`;
    return `${key}=${v}`;
  });
  return Buffer.from(lines.join('\n'), 'utf8');
}

/**
 * How often to send WATCHDOG=1, in ms: half of WATCHDOG_USEC, or null when the watchdog is not enabled for this
 * process — WATCHDOG_USEC unset or not a positive integer, or WATCHDOG_PID set to another pid (sd_watchdog_enabled(3)).
 */
export function watchdogIntervalMs(env: NotifyEnv, pid: number): number | null {
  const usec = env.WATCHDOG_USEC;
  if (!usec || !/^\d+$/.test(usec) || Number(usec) <= 0) return null;
  const forPid = env.WATCHDOG_PID;
  if (forPid !== undefined && forPid !== '' && forPid !== String(pid)) return null;
  return Math.max(1, Math.floor(Number(usec) / 2000));
}

/** Reads the notification variables and removes them from process.env, so no child process notifies in our name. */
export function takeNotifyEnv(env: NodeJS.ProcessEnv = process.env): NotifyEnv {
  const taken: NotifyEnv = { NOTIFY_SOCKET: env.NOTIFY_SOCKET, WATCHDOG_USEC: env.WATCHDOG_USEC, WATCHDOG_PID: env.WATCHDOG_PID };
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  return taken;
}

/** At most this many messages wait for `systemd-notify`; beyond it a message is dropped as on a full socket queue. */
const MAX_QUEUED = 16;

/**
 * Any address (a path, or `@abstract`) through the `systemd-notify` tool: one process per message, one at a time, so
 * the manager sees them in the order they were sent.
 */
export function commandTransport(address: string, command = 'systemd-notify'): NotifyTransport {
  const queue: { datagram: Buffer; done: (err?: Error) => void }[] = [];
  let busy = false;
  let closed = false;
  const next = (): void => {
    const job = queue.shift();
    if (!job) {
      busy = false;
      return;
    }
    busy = true;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      job.done(err);
      next();
    };
    try {
      const child = spawn(command, job.datagram.toString('utf8').split('\n'), { env: { ...process.env, NOTIFY_SOCKET: address }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-500)));
      child.on('error', (e) => finish(e));
      child.on('close', (code) => finish(code === 0 ? undefined : new Error(`${command} exited ${code}: ${stderr.trim()}`)));
    } catch (e) {
      finish(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return {
    send(datagram, done) {
      if (closed) return done(new Error('notifier closed'));
      if (queue.length >= MAX_QUEUED) return done(new Error(`EAGAIN: ${MAX_QUEUED} messages already wait for ${command}`));
      queue.push({ datagram, done });
      if (!busy) next();
    },
    close() {
      closed = true;
    },
  };
}

export interface SdNotifier {
  /** False when NOTIFY_SOCKET is unset (not under systemd) or after the first failed send. */
  readonly enabled: boolean;
  /** READY=1, with the lane's status (nothing once stopping). */
  ready(status: string): void;
  /** STATUS=…, only when it differs from the last one sent (nothing once stopping). */
  status(text: string): void;
  /** STOPPING=1 (and a last STATUS); after it only watchdog pings, until close(). */
  stopping(status?: string): void;
  /** Stops the watchdog, waits (bounded) for the messages on their way, and closes the transport. */
  close(): Promise<void>;
}

/**
 * Notifies systemd when NOTIFY_SOCKET is set, else does nothing. WATCHDOG=1 goes out at half of WATCHDOG_USEC from
 * a timer on the clock, i.e. from the event loop: a loop that is stuck sends none, and systemd restarts the kiosk.
 */
export function sdNotifier(opts: { env: NotifyEnv; clock: Clock; log: WarnLog; pid?: number; transport?: (address: string) => NotifyTransport }): SdNotifier {
  const address = opts.env.NOTIFY_SOCKET;
  if (!address) return { enabled: false, ready: () => undefined, status: () => undefined, stopping: () => undefined, close: () => Promise.resolve() };
  const { clock, log } = opts;
  const transport = (opts.transport ?? commandTransport)(address);
  let enabled = true;
  let lastStatus: string | null = null;
  let stopping = false;
  let timer: TimerHandle | null = null;
  const pending = new Set<Promise<void>>();
  const stopWatchdog = () => {
    if (timer) clock.clearTimeout(timer);
    timer = null;
  };
  const send = (fields: Record<string, string>) => {
    if (!enabled) return;
    const sent = new Promise<void>((resolve) =>
      transport.send(notifyDatagram(fields), (err) => {
        resolve();
        // a full socket queue drops this one message; only a socket that is not there (or refuses) ends notifying
        if (!err || !enabled || TRANSIENT.test(err.message)) return;
        enabled = false;
        stopWatchdog();
        log.warn({ socket: address, err: err.message }, 'systemd notification failed: not notifying any more');
        transport.close();
      }),
    );
    pending.add(sent);
    void sent.then(() => pending.delete(sent));
  };
  const every = watchdogIntervalMs(opts.env, opts.pid ?? process.pid);
  if (every !== null) {
    const ping = () => {
      timer = null;
      send({ WATCHDOG: '1' });
      if (enabled) timer = clock.setTimeout(ping, every);
    };
    timer = clock.setTimeout(ping, every);
  }
  return {
    get enabled() {
      return enabled;
    },
    ready(status) {
      if (stopping) return;
      lastStatus = status;
      send({ READY: '1', STATUS: status });
    },
    status(text) {
      if (stopping || text === lastStatus) return;
      lastStatus = text;
      send({ STATUS: text });
    },
    stopping(status = 'stopping') {
      if (stopping) return;
      stopping = true;
      // the watchdog pings go on until close(): a long shutdown is not a hung one
      lastStatus = status;
      send({ STOPPING: '1', STATUS: status });
    },
    async close() {
      stopWatchdog();
      // bounded: a send whose callback never came must not hold the shutdown
      let wait: TimerHandle | null = null;
      await Promise.race([Promise.all([...pending]), new Promise<void>((resolve) => (wait = clock.setTimeout(resolve, CLOSE_WAIT_MS)))]);
      if (wait) clock.clearTimeout(wait);
      if (!enabled) return;
      enabled = false;
      transport.close();
    },
  };
}
