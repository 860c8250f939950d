import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tx } from '../../kernel/sqlite/database';
import { RELEASE_VERSION_RE } from '../../protocol/releases/release-offer';
import type { IngestDb } from '../ingest/pg-db';
import { inspectPackage, PackageProblem, type PackageFacts } from './package-file';

/**
 * Releases HQ can offer (schema v19 `releases`): each version once, its package kept content-addressed as
 * `<sha256>.tgz` in the release folder (what `hq release serve` and the offers' URLs name). Publishing the same
 * version with the same package again changes nothing; with another package it is refused (a version names one
 * set of bytes, for ever: a kiosk that verified 1.2.0 once must never find other bytes under that name).
 */

export interface ReleaseRow {
  version: string;
  sha256: string;
  size: number;
  minConfigSchema: number;
  notes: string | null;
  publishedBy: string;
  publishedAt: number;
}

/** The release folder: `--dir`, or `releases/` beside a SQLite database, or `hq-data/releases` for PostgreSQL. */
export function defaultReleaseDir(db: string): string {
  return /^postgres(ql)?:\/\//.test(db) ? path.join('hq-data', 'releases') : path.join(path.dirname(path.resolve(db)), 'releases');
}

/** `<dir>/<sha256>.tgz`. */
export const packagePath = (dir: string, sha256: string): string => path.join(dir, `${sha256}.tgz`);
/** The path the file server answers and the offers' URLs end with. */
export const packageUrlPath = (sha256: string): string => `/releases/files/${sha256}.tgz`;

const toRow = (r: Record<string, unknown>): ReleaseRow => ({
  version: String(r.version),
  sha256: String(r.sha256),
  size: Number(r.size),
  minConfigSchema: Number(r.min_config_schema),
  notes: r.notes === null || r.notes === undefined ? null : String(r.notes),
  publishedBy: String(r.published_by),
  publishedAt: Number(r.published_at),
});

export async function getRelease(db: Pick<Tx, 'get'>, version: string): Promise<ReleaseRow | undefined> {
  const r = await db.get<Record<string, unknown>>('SELECT * FROM releases WHERE version = ?', [version]);
  return r ? toRow(r) : undefined;
}

export async function listReleases(db: Pick<Tx, 'all'>): Promise<ReleaseRow[]> {
  return (await db.all<Record<string, unknown>>('SELECT * FROM releases ORDER BY published_at DESC, version DESC')).map(toRow);
}

export type PublishOutcome =
  | { ok: true; created: boolean; release: ReleaseRow; facts: PackageFacts; file: string }
  | { ok: false; problem: 'bad_version' | 'bad_package' | 'version_mismatch' | 'other_package' | 'bad_schema'; message: string };

export interface PublishRequest {
  file: string;
  version: string;
  minConfigSchema: number;
  notes?: string;
  dir: string;
  actor: string;
  now: number;
}

/**
 * Checks PACKAGE.tgz (./package-file.ts), its package.json version against `version`, copies it into the release
 * folder as `<sha256>.tgz` (written to a temporary name, fsynced, renamed: a reader never sees half a file) and
 * records the release. Idempotent for the same bytes; refused for other bytes under a version already published.
 */
export async function publishRelease(db: IngestDb, r: PublishRequest): Promise<PublishOutcome> {
  if (!RELEASE_VERSION_RE.test(r.version)) return { ok: false, problem: 'bad_version', message: `bad version "${r.version}": expected MAJOR.MINOR.PATCH[-tag]` };
  if (!Number.isSafeInteger(r.minConfigSchema) || r.minConfigSchema < 1) return { ok: false, problem: 'bad_schema', message: `bad minimum config schema ${r.minConfigSchema}: expected an integer ≥ 1` };
  if (r.notes !== undefined && r.notes.length > 2000) return { ok: false, problem: 'bad_package', message: 'notes: at most 2000 characters' };
  let facts: PackageFacts;
  try {
    facts = await inspectPackage(r.file);
  } catch (e) {
    if (e instanceof PackageProblem) return { ok: false, problem: 'bad_package', message: e.message };
    throw e;
  }
  if (facts.version !== r.version) return { ok: false, problem: 'version_mismatch', message: `${r.file}: package.json says version ${facts.version}, not ${r.version}` };
  const known = await getRelease(db.read, r.version);
  if (known && known.sha256 !== facts.sha256) return { ok: false, problem: 'other_package', message: `version ${r.version} was published with another package (sha256 ${known.sha256}); a version names one package for ever: publish a new version` };

  fs.mkdirSync(r.dir, { recursive: true });
  const target = packagePath(r.dir, facts.sha256);
  if (!fs.existsSync(target) || fs.statSync(target).size !== facts.size) {
    const tmp = `${target}.${process.pid}.tmp`;
    fs.copyFileSync(r.file, tmp);
    const fd = fs.openSync(tmp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.chmodSync(tmp, 0o644);
    fs.renameSync(tmp, target);
  }
  if (known) return { ok: true, created: false, release: known, facts, file: target };
  const created = await db.transaction(async (tx) => {
    const again = await getRelease(tx, r.version);
    if (again) return again.sha256 === facts.sha256 ? { row: again, created: false } : null;
    await tx.run('INSERT INTO releases (version, sha256, size, min_config_schema, notes, published_by, published_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      r.version,
      facts.sha256,
      facts.size,
      r.minConfigSchema,
      r.notes ?? null,
      r.actor,
      r.now,
    ]);
    return { row: (await getRelease(tx, r.version))!, created: true };
  });
  if (!created) return { ok: false, problem: 'other_package', message: `version ${r.version} was just published with another package` };
  return { ok: true, created: created.created, release: created.row, facts, file: target };
}
