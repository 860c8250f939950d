/**
 * `PRAGMA quick_check` on a database too large to check before boot (issue 11, point 3; 2.9 s at 500 000 journal
 * entries, bench/marker.ts) runs right after boot on its own connection: a corrupt page then puts the running lane
 * out of service with the reason, and nothing is sold. The size limit is lowered to 0 so a small real database with a
 * page overwritten takes that path.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { bootKiosk, openDatabase } from '../device/kiosk';
import { SimulatedClock } from '../kernel/clock';
import { tempDir } from './support/engine-fixture';
import { waitFor } from './support/wait';

it('a corrupt page found by the quick_check after boot puts the lane out of service with the reason', async () => {
  const src = tempDir('kiosk-qc-src-');
  const { db, file } = await openDatabase(loadConfig({ env: {}, overrides: { dataDir: src } }), new SimulatedClock());
  await db.close();
  const dir = tempDir('kiosk-qc-');
  const target = path.join(dir, 'kiosk.sqlite');
  fs.copyFileSync(file, target);
  const fd = fs.openSync(target, 'r+');
  fs.writeSync(fd, randomBytes(4096), 0, 4096, 4096 * 10); // a page the boot itself does not read
  fs.closeSync(fd);

  const k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir } }), { clock: new SimulatedClock(), quickCheckAtBootMaxBytes: 0 });
  try {
    const fault = await waitFor('the storage fault', () => k.faults.get('storage'));
    expect(fault.reason).toMatch(/kiosk\.sqlite (failed PRAGMA quick_check|is corrupt \(SQLITE_CORRUPT\)).*restore it from a backup/);
    expect(k.condition().inService).toBe(false);
    const [item] = await k.catalog.sample('plain', 1).catch(() => []);
    const scan = await k.lane.scan(item?.barcodes[0] ?? '6901000000059');
    expect(scan.ok).toBe(false);
    expect(await k.engine.openOrder()).toBeNull();
  } finally {
    await k.close();
    fs.rmSync(src, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
