/**
 * The HQ console as a manager uses it during an incident, for bench/fleet (issue 17): one logged-in user, one request
 * in flight, a new GET every `periodMs` (start to start; at once when the previous answer came later), the pages in
 * turn (fleet view, alerts, orders, one kiosk). Every answer is recorded in the current window ("idle", "connect
 * burst", …; none: not recorded): requests, errors (non-2xx — a redirect to /login too —, a timeout, a refused
 * connection) and the latency of the 2xx answers (p50 / p95 / max). Every fleet view read also gives the console's own
 * online / total counts (`#count-online`, `#count-total`): when the console showed the whole fleet online again.
 *
 * The bookkeeping (ProbeWindows, percentile, fleetCounts, consoleTable) is pure and unit-tested
 * (console-probe.test.ts); ConsoleProbe is the loop over node's fetch.
 */

import { percentile } from '../percentile';

export type ProbeError = 'timeout' | 'refused' | 'network' | `HTTP ${number}`;

export interface ProbeSample {
  path: string;
  /** Epoch ms the request started. */
  at: number;
  /** Elapsed ms until the whole answer (or the error). */
  ms: number;
  /** null: a 2xx answer, or a 404 of a page the console does not know YET (`unknown`). */
  error: ProbeError | null;
  /** A 404 of a page allowed to be unknown until its first 2xx (the kiosk page before HQ heard of the kiosk). */
  unknown?: true;
}

export interface WindowSummary {
  window: string;
  requests: number;
  errors: number;
  /** Errors by kind and page, e.g. { 'timeout /orders': 2, 'HTTP 502 /fleet': 1 }. */
  errorKinds: Record<string, number>;
  /** 404s of a page not known yet (not errors; their latency counts). */
  unknown: number;
  /** Over every answer that is not an error (NaN when there was none). */
  p50: number;
  p95: number;
  max: number;
  /** When the window opened and closed (epoch ms; closedAt null while open). */
  openedAt: number;
  closedAt: number | null;
}

/** The samples per window, in the order the windows were first opened; a window may be reopened and adds up. */
export class ProbeWindows {
  private current: string | null = null;
  private readonly windows = new Map<string, { samples: ProbeSample[]; openedAt: number; closedAt: number | null }>();

  /** Opens `name` (closing the one open, if any) at `now`; null closes without opening another. */
  open(name: string | null, now: number): void {
    if (this.current !== null) this.windows.get(this.current)!.closedAt = now;
    this.current = name;
    if (name === null) return;
    const w = this.windows.get(name);
    if (w) w.closedAt = null;
    else this.windows.set(name, { samples: [], openedAt: now, closedAt: null });
  }

  /** The window open now (null: none). */
  get openWindow(): string | null {
    return this.current;
  }

  /**
   * Records a sample into the window that was open when its request STARTED (`window`, as the caller noted it then):
   * an answer that outlives its window still counts where it was asked. null: not recorded.
   */
  record(window: string | null, sample: ProbeSample): void {
    if (window === null) return;
    this.windows.get(window)?.samples.push(sample);
  }

  names(): string[] {
    return [...this.windows.keys()];
  }

  summary(name: string): WindowSummary {
    const w = this.windows.get(name);
    const samples = w?.samples ?? [];
    const ok = samples
      .filter((x) => x.error === null)
      .map((x) => x.ms)
      .sort((a, b) => a - b);
    const errorKinds: Record<string, number> = {};
    for (const x of samples) {
      if (x.error === null) continue;
      const kind = `${x.error} ${x.path}`; // which page failed, e.g. `timeout /orders`
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    }
    return {
      window: name,
      requests: samples.length,
      errors: samples.length - ok.length,
      errorKinds,
      unknown: samples.filter((x) => x.unknown).length,
      p50: percentile(ok, 50),
      p95: percentile(ok, 95),
      max: ok.length ? ok[ok.length - 1] : NaN,
      openedAt: w?.openedAt ?? NaN,
      closedAt: w?.closedAt ?? null,
    };
  }
}

/** The fleet view's counters (hq/fleet/fleet-page.ts: `id="count-online"`, `id="count-total"`), null when absent. */
export function fleetCounts(html: string): { online: number; total: number } | null {
  const online = /id="count-online">\s*(\d+)\s*</.exec(html);
  const total = /id="count-total">\s*(\d+)\s*</.exec(html);
  return online && total ? { online: Number(online[1]), total: Number(total[1]) } : null;
}

export interface FleetReading {
  at: number;
  online: number;
  total: number;
}

/**
 * From the fleet view's readings: the first at or after `from` that showed all `n` kiosks online, and the fewest online
 * any reading at or after `since` showed (did the console ever see the fleet go offline?). NaN / null when none.
 */
export function allOnline(readings: readonly FleetReading[], n: number, from: number, since = from): { at: number | null; minOnline: number; readings: number } {
  const after = readings.filter((r) => r.at >= since);
  const first = readings.find((r) => r.at >= from && r.online === n && r.total === n);
  return { at: first ? first.at : null, minOnline: after.length ? Math.min(...after.map((r) => r.online)) : NaN, readings: after.length };
}

/** Markdown rows `| N | K | window | requests | errors | p50 ms | p95 ms | max ms | p50 vs idle |` (header not included). */
export function consoleTable(n: number, k: number, windows: readonly WindowSummary[], idle = 'idle'): string[] {
  const base = windows.find((w) => w.window === idle)?.p50 ?? NaN;
  const ms = (x: number) => (Number.isFinite(x) ? String(Math.round(x)) : '–');
  return windows.map((w) => {
    const kinds = Object.entries(w.errorKinds)
      .map(([kind, c]) => `${c} ${kind}`)
      .join(', ');
    const ratio = Number.isFinite(base) && base > 0 && Number.isFinite(w.p50) ? `×${(w.p50 / base).toFixed(1)}` : '–';
    const unknown = w.unknown ? ` (+${w.unknown} kiosk page 404 before HQ knew the kiosk)` : '';
    return `| ${n} | ${k} | ${w.window} | ${w.requests} | ${w.errors}${kinds ? ` (${kinds})` : ''}${unknown} | ${ms(w.p50)} | ${ms(w.p95)} | ${ms(w.max)} | ${ratio} |`;
  });
}

export const CONSOLE_TABLE_HEAD = ['| N | K | window | requests | errors | p50 ms | p95 ms | max ms | p50 vs idle |', '|---|---|---|---|---|---|---|---|---|'];

// ---- the loop over HTTP

/** Cookies as the console sets them (name → value), sent back on every request. */
class Cookies {
  private readonly jar = new Map<string, string>();
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0];
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }
  header(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

function errorKind(e: unknown): ProbeError {
  const err = e as { name?: string; cause?: { code?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'timeout';
  if (err?.cause?.code === 'ECONNREFUSED') return 'refused';
  return 'network';
}

export interface ConsoleProbeOptions {
  /** `http://127.0.0.1:PORT` */
  base: string;
  /** The paths asked in turn. */
  pages: readonly string[];
  /** Paths whose 404 is an answer, not an error, until their first 2xx (a kiosk's page before HQ heard of it). */
  unknownUntilKnown?: readonly string[];
  /** Start to start (250–500 ms in bench/fleet). */
  periodMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

export class ConsoleProbe {
  readonly windows = new ProbeWindows();
  readonly fleet: FleetReading[] = [];
  private readonly cookies = new Cookies();
  private readonly now: () => number;
  private readonly periodMs: number;
  private readonly timeoutMs: number;
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private next = 0;
  private readonly mayBeUnknown: Set<string>;

  constructor(private readonly opts: ConsoleProbeOptions) {
    this.now = opts.now ?? Date.now;
    this.periodMs = opts.periodMs ?? 300;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.mayBeUnknown = new Set(opts.unknownUntilKnown ?? []);
  }

  /** GET /login (the form's CSRF token and its cookie), POST it; throws unless the console answered with a redirect. */
  async login(username: string, password: string): Promise<void> {
    const form = await fetch(new URL('/login', this.opts.base), { redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
    this.cookies.take(form);
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text());
    if (!token) throw new Error(`console /login: no CSRF token (HTTP ${form.status})`);
    const res = await fetch(new URL('/login', this.opts.base), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookies.header() },
      body: new URLSearchParams({ _csrf: token[1], username, password }).toString(),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    this.cookies.take(res);
    await res.arrayBuffer();
    if (res.status !== 302 && res.status !== 303) throw new Error(`console login as ${username} failed: HTTP ${res.status}`);
  }

  /** One GET, timed; a fleet view read also adds a reading of its counters. */
  async get(path: string): Promise<ProbeSample> {
    const at = this.now();
    let error: ProbeError | null = null;
    let unknown = false;
    try {
      const res = await fetch(new URL(path, this.opts.base), {
        redirect: 'manual',
        headers: { cookie: this.cookies.header() },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      this.cookies.take(res);
      const body = await res.text();
      if (res.status === 404 && this.mayBeUnknown.has(path)) unknown = true;
      else if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
      else this.mayBeUnknown.delete(path);
      if (error === null && !unknown && path === '/fleet') {
        const c = fleetCounts(body);
        if (c) this.fleet.push({ at: this.now(), ...c });
      }
    } catch (e) {
      error = errorKind(e);
    }
    return { path, at, ms: this.now() - at, error, ...(unknown ? { unknown: true as const } : {}) };
  }

  /** Switches the window the next answers count in (null: not recorded); starts the loop if it is not running. */
  window(name: string | null): void {
    this.windows.open(name, this.now());
    this.running ??= this.loop();
  }

  private async loop(): Promise<void> {
    let i = 0;
    while (!this.stopping) {
      const wait = this.next - this.now();
      if (wait > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = null;
        if (this.stopping) break;
      }
      this.next = this.now() + this.periodMs;
      const window = this.windows.openWindow;
      const path = this.opts.pages[i++ % this.opts.pages.length];
      this.windows.record(window, await this.get(path));
    }
  }

  /** Stops the loop after the request in flight (closing the open window); `window()` starts it again. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    this.running = null;
    this.stopping = false;
    this.windows.open(null, this.now());
  }
}
