import type { StoreScope } from '../console/types';
import { FleetView, type FleetDbRow, type FleetRow } from '../ingest/fleet';
import type { IngestStore } from '../ingest/store';
import { kioskWhere } from '../console/scope-sql';

export const FLEET_STATES = ['online', 'offline', 'alert', 'retired'] as const;
export type FleetStateFilter = (typeof FLEET_STATES)[number];

export interface FleetFilter {
  store?: string;
  state?: FleetStateFilter;
  device?: string;
  /** Retired kiosks too (a kiosk's own page). */
  includeRetired?: boolean;
}

/** A fleet row as the console shows it: what the kiosk reported, plus HQ's journal and alert view of it. */
export interface ConsoleFleetRow extends FleetRow {
  openAlerts: number;
  /** HQ's journal of the kiosk: the contiguous seq stored and whether its chain verified. */
  journal: { contiguousSeq: number; chainOk: boolean; chainError: string | null } | null;
  /** The kiosk's latest reported step of a software rollout (hq/releases), or null when it never reported one. */
  release: FleetReleaseStep | null;
}

/** What a kiosk last reported of a rollout (`release/reported`, recorded on its `rollout_kiosks` row). */
export interface FleetReleaseStep {
  rollout: string;
  version: string;
  step: string;
  at: number;
  reason: string | null;
  received: number | null;
  total: number | null;
}

interface ReleaseStepRow {
  store_id: string;
  device_id: string;
  rollout_id: string;
  version: string;
  step: string;
  step_ts: number | string;
  reason: string | null;
  received: number | string | null;
  total: number | string | null;
}

/**
 * The fleet as HQ's store knows it, for the user's scope: online/offline since when, versions in force, lane state,
 * device health, backlog, last event, last seen and open alerts. Retired kiosks only with `state: 'retired'`.
 */
export async function fleetRows(store: IngestStore, scope: StoreScope, filter: FleetFilter, now: number): Promise<ConsoleFleetRow[]> {
  const { sql: sqlWhere, params } = kioskWhere(scope, filter);
  const read = store.db.read;
  const [fleet, devices, alerts, releases] = await Promise.all([
    read.all<FleetDbRow>(`SELECT * FROM fleet WHERE ${sqlWhere} ORDER BY store_id, device_id`, params),
    read.all<{ store_id: string; device_id: string; contiguous_seq: number; chain_ok: number; chain_error: string | null; last_event_ts: number | null }>(
      `SELECT store_id, device_id, contiguous_seq, chain_ok, chain_error, last_event_ts FROM devices WHERE ${sqlWhere}`,
      params,
    ),
    read.all<{ store_id: string; device_id: string; n: number }>(
      `SELECT store_id, device_id, COUNT(*) AS n FROM alerts WHERE cleared_at IS NULL AND device_id IS NOT NULL AND ${sqlWhere} GROUP BY store_id, device_id`,
      params,
    ),
    // each kiosk's newest reported step (a kiosk has one row per rollout that ever targeted it: only the newest is
    // read, through rollout_kiosks_by_kiosk; a tie on step_ts is settled below)
    read.all<ReleaseStepRow>(
      `SELECT k.store_id, k.device_id, k.rollout_id, r.version, k.step, k.step_ts, k.reason, k.received, k.total
         FROM rollout_kiosks k JOIN rollouts r ON r.id = k.rollout_id
        WHERE k.step IS NOT NULL AND k.step_ts = (SELECT MAX(o.step_ts) FROM rollout_kiosks o WHERE o.store_id = k.store_id AND o.device_id = k.device_id)
          AND ${kioskWhere(scope, filter, { store: 'k.store_id', device: 'k.device_id' }).sql}`,
      params,
    ),
  ]);
  const view = new FleetView();
  for (const r of fleet) view.load(r);
  const key = (s: string, d: string) => `${s}/${d}`;
  const journal = new Map(devices.map((d) => [key(d.store_id, d.device_id), d]));
  for (const d of devices) if (d.last_event_ts !== null) view.noteEvent(d.store_id, d.device_id, Number(d.last_event_ts));
  const open = new Map(alerts.map((a) => [key(a.store_id, a.device_id), Number(a.n)]));
  const release = latestReleaseSteps(releases);
  const retired = filter.state === 'retired' || filter.includeRetired === true;
  return view
    .rows(now, { includeRetired: retired })
    .map((r): ConsoleFleetRow => {
      const j = journal.get(key(r.storeId, r.deviceId));
      return {
        ...r,
        openAlerts: open.get(key(r.storeId, r.deviceId)) ?? 0,
        journal: j ? { contiguousSeq: Number(j.contiguous_seq), chainOk: Number(j.chain_ok) === 1, chainError: j.chain_error } : null,
        release: release.get(key(r.storeId, r.deviceId)) ?? null,
      };
    })
    .filter((r) => matchesState(r, filter.state));
}

/** Per kiosk (`store/device`), the step it reported last across every rollout that targeted it (by the kiosk's own `ts`). */
export function latestReleaseSteps(rows: readonly ReleaseStepRow[]): Map<string, FleetReleaseStep> {
  const out = new Map<string, FleetReleaseStep>();
  const num = (v: number | string | null) => (v === null ? null : Number(v));
  for (const r of rows) {
    const k = `${r.store_id}/${r.device_id}`;
    const at = Number(r.step_ts);
    const had = out.get(k);
    if (had && had.at >= at) continue;
    out.set(k, { rollout: r.rollout_id, version: r.version, step: r.step, at, reason: r.reason, received: num(r.received), total: num(r.total) });
  }
  return out;
}

/** Whether a fleet row shows under a state filter (no filter: every row fetched). */
export function matchesState(r: ConsoleFleetRow, state: FleetStateFilter | undefined): boolean {
  switch (state) {
    case 'online':
      return r.online === true;
    case 'offline':
      return r.online === false;
    case 'alert':
      return r.openAlerts > 0;
    case 'retired':
      return r.retiredAt !== null;
    default:
      return true;
  }
}

export const FLEET_PAGE_SIZE = 100;

/** One page of rows: `page` is 1-based; a missing, malformed or out-of-range page gives the first or the last page. */
export function fleetPageOf<T>(rows: readonly T[], page: string | undefined, size = FLEET_PAGE_SIZE): { rows: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const asked = page !== undefined && /^\d{1,9}$/.test(page) ? Number(page) : 1;
  const p = Math.min(Math.max(asked, 1), pages);
  return { rows: rows.slice((p - 1) * size, p * size), page: p, pages };
}
