import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KioskConfig } from '../config/schema';
import type { Clock } from '../kernel/clock';
import { KioskError } from '../kernel/errors';
import { KioskDb } from '../kernel/sqlite/database';
import { asStorageError } from '../kernel/sqlite/storage-failure';
import { readPriceBookFile } from '../protocol/pricebook/reader';
import { dataVerdict, probeDatabase } from '../runtime/db/boot-check';
import { readMarker, writeMarker, type MarkerMarks } from '../runtime/db/data-marker';
import { latestVersion, migrate, schemaNewer } from '../runtime/db/migrations';
import { setJournalStore } from '../runtime/journal/append';
import { Catalog } from '../runtime/pricebook/catalog';
import { importPriceBook } from '../runtime/pricebook/import';

export const dbPath = (dataDir: string) => path.join(dataDir, 'kiosk.sqlite');

/** At most one data-marker write begins per this many ms: ≤ 10 fsync'd writes a second instead of one per ~2 commits (bench/marker.ts). */
export const MARKER_GAP_MS = 100;

/**
 * Opens the data dir (creating it), checks the database before writing anything to it — storage faults, a schema
 * newer than this software, `PRAGMA quick_check`, and the data marker (a database that vanished, is another one or
 * went backwards is never silently re-created) — then applies migrations, gives a new database its id, and loads
 * the starter price book on first start. Expected faults throw KioskError STORAGE_FAILED / DATA_BEHIND / SCHEMA_NEWER.
 * `marks` are the database's id and high-water marks, now also in the marker.
 */
export async function openDatabase(
  config: KioskConfig,
  clock: Clock,
  opts: { quickCheckMaxBytes?: number } = {},
): Promise<{ db: KioskDb; file: string; marks: MarkerMarks; checkLater: boolean }> {
  const file = dbPath(config.dataDir);
  try {
    fs.mkdirSync(config.dataDir, { recursive: true });
  } catch (e) {
    throw asStorageError(e, file);
  }
  const marker = readMarker(config.dataDir);
  if (marker && 'error' in marker) {
    throw new KioskError('DATA_BEHIND', `data marker unreadable (${marker.error}): the kiosk cannot tell whether the database is complete; see \`kiosk storage accept\``, { file });
  }
  const state = await probeDatabase(file, { hashOf: marker?.journalSeq, quickCheckMaxBytes: opts.quickCheckMaxBytes });
  if (state.userVersion > latestVersion()) throw schemaNewer(state.userVersion, latestVersion());
  const verdict = dataVerdict(marker, state, file);
  if (verdict) throw new KioskError('DATA_BEHIND', verdict, { file });
  let db: KioskDb;
  try {
    db = await KioskDb.open(file);
  } catch (e) {
    throw asStorageError(e, file);
  }
  try {
    await migrate(db);
    // the hash of every journal entry from here on covers the store (the starter price book's import included)
    await db.transaction((tx) => setJournalStore(tx, config.device.storeId));
    const catalog = new Catalog(db);
    if (config.pricebook.starter && (await catalog.count()) === 0 && (await catalog.version()) === null) {
      await importPriceBook(db, readPriceBookFile(config.pricebook.starter), {
        clock,
        deviceId: config.device.deviceId,
        source: path.basename(config.pricebook.starter),
        version: 'starter',
      });
    }
    const marks = await db.transaction(async (tx): Promise<MarkerMarks> => {
      // the database's identity, created with it: a marker naming another id means the file was replaced
      await tx.run("INSERT OR IGNORE INTO meta (key, value) VALUES ('db_id', lower(hex(randomblob(16))))");
      const id = await tx.get<{ value: string }>("SELECT value FROM meta WHERE key = 'db_id'");
      const head = await tx.get<{ seq: number; hash: string }>('SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1');
      const receipt = await tx.get<{ value: number }>("SELECT value FROM counters WHERE name = 'receipt'");
      return { dbId: id!.value, journalSeq: head?.seq ?? 0, journalHash: head?.hash ?? '', receiptNo: receipt?.value ?? 0 };
    });
    if (!marker || marker.dbId !== marks.dbId || marker.journalSeq !== marks.journalSeq || marker.receiptNo !== marks.receiptNo) {
      // from here on the kiosk knows it has this database
      await writeMarker(config.dataDir, { v: 1, ...marks, writtenAt: clock.now() });
    }
    return { db, file, marks, checkLater: state.checkLater };
  } catch (e) {
    await db.close().catch(() => undefined);
    throw asStorageError(e, file);
  }
}

/**
 * The data dir's database for a command that only reads (journal verify, orders list/show, report eod, receipt pdf):
 * opened read-only when it exists at this software's schema — no migration, no data-marker write, works on a data dir
 * this user may only read. A database that is missing or needs a migration goes through `openDatabase` as before
 * (which needs write access and says so); one written by newer software is refused (SCHEMA_NEWER).
 */
export async function openDatabaseForReading(config: KioskConfig, clock: Clock): Promise<{ db: KioskDb; file: string; readOnly: boolean }> {
  const file = dbPath(config.dataDir);
  if (!fs.existsSync(file)) return { ...(await openDatabase(config, clock)), readOnly: false };
  let db: KioskDb;
  try {
    db = await KioskDb.openReadOnly(file);
  } catch (e) {
    throw asStorageError(e, file);
  }
  try {
    const row = await db.read.get<{ user_version: number }>('PRAGMA user_version');
    const version = row?.user_version ?? 0;
    if (version > latestVersion()) throw schemaNewer(version, latestVersion());
    if (version === latestVersion()) return { db, file, readOnly: true };
  } catch (e) {
    await db.close().catch(() => undefined);
    throw asStorageError(e, file);
  }
  await db.close();
  return { ...(await openDatabase(config, clock)), readOnly: false };
}
