import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { SimulatedClock } from '../../kernel/clock';
import { IngestStore } from '../../hq/ingest/store';
import { buildConsole, type ConsoleOptions } from '../../hq/console/server';
import type { AlertInput, ConsoleContext, LiveTopic } from '../../hq/console/types';
import { Postgres } from './postgres';
import { tmpDir } from './sync-fixtures';

/** Ingest stores for console tests: a SQLite file and a database on a throw-away PostgreSQL server (shared per file). */
export interface ConsoleBackend {
  name: 'SQLite' | 'PostgreSQL';
  open(): Promise<IngestStore>;
}

let pg: Promise<Postgres> | null = null;
let pgDbs = 0;
const dirs: string[] = [];

/** Where a fresh ingest store goes, per dialect: a new SQLite file, or a new database on the file's PostgreSQL server. */
export const INGEST_TARGETS: [ConsoleBackend['name'], () => Promise<string>][] = [
  [
    'SQLite',
    async () => {
      const dir = tmpDir('hq-console-');
      dirs.push(dir);
      return path.join(dir, 'hq.sqlite');
    },
  ],
  [
    'PostgreSQL',
    async () => {
      pg ??= Postgres.start();
      const server = await pg;
      const name = `console_${process.pid}_${++pgDbs}`;
      const admin = new Client({ connectionString: server.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      return server.url.replace(/\/postgres$/, `/${name}`);
    },
  ],
];

export const CONSOLE_BACKENDS: ConsoleBackend[] = INGEST_TARGETS.map(([name, fresh]) => ({ name, open: async () => IngestStore.open(await fresh()) }));

/** Call from afterAll: stops the PostgreSQL server and removes the SQLite folders. */
export async function closeConsoleBackends(): Promise<void> {
  if (pg) await (await pg).close();
  pg = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export interface Recorded {
  audit: { actor: string; action: string; target?: string; detail?: unknown; ip?: string }[];
  live: { topic: LiveTopic; storeId?: string }[];
  logs: { message: string; cause?: unknown }[];
}

/** A console on `store` with a simulated clock, an in-memory audit log and live hub, driven by `app.inject`. */
export async function consoleFixture(store: IngestStore, opts: ConsoleOptions = {}, start = Date.UTC(2026, 11, 6, 9, 0)): Promise<{ app: FastifyInstance; ctx: ConsoleContext; clock: SimulatedClock; rec: Recorded }> {
  const clock = new SimulatedClock(start);
  const rec: Recorded = { audit: [], live: [], logs: [] };
  const ctx: ConsoleContext = {
    store,
    clock,
    audit: { record: async (e) => void rec.audit.push(e) },
    live: { publish: (topic, storeId) => void rec.live.push({ topic, storeId }) },
    alerts: { sync: async (_s: string, _a: readonly AlertInput[]) => undefined },
    settings: { timezone: 'UTC', offlineAlertMs: 5 * 60_000, paymentAlert: { declineRate: 0.3, unknownRate: 0.1, minAttempts: 10 } },
    mqtt: null,
    hqKey: null,
    ingest: null,
  };
  const app = await buildConsole(ctx, { log: (message, cause) => void rec.logs.push({ message, cause }), ...opts });
  await app.ready();
  return { app, ctx, clock, rec };
}

/** One browser against an injected console: keeps cookies and the last CSRF token seen in a page. */
export class InjectBrowser {
  readonly cookies = new Map<string, string>();
  csrf = '';
  constructor(private readonly app: FastifyInstance) {}

  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await this.app.inject({
      method,
      url,
      headers: {
        host: 'hq.test',
        ...(cookie ? { cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      payload: form ? new URLSearchParams(form).toString() : undefined,
    });
    // (light-my-request's `cookies` getter loads the ESM-only `cookie` package, which jest cannot: parsed here)
    const raw = r.headers['set-cookie'];
    for (const c of raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)]) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value === '' || /max-age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(r.body);
    if (token) this.csrf = token[1];
    return r;
  }
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.request('GET', url, undefined, headers);
  }
  /** A form POST carrying the last CSRF token seen (unless the form sets `_csrf` itself). */
  post(url: string, form: Record<string, string> = {}, headers?: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.request('POST', url, { _csrf: this.csrf, ...form }, headers);
  }
  async login(username: string, password: string): Promise<LightMyRequestResponse> {
    await this.get('/login');
    return this.post('/login', { username, password });
  }
  get session(): string | undefined {
    return this.cookies.get('hq_session');
  }
}
