import { parseState, parseTelemetry, type StateMessage, type TelemetryMessage } from '../../protocol/sync/messages';
import { isValidId, levelsUnderRoot, underRoot } from '../../protocol/topics';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import {
  configInForceLabel,
  configRefusals,
  mergeConfigReported,
  mergePricebookReported,
  readConfigReported,
  readPricebookReported,
  type ConfigReportedView,
  type LevelReport,
  type PricebookReportedView,
} from '../fleet/reported';
import { deviceProblems, laneOf, paymentsInDoubtOf, peripheralsOf, type LaneView, type PeripheralView } from '../fleet/telemetry-view';

/** What a fleet message is about: the sync leaves plus the two retained reports. */
export type FleetKind = 'state' | 'telemetry' | 'events' | 'config' | 'pricebook';

/** Every subscription the fleet view needs (non-shared: retained messages, and each instance keeps the whole view). */
export const FLEET_FILTERS = [
  underRoot('+', '+', 'state'),
  underRoot('+', '+', 'telemetry'),
  underRoot('+', '+', 'config', 'reported'),
  underRoot('+', '+', 'pricebook', 'reported'),
];

/** `kiosk/v1/S/D/{state|telemetry|events|config/reported|pricebook/reported}` → ids and kind; null for anything else. */
export function parseFleetTopic(topic: string): { storeId: string; deviceId: string; kind: FleetKind } | null {
  const parts = levelsUnderRoot(topic);
  if (!parts || parts.length < 3 || parts.length > 4) return null;
  const [storeId, deviceId, a, b] = parts;
  if (!isValidId(storeId) || !isValidId(deviceId) || storeId.startsWith('_') || deviceId.startsWith('_')) return null;
  let kind: FleetKind | null = null;
  if (parts.length === 3 && (a === 'state' || a === 'telemetry' || a === 'events')) kind = a;
  else if (parts.length === 4 && b === 'reported' && (a === 'config' || a === 'pricebook')) kind = a;
  return kind ? { storeId, deviceId, kind } : null;
}

/** What HQ knows of one kiosk from its retained `state`, its `telemetry`, its reports and its `events`. */
export interface FleetEntry {
  storeId: string;
  deviceId: string;
  state?: StateMessage;
  stateAt?: number;
  telemetry?: TelemetryMessage;
  telemetryAt?: number;
  /** `ts` of the newest event seen (the kiosk's clock). */
  lastEventTs?: number;
  /** Entries of this kiosk HQ refused and keeps in quarantine (seen by this process). */
  quarantined?: number;
  /** When the current online / offline period began (the state's ts, else when HQ saw it). */
  since?: number;
  /** HQ's clock at the last message of any kind from the kiosk. */
  lastSeen?: number;
  config?: ConfigReportedView;
  configAt?: number;
  pricebook?: PricebookReportedView;
  pricebookAt?: number;
  retiredAt?: number;
  retiredBy?: string;
  /** The ts of the newest birth (un-retires a kiosk retired before it). */
  birthTs?: number;
  /** The backlog of the last telemetry samples (newest last, at most 3), for "backlog growing". */
  backlogSamples?: number[];
}

/** A row of HQ's `fleet` table. */
export interface FleetDbRow {
  store_id: string;
  device_id: string;
  state: string | null;
  state_at: number | null;
  telemetry: string | null;
  telemetry_at: number | null;
  online: number | null;
  online_since: number | null;
  last_seen: number | null;
  last_event_ts: number | null;
  config_reported: string | null;
  config_reported_at: number | null;
  pricebook_reported: string | null;
  pricebook_reported_at: number | null;
  retired_at: number | null;
  retired_by: string | null;
}

export interface FleetRow {
  storeId: string;
  deviceId: string;
  online: boolean | null;
  /** When the current online/offline period began (epoch ms), null when unknown. */
  since: number | null;
  software: string | null;
  /** The config levels in force (`fleet:1,device:2`): the kiosk's report, else its birth's configVersion. */
  configVersion: string | number | null;
  /** Per level: the version in force and the last offer's outcome. */
  configLevels: LevelReport[];
  /** The price book in force: the last applied report, else the birth's. */
  pricebookVersion: string | number | null;
  /** The last price-book report (`downloading`, `applied`, `rejected` with its reason). */
  pricebookStatus: { version: string | number | null; status: string; reason?: string } | null;
  lane: LaneView | null;
  devices: PeripheralView[];
  paymentsInDoubt: number;
  backlog: number | null;
  lastEventTs: number | null;
  lastSeen: number | null;
  telemetryAgeS: number | null;
  /** HQ's clock when the last telemetry came. */
  telemetryAt: number | null;
  retiredAt: number | null;
  /**
   * `ok`, or the reasons it is not: `quarantined N` (a conflicting chain: HQ refused N entries), `offline`,
   * `out of service at boot: REASON` (the kiosk runs its boot fault shell), `waiting for telemetry` (online for
   * longer than 1.5 telemetry intervals without any), `stale telemetry`, `backlog N`, `device X: status`,
   * `config LEVEL vN rejected: REASON`.
   */
  health: string;
}

/** The kiosk sends telemetry every 60 s (and once at connect): nothing for 1.5 intervals is worth saying. */
export const TELEMETRY_GRACE_MS = 90_000;

/** The boot fault's reason in a state from the kiosk's fault shell (bounded: it is shown in a table), or null. */
function bootFaultOf(state: StateMessage | undefined): string | null {
  const reason: unknown = state?.online ? state.fault?.reason : undefined;
  return typeof reason === 'string' && reason !== '' ? reason.slice(0, 300) : null;
}

/**
 * An offline state (the will or a clean stop) after what HQ knew. The will is composed at the kiosk's connect: when
 * it is older than the last birth, that birth's versions and time stay; a will without versions (an older kiosk's
 * `{"v":1,"online":false}`) keeps the known ones. Either way HQ does not forget an offline kiosk's versions.
 */
function offlineAfter(known: StateMessage | undefined, off: StateMessage): StateMessage {
  if (!known) return off;
  if (known.ts !== undefined && (off.ts === undefined || off.ts < known.ts)) return { ...known, online: false };
  return { ...known, ...off };
}

const parseJson = <T>(text: string | null, parse: (s: string) => T): T | undefined => {
  if (!text) return undefined;
  try {
    return parse(text);
  } catch {
    return undefined;
  }
};
const num = (v: number | string | null | undefined): number | undefined => (v === null || v === undefined ? undefined : Number(v));

/**
 * The fleet table: feed it every message of `kiosk/v1/+/+/{state,telemetry,events,config/reported,
 * pricebook/reported}`; read it with rows(). Rules: a retained empty payload clears nothing; malformed messages are
 * ignored (apply returns null); health is `offline` when the state says so, `stale telemetry` when the last
 * telemetry is older than `staleAfterMs`. A retired kiosk is left out of rows() until a newer birth.
 */
export class FleetView {
  private readonly entries = new Map<string, FleetEntry>();
  constructor(
    private readonly staleAfterMs = TELEMETRY_GRACE_MS,
    private readonly backlogWarn = 1000,
  ) {}

  private entry(storeId: string, deviceId: string): FleetEntry {
    const key = `${storeId}/${deviceId}`;
    let e = this.entries.get(key);
    if (!e) this.entries.set(key, (e = { storeId, deviceId }));
    return e;
  }

  /**
   * Takes one message. `retained`: the broker replayed a stored message (at subscribe), which says nothing about
   * when the kiosk was last heard from — last seen is not moved by it unless nothing better is known.
   */
  apply(topic: string, payload: Buffer | string, now: number, retained = false): FleetEntry | null {
    const t = parseFleetTopic(topic);
    if (!t || payload.length === 0) return null;
    const known = this.entries.get(`${t.storeId}/${t.deviceId}`);
    const entry: FleetEntry = known ? { ...known } : { storeId: t.storeId, deviceId: t.deviceId };
    try {
      if (t.kind === 'state') {
        const next = parseState(payload);
        const wasOnline = entry.state?.online;
        if (next.online) {
          const ts = typeof next.ts === 'number' && Number.isFinite(next.ts) ? next.ts : now;
          if (wasOnline !== true || ts > (entry.birthTs ?? -Infinity)) entry.since = ts;
          entry.birthTs = Math.max(entry.birthTs ?? ts, ts);
          if (entry.retiredAt !== undefined && ts > entry.retiredAt) {
            entry.retiredAt = undefined;
            entry.retiredBy = undefined;
          }
          entry.state = next;
        } else {
          // a clean stop carries its own time; a will is as old as its connect: then HQ's time is the best there is
          const clean = typeof next.ts === 'number' && Number.isFinite(next.ts) && (entry.birthTs === undefined || next.ts > entry.birthTs);
          if (wasOnline !== false) entry.since = clean ? next.ts : entry.state ? now : (next.ts ?? now);
          entry.state = offlineAfter(entry.state, next);
        }
        entry.stateAt = now;
      } else if (t.kind === 'telemetry') {
        entry.telemetry = parseTelemetry(payload);
        entry.telemetryAt = now;
        entry.backlogSamples = [...(entry.backlogSamples ?? []), entry.telemetry.backlog].slice(-3);
      } else if (t.kind === 'events') {
        const ts = (boundedJsonParse(payload, { maxBytes: JSON_LIMITS.syncMessage }) as { ts?: unknown }).ts;
        if (typeof ts !== 'number') return null;
        entry.lastEventTs = Math.max(entry.lastEventTs ?? 0, ts);
      } else if (t.kind === 'config') {
        const merged = mergeConfigReported(entry.config, payload);
        if (!merged) return null;
        entry.config = merged;
        entry.configAt = now;
      } else {
        const merged = mergePricebookReported(entry.pricebook, payload);
        if (!merged) return null;
        entry.pricebook = merged;
        entry.pricebookAt = now;
      }
    } catch {
      return null;
    }
    if (!retained || entry.lastSeen === undefined) entry.lastSeen = now;
    this.entries.set(`${t.storeId}/${t.deviceId}`, entry);
    return entry;
  }

  /** Records an already-parsed event's time (cheaper than apply() for the events stream). */
  noteEvent(storeId: string, deviceId: string, ts: number, now?: number): FleetEntry {
    const entry = this.entry(storeId, deviceId);
    entry.lastEventTs = Math.max(entry.lastEventTs ?? 0, ts);
    if (now !== undefined) entry.lastSeen = Math.max(entry.lastSeen ?? 0, now);
    return entry;
  }

  /** HQ put `count` more of this kiosk's entries in quarantine: its health says so until HQ restarts. */
  noteQuarantine(storeId: string, deviceId: string, count: number): void {
    const entry = this.entry(storeId, deviceId);
    entry.quarantined = (entry.quarantined ?? 0) + count;
  }

  /** A user retired the kiosk: it leaves rows() until a birth newer than `at`. */
  retire(storeId: string, deviceId: string, at: number, by: string): void {
    const entry = this.entry(storeId, deviceId);
    entry.retiredAt = at;
    entry.retiredBy = by;
  }

  /** Takes a row of HQ's `fleet` table (HQ restarted: it knows the fleet at once). */
  load(r: FleetDbRow): FleetEntry {
    const entry = this.entry(r.store_id, r.device_id);
    const state = parseJson(r.state, parseState);
    if (state) {
      entry.state = state;
      entry.stateAt = num(r.state_at);
      if (state.online && typeof state.ts === 'number') entry.birthTs = state.ts;
    }
    const telemetry = parseJson(r.telemetry, parseTelemetry);
    if (telemetry) {
      entry.telemetry = telemetry;
      entry.telemetryAt = num(r.telemetry_at);
    }
    entry.since = num(r.online_since) ?? entry.since;
    entry.lastSeen = num(r.last_seen) ?? entry.lastSeen;
    if (r.last_event_ts !== null) entry.lastEventTs = Math.max(entry.lastEventTs ?? 0, Number(r.last_event_ts));
    entry.config = readConfigReported(r.config_reported) ?? entry.config;
    entry.configAt = num(r.config_reported_at) ?? entry.configAt;
    entry.pricebook = readPricebookReported(r.pricebook_reported) ?? entry.pricebook;
    entry.pricebookAt = num(r.pricebook_reported_at) ?? entry.pricebookAt;
    entry.retiredAt = num(r.retired_at);
    entry.retiredBy = r.retired_by ?? undefined;
    return entry;
  }

  /**
   * What only HQ's store knows (`hq watch --db`): the last event and last seen times and retirement. A kiosk this
   * view has no state of yet is taken whole from the row.
   */
  mergeStored(r: FleetDbRow): void {
    const known = this.entries.get(`${r.store_id}/${r.device_id}`);
    if (!known?.state) {
      this.load(r);
      return;
    }
    if (r.last_event_ts !== null) known.lastEventTs = Math.max(known.lastEventTs ?? 0, Number(r.last_event_ts));
    if (r.last_seen !== null) known.lastSeen = Math.max(known.lastSeen ?? 0, Number(r.last_seen));
    const retiredAt = num(r.retired_at);
    // a birth this view saw after the retirement un-retires (HQ's ingest will write the same)
    if (retiredAt !== undefined && (known.birthTs ?? -Infinity) > retiredAt) return;
    known.retiredAt = retiredAt;
    known.retiredBy = r.retired_by ?? undefined;
  }

  get(storeId: string, deviceId: string): FleetEntry | undefined {
    return this.entries.get(`${storeId}/${deviceId}`);
  }

  entriesList(): FleetEntry[] {
    return [...this.entries.values()];
  }

  /** The fleet, sorted by store and device; retired kiosks only with `includeRetired`. */
  rows(now: number, opts: { includeRetired?: boolean } = {}): FleetRow[] {
    return [...this.entries.values()]
      .filter((e) => opts.includeRetired || e.retiredAt === undefined)
      .sort((a, b) => (a.storeId === b.storeId ? a.deviceId.localeCompare(b.deviceId) : a.storeId.localeCompare(b.storeId)))
      .map((e) => rowOf(e, now, this.staleAfterMs, this.backlogWarn));
  }
}

/** One kiosk's row: what is in force, how it is, what is wrong. */
export function rowOf(e: FleetEntry, now: number, staleAfterMs = TELEMETRY_GRACE_MS, backlogWarn = 1000): FleetRow {
  const online = e.state ? e.state.online : null;
  const age = e.telemetryAt !== undefined ? Math.round((now - e.telemetryAt) / 1000) : null;
  const backlog = e.telemetry ? e.telemetry.backlog : null;
  const problems: string[] = [];
  if (e.quarantined) problems.push(`quarantined ${e.quarantined}`);
  if (online === false) problems.push('offline');
  else {
    const boot = bootFaultOf(e.state);
    // a kiosk that could not boot (device/fault-presence.ts) sends no telemetry: its state says why
    if (boot) problems.push(`out of service at boot: ${boot}`);
    else if (!e.telemetry) {
      // the birth was just seen: telemetry comes at connect and every 60 s — not a problem yet
      if (online === true && now - (e.stateAt ?? now) > staleAfterMs) problems.push('waiting for telemetry');
      else if (online === null) problems.push('no state');
    } else if (now - (e.telemetryAt ?? 0) > staleAfterMs) problems.push('stale telemetry');
    if (backlog !== null && backlog >= backlogWarn) problems.push(`backlog ${backlog}`);
    problems.push(...deviceProblems(e.telemetry));
  }
  for (const r of configRefusals(e.config)) problems.push(`config ${r.level} v${r.version ?? '?'} rejected${r.reason ? `: ${r.reason}` : ''}`);
  if (e.pricebook?.status === 'rejected') problems.push(`price book ${e.pricebook.version ?? '?'} rejected${e.pricebook.reason ? `: ${e.pricebook.reason}` : ''}`);
  const pb = e.pricebook;
  return {
    storeId: e.storeId,
    deviceId: e.deviceId,
    online,
    since: e.since ?? null,
    software: e.state?.software ?? null,
    configVersion: configInForceLabel(e.config) ?? e.state?.configVersion ?? null,
    configLevels: e.config?.levels ?? [],
    pricebookVersion: pb?.inForce ?? e.state?.pricebookVersion ?? null,
    pricebookStatus: pb ? { version: pb.version, status: pb.status, ...(pb.reason ? { reason: pb.reason } : {}) } : null,
    lane: laneOf(e.telemetry),
    devices: peripheralsOf(e.telemetry),
    paymentsInDoubt: paymentsInDoubtOf(e.telemetry),
    backlog,
    lastEventTs: e.lastEventTs ?? null,
    lastSeen: e.lastSeen ?? null,
    telemetryAgeS: age,
    telemetryAt: e.telemetryAt ?? null,
    retiredAt: e.retiredAt ?? null,
    health: problems.length ? problems.join(', ') : 'ok',
  };
}

const stamp = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));

/** A fixed-width text table of rows(), for a terminal. */
export function renderFleet(rows: FleetRow[]): string {
  const head = ['store', 'device', 'online', 'software', 'config', 'pricebook', 'backlog', 'last event', 'since', 'last seen', 'health'];
  const body = rows.map((r) => [
    r.storeId,
    r.deviceId,
    r.retiredAt !== null ? 'retired' : r.online === null ? '?' : r.online ? 'yes' : 'no',
    r.software ?? '-',
    r.configVersion === null ? '-' : String(r.configVersion),
    r.pricebookVersion === null ? '-' : String(r.pricebookVersion),
    r.backlog === null ? '-' : String(r.backlog),
    stamp(r.lastEventTs),
    stamp(r.since),
    stamp(r.lastSeen),
    r.health,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}
