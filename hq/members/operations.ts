import type { IngestStore } from '../ingest/store';
import type { AuditLog } from '../console/types';
import { readMemberCsv, type ImportProblem } from './import-csv';
import { addHqEntry, getMember, importedPoints, upsertMember, type LedgerRow } from './registry';

export type ImportResult =
  | { ok: true; created: number; updated: number; unchanged: number; adjusted: number; points: number }
  | { ok: false; problems: ImportProblem[] };

/**
 * Imports a member CSV in one transaction: each row creates or updates the record, and its points become the
 * member's opening balance through an `hq` adjust entry of origin `import` — the DIFFERENCE between the file's points
 * and what the imports so far set, so importing the same file again adds nothing and a corrected file corrects it.
 * Kiosk earnings and manual adjustments are not touched. Audited `member.import`.
 */
export async function importMembers(store: IngestStore, audit: AuditLog, text: string, o: { actor: string; now: number; file?: string; ip?: string }): Promise<ImportResult> {
  const read = readMemberCsv(text);
  if (!read.ok) return read;
  const out = { created: 0, updated: 0, unchanged: 0, adjusted: 0, points: 0 };
  await store.db.transaction(async (tx) => {
    for (const r of read.rows) {
      const change = await upsertMember(tx, { id: r.id, type: r.type, name: r.name }, o.now);
      if (change === 'created') out.created++;
      else if (change === 'updated') out.updated++;
      else out.unchanged++;
      const diff = r.points - (await importedPoints(tx, r.id));
      if (diff !== 0) {
        await addHqEntry(tx, { memberId: r.id, points: diff, origin: 'import', actor: o.actor, reason: `import${o.file ? ` ${o.file.slice(-100)}` : ''}` }, o.now);
        out.adjusted++;
        out.points += diff;
      }
    }
  });
  await audit.record({ actor: o.actor, action: 'member.import', target: 'members', detail: { rows: read.rows.length, ...out, ...(o.file ? { file: o.file.slice(-100) } : {}) }, ...(o.ip ? { ip: o.ip } : {}) });
  return { ok: true, ...out };
}

export type AdjustResult = { ok: true; entry: LedgerRow } | { ok: false; problem: 'unknown_member' | 'bad_points' | 'no_reason' };

/** A manual correction of a member's points (± N, a reason required), as an `hq` adjust entry; audited `member.adjust`. */
export async function adjustPoints(
  store: IngestStore,
  audit: AuditLog,
  req: { memberId: string; points: number; reason: string; actor: string; now: number; ip?: string },
): Promise<AdjustResult> {
  const reason = req.reason.trim().slice(0, 200);
  if (reason === '') return { ok: false, problem: 'no_reason' };
  if (!Number.isSafeInteger(req.points) || req.points === 0 || Math.abs(req.points) > 1e9) return { ok: false, problem: 'bad_points' };
  const entry = await store.db.transaction(async (tx) => {
    if (!(await getMember(tx, req.memberId))) return null;
    return addHqEntry(tx, { memberId: req.memberId, points: req.points, origin: 'adjust', actor: req.actor, reason }, req.now);
  });
  if (!entry) return { ok: false, problem: 'unknown_member' };
  await audit.record({ actor: req.actor, action: 'member.adjust', target: `member:${req.memberId}`, detail: { points: req.points, reason, seq: entry.seq }, ...(req.ip ? { ip: req.ip } : {}) });
  return { ok: true, entry };
}
