import { barcodeRules } from '../../config/load';
import { SystemClock } from '../../kernel/clock';
import { Catalog } from '../../runtime/pricebook/catalog';
import { parseScan } from '../../runtime/barcodes';
import { redactScanResult } from '../../runtime/barcodes/result';
import { Lane, PLU_CODE } from '../../runtime/lane/lane';
import { OrderEngine } from '../../runtime/orders/engine';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { openDatabase } from '../kiosk';

/**
 * `kiosk barcode parse CODE`: how the kiosk reads one scan — symbology, GTIN, AIs, embedded price/weight, whether
 * the item is in the price book — or the exact error. Exit 0 when the scan would be accepted, 1 otherwise.
 */
export async function barcodeParse(code: string, opts: CommonOptions & { json?: boolean }): Promise<void> {
  const config = configFrom(opts);
  const scan = redactScanResult(parseScan(code.replace(/\\x1d|<GS>/gi, '\x1d'), barcodeRules(config)));
  const clock = new SystemClock();
  const { db } = await openDatabase(config, clock);
  let itemInfo: { found: boolean; sku?: string; names?: Record<string, string>; unitPrice?: number; problem?: string } | null = null;
  try {
    // a bare PLU is looked up too: a weighed item's PLU alone is refused with "please weigh this item"
    if (scan.ok && (scan.kind === 'gtin' || scan.kind === 'in_store' || scan.kind === 'gs1' || (scan.kind === 'other' && PLU_CODE.test(scan.data)))) {
      const engine = new OrderEngine({ db, clock, deviceId: config.device.deviceId, price: () => { throw new Error('read-only'); }, points: () => 0 });
      const r = await new Lane(engine, new Catalog(db), config).resolve(code);
      itemInfo = r.item
        ? { found: true, sku: r.item.sku, names: r.item.names, unitPrice: r.item.unitPrice, ...(r.problem && !r.problem.ok ? { problem: r.problem.detail } : {}) }
        : { found: false, ...(r.problem && !r.problem.ok ? { problem: r.problem.detail } : {}) };
    }
  } finally {
    await db.close();
  }
  if (opts.json) printJson({ ...scan, item: itemInfo });
  else {
    if (!scan.ok) {
      process.stdout.write(`rejected: ${scan.error.code}: ${scan.error.message}\n`);
    } else {
      process.stdout.write(`symbology: ${scan.symbology.name}${scan.symbology.aim ? ` (${scan.symbology.aim})` : scan.symbology.inferred ? ' (inferred)' : ''}\n`);
      process.stdout.write(`kind: ${scan.kind}\n`);
      for (const [k, v] of Object.entries(scan)) {
        if (['ok', 'kind', 'raw', 'symbology', 'warnings', 'ais'].includes(k) || v === undefined) continue;
        process.stdout.write(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
      }
      if (scan.kind === 'gs1') for (const e of scan.ais) process.stdout.write(`  (${e.ai}) ${e.title}: ${e.value}\n`);
      for (const w of scan.warnings) process.stdout.write(`warning: ${w}\n`);
      if (itemInfo) {
        process.stdout.write(
          itemInfo.found ? `item: ${itemInfo.sku} ${JSON.stringify(itemInfo.names)} unitPrice=${itemInfo.unitPrice}\n` : `item: not in the price book\n`,
        );
        if (itemInfo.problem) process.stdout.write(`problem: ${itemInfo.problem}\n`);
      }
    }
  }
  const accepted = scan.ok && (itemInfo === null || (itemInfo.found && !itemInfo.problem));
  if (!accepted) throw new CliExit(1, '');
}
