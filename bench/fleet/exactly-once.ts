/*
 * The exactly-once checker (issue 17): reads HQ's PostgreSQL table `sales_events` and the kiosks' own SQLite files and
 * says whether every entry each kiosk committed reached HQ exactly once, unaltered and chained.
 *
 *   node dist-bench/bench/fleet/exactly-once.js --pg postgres://… KIOSK.sqlite…     (exit 0: ok, 1: problems, 2: usage)
 *
 * INDEPENDENT on purpose: it imports no kiosk or HQ code (no hq/ingest, no protocol/journal, no runtime/), only the
 * `pg` and `sqlite3` drivers and node:crypto. The entry hash is re-implemented here from its definition
 * (protocol/journal/entry.ts, documentation): SHA-256, hex, over the JSON text of the array
 *   [seq, storeId, deviceId, ts, orderId, type, payload, prevHash]        (an entry whose journal row has a store_id)
 *   [seq, deviceId, ts, orderId, type, payload, prevHash]                 (an older entry, store_id NULL)
 * where payload is the stored canonical JSON text and the first entry's prevHash is 64 zeros. A checker built from
 * the same code as the ingest would agree with the ingest, bugs included.
 *
 * Per kiosk file: its identity is the store in `meta` key `journal.store_id` (or `identity.json` beside the file)
 * and the device id of its journal rows. Then:
 * - the kiosk's own journal is a gap-free chain 1..n with valid hashes (else HQ could not be checked against it);
 * - in sales_events, every seq of (store, device) appears exactly once (a second row for a seq — possible once the
 *   primary key includes ts for monthly partitions — is a duplicate), seqs are exactly 1..n: none missing, none past
 *   the kiosk's end;
 * - each row's hash equals the kiosk's hash for that seq, each row's prev_hash is the previous row's hash, and the
 *   hash recomputed from the row's own fields equals its hash (an altered payload, ts, type… is caught even when
 *   the stored hash was left alone).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import sqlite3 from 'sqlite3';

export interface ExactlyOnceReport {
  ok: boolean;
  /** Kiosk files checked. */
  devices: number;
  /** Rows of sales_events read for those kiosks. */
  events: number;
  /** The first problems found (bounded), then one summary line per kind with how many there were. */
  problems: string[];
}

const GENESIS = '0'.repeat(64);
/** How many problem lines are listed before only counts are kept. */
const MAX_LISTED = 20;

/** One journal entry as the checker sees it (the kiosk's row or HQ's row). */
interface Entry {
  seq: number;
  /** The store the hash covers; null: the older formula without it. */
  hashStore: string | null;
  device: string;
  ts: number;
  orderId: string | null;
  type: string;
  payload: string;
  prevHash: string;
  hash: string;
}

/** The entry hash, from its definition (see the file comment). */
export function computeEntryHash(e: Omit<Entry, 'hash'>): string {
  const row =
    e.hashStore !== null
      ? [e.seq, e.hashStore, e.device, e.ts, e.orderId, e.type, e.payload, e.prevHash]
      : [e.seq, e.device, e.ts, e.orderId, e.type, e.payload, e.prevHash];
  return createHash('sha256').update(JSON.stringify(row)).digest('hex');
}

/** Problems by kind: the first MAX_LISTED lines over all kinds, and a count per kind. */
class Problems {
  private readonly listed: string[] = [];
  private readonly counts = new Map<string, number>();

  add(kind: string, line: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    if (this.listed.length < MAX_LISTED) this.listed.push(line);
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  lines(): string[] {
    if (this.total === 0) return [];
    const more = this.total > this.listed.length ? ` (first ${this.listed.length} listed)` : '';
    const summary = [...this.counts].map(([k, n]) => `${k}: ${n}`).join(', ');
    return [...this.listed, `${this.total} problem(s)${more}: ${summary}`];
  }
}

// ---- the kiosk side: its SQLite file, read-only --------------------------------------------------------------------

function sqliteAll<T>(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
}

interface KioskJournal {
  file: string;
  store: string;
  device: string;
  entries: Entry[];
}

/** The store id of `identity.json` beside the file (a kiosk data dir), if there is one. */
function identityBeside(file: string): { store?: string; device?: string } {
  const f = path.join(path.dirname(file), 'identity.json');
  if (!fs.existsSync(f)) return {};
  try {
    const j = JSON.parse(fs.readFileSync(f, 'utf8')) as { store?: unknown; device?: unknown };
    return { store: typeof j.store === 'string' ? j.store : undefined, device: typeof j.device === 'string' ? j.device : undefined };
  } catch {
    return {};
  }
}

async function readKiosk(file: string, problems: Problems): Promise<KioskJournal | null> {
  if (!fs.existsSync(file)) {
    problems.add('kiosk unreadable', `${file}: no such file`);
    return null;
  }
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(d)));
  });
  try {
    const meta = await sqliteAll<{ value: string }>(db, "SELECT value FROM meta WHERE key = 'journal.store_id'");
    const rows = await sqliteAll<{
      seq: number;
      store_id: string | null;
      device_id: string;
      ts: number;
      order_id: string | null;
      type: string;
      payload: string;
      prev_hash: string;
      hash: string;
    }>(db, 'SELECT seq, store_id, device_id, ts, order_id, type, payload, prev_hash, hash FROM journal ORDER BY seq');
    const beside = identityBeside(file);
    const store = meta[0]?.value ?? beside.store;
    const devices = [...new Set(rows.map((r) => r.device_id))];
    const device = devices[0] ?? beside.device;
    // a kiosk that never sold has nothing to check (its store id is recorded with its first entry); HQ rows of a
    // device no kiosk file names are reported by checkExactlyOnce
    if (rows.length === 0 && (store === undefined || device === undefined)) return null;
    if (store === undefined || device === undefined) {
      problems.add('kiosk unreadable', `${file}: no identity (meta journal.store_id / identity.json, journal device id)`);
      return null;
    }
    if (devices.length > 1) problems.add('kiosk journal', `${file}: journal names several devices (${devices.join(', ')})`);
    const entries: Entry[] = rows.map((r) => ({
      seq: Number(r.seq),
      hashStore: r.store_id,
      device: r.device_id,
      ts: Number(r.ts),
      orderId: r.order_id,
      type: r.type,
      payload: r.payload,
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
    // the kiosk's own chain: what HQ is compared against must itself be whole
    let prev = GENESIS;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const where = `${store}/${device} kiosk seq ${e.seq}`;
      if (e.seq !== i + 1) {
        problems.add('kiosk journal', `${where}: kiosk journal is not gap-free (expected seq ${i + 1})`);
        break;
      }
      if (e.prevHash !== prev) problems.add('kiosk journal', `${where}: kiosk prev_hash does not link`);
      if (computeEntryHash(e) !== e.hash) problems.add('kiosk journal', `${where}: kiosk entry hash does not match its fields`);
      prev = e.hash;
    }
    return { file, store, device, entries };
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

// ---- HQ's side: sales_events ---------------------------------------------------------------------------------------

interface HqRow {
  seq: string | number;
  ts: string | number;
  order_id: string | null;
  type: string;
  payload: string;
  prev_hash: string;
  hash: string;
}

/** `1-5, 9` for a sorted list of seqs. */
function ranges(seqs: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < seqs.length; ) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j] + 1) j++;
    out.push(i === j ? String(seqs[i]) : `${seqs[i]}-${seqs[j]}`);
    i = j + 1;
  }
  const text = out.join(', ');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Compares one kiosk's journal with its rows in sales_events; returns the number of rows read. */
async function checkDevice(pg: Client, k: KioskJournal, problems: Problems): Promise<number> {
  const { rows } = await pg.query<HqRow>(
    'SELECT seq, ts, order_id, type, payload, prev_hash, hash FROM sales_events WHERE store_id = $1 AND device_id = $2 ORDER BY seq, ts, hash',
    [k.store, k.device],
  );
  const id = `${k.store}/${k.device}`;
  const n = k.entries.length;
  const bySeq = new Map<number, Entry[]>();
  for (const r of rows) {
    const seq = Number(r.seq);
    const kiosk = k.entries[seq - 1] as Entry | undefined;
    const e: Entry = {
      seq,
      // the row does not say which formula its hash used: the kiosk's entry for that seq does
      hashStore: kiosk ? (kiosk.hashStore === null ? null : k.store) : k.store,
      device: k.device,
      ts: Number(r.ts),
      orderId: r.order_id,
      type: r.type,
      payload: r.payload,
      prevHash: r.prev_hash,
      hash: r.hash,
    };
    const list = bySeq.get(seq) ?? [];
    list.push(e);
    bySeq.set(seq, list);
  }

  const dups = [...bySeq].filter(([, l]) => l.length > 1);
  for (const [seq, l] of dups) problems.add('duplicate', `${id} seq ${seq}: ${l.length} rows in sales_events (exactly one expected)`);
  const missing: number[] = [];
  for (let s = 1; s <= n; s++) if (!bySeq.has(s)) missing.push(s);
  if (missing.length) problems.add('missing', `${id}: ${missing.length} committed entr${missing.length === 1 ? 'y' : 'ies'} not in sales_events: seq ${ranges(missing)}`);
  const extra = [...bySeq.keys()].filter((s) => s < 1 || s > n).sort((a, b) => a - b);
  if (extra.length) problems.add('unknown', `${id}: sales_events holds seq ${ranges(extra)} the kiosk journal (1..${n}) does not`);

  for (const [seq, list] of [...bySeq].sort((a, b) => a[0] - b[0])) {
    const kiosk = k.entries[seq - 1] as Entry | undefined;
    for (const e of list) {
      const where = `${id} seq ${seq}`;
      const recomputed = computeEntryHash(e);
      // a row past the kiosk's end may use either formula
      const selfOk = recomputed === e.hash || (!kiosk && computeEntryHash({ ...e, hashStore: null }) === e.hash);
      if (!selfOk) problems.add('altered', `${where}: hash recomputed from the row's fields differs from its hash (row altered)`);
      if (kiosk && e.hash !== kiosk.hash) problems.add('hash differs', `${where}: hash differs from the kiosk's entry`);
      if (kiosk && selfOk && e.hash === kiosk.hash && (e.ts !== kiosk.ts || e.payload !== kiosk.payload || e.type !== kiosk.type || e.orderId !== kiosk.orderId)) {
        problems.add('altered', `${where}: fields differ from the kiosk's entry`);
      }
      // linkage to the row below (a missing row below is reported as missing, not again as a break here)
      const prevRows = bySeq.get(seq - 1);
      const linkOk = seq === 1 ? e.prevHash === GENESIS : prevRows === undefined || prevRows.some((p) => p.hash === e.prevHash);
      if (!linkOk) problems.add('chain', `${where}: prev_hash does not link to seq ${seq - 1}`);
    }
  }
  return rows.length;
}

/**
 * Checks that HQ's PostgreSQL holds every journal entry of every kiosk file exactly once, gap-free, unaltered and
 * chained. Run it after every outbox has drained.
 */
export async function checkExactlyOnce(opts: { pgUrl: string; kioskFiles: string[] }): Promise<ExactlyOnceReport> {
  const problems = new Problems();
  const pg = new Client({ connectionString: opts.pgUrl });
  pg.on('error', () => undefined); // a dropped connection fails the query in progress, which rejects
  await pg.connect();
  let events = 0;
  let devices = 0;
  try {
    const seen = new Map<string, string>();
    for (const file of opts.kioskFiles) {
      const k = await readKiosk(file, problems);
      devices++;
      if (!k) continue;
      const key = `${k.store}/${k.device}`;
      const other = seen.get(key);
      if (other !== undefined) problems.add('kiosk journal', `${file} and ${other} are the same kiosk (${key})`);
      seen.set(key, file);
      events += await checkDevice(pg, k, problems);
    }
    const hqDevices = await pg.query<{ store_id: string; device_id: string; n: string }>('SELECT store_id, device_id, COUNT(*) AS n FROM sales_events GROUP BY store_id, device_id');
    for (const r of hqDevices.rows) {
      if (!seen.has(`${r.store_id}/${r.device_id}`)) problems.add('HQ only', `${r.store_id}/${r.device_id}: HQ holds ${r.n} entries of a device no kiosk file names`);
    }
  } finally {
    await pg.end();
  }
  return { ok: problems.total === 0, devices, events, problems: problems.lines() };
}

async function main(argv: string[]): Promise<number> {
  let pgUrl: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--pg') pgUrl = argv[++i];
    else files.push(argv[i]);
  }
  if (!pgUrl || files.length === 0) {
    process.stderr.write('usage: exactly-once --pg postgres://… KIOSK.sqlite…\n');
    return 2;
  }
  const r = await checkExactlyOnce({ pgUrl, kioskFiles: files });
  process.stdout.write(`exactly-once: ${r.ok ? 'ok' : 'FAILED'} — ${r.devices} kiosk(s), ${r.events} row(s) in sales_events\n`);
  for (const p of r.problems) process.stdout.write(`  ${p}\n`);
  return r.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`exactly-once: ${(e as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
