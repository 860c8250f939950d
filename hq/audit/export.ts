import { canonicalJson } from '../../kernel/canonical-json';
import type { AuditEntry } from './audit-log';

/**
 * Audit log exports.
 *
 * CSV: RFC 4180 — CRLF line ends, a header line, a field holding `"`, `,`, CR or LF enclosed in double quotes
 * with inner quotes doubled (RFC 4180 §2, rules 1, 5-7). Spreadsheet formula injection (OWASP "CSV Injection"):
 * a text cell starting with `=`, `+`, `-`, `@`, TAB or CR is prefixed with `'` so a spreadsheet shows it as text.
 *
 * JSONL: one canonical JSON object per line (`\n`), `detail` as the parsed value; the hash of each line is
 * sha256(prevHash + '\n' + canonicalJson({seq, ts, actor, action, target, detail: canonicalJson(detail), ip})), so
 * the export can be checked without the database (see ./chain.ts).
 */
export const CSV_HEADER = ['seq', 'time', 'actor', 'action', 'target', 'detail', 'ip', 'prev_hash', 'hash'] as const;

/** A text cell, made inert for spreadsheets and quoted when RFC 4180 needs it. */
export function csvCell(value: string): string {
  const inert = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(inert) ? `"${inert.replace(/"/g, '""')}"` : inert;
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** ISO time of a stored ts (a hand-edited, impossible ts is shown as its number). */
const isoTime = (ts: number): string => (Number.isFinite(ts) && Math.abs(ts) < 8.64e15 ? new Date(ts).toISOString() : String(ts));

export function csvRow(e: AuditEntry): string {
  return csvLine([String(e.seq), isoTime(e.ts), e.actor, e.action, e.target ?? '', e.detail, e.ip ?? '', e.prevHash, e.hash]);
}

export function jsonlRow(e: AuditEntry): string {
  let detail: unknown;
  try {
    detail = JSON.parse(e.detail);
  } catch {
    detail = e.detail; // a hand-edited row: export what is there (verify reports it)
  }
  return `${canonicalJson({ seq: e.seq, ts: e.ts, time: isoTime(e.ts), actor: e.actor, action: e.action, target: e.target, detail, ip: e.ip, prevHash: e.prevHash, hash: e.hash })}\n`;
}
