import { parse } from 'csv-parse/sync';
import { isCustomerType, CUSTOMER_TYPES, type CustomerType } from '../../protocol/members/customer-type';
import { MAX_ABS_POINTS } from '../../protocol/members/member-snapshot';
import { isMemberId, MAX_NAME } from './registry';

/** One row of a member import: `id,type,name,points`. */
export interface ImportRow {
  line: number;
  id: string;
  type: CustomerType;
  name: string;
  points: number;
}

export interface ImportProblem {
  line: number | null;
  field: string | null;
  reason: string;
}

/** A member file bigger than this is refused (100 000 members at well under 100 bytes a row). */
export const MAX_IMPORT_BYTES = 16 * 1024 * 1024;
export const IMPORT_HEADER = ['id', 'type', 'name', 'points'] as const;

/**
 * Reads a member CSV (header `id,type,name,points`; points an integer, empty = 0). Every problem is reported with its
 * line; with any problem nothing is imported.
 */
export function readMemberCsv(text: string): { ok: true; rows: ImportRow[] } | { ok: false; problems: ImportProblem[] } {
  if (Buffer.byteLength(text) > MAX_IMPORT_BYTES) return { ok: false, problems: [{ line: null, field: null, reason: `file larger than ${MAX_IMPORT_BYTES} bytes` }] };
  let records: string[][];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (e) {
    return { ok: false, problems: [{ line: null, field: null, reason: `not CSV: ${(e as Error).message.slice(0, 200)}` }] };
  }
  const header = records[0]?.map((h) => h.toLowerCase());
  if (!header || IMPORT_HEADER.some((h, i) => header[i] !== h) || header.length !== IMPORT_HEADER.length) {
    return { ok: false, problems: [{ line: 1, field: null, reason: `expected the header ${IMPORT_HEADER.join(',')}` }] };
  }
  const problems: ImportProblem[] = [];
  const rows: ImportRow[] = [];
  const seen = new Set<string>();
  records.slice(1).forEach((r, i) => {
    const line = i + 2;
    const bad = (field: string, reason: string) => problems.push({ line, field, reason });
    if (r.length !== 4) return bad('', `expected 4 columns, got ${r.length}`);
    const [id, type, name, pointsText] = r;
    if (!isMemberId(id)) return bad('id', 'expected 1-64 letters, digits, - or _');
    if (seen.has(id)) return bad('id', `${id} appears twice`);
    seen.add(id);
    if (!isCustomerType(type)) return bad('type', `expected one of ${CUSTOMER_TYPES.join(', ')}`);
    if ([...name].length > MAX_NAME) return bad('name', `longer than ${MAX_NAME} characters`);
    const points = pointsText === '' ? 0 : /^-?\d{1,13}$/.test(pointsText) ? Number(pointsText) : NaN;
    if (!Number.isSafeInteger(points) || Math.abs(points) > MAX_ABS_POINTS) return bad('points', `expected an integer, got ${JSON.stringify(pointsText.slice(0, 20))}`);
    rows.push({ line, id, type, name, points });
  });
  return problems.length ? { ok: false, problems } : { ok: true, rows };
}
