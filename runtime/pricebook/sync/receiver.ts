import { createHash } from 'node:crypto';
import type { Clock } from '../../../kernel/clock';
import { applyPriceBookDeltaTx, importPriceBookInProcess, type ProcessHooks } from '../import';
import { discardShadowBook, dropRetiredBook, ShadowBookVanished } from '../shadow-book';
import type { KioskDb, Tx } from '../../../kernel/sqlite/database';
import { isKioskError } from '../../../kernel/errors';
import { clip } from '../../../kernel/json/bounded-format';
import { decodeDeltaChunk } from '../../../protocol/pricebook/chunk-codec';
import { claimedManifestVersion, compareVersions, parseManifest, type PricebookManifest, type VerifyManifest } from '../../../protocol/pricebook/manifest';

/** Where one price-book version stands, for reporting to HQ. */
export interface PricebookStatus {
  version: string;
  status: 'receiving' | 'applied' | 'rejected';
  /** Chunks stored so far (all of them once applied). */
  received: number;
  total: number;
  /**
   * Why it was rejected: the verifier's reason (e.g. bad signature), `invalid_manifest`, `not_newer`,
   * `version_conflict`, `base_mismatch`, `hash_mismatch`, `invalid_book`, `apply_failed` (applying threw something
   * other than a validation or storage error) or `resume_failed` (resume() at boot could not finish it).
   */
  reason?: string;
  detail?: string;
  /** For a manifest refused before it could be believed (`version` ''), the version it claimed (unverified). */
  claimedVersion?: string;
}

export type ChunkDropReason = 'unknown_version' | 'bad_index' | 'bad_hash';

export interface ChunkOutcome {
  result: 'stored' | 'ignored' | 'dropped';
  reason?: ChunkDropReason;
  /** The transfer the chunk belongs to, after the chunk (null for an unknown version). */
  status: PricebookStatus | null;
}

export type PricebookReport =
  | { type: 'status'; status: PricebookStatus }
  | { type: 'chunk_dropped'; version: string; index: number; reason: ChunkDropReason; detail: string };

export interface PricebookReceiverDeps {
  db: KioskDb;
  clock: Clock;
  deviceId: string;
  /** Signature check of the raw manifest message (protocol/signed-envelope.ts `verifyEnvelope`, kind 'pricebook'). */
  verifyManifest: VerifyManifest;
  /** Every status change and every dropped chunk, for the HQ report topic and the log. */
  onReport?: (report: PricebookReport) => void;
  /** The tax classes configured now: a book with an item of another class is rejected (`invalid_book`). */
  taxClasses?: () => readonly string[];
  /** Tests: sees the build process of a full book (e.g. to stop it). */
  buildHooks?: Pick<ProcessHooks, 'onChild'>;
}

interface TransferRow {
  version: string;
  manifest: string;
  status: PricebookStatus['status'];
  reason: string | null;
  detail: string | null;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Collects a price book pushed from HQ and applies it. Rules:
 *
 * - A manifest is accepted only if `verifyManifest` vouches for it, it is well-formed and its version is newer
 *   (compareVersions) than the last book this receiver applied (`not_newer`; the very manifest of the book in
 *   force, re-delivered, just returns `applied`); a newer manifest supersedes an incomplete older one (its chunks
 *   are deleted); one older than the book being received is rejected (`not_newer`).
 * - A delta is accepted only while the catalog's `pricebook_version` equals its `baseVersion` (`base_mismatch`),
 *   checked again inside the applying transaction.
 * - A chunk is stored (in SQLite, so a restart keeps it) only if its bytes match the sha256 and length in the
 *   manifest; otherwise it is dropped and reported. Duplicates are ignored.
 * - When the last chunk is in, the sha256 of all chunks is checked, then the book is applied one chunk at a time:
 *   full → decoded, validated and inserted by a build process (build-process.ts), built beside the catalog in short background
 *   transactions and switched in, with the transfer marked
 *   `applied`, by one short transaction (importPriceBook, runtime/pricebook/shadow-book.ts) — the lane's writes go
 *   first meanwhile and its lookups read the old book until the switch; delta → upserts/deletes in order in one
 *   background transaction. Any failure leaves the old book and the version is `rejected` (its chunks deleted).
 *
 * Calls are serialized, so messages may be offered as they arrive. After a restart call `resume()` once: it drops
 * what a crash mid-build left (shadow or replaced tables) and finishes a complete transfer.
 */
export class PricebookReceiver {
  private queue: Promise<unknown> = Promise.resolve();
  /** Parsed manifest of the transfer being received, to avoid re-parsing it for every chunk. */
  private cached: { version: string; manifest: PricebookManifest } | null = null;

  constructor(private readonly deps: PricebookReceiverDeps) {}

  /** Offers a manifest message exactly as received. Returns the resulting status of its version. */
  offerManifest(raw: Buffer): Promise<PricebookStatus> {
    return this.serial(() => this.manifest(raw));
  }

  /**
   * What a manifest message says about its place in HQ's order — its version and when HQ signed it — checked as
   * offerManifest checks it (signature, then shape) but touching nothing: null when it does not verify or is not a
   * manifest. subscribe.ts uses it to follow the manifest HQ published last (newest-manifest.ts).
   */
  manifestOrder(raw: Buffer): { version: string; issuedAt: number | null } | null {
    const v = this.deps.verifyManifest(raw);
    if (!v.ok) return null;
    const p = parseManifest(v.manifest);
    if (!p.ok) return null;
    return { version: p.manifest.version, issuedAt: typeof v.issuedAt === 'number' && Number.isFinite(v.issuedAt) ? v.issuedAt : null };
  }

  /** Offers one chunk message (from topic `.../pricebook/{version}/{index}`). */
  offerChunk(version: string, index: number, raw: Buffer): Promise<ChunkOutcome> {
    return this.serial(() => this.chunk(version, index, raw));
  }

  /** Indexes of the chunks of the transfer being received that are not stored yet ([] when none is). */
  missing(): Promise<number[]> {
    return this.serial(async () => {
      const cur = await this.receiving();
      if (!cur) return [];
      const have = await this.deps.db.read.all<{ idx: number }>('SELECT idx FROM pricebook_chunks WHERE version = ? ORDER BY idx', [cur.version]);
      const got = new Set(have.map((r) => r.idx));
      return cur.manifest.chunks.map((c) => c.index).filter((i) => !got.has(i));
    });
  }

  /** The transfer being received, else the most recently updated one; null before any manifest. */
  status(): Promise<PricebookStatus | null> {
    return this.serial(async () => {
      const row = await this.deps.db.read.get<TransferRow>(
        "SELECT * FROM pricebook_transfers ORDER BY status = 'receiving' DESC, updated_at DESC, rowid DESC LIMIT 1",
      );
      return row ? this.statusOf(row) : null;
    });
  }

  /**
   * After a restart: applies a transfer whose chunks were all stored before the process stopped. Never rejects (it
   * runs at every boot): a transfer that cannot be resumed is abandoned — marked `rejected` with reason
   * `resume_failed` and reported — and the kiosk sells on with the book in force. Only when the database itself
   * fails (it cannot even record that) is the transfer left `receiving`, reported, for the next boot to retry.
   */
  resume(): Promise<PricebookStatus | null> {
    return this.serial(async () => {
      let version = '';
      try {
        // a crash mid-build or before the replaced book was dropped: the book in force is whole; the leftovers go
        await discardShadowBook(this.deps.db);
        await dropRetiredBook(this.deps.db);
        const cur = await this.receiving();
        if (!cur) return null;
        version = cur.version;
        const row = await this.row(cur.version);
        const status = await this.statusOf(row as TransferRow);
        return status.received === status.total ? await this.apply(cur.manifest) : status;
      } catch (e) {
        return this.abandon(version, e);
      }
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private report(r: PricebookReport): void {
    this.deps.onReport?.(r);
  }

  /** resume() failed with `e`: the transfer is marked rejected (`resume_failed`) if the database lets us, and reported. */
  private async abandon(version: string, e: unknown): Promise<PricebookStatus> {
    this.cached = null;
    const detail = clip(e instanceof Error ? `${e.name}: ${e.message}` : String(e), 300);
    let recorded = false;
    if (!isStorageError(e)) {
      try {
        if (version === '') {
          version = (await this.deps.db.read.get<{ version: string }>("SELECT version FROM pricebook_transfers WHERE status = 'receiving'"))?.version ?? '';
        }
        await this.deps.db.transaction((tx) => finish(tx, version, 'rejected', 'resume_failed', detail, this.deps.clock.now()));
        recorded = version !== '';
      } catch {
        /* the database refuses even this: left receiving for the next boot, reported below */
      }
    }
    const status: PricebookStatus = { version, status: recorded ? 'rejected' : 'receiving', received: 0, total: 0, reason: 'resume_failed', detail };
    this.report({ type: 'status', status });
    return status;
  }

  private reject(version: string, reason: string, detail: string, total = 0): PricebookStatus {
    const status: PricebookStatus = { version, status: 'rejected', received: 0, total, reason, detail };
    this.report({ type: 'status', status });
    return status;
  }

  private async manifest(raw: Buffer): Promise<PricebookStatus> {
    const v = this.deps.verifyManifest(raw);
    if (!v.ok) {
      const claimed = claimedManifestVersion(raw);
      const status: PricebookStatus = { version: '', status: 'rejected', received: 0, total: 0, reason: v.reason, detail: v.detail ?? '', ...(claimed ? { claimedVersion: claimed } : {}) };
      this.report({ type: 'status', status });
      return status;
    }
    const p = parseManifest(v.manifest);
    if (!p.ok) {
      const version = (v.manifest as { version?: unknown } | null)?.version;
      return this.reject(typeof version === 'string' ? version : '', 'invalid_manifest', p.detail);
    }
    const m = p.manifest;
    const mJson = JSON.stringify(m);
    const existing = await this.row(m.version);
    // the retained manifest of the book in force, again after a reconnect: a repeat, not a rejection
    if (existing?.status === 'applied' && existing.manifest === mJson) return this.statusOf(existing);
    const applied = await this.lastApplied();
    if (applied !== null && compareVersions(m.version, applied) <= 0) {
      return this.reject(m.version, 'not_newer', `version ${m.version} is not newer than the applied ${applied}`, m.chunkCount);
    }
    if (existing && existing.manifest !== mJson) {
      if (existing.status === 'receiving') {
        return this.reject(m.version, 'version_conflict', `a different manifest for ${m.version} is being received`, m.chunkCount);
      }
    } else if (existing && (existing.status === 'receiving' || (existing.status === 'rejected' && existing.reason !== 'base_mismatch'))) {
      return this.statusOf(existing); // a repeat (e.g. the retained manifest after a reconnect)
    }
    const cur = await this.receiving();
    if (cur && cur.version !== m.version && compareVersions(m.version, cur.version) < 0) {
      return this.reject(m.version, 'not_newer', `version ${m.version} is older than ${cur.version}, being received`, m.chunkCount);
    }
    const current = await this.catalogVersion();
    const baseOk = m.kind === 'full' || m.baseVersion === current;
    const now = this.deps.clock.now();
    await this.deps.db.transaction(async (tx) => {
      // superseded: an incomplete older transfer (not by a delta that cannot apply), and any earlier outcome for this version
      await tx.run(`DELETE FROM pricebook_transfers WHERE version = ?${baseOk ? " OR status = 'receiving'" : ''}`, [m.version]);
      await tx.run(
        `INSERT INTO pricebook_transfers (version, kind, base_version, manifest, status, reason, detail, received_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          m.version,
          m.kind,
          m.baseVersion ?? null,
          mJson,
          baseOk ? 'receiving' : 'rejected',
          baseOk ? null : 'base_mismatch',
          baseOk ? null : `delta needs base ${m.baseVersion ?? ''}, catalog is at ${current ?? 'none'}`,
          now,
          now,
        ],
      );
    });
    if (baseOk) this.cached = { version: m.version, manifest: m };
    if (baseOk && m.chunkCount === 0) return this.apply(m);
    const status = await this.statusOf((await this.row(m.version)) as TransferRow);
    this.report({ type: 'status', status });
    return status;
  }

  private async chunk(version: string, index: number, raw: Buffer): Promise<ChunkOutcome> {
    const row = await this.row(version);
    if (!row) return this.drop(version, index, 'unknown_version', 'no manifest for this version', null);
    const status = await this.statusOf(row);
    if (row.status !== 'receiving') return { result: 'ignored', status }; // applied or rejected already
    const m = (await this.receiving())?.manifest as PricebookManifest;
    const ref = Number.isSafeInteger(index) ? m.chunks[index] : undefined;
    if (!ref) return this.drop(version, index, 'bad_index', `the manifest lists ${m.chunkCount} chunks`, status);
    const got = sha256(raw);
    if (got !== ref.sha256 || raw.length !== ref.bytes) {
      return this.drop(version, index, 'bad_hash', `expected sha256 ${ref.sha256} (${ref.bytes} bytes), got ${got} (${raw.length} bytes)`, status);
    }
    const r = await this.deps.db.transaction((tx) =>
      tx.run('INSERT OR IGNORE INTO pricebook_chunks (version, idx, data) VALUES (?, ?, ?)', [version, index, raw]),
    );
    const after = await this.statusOf(row);
    if (r.changes === 0) return { result: 'ignored', status: after }; // a duplicate
    if (after.received === after.total) return { result: 'stored', status: await this.apply(m) };
    return { result: 'stored', status: after };
  }

  private drop(version: string, index: number, reason: ChunkDropReason, detail: string, status: PricebookStatus | null): ChunkOutcome {
    this.report({ type: 'chunk_dropped', version, index, reason, detail });
    return { result: 'dropped', reason, status };
  }

  /** Checks the whole-book hash, then applies the book (full: built, then switched in); a failure rejects the version. */
  private async apply(m: PricebookManifest): Promise<PricebookStatus> {
    const { db, clock, deviceId } = this.deps;
    const whole = createHash('sha256');
    for (const c of m.chunks) {
      const r = await db.read.get<{ data: Buffer }>('SELECT data FROM pricebook_chunks WHERE version = ? AND idx = ?', [m.version, c.index]);
      if (r) whole.update(r.data);
    }
    let failure: { reason: string; detail: string } | null = null;
    const digest = whole.digest('hex');
    if (digest !== m.sha256) failure = { reason: 'hash_mismatch', detail: `chunks hash to ${digest}, the manifest says ${m.sha256}` };
    else {
      const source = `hq:${m.version}`;
      const taxClasses = this.deps.taxClasses?.();
      // only the newest applied version is needed to order later manifests
      const applied = async (tx: Tx) => {
        await finish(tx, m.version, 'applied', null, null, clock.now());
        await tx.run("DELETE FROM pricebook_transfers WHERE version <> ? AND status <> 'receiving'", [m.version]);
      };
      try {
        if (m.kind === 'full') {
          // built beside the book in force in short background transactions, switched in with `applied` in one
          // read, checked, encoded and inserted by the build process (the lane keeps its threads): chunks handed over one by one
          let next = 0;
          const nextChunk = async () => {
            const c = m.chunks[next++];
            if (!c) return null;
            const r = await db.read.get<{ data: Buffer }>('SELECT data FROM pricebook_chunks WHERE version = ? AND idx = ?', [m.version, c.index]);
            if (!r) throw new Error(`chunk ${c.index} of ${m.version} vanished`);
            return { index: c.index, data: r.data };
          };
          await importPriceBookInProcess(db, { kind: 'chunks' }, { clock, deviceId, version: m.version, source, taxClasses }, { inSwitch: applied, nextChunk, ...this.deps.buildHooks });
        } else {
          await db.transaction(
            async (tx) => {
              const cur = (await tx.get<{ value: string }>("SELECT value FROM meta WHERE key = 'pricebook_version'"))?.value ?? null;
              if (cur !== m.baseVersion) throw new BaseMismatch(`delta needs base ${m.baseVersion ?? ''}, catalog is at ${cur ?? 'none'}`);
              const baseVersion = m.baseVersion;
              await applyPriceBookDeltaTx(tx, chunksIn(tx, m, decodeDeltaChunk), { clock, deviceId, version: m.version, baseVersion, source, taxClasses });
              await applied(tx);
            },
            { background: true },
          );
        }
      } catch (e) {
        if (e instanceof BaseMismatch) failure = { reason: 'base_mismatch', detail: e.message };
        else if (isKioskError(e, 'PRICEBOOK_INVALID')) failure = { reason: 'invalid_book', detail: clip(e.message, 300) };
        // e.g. the disk, or another build dropped ours: stays 'receiving', resume() retries
        else if (isStorageError(e) || e instanceof ShadowBookVanished) throw e;
        // anything else the book made happen (it is data from outside): the book is refused, never retried forever
        else failure = { reason: 'apply_failed', detail: clip(e instanceof Error ? `${e.name}: ${e.message}` : String(e), 300) };
      }
    }
    if (failure) {
      const f = failure;
      await db.transaction((tx) => finish(tx, m.version, 'rejected', f.reason, f.detail, clock.now()));
    }
    this.cached = null;
    const status = await this.statusOf((await this.row(m.version)) as TransferRow);
    this.report({ type: 'status', status });
    return status;
  }

  private async row(version: string): Promise<TransferRow | undefined> {
    return this.deps.db.read.get<TransferRow>('SELECT * FROM pricebook_transfers WHERE version = ?', [version]);
  }

  private async receiving(): Promise<{ version: string; manifest: PricebookManifest } | null> {
    const row = await this.deps.db.read.get<TransferRow>("SELECT * FROM pricebook_transfers WHERE status = 'receiving'");
    if (!row) return (this.cached = null);
    if (this.cached?.version !== row.version) this.cached = { version: row.version, manifest: JSON.parse(row.manifest) as PricebookManifest };
    return this.cached;
  }

  private async lastApplied(): Promise<string | null> {
    const rows = await this.deps.db.read.all<{ version: string }>("SELECT version FROM pricebook_transfers WHERE status = 'applied'");
    return rows.map((r) => r.version).reduce<string | null>((a, b) => (a === null || compareVersions(b, a) > 0 ? b : a), null);
  }

  private async catalogVersion(): Promise<string | null> {
    return (await this.deps.db.read.get<{ value: string }>("SELECT value FROM meta WHERE key = 'pricebook_version'"))?.value ?? null;
  }

  private async statusOf(row: TransferRow): Promise<PricebookStatus> {
    const total = this.cached?.version === row.version ? this.cached.manifest.chunkCount : (JSON.parse(row.manifest) as PricebookManifest).chunkCount;
    let received = row.status === 'applied' ? total : 0;
    if (row.status === 'receiving') {
      received = (await this.deps.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM pricebook_chunks WHERE version = ?', [row.version]))?.n ?? 0;
    }
    return {
      version: row.version,
      status: row.status,
      received,
      total,
      ...(row.reason !== null ? { reason: row.reason } : {}),
      ...(row.detail !== null ? { detail: row.detail } : {}),
    };
  }
}

class BaseMismatch extends Error {}

/** An error of the database rather than of the book: worth retrying once the disk or file is fine again. */
function isStorageError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_') || code === 'DB_CLOSED' || code.startsWith('STORAGE'));
}

async function finish(tx: Tx, version: string, status: 'applied' | 'rejected', reason: string | null, detail: string | null, now: number): Promise<void> {
  await tx.run('UPDATE pricebook_transfers SET status = ?, reason = ?, detail = ?, updated_at = ? WHERE version = ?', [status, reason, detail, now, version]);
  await tx.run('DELETE FROM pricebook_chunks WHERE version = ?', [version]);
}

/** The records of a delta, one decompressed chunk at a time, inside the applying transaction. */
async function* chunksIn<T>(tx: Tx, m: PricebookManifest, decode: (gz: Buffer, index: number) => T[]): AsyncGenerator<T[]> {
  for (const c of m.chunks) {
    const r = await tx.get<{ data: Buffer }>('SELECT data FROM pricebook_chunks WHERE version = ? AND idx = ?', [m.version, c.index]);
    if (!r) throw new Error(`chunk ${c.index} of ${m.version} vanished`);
    yield decode(r.data, c.index);
  }
}
