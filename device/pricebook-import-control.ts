import * as path from 'node:path';
import type { KioskConfig } from '../config/schema';
import { taxRates } from '../config/load';
import { SerialQueue } from '../kernel/async';
import type { Clock } from '../kernel/clock';
import type { KioskDb } from '../kernel/sqlite/database';
import { importPriceBookFile, type ImportResult } from '../runtime/pricebook/import';
import type { Logger } from './logger';

/** What the running kiosk answers `kiosk pricebook import`: the import's result, and who did it. */
export interface RemoteImportResult extends ImportResult {
  importedBy: { pid: number };
}

/**
 * The running kiosk's side of `kiosk pricebook import FILE` (control route POST /pricebook/import): the file is read,
 * encoded and inserted by the kiosk's build process (runtime/pricebook/build-process.ts: off the lane's CPU, nice 10)
 * in writer turns the kiosk lends it behind the lane's writes — the lane sells on while a big book goes in. One import at a time; a refused file leaves the book in
 * force and is refused without line numbers (the CLI reads it again for those: device/commands/pricebook.ts).
 */
export function pricebookImportHandler(deps: { db: KioskDb; config: () => KioskConfig; clock: Clock; log: Logger }): (file: string, version: string | undefined) => Promise<RemoteImportResult> {
  const queue = new SerialQueue();
  return (file, version) =>
    queue.run(async () => {
      const source = path.basename(file);
      deps.log.info({ file }, 'price book import asked by the CLI');
      try {
        const r = await importPriceBookFile(deps.db, file, {
          clock: deps.clock,
          deviceId: deps.config().device.deviceId,
          source,
          ...(version !== undefined ? { version } : {}),
          // the tax classes in force (an HQ bundle may have changed them), as for HQ's pushes
          taxClasses: Object.keys(taxRates(deps.config())),
          trackKeys: false,
        });
        deps.log.info({ file, items: r.items, version: r.version, seq: r.seq }, 'price book imported');
        return { ...r, importedBy: { pid: process.pid } };
      } catch (e) {
        deps.log.warn({ file, err: e instanceof Error ? e.message : String(e) }, 'price book import refused; the book in force stays');
        throw e;
      }
    });
}
