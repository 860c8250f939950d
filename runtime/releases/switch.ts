import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { fsyncPath, writeFileAtomic } from '../../kernel/atomic-file';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import { currentLink, pendingHealthFile, releaseDir } from './layout';

/**
 * The switch between releases: `current` is replaced in one rename (a link made under a temp name, renamed over
 * `current`: a crash leaves the old link or the new one, never none), and the "pending health check" marker is
 * written before it, so the release that starts next knows it is on probation and what to go back to.
 */

/**
 * The exit code that asks systemd to start the kiosk again (kiosk.service `Restart=on-failure` restarts on any exit
 * but 0): 75, EX_TEMPFAIL. The kiosk exits with it after a switch and after a rollback.
 */
export const RELEASE_RESTART_EXIT = 75;

export const pendingHealthSchema = z
  .object({
    v: z.literal(1),
    rollout: z.string(),
    /** The release switched to, and the one to go back to. */
    version: z.string(),
    previous: z.string(),
    /** The database backup made just before the switch (restored on rollback when the schema version changed). */
    backup: z.string().nullable(),
    /** `PRAGMA user_version` of the database at the switch. */
    schemaBefore: z.number().int().min(0),
    switchedAt: z.number().int(),
    /** The new release must pass its health check before this time (switch + updates.healthWindowMs). */
    deadline: z.number().int(),
    /** Starts of the new release so far (one that keeps crashing before its check ends is rolled back). */
    boots: z.number().int().min(0),
    /** Set when the release failed: which check and why (the rollback is under way; the previous release reports it). */
    failed: z.object({ check: z.string(), detail: z.string() }).strict().optional(),
    /** Set once the previous release is back: whether the database backup was restored. */
    restored: z.boolean().optional(),
  })
  .strict();
export type PendingHealth = z.infer<typeof pendingHealthSchema>;

export function readPendingHealth(root: string): PendingHealth | null {
  const file = pendingHealthFile(root);
  if (!fs.existsSync(file)) return null;
  return pendingHealthSchema.parse(boundedJsonParse(fs.readFileSync(file), { maxBytes: JSON_LIMITS.localStateFile }));
}

export function writePendingHealth(root: string, m: PendingHealth): void {
  writeFileAtomic(pendingHealthFile(root), `${JSON.stringify(pendingHealthSchema.parse(m), null, 2)}\n`, 0o600);
}

export function clearPendingHealth(root: string): void {
  fs.rmSync(pendingHealthFile(root), { force: true });
  fsyncPath(path.dirname(pendingHealthFile(root)));
}

/** Points `current` at `releases/<version>` atomically. Throws when that release is not installed. */
export function switchCurrent(root: string, version: string): void {
  if (!fs.statSync(releaseDir(root, version)).isDirectory()) throw new Error(`release ${version} is not installed`);
  const tmp = path.join(root, `.current.${process.pid}.tmp`);
  fs.rmSync(tmp, { force: true });
  // relative: the root can be moved or mounted elsewhere
  fs.symlinkSync(path.join('releases', version), tmp, 'dir');
  fs.renameSync(tmp, currentLink(root));
  fsyncPath(root);
}
