import type { TimerHandle } from '../../kernel/clock';
import type { AlertInput, AlertText, ConsoleContext, ConsoleService, ConsoleSettings } from '../console/types';
import { keyParam } from './alert-text';
import type { IngestStore } from '../ingest/store';
import { fleetRows } from './fleet-query';
import { configRefusals } from './reported';

/**
 * The fleet's alerts, evaluated from HQ's store (so they hold whether the ingest runs in this process or another):
 *
 * - `offline`: the kiosk's state says offline for longer than `settings.offlineAlertMs`;
 * - `payment_in_doubt`: its telemetry counts payments in doubt, or HQ's `payments` projection has attempts of it
 *   still `unknown` (timed out, not resolved);
 * - `printer_paper_out`: its printer reports paper out;
 * - `backlog_growing`: the outbox backlog rose in each of the last 3 telemetry samples and is ≥ 100;
 * - `config_rejected`: its `config/reported` shows a refused offer;
 * - `journal_gap`: HQ's copy of its journal has a hole that persisted `gapGraceMs`, a chain that does not verify, or
 *   entries in quarantine.
 *
 * Retired kiosks raise nothing. Each message names the kiosk and the cause in plain words, in English, and carries
 * the same words as a `fleet.alerts.text.*` text (hq/fleet/messages.ts) for the console's languages.
 */
export const FLEET_ALERT_SOURCE = 'fleet';
export const FLEET_ALERT_KINDS = ['offline', 'payment_in_doubt', 'printer_paper_out', 'backlog_growing', 'config_rejected', 'journal_gap'] as const;
export type FleetAlertKind = (typeof FLEET_ALERT_KINDS)[number];

/** What the evaluator remembers between runs: telemetry samples and when a journal gap was first seen. */
export interface FleetAlertMemory {
  backlog: Map<string, { at: number; backlog: number }[]>;
  gaps: Map<string, { from: number; since: number }>;
}
export const newFleetAlertMemory = (): FleetAlertMemory => ({ backlog: new Map(), gaps: new Map() });

export const BACKLOG_ALERT_MIN = 100;
const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function alert(kind: FleetAlertKind, severity: AlertInput['severity'], storeId: string, deviceId: string, message: string, text: AlertText): AlertInput {
  return { key: `${kind}:${storeId}/${deviceId}`, kind, severity, storeId, deviceId, message, text };
}

const T = 'fleet.alerts.text.';
const LEVELS: readonly string[] = ['fleet', 'store', 'device'];

/** One refused offer: `store config v3 (SCHEMA: …)`, its level name translated. */
function refusalText(l: { level: string; version: number | null; reason?: string; detail?: string }): AlertText {
  const level = LEVELS.includes(l.level) ? keyParam(`${T}level.${l.level}`) : l.level;
  const version = l.version === null ? '' : ` v${l.version}`; // refused before its signature was checked: no version
  return l.reason
    ? { key: `${T}refusal`, params: { level, version, reason: `${l.reason}${l.detail ? `: ${l.detail}` : ''}` } }
    : { key: `${T}refusalNoReason`, params: { level, version } };
}

/** The fleet alerts active now. */
export async function evaluateFleetAlerts(
  store: IngestStore,
  settings: Pick<ConsoleSettings, 'offlineAlertMs'>,
  now: number,
  memory: FleetAlertMemory,
  opts: { gapGraceMs?: number } = {},
): Promise<AlertInput[]> {
  const gapGraceMs = opts.gapGraceMs ?? 30_000;
  const read = store.db.read;
  const [rows, retiredRows, unknown, gaps, broken, quarantined] = await Promise.all([
    fleetRows(store, { all: true }, {}, now),
    read.all<{ store_id: string; device_id: string }>('SELECT store_id, device_id FROM fleet WHERE retired_at IS NOT NULL'),
    read.all<{ store_id: string; device_id: string; n: number }>("SELECT store_id, device_id, COUNT(*) AS n FROM payments WHERE status = 'unknown' GROUP BY store_id, device_id"),
    read.all<{ store_id: string; device_id: string; contiguous_seq: number; next: number }>(
      `SELECT d.store_id, d.device_id, d.contiguous_seq, MIN(e.seq) AS next FROM devices d
       JOIN sales_events e ON e.store_id = d.store_id AND e.device_id = d.device_id AND e.seq > d.contiguous_seq
       GROUP BY d.store_id, d.device_id, d.contiguous_seq`,
    ),
    read.all<{ store_id: string; device_id: string; chain_error: string | null }>('SELECT store_id, device_id, chain_error FROM devices WHERE chain_ok = 0'),
    read.all<{ store_id: string; device_id: string; n: number; lo: number; hi: number }>(
      'SELECT store_id, device_id, COUNT(*) AS n, MIN(seq) AS lo, MAX(seq) AS hi FROM quarantine GROUP BY store_id, device_id',
    ),
  ]);
  const key = (s: string, d: string) => `${s}/${d}`;
  const retired = new Set(retiredRows.map((r) => key(r.store_id, r.device_id)));
  const out: AlertInput[] = [];
  const inDoubt = new Map<string, number>(unknown.map((u) => [key(u.store_id, u.device_id), Number(u.n)]));
  const seen = new Set<string>();

  for (const r of rows) {
    const k = key(r.storeId, r.deviceId);
    seen.add(k);
    const name = `Kiosk ${k}`;
    if (r.online === false && r.since !== null && now - r.since > settings.offlineAlertMs) {
      out.push(alert('offline', 'critical', r.storeId, r.deviceId, `${name} is offline since ${iso(r.since)}.`, { key: `${T}offline`, params: { kiosk: k, since: { time: r.since } } }));
    }
    const doubt = Math.max(r.paymentsInDoubt, inDoubt.get(k) ?? 0);
    if (doubt > 0) {
      out.push(
        alert(
          'payment_in_doubt',
          'critical',
          r.storeId,
          r.deviceId,
          `${name} has ${doubt} payment${doubt === 1 ? '' : 's'} in doubt: the terminal has not said whether ${doubt === 1 ? 'it was' : 'they were'} paid.`,
          doubt === 1 ? { key: `${T}paymentInDoubtOne`, params: { kiosk: k } } : { key: `${T}paymentInDoubt`, params: { kiosk: k, count: doubt } },
        ),
      );
    }
    if (r.online !== false && r.devices.some((p) => /printer/i.test(p.name) && (p.faults.includes('PAPER_OUT') || /paper.?out/i.test(p.status))) ||
      (r.online !== false && r.lane?.reasons.some((x) => /paper out/i.test(x)))) {
      out.push(alert('printer_paper_out', 'warning', r.storeId, r.deviceId, `${name}: the receipt printer is out of paper.`, { key: `${T}paperOut`, params: { kiosk: k } }));
    }
    // backlog samples: one per telemetry message HQ stored
    const samples = memory.backlog.get(k) ?? [];
    if (r.telemetryAt !== null && r.backlog !== null && samples[samples.length - 1]?.at !== r.telemetryAt) {
      samples.push({ at: r.telemetryAt, backlog: r.backlog });
      memory.backlog.set(k, samples.slice(-3));
    }
    const last3 = memory.backlog.get(k) ?? [];
    if (last3.length === 3 && last3[0].backlog < last3[1].backlog && last3[1].backlog < last3[2].backlog && last3[2].backlog >= BACKLOG_ALERT_MIN) {
      out.push(
        alert('backlog_growing', 'warning', r.storeId, r.deviceId, `${name}: ${last3[2].backlog} journal entries are waiting to reach HQ, and the number keeps growing.`, {
          key: `${T}backlogGrowing`,
          params: { kiosk: k, count: last3[2].backlog },
        }),
      );
    }
    const refused = configRefusals({ v: 1, levels: r.configLevels });
    if (refused.length) {
      const words = refused.map((l) => `${l.level} config${l.version !== null ? ` v${l.version}` : ''}${l.reason ? ` (${l.reason}${l.detail ? `: ${l.detail}` : ''})` : ''}`);
      out.push(alert('config_rejected', 'warning', r.storeId, r.deviceId, `${name} refused ${words.join(', ')}.`, { key: `${T}configRejected`, params: { kiosk: k, refusals: { texts: refused.slice(0, 16).map(refusalText) } } }));
    }
  }

  const journal = new Map<string, { storeId: string; deviceId: string; why: string[]; texts: AlertText[] }>();
  const note = (s: string, d: string, why: string, text: AlertText) => {
    const k = key(s, d);
    const j = journal.get(k) ?? { storeId: s, deviceId: d, why: [], texts: [] };
    j.why.push(why);
    j.texts.push(text);
    journal.set(k, j);
  };
  const gapNow = new Set<string>();
  for (const g of gaps) {
    const k = key(g.store_id, g.device_id);
    const from = Number(g.contiguous_seq) + 1;
    gapNow.add(k);
    const known = memory.gaps.get(k);
    if (!known || known.from !== from) memory.gaps.set(k, { from, since: now });
    else if (now - known.since >= gapGraceMs) {
      note(g.store_id, g.device_id, `HQ is missing journal entries ${from}..${Number(g.next) - 1}`, { key: `${T}journalMissing`, params: { from, to: Number(g.next) - 1 } });
    }
  }
  for (const k of [...memory.gaps.keys()]) if (!gapNow.has(k)) memory.gaps.delete(k);
  for (const b of broken) {
    const error = b.chain_error ? b.chain_error.slice(0, 200) : null;
    note(b.store_id, b.device_id, `its journal chain does not verify at HQ${error ? ` (${error})` : ''}`, error ? { key: `${T}journalBroken`, params: { error } } : { key: `${T}journalBrokenNoDetail` });
  }
  for (const q of quarantined) {
    note(q.store_id, q.device_id, `${Number(q.n)} of its journal entries (seq ${Number(q.lo)}..${Number(q.hi)}) conflict with HQ's copy and are kept in quarantine`, {
      key: `${T}journalQuarantine`,
      params: { count: Number(q.n), from: Number(q.lo), to: Number(q.hi) },
    });
  }
  for (const [k, j] of journal) {
    if (retired.has(k)) continue;
    out.push(alert('journal_gap', 'critical', j.storeId, j.deviceId, `Kiosk ${k}: ${j.why.join('; ')}.`, { key: `${T}journal`, params: { kiosk: k, problems: { texts: j.texts } } }));
  }
  for (const k of [...memory.backlog.keys()]) if (!seen.has(k)) memory.backlog.delete(k);
  return out;
}

/**
 * The alert evaluator as a console service: every `intervalMs` (15 s) on ctx.clock and soon after an ingest
 * `fleet` or `alert` event (at most every `minGapMs`, 2 s, for those); syncs the `fleet` alerts and tells open pages (`alerts`, `fleet`) of the stores whose
 * alerts changed.
 */
export function fleetAlertsService(opts: { intervalMs?: number; gapGraceMs?: number; minGapMs?: number } = {}): ConsoleService {
  return (ctx: ConsoleContext) => {
    const intervalMs = opts.intervalMs ?? 15_000;
    const memory = newFleetAlertMemory();
    let previous = new Map<string, string | undefined>();
    let timer: TimerHandle | null = null;
    let running: Promise<void> | null = null;
    let again = false;
    let stopped = false;

    const evaluate = async (): Promise<void> => {
      const now = ctx.clock.now();
      const active = await evaluateFleetAlerts(ctx.store, ctx.settings, now, memory, opts);
      await ctx.alerts.sync(FLEET_ALERT_SOURCE, active, now);
      const current = new Map(active.map((a) => [`${a.key}\n${a.message}\n${JSON.stringify(a.text ?? null)}`, a.storeId]));
      const changed = new Set<string | undefined>();
      for (const [k, s] of current) if (!previous.has(k)) changed.add(s);
      for (const [k, s] of previous) if (!current.has(k)) changed.add(s);
      previous = current;
      for (const s of changed) {
        ctx.live.publish('alerts', s);
        ctx.live.publish('fleet', s);
      }
    };
    const run = (): void => {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      lastRun = ctx.clock.now();
      running = evaluate()
        .catch((e: unknown) => console.error(`hq console: fleet alerts: ${(e as Error).message}`))
        .finally(() => {
          running = null;
          if (again) {
            again = false;
            run();
          }
        });
    };
    const tick = (): void => {
      run();
      if (!stopped) timer = ctx.clock.setTimeout(tick, intervalMs);
    };
    // a busy fleet sends many changes a second: evaluate at most every `minGapMs` for them (the tick is not held back)
    const minGapMs = opts.minGapMs ?? 2000;
    let lastRun = -Infinity;
    let soon: TimerHandle | null = null;
    const onFleet = (): void => {
      if (soon || stopped) return;
      const wait = lastRun + minGapMs - ctx.clock.now();
      if (wait <= 0) run();
      else
        soon = ctx.clock.setTimeout(() => {
          soon = null;
          run();
        }, wait);
    };
    ctx.ingest?.on('fleet', onFleet);
    ctx.ingest?.on('alert', onFleet);
    tick();
    return {
      async stop() {
        stopped = true;
        if (timer) ctx.clock.clearTimeout(timer);
        if (soon) ctx.clock.clearTimeout(soon);
        ctx.ingest?.off('fleet', onFleet);
        ctx.ingest?.off('alert', onFleet);
        while (running) await running;
      },
    };
  };
}

/** The fleet alert service with its defaults (hq/console/services.ts starts it). */
export const FLEET_ALERTS_SERVICE: ConsoleService = fleetAlertsService();
