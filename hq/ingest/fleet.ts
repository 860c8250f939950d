import { parseState, parseTelemetry, type StateMessage, type TelemetryMessage } from '../../protocol/sync/messages';
import { parseTopic } from '../../protocol/topics';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';

/** What HQ knows of one kiosk from its retained `state`, its `telemetry` and its `events`. */
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
}

export interface FleetRow {
  storeId: string;
  deviceId: string;
  online: boolean | null;
  software: string | null;
  configVersion: string | number | null;
  pricebookVersion: string | number | null;
  backlog: number | null;
  lastEventTs: number | null;
  telemetryAgeS: number | null;
  /**
   * `ok`, or the reasons it is not: `quarantined N` (a conflicting chain: HQ refused N entries), `offline`,
   * `out of service at boot: REASON` (the kiosk runs its boot fault shell),
   * `no telemetry`, `stale telemetry`, `backlog N`, `device X: status`.
   */
  health: string;
}

/** Device health words that mean "fine" in the telemetry `devices` map. */
const HEALTHY = new Set(['ok', 'online', 'ready', 'idle', 'connected', 'healthy']);

function deviceFaults(devices: unknown): string[] {
  if (devices === null || typeof devices !== 'object' || Array.isArray(devices)) return [];
  const out: string[] = [];
  for (const [name, v] of Object.entries(devices as Record<string, unknown>)) {
    let status: unknown = v;
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      status = o.status ?? o.state ?? (o.ok === false ? 'fault' : o.ok === true ? 'ok' : undefined);
    }
    if (typeof status === 'boolean') status = status ? 'ok' : 'fault';
    if (typeof status === 'string' && !HEALTHY.has(status.toLowerCase())) out.push(`${name}: ${status}`);
  }
  return out;
}

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

/**
 * The live fleet table: feed it every message of `kiosk/v1/+/+/{state,telemetry,events}`; read it with rows().
 * Rules: a retained empty payload clears nothing; malformed messages are ignored (apply returns false); health is
 * `offline` when the state says so, `stale telemetry` when the last telemetry is older than `staleAfterMs`.
 */
export class FleetView {
  private readonly entries = new Map<string, FleetEntry>();
  constructor(
    private readonly staleAfterMs = 60_000,
    private readonly backlogWarn = 1000,
  ) {}

  apply(topic: string, payload: Buffer | string, now: number): FleetEntry | null {
    const t = parseTopic(topic);
    if (!t || payload.length === 0) return null;
    const key = `${t.storeId}/${t.deviceId}`;
    const entry = this.entries.get(key) ?? { storeId: t.storeId, deviceId: t.deviceId };
    try {
      if (t.leaf === 'state') {
        const next = parseState(payload);
        entry.state = next.online ? next : offlineAfter(entry.state, next);
        entry.stateAt = now;
      } else if (t.leaf === 'telemetry') {
        entry.telemetry = parseTelemetry(payload);
        entry.telemetryAt = now;
      } else if (t.leaf === 'events') {
        const ts = (boundedJsonParse(payload, { maxBytes: JSON_LIMITS.syncMessage }) as { ts?: unknown }).ts;
        if (typeof ts !== 'number') return null;
        entry.lastEventTs = Math.max(entry.lastEventTs ?? 0, ts);
      } else return null;
    } catch {
      return null;
    }
    this.entries.set(key, entry);
    return entry;
  }

  /** Records an already-parsed event's time (cheaper than apply() for the events stream). */
  noteEvent(storeId: string, deviceId: string, ts: number): void {
    const key = `${storeId}/${deviceId}`;
    const entry = this.entries.get(key) ?? { storeId, deviceId };
    entry.lastEventTs = Math.max(entry.lastEventTs ?? 0, ts);
    this.entries.set(key, entry);
  }

  /** HQ put `count` more of this kiosk's entries in quarantine: its health says so until HQ restarts. */
  noteQuarantine(storeId: string, deviceId: string, count: number): void {
    const key = `${storeId}/${deviceId}`;
    const entry = this.entries.get(key) ?? { storeId, deviceId };
    entry.quarantined = (entry.quarantined ?? 0) + count;
    this.entries.set(key, entry);
  }

  get(storeId: string, deviceId: string): FleetEntry | undefined {
    return this.entries.get(`${storeId}/${deviceId}`);
  }

  rows(now: number): FleetRow[] {
    return [...this.entries.values()]
      .sort((a, b) => (a.storeId === b.storeId ? a.deviceId.localeCompare(b.deviceId) : a.storeId.localeCompare(b.storeId)))
      .map((e) => {
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
          else if (!e.telemetry) problems.push('no telemetry');
          else if (now - (e.telemetryAt ?? 0) > this.staleAfterMs) problems.push('stale telemetry');
          if (backlog !== null && backlog >= this.backlogWarn) problems.push(`backlog ${backlog}`);
          if (e.telemetry) problems.push(...deviceFaults(e.telemetry.devices));
        }
        return {
          storeId: e.storeId,
          deviceId: e.deviceId,
          online,
          software: e.state?.software ?? null,
          configVersion: e.state?.configVersion ?? null,
          pricebookVersion: e.state?.pricebookVersion ?? null,
          backlog,
          lastEventTs: e.lastEventTs ?? null,
          telemetryAgeS: age,
          health: problems.length ? problems.join(', ') : 'ok',
        };
      });
  }
}

/** A fixed-width text table of rows(), for a terminal. */
export function renderFleet(rows: FleetRow[]): string {
  const head = ['store', 'device', 'online', 'software', 'config', 'pricebook', 'backlog', 'last event', 'health'];
  const body = rows.map((r) => [
    r.storeId,
    r.deviceId,
    r.online === null ? '?' : r.online ? 'yes' : 'no',
    r.software ?? '-',
    r.configVersion === null ? '-' : String(r.configVersion),
    r.pricebookVersion === null ? '-' : String(r.pricebookVersion),
    r.backlog === null ? '-' : String(r.backlog),
    r.lastEventTs === null ? '-' : new Date(r.lastEventTs).toISOString().replace('T', ' ').slice(0, 19),
    r.health,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}
