import type { KeyObject } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Clock } from '../../kernel/clock';
import type { HqIngest } from '../ingest/ingest';
import type { IngestStore } from '../ingest/store';
import type { Html } from './html';
import type { HqSecretsKey } from '../channels/secrets-key';
import type { ChannelEndpoints } from '../refunds/refunders';

/**
 * The contract between the console core (hq/console: server, sessions, roles, audit, layout, live updates) and the
 * feature modules (hq/fleet, hq/orders, hq/stats, hq/config, …). A feature exports `ROUTES: RouteDef[]` (its
 * routes.ts) and `MESSAGES` (its messages.ts); hq/console/routes.ts lists them all. The core checks the session,
 * the permission, the store scope and (for POST) the CSRF token before a handler runs — for every route.
 */

export const ROLES = ['admin', 'store_manager', 'support', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'fleet.view', // fleet table, kiosk detail, recent events
  'fleet.command', // send a signed command to a kiosk (lock, unlock, print_test, doctor, …)
  'fleet.retire', // retire a kiosk
  'alerts.view',
  'alerts.ack', // acknowledge an alert
  'payments.view', // live payment monitor
  'orders.view', // order search and detail
  'orders.return', // start an after-sales return from an order's page (a signed `return` command to its kiosk)
  'stats.view', // statistics, CSV/PDF export
  'config.view', // config versions, diff, per-kiosk reported state
  'config.publish', // publish, roll back config bundles
  'pricebook.publish', // upload, check and publish a store's price book (admins only; seeing it is config.view)
  'promotions.publish', // upload, check and publish a store's promotions (admins, store managers in their stores; seeing them is config.view)
  'users.view',
  'users.manage', // add, disable, change passwords and roles
  'audit.view', // audit log and its export
  'channels.manage', // payment channel secrets: see ids and fingerprints, set and rotate (admins only)
  'reconcile.view', // reconciliation (对账) runs, discrepancies, fees and settlement
  'reconcile.run', // reconcile an uploaded channel bill or a store's card end-of-day (admins only)
  'members.view', // member records, balances, the points ledger and its conflicts, kiosks' snapshot versions
  'members.adjust', // correct a member's points (admins only; audited)
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * Who may do what. A store manager sees only their stores (the scope); the other roles see every store.
 * Auditors read everything and change nothing.
 */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  store_manager: ['fleet.view', 'fleet.command', 'alerts.view', 'alerts.ack', 'payments.view', 'orders.view', 'orders.return', 'stats.view', 'config.view', 'reconcile.view', 'members.view', 'promotions.publish'],
  support: ['fleet.view', 'fleet.command', 'fleet.retire', 'alerts.view', 'alerts.ack', 'payments.view', 'config.view'],
  auditor: ['fleet.view', 'alerts.view', 'payments.view', 'orders.view', 'stats.view', 'config.view', 'users.view', 'audit.view', 'reconcile.view', 'members.view'],
};

export const can = (role: Role, p: Permission): boolean => ROLE_PERMISSIONS[role].includes(p);

/** The stores a user may see: every store, or a list (store managers). Every query a handler runs filters by it. */
export type StoreScope = { all: true } | { all: false; stores: readonly string[] };

export const inScope = (scope: StoreScope, storeId: string): boolean => scope.all || scope.stores.includes(storeId);

export interface ConsoleUser {
  username: string;
  role: Role;
  /** For store managers: their stores. Empty for the other roles. */
  stores: readonly string[];
}

export const LANGS = ['en', 'zh-CN'] as const;
export type Lang = (typeof LANGS)[number];

/** A message catalogue: key → text, with `{name}` placeholders. Keys are prefixed with the feature (`fleet.title`). */
export type Messages = Record<Lang, Record<string, string>>;
export type Translate = (key: string, vars?: Record<string, string | number>) => string;

export interface ConsoleRequest {
  user: ConsoleUser;
  scope: StoreScope;
  lang: Lang;
  t: Translate;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  /** A POST's urlencoded form fields (or JSON object fields), `_csrf` removed. */
  body: Record<string, string | undefined>;
  /** A POST's bytes when sent as `application/octet-stream` (a file upload; bounded by the console's body limit). */
  raw?: Buffer;
  /** For forms: put {@link csrfField}(req.csrfToken) in every POST form. */
  csrfToken: string;
  ip: string;
}

/** Live-update topics: a page that shows `fleet` data lists `live: ['fleet']` and is refreshed in place when it changes. */
export type LiveTopic = 'fleet' | 'alerts' | 'orders' | 'payments' | 'stats' | 'config' | 'commands' | 'audit';

export type ConsoleReply =
  /** An HTML page inside the console layout (nav, language switch, live updates for `live` topics). */
  | { page: { title: string; body: Html; live?: readonly LiveTopic[] }; status?: number }
  | { json: unknown; status?: number }
  /** 303 See Other (after a POST). */
  | { redirect: string }
  | { file: { name: string; type: string; data: Buffer | string } }
  /** Shown as a page with this status and message (400 bad input, 404 unknown or out of scope, 409, 422). */
  | { error: { status: 400 | 404 | 409 | 422 | 503; message: string } };

export interface RouteDef {
  method: 'GET' | 'POST';
  /** Fastify path, e.g. `/fleet/:store/:device`. */
  path: string;
  permission: Permission;
  /** Names the path param holding a store id: a user whose scope lacks that store gets 404 before the handler runs. */
  storeParam?: string;
  /** A navigation entry for this (GET) page: the message key of its label and its position. */
  nav?: { label: string; order: number };
  handler(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply>;
}

/** The append-only, hash-chained audit log (hq/console/audit). */
export interface AuditLog {
  record(entry: { actor: string; action: string; target?: string; detail?: unknown; ip?: string }): Promise<void>;
}

/** Tells open browsers that data of a topic changed (for a store, or for all). Cheap; never throws. */
export interface LiveHub {
  publish(topic: LiveTopic, storeId?: string): void;
}

/** One alert as its evaluator sees it now. `key` is unique within its source (e.g. `offline:S/D`). */
export interface AlertInput {
  key: string;
  kind: string;
  severity: 'warning' | 'critical';
  storeId?: string;
  deviceId?: string;
  /** In English: CLI output, `hq watch`, JSON, logs, and the console's fallback. */
  message: string;
  /** The same words in the console's languages (stored beside `message`, bounded; see hq/fleet/alert-text.ts). */
  text?: AlertText;
}

/**
 * An alert's words as a message key of the console's catalogue and its parameters, shown in the reader's language.
 * A `{ time }` param is epoch ms, shown with formatTime in the chain's zone; `{ texts }` is a list of nested texts,
 * each translated, joined. Plain strings (kiosk ids, reasons, details) are shown escaped, as they are.
 */
export interface AlertText {
  key: string;
  params?: Readonly<Record<string, AlertParam>>;
}
export type AlertParam = string | number | { time: number } | { texts: readonly AlertText[] };

/** The alerts table (hq/fleet/alerts.ts). */
export interface Alerts {
  /** Makes the open alerts of `source` exactly `active`: new ones are raised, gone ones cleared (history kept). */
  sync(source: string, active: readonly AlertInput[], now: number): Promise<void>;
}

export interface ConsoleSettings {
  /** The chain's zone for days and hours in statistics and searches (IANA). */
  timezone: string;
  /** A kiosk offline longer than this raises an alert. */
  offlineAlertMs: number;
  /** Payment monitor: alert when a channel's decline rate (or unknown rate) over the last hour exceeds these, with at least `minAttempts`. */
  paymentAlert: { declineRate: number; unknownRate: number; minAttempts: number };
}

/**
 * Something a feature runs in the background while `hq serve` runs (an alert evaluator, a config renewer): started
 * once with the context, stopped at shutdown. Timers come from `ctx.clock`.
 */
export type ConsoleService = (ctx: ConsoleContext) => { stop(): Promise<void> };

export interface ConsoleContext {
  store: IngestStore;
  clock: Clock;
  audit: AuditLog;
  live: LiveHub;
  alerts: Alerts;
  settings: ConsoleSettings;
  /** Connected to the fleet's broker when `hq serve` was given one; null otherwise (commands and pushes then answer 503). */
  mqtt: MqttClient | null;
  /** HQ's signing key when `hq serve --key` was given; null otherwise. */
  hqKey: KeyObject | null;
  /**
   * The in-process ingest (`hq serve` runs one when given a broker, unless `--no-ingest`): its `fleet` / `accepted` /
   * `alert` events tell features that data changed. Null without a broker.
   */
  ingest: HqIngest | null;
  /**
   * HQ's secrets key (hq/channels/secrets-key.ts) under which the payment channels' secrets are kept encrypted at
   * rest: `hq serve --secrets-key`, or `hq-secrets.key` beside the SQLite database. Absent: setting them answers 503.
   */
  secretsKey?: HqSecretsKey | null;
  /** The wallet channels' API endpoints for refunds HQ makes itself (`hq serve --channel-endpoints FILE`, hq/refunds); null/absent: none. */
  channelEndpoints?: ChannelEndpoints | null;
}
