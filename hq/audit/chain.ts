import { createHash } from 'node:crypto';
import { canonicalJson } from '../../kernel/canonical-json';

/** The `prev_hash` of the first audit entry. */
export const AUDIT_GENESIS = '0'.repeat(64);

/** What an audit entry's hash covers: every column but the hashes (`detail` as its stored canonical JSON text). */
export interface AuditFields {
  seq: number;
  ts: number;
  actor: string;
  action: string;
  target: string | null;
  /** Canonical JSON text. */
  detail: string;
  ip: string | null;
}

/** sha256 hex of `prevHash + '\n' + canonicalJson({seq, ts, actor, action, target, detail, ip})`. */
export function auditHash(prevHash: string, f: AuditFields): string {
  const body = canonicalJson({ seq: f.seq, ts: f.ts, actor: f.actor, action: f.action, target: f.target, detail: f.detail, ip: f.ip });
  return createHash('sha256').update(`${prevHash}\n${body}`, 'utf8').digest('hex');
}
