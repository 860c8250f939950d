/**
 * `kiosk pricebook import FILE` beside a running `kiosk start`: the running kiosk imports the file itself (control
 * route POST /pricebook/import, device/pricebook-import-control.ts), so its writes stay queued behind the lane's —
 * the lane stays in service and sells through it; a refused file names its lines as a local import does and
 * leaves the book in force; with the kiosk stopped the CLI imports by itself again. Needs `npm run build`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { callControl } from '../device/control-server';
import { gtinCheckDigit } from '../kernel/gs1-check-digit';
import { exited, kiosk, kioskAsync, killIfRunning, killStrays, startedKiosk } from './support/cli';
import { tempDir } from './support/engine-fixture';
import { withRawDb } from './support/sqlite';
import { waitFor } from './support/wait';

afterAll(() => killStrays());

const header = 'sku,barcodes,name_en,unit_price,tax_class,age_limit,sold_by_weight\n';

it('the running kiosk imports the file; the lane stays in service; a refusal names its lines; stopped, the CLI imports itself', async () => {
  const dir = tempDir('kiosk-pb-running-');
  const data = path.join(dir, 'data');
  let child: ReturnType<typeof kioskAsync> | null = null;
  try {
    const running = await startedKiosk(data);
    child = running;

    const ean = (i: number) => `695${String(i).padStart(9, '0')}${gtinCheckDigit(`695${String(i).padStart(9, '0')}`)}`;
    const rows = Array.from({ length: 300 }, (_, i) => `R${i},${ean(i)},Item ${i},${100 + i},standard,,false`);
    const good = path.join(dir, 'good.csv');
    fs.writeFileSync(good, header + rows.join('\n') + '\n');
    const r = kiosk(['pricebook', 'import', good, '--data', data, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { items: number; version: string; seq: number; importedBy: { pid: number } };
    expect(out).toMatchObject({ items: 300, importedBy: { pid: running.pid } });
    const db = path.join(data, 'kiosk.sqlite');
    expect(await withRawDb(db, (q) => q.all<{ n: number }>('SELECT COUNT(*) AS n FROM items'))).toEqual([{ n: 300 }]);
    expect(await withRawDb(db, (q) => q.all<{ type: string }>('SELECT type FROM journal WHERE seq = ?', [out.seq]))).toEqual([{ type: 'pricebook_imported' }]);

    // the lane sells from the new book at once, in service
    const status = (await callControl(data, 'GET', '/status'))?.body as { condition: { inService: boolean } };
    expect(status.condition.inService).toBe(true);
    expect(kiosk(['sim', 'scan', ean(5), '--data', data]).code).toBe(0);
    const orders = () => withRawDb(db, (q) => q.all<{ snapshot: string }>('SELECT snapshot FROM orders'));
    const [order] = await waitFor('the scanned item committed', async () => ((await orders()).length > 0 ? orders() : null));
    expect(order.snapshot).toMatch(/"sku":"R5"/);
    expect(order.snapshot).toMatch(/"unitPrice":105\b/);

    // refused by the kiosk (its shadow tables' keys), named by line here; the book in force stays
    const dup = path.join(dir, 'dup.csv');
    fs.writeFileSync(dup, `${header}Z1,6901234567892,Milk,650,standard,,false\nZ2,6909876543212,Tea,300,standard,,false\nZ1,6901111111116,Bread,250,standard,,false\n`);
    const refused = kiosk(['pricebook', 'import', dup, '--data', data]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('kiosk: PRICEBOOK_INVALID: dup.csv line 4: sku: duplicate SKU "Z1", first at line 2');
    expect(await withRawDb(db, (q) => q.all<{ n: number }>('SELECT COUNT(*) AS n FROM items'))).toEqual([{ n: 300 }]);
    expect(await withRawDb(db, (q) => q.all<{ value: string }>("SELECT value FROM meta WHERE key = 'pricebook_version'"))).toEqual([{ value: out.version }]);

    running.kill('SIGTERM');
    expect((await exited(running)).code).toBe(0);
    const alone = kiosk(['pricebook', 'import', good, '--data', data, '--version', 'v-alone']);
    expect(alone.code).toBe(0);
    expect(alone.stdout).toMatch(/^imported 300 items \(300 barcodes\), version v-alone, journal seq \d+\n$/); // no "by the running kiosk"
  } finally {
    await killIfRunning(child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
