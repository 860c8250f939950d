import { parseState, parseTelemetry, type StateMessage, type TelemetryMessage } from '../../runtime/sync/messages';
import { parseTopic } from '../../runtime/sync/topics';

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
  /** `ok`, or the reasons it is not: `offline`, `no telemetry`, `stale telemetry`, `backlog N`, `device X: status`. */
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
        entry.state = parseState(payload);
        entry.stateAt = now;
      } else if (t.leaf === 'telemetry') {
        entry.telemetry = parseTelemetry(payload);
        entry.telemetryAt = now;
      } else if (t.leaf === 'events') {
        const ts = (JSON.parse(payload.toString()) as { ts?: unknown }).ts;
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
        if (online === false) problems.push('offline');
        else {
          if (!e.telemetry) problems.push('no telemetry');
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
