import type { DeviceClass, HealthLevel } from '../drivers/contract';
import type { KioskDb } from '../kernel/sqlite/database';
import type { LaneDevices } from '../runtime/supervision/supervisor';
import { verifyJournal } from '../protocol/journal/verify';
import { recallListInForce } from '../runtime/recalls/recall-store';
import { refundsInDoubt } from '../runtime/payments/refund-attempts';

export interface DoctorRow {
  check: string;
  required: boolean;
  ok: boolean;
  reason: string;
}

export interface DoctorReport {
  ok: boolean;
  rows: DoctorRow[];
}

/**
 * Every configured device's health checks (internal and external; interactive ones only when a person is there),
 * the SQLite integrity check and the journal chain. `ok` is false when any required row failed.
 */
export async function runDoctor(
  devices: LaneDevices,
  db: KioskDb,
  opts: {
    required: readonly DeviceClass[];
    interactive?: boolean;
    prompt?: (text: string) => Promise<boolean>;
    /** The wallet channels, when configured: not required to sell (cards still work), so a failure is a warning. */
    wallets?: ReadonlyMap<string, { available(): Promise<boolean> }> | null;
    /** The running lane's lane-wide faults (`storage: disk full …`): each one is a failed required row. */
    faults?: readonly string[];
  },
): Promise<DoctorReport> {
  const rows: DoctorRow[] = (opts.faults ?? []).map((f) => ({ check: 'lane fault', required: true, ok: false, reason: f }));
  for (const [channel, wallet] of opts.wallets ?? []) {
    const up = await wallet.available().catch(() => false);
    rows.push({ check: `qr ${channel} external (signed order query)`, required: false, ok: up, reason: up ? 'answered with a verified signature' : `unreachable or unverifiable: ${channel} payments fail until it answers` });
  }
  const levels: HealthLevel[] = opts.interactive ? ['internal', 'external', 'interactive'] : ['internal', 'external'];
  for (const [cls, dev] of Object.entries(devices) as [DeviceClass, LaneDevices[keyof LaneDevices]][]) {
    if (!dev) continue;
    for (const level of levels) {
      const r = await dev.checkHealth(level, { prompt: opts.prompt }).catch((e: unknown) => ({ ok: false, reason: e instanceof Error ? e.message : String(e) }));
      rows.push({ check: `${cls} ${level} (${dev.info.driver} ${dev.info.id})`, required: opts.required.includes(cls), ok: r.ok, reason: r.reason });
    }
  }
  const integrity = await db.read.all<{ integrity_check: string }>('PRAGMA integrity_check').catch((e: unknown) => [{ integrity_check: String(e) }]);
  const okIntegrity = integrity.length === 1 && integrity[0].integrity_check === 'ok';
  rows.push({ check: 'sqlite integrity_check', required: true, ok: okIntegrity, reason: okIntegrity ? 'ok' : integrity.map((r) => r.integrity_check).join('; ') });
  const j = await verifyJournal(db.read);
  rows.push({ check: 'journal verify', required: true, ok: j.ok, reason: j.ok ? `ok ${j.entries} entries` : `broken at seq ${j.brokenAt}: ${j.reason}` });
  // informational: which recall list HQ last sent the lane (runtime/recalls); none is normal for a store never sent one
  const recalls = await recallListInForce(db.read).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
  rows.push({
    check: 'recall list',
    required: false,
    ok: typeof recalls !== 'string',
    reason: typeof recalls === 'string' ? `unreadable: ${recalls}` : recalls ? `v${recalls.version}: ${recalls.recalls} recall(s), ${recalls.entries} entries, applied ${new Date(recalls.appliedAt).toISOString()}` : 'none received from HQ',
  });
  // a refund whose outcome the terminal / channel never gave: settled by asking (boot, every 30 s, its retry), never sent again
  const doubt = await refundsInDoubt(db).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
  rows.push({
    check: 'refunds in doubt',
    required: false,
    ok: doubt === 0,
    reason:
      typeof doubt === 'string'
        ? `unreadable: ${doubt}`
        : doubt === 0
          ? 'none'
          : `${doubt} refund(s) whose outcome is unknown: the kiosk asks the terminal / channel; do not pay them back another way (what it cannot tell: kiosk refunds decide, or the attendant screen)`,
  });
  return { ok: rows.every((r) => r.ok || !r.required), rows };
}

export function formatDoctor(r: DoctorReport): string {
  const w = Math.max(...r.rows.map((x) => x.check.length), 10);
  const lines = r.rows.map((x) => `${x.ok ? 'PASS' : x.required ? 'FAIL' : 'WARN'}  ${x.check.padEnd(w)}  ${x.reason}`);
  return [...lines, r.ok ? 'doctor: all required checks passed' : 'doctor: required checks failed'].join('\n');
}
