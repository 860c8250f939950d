import type { TelemetryMessage } from '../../protocol/sync/messages';

/**
 * The lane state and device health in a kiosk's telemetry, read leniently: newer kiosks send `lane`,
 * `peripherals` and `paymentsInDoubt`; older ones only `devices` (their lane condition `{inService, reasons, …}`,
 * or a map of device → status). Strings are cut and lists bounded: this goes into tables.
 */

export type LaneStateName = 'in_service' | 'closed' | 'out_of_service';
export interface LaneView {
  state: LaneStateName;
  reasons: string[];
}
export interface PeripheralView {
  name: string;
  status: string;
  faults: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const strings = (v: unknown, max = 20): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string').slice(0, max).map((s) => s.slice(0, 200)) : [];

/** Device health words that mean "fine". */
export const HEALTHY = new Set(['ok', 'online', 'ready', 'idle', 'connected', 'healthy']);

const LANE_STATES: readonly string[] = ['in_service', 'closed', 'out_of_service'];

/** True when `devices` is an older kiosk's lane condition rather than a map of devices. */
const isLaneCondition = (d: unknown): d is Obj => isObj(d) && typeof d.inService === 'boolean';

export function laneOf(t: TelemetryMessage | undefined): LaneView | null {
  if (!t) return null;
  const lane = (t as unknown as Obj).lane;
  if (isObj(lane) && typeof lane.state === 'string' && LANE_STATES.includes(lane.state)) {
    return { state: lane.state as LaneStateName, reasons: strings(lane.reasons) };
  }
  if (isLaneCondition(t.devices)) return { state: t.devices.inService ? 'in_service' : 'out_of_service', reasons: strings(t.devices.reasons) };
  return null;
}

export function peripheralsOf(t: TelemetryMessage | undefined): PeripheralView[] {
  if (!t) return [];
  const p = (t as unknown as Obj).peripherals;
  if (isObj(p)) {
    return Object.entries(p)
      .slice(0, 20)
      .map(([name, v]) => ({
        name: name.slice(0, 60),
        status: isObj(v) && typeof v.status === 'string' ? v.status.slice(0, 60) : 'unknown',
        faults: isObj(v) ? strings(v.faults) : [],
      }));
  }
  const d = t.devices;
  if (!isObj(d) || isLaneCondition(d)) return [];
  return Object.entries(d)
    .slice(0, 20)
    .flatMap(([name, v]) => {
      let status: unknown = v;
      if (isObj(v)) status = v.status ?? v.state ?? (v.ok === false ? 'fault' : v.ok === true ? 'ok' : undefined);
      if (typeof status === 'boolean') status = status ? 'ok' : 'fault';
      return typeof status === 'string' ? [{ name: name.slice(0, 60), status: status.slice(0, 60), faults: [] }] : [];
    });
}

/** `printer: paper_out`, `printer: PAPER_OUT`: every device that is not fine. */
export function deviceProblems(t: TelemetryMessage | undefined): string[] {
  return peripheralsOf(t).flatMap((p) =>
    p.faults.length ? [`${p.name}: ${p.faults.join(' ')}`] : HEALTHY.has(p.status.toLowerCase()) ? [] : [`${p.name}: ${p.status}`],
  );
}

export function paymentsInDoubtOf(t: TelemetryMessage | undefined): number {
  const n = t ? (t as unknown as Obj).paymentsInDoubt : undefined;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** True when the printer (by name) reports paper out, in the new or the old telemetry. */
export function printerOutOfPaper(t: TelemetryMessage | undefined): boolean {
  const lane = laneOf(t);
  if (lane?.reasons.some((r) => /paper out/i.test(r))) return true;
  return peripheralsOf(t).some((p) => /printer/i.test(p.name) && (p.faults.includes('PAPER_OUT') || /paper.?out/i.test(p.status)));
}
