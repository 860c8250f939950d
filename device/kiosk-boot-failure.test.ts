/**
 * A boot that fails midway (here: settling payments left in doubt, the last step) closes what it had opened: the
 * database (its WAL checkpointed and gone, as after a clean close) and the storage watch — nothing half-open is
 * left behind, and the same data dir boots again at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { SimulatedClock } from '../kernel/clock';
import { KioskDb } from '../kernel/sqlite/database';
import { StorageWatch } from '../runtime/db/storage-watch';
import { PaymentRecovery } from '../runtime/payments/recovery';
import { tempDir } from '../test/support/engine-fixture';
import { bootKiosk } from './kiosk';

describe('bootKiosk failing midway', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('kiosk-bootfail-');
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('closes the database and stops the storage watch, then rethrows the error unchanged', async () => {
    const config = loadConfig({ env: {}, overrides: { dataDir: dir } });
    const failure = new Error('recovery exploded');
    jest.spyOn(PaymentRecovery.prototype, 'run').mockRejectedValueOnce(failure);
    const closes = jest.spyOn(KioskDb.prototype, 'close');
    const stops = jest.spyOn(StorageWatch.prototype, 'stop');
    await expect(bootKiosk(config, { clock: new SimulatedClock() })).rejects.toBe(failure);
    expect(closes).toHaveBeenCalledTimes(1);
    await closes.mock.results[0]!.value;
    expect(stops).toHaveBeenCalled();
    // a closed database: no WAL left beside it (an open connection keeps kiosk.sqlite-wal)
    expect(fs.existsSync(path.join(dir, 'kiosk.sqlite-wal'))).toBe(false);
    // and the data dir boots again
    const k = await bootKiosk(config, { clock: new SimulatedClock() });
    expect(await k.catalog.count()).toBeGreaterThan(0);
    await k.close();
  });
});
