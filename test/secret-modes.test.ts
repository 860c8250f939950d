/**
 * The database and its WAL and shared-memory files hold the lane's business: owner-only (0600), from the first
 * byte, whatever the process umask — and a database left 0644 by older software is narrowed when opened.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sqlite3 from 'sqlite3';
import { loadConfig } from '../config/load';
import { bootKiosk, dbPath } from '../device/kiosk';
import { SystemClock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { tempDir } from './support/engine-fixture';

const mode = (f: string) => fs.statSync(f).mode & 0o777;

describe('database file modes', () => {
  let dir: string;
  let umask: number;
  beforeEach(() => {
    dir = tempDir('kiosk-modes-');
    umask = process.umask(0o022); // the usual default: files would be 0644
  });
  afterEach(() => {
    process.umask(umask);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a new database, its -wal and its -shm are 0600 after a sale', async () => {
    const k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir } }), { clock: new SystemClock(), confirmCash: async () => true });
    try {
      const [{ barcodes }] = await k.catalog.sample('plain', 1);
      const r = await k.lane.scan(barcodes[0]);
      if (!r.ok || r.action !== 'item_added') throw new Error('scan failed');
      await k.engine.dispatch(r.order.id, { type: 'checkout_started' });
      await k.checkout.pay(r.order.id, 'cash');
      await k.engine.dispatch(r.order.id, { type: 'order_completed' });
      const file = dbPath(dir);
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600]);
    } finally {
      await k.close();
    }
  });

  it('a database and WAL left world-readable by older software are narrowed to 0600 when opened', async () => {
    const file = path.join(dir, 'kiosk.sqlite');
    // what older software left: a WAL database created 0644, its WAL still there (the process was killed)
    const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(file, (e) => (e ? reject(e) : resolve(d)));
    });
    await new Promise<void>((resolve, reject) => raw.exec('PRAGMA journal_mode=WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);', (e) => (e ? reject(e) : resolve())));
    expect(mode(file)).toBe(0o644);
    expect(mode(`${file}-wal`)).toBe(0o644);
    const db = await KioskDb.open(file);
    try {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600]);
      expect(await db.read.get<{ x: number }>('SELECT x FROM t')).toEqual({ x: 1 });
    } finally {
      await db.close();
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });
});
