import * as fs from 'node:fs';
import sqlite3 from 'sqlite3';
import type { Clock } from '../../kernel/clock';
import { planRestore, restoreDatabase } from '../db/restore';
import { currentVersion } from './layout';
import { awaitHealthy, type HealthChecks, type HealthOutcome } from './health-check';
import { clearPendingHealth, readPendingHealth, switchCurrent, writePendingHealth, type PendingHealth } from './switch';

/**
 * A release on probation, and the way back (see ./release-agent.ts for the way there).
 *
 * Before the boot (the database not open yet, the data dir locked) — {@link settleBeforeBoot}:
 * - the new release starts: its start is counted; one that started more than `maxBoots` times, or whose window is
 *   over, is rolled back at once (a release that crashes before its check ends must not loop for ever);
 * - the previous release starts after a rollback: the database backup made at the switch is restored when the
 *   schema version changed (migrations are forward-only: the old code cannot read a newer schema), by the same
 *   checked path as `kiosk restore`.
 * After the boot — {@link runProbation}: the health check within the window; pass → the marker is cleared
 * (`healthy`); fail → `current` goes back to the previous release, the failure is kept in the marker and the
 * process restarts; the previous release reports `rolled_back` with the failed check once it is back.
 */

export const DEFAULT_MAX_BOOTS = 3;

export type Settled =
  | { kind: 'none' }
  /** The new release runs on probation: run the health check after the boot. */
  | { kind: 'probation'; marker: PendingHealth }
  /** The previous release is back after a rollback: report `rolled_back`, then clear the marker. */
  | { kind: 'rolled_back'; marker: PendingHealth }
  /** The switch did not complete (a crash between the marker and the link): the old release runs on. */
  | { kind: 'interrupted'; marker: PendingHealth }
  /** Rolled back just now, before the boot: exit with RELEASE_RESTART_EXIT so the previous release starts. */
  | { kind: 'restart'; marker: PendingHealth };

/** `PRAGMA user_version` of a database file (0 when there is none). */
export async function schemaVersionOf(file: string): Promise<number> {
  if (!fs.existsSync(file)) return 0;
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(d)));
  });
  try {
    return await new Promise<number>((resolve, reject) =>
      db.get('PRAGMA user_version', (err, row: { user_version: number } | undefined) => (err ? reject(err) : resolve(row?.user_version ?? 0))),
    );
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

export interface SettleOptions {
  root: string;
  dataDir: string;
  dbFile: string;
  clock: Clock;
  deviceId: string;
  maxBoots?: number;
}

/** Marks the release failed and points `current` back at the previous one (the caller restarts). */
export function rollBackLink(root: string, marker: PendingHealth, failed: { check: string; detail: string }): PendingHealth {
  const m = { ...marker, failed };
  writePendingHealth(root, m);
  switchCurrent(root, marker.previous);
  return m;
}

export async function settleBeforeBoot(o: SettleOptions): Promise<Settled> {
  const marker = readPendingHealth(o.root);
  if (!marker) return { kind: 'none' };
  const current = currentVersion(o.root);
  if (marker.failed) {
    if (current !== marker.previous) switchCurrent(o.root, marker.previous);
    if (marker.restored === undefined) {
      let restored = false;
      if (marker.backup && fs.existsSync(marker.backup) && (await schemaVersionOf(o.dbFile)) !== marker.schemaBefore) {
        const plan = await planRestore(o.dataDir, o.dbFile, marker.backup);
        // forced: the lane sold nothing on probation (it stays closed until healthy); what else the journal got is
        // recorded by the restore as `kiosk storage accept` does, so numbering goes on after what was used
        await restoreDatabase(o.dataDir, o.dbFile, marker.backup, plan, { force: true, clock: o.clock, deviceId: o.deviceId, attendantId: 'release-rollback' });
        restored = true;
      }
      writePendingHealth(o.root, { ...marker, restored });
      return { kind: 'rolled_back', marker: { ...marker, restored } };
    }
    return { kind: 'rolled_back', marker };
  }
  if (current !== marker.version) return { kind: 'interrupted', marker };
  const boots = marker.boots + 1;
  const counted = { ...marker, boots };
  writePendingHealth(o.root, counted);
  const max = o.maxBoots ?? DEFAULT_MAX_BOOTS;
  if (boots > max) return { kind: 'restart', marker: rollBackLink(o.root, counted, { check: 'boot', detail: `release ${marker.version} started ${boots - 1} times without passing its health check` }) };
  if (o.clock.now() > marker.deadline) return { kind: 'restart', marker: rollBackLink(o.root, counted, { check: 'window', detail: `release ${marker.version} started after its health window ended` }) };
  return { kind: 'probation', marker: counted };
}

/** The health check of the release on probation; on failure `current` goes back (the caller restarts). */
export async function runProbation(o: { root: string; marker: PendingHealth; checks: HealthChecks; clock: Clock; intervalMs?: number; signal?: AbortSignal }): Promise<HealthOutcome> {
  const outcome = await awaitHealthy(o.checks, { clock: o.clock, deadline: o.marker.deadline, ...(o.intervalMs ? { intervalMs: o.intervalMs } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  if (outcome.ok) clearPendingHealth(o.root);
  else rollBackLink(o.root, readPendingHealth(o.root) ?? o.marker, { check: outcome.check, detail: outcome.detail });
  return outcome;
}

export { clearPendingHealth };
