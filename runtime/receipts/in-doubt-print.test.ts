/**
 * Issue 10 point 9: a job whose paper ran out right after it was sent is `in_doubt`, never `printed` on the word
 * of a later "ready" status; its retry sends it again, marked COPY. Real parts: the ESC/POS driver over a real pty
 * to the printer simulator (which decodes the bytes on its own), and the SQLite job ledger in a real file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PrintJob } from '../../drivers/contract';
import type { EscPosPrinter } from '../../drivers/printer/escpos-printer';
import type { PrinterSimulator } from '../../simulators/printer/printer-simulator';
import { tempDir } from '../../test/support/engine-fixture';
import { ptyPrinter, type PtyPrinter } from '../../test/support/pty-printer';
import { waitFor } from '../../test/support/wait';
import { SystemClock } from '../../kernel/clock';
import { KioskDb } from '../../kernel/sqlite/database';
import { migrate } from '../db/migrations';
import { isKioskError } from '../../kernel/errors';
import { SqlitePrintJobLedger } from './job-ledger';

const job = (marker: string): PrintJob => ({
  id: `receipt:${marker}`,
  blocks: [
    { kind: 'text', text: 'CORNER SHOP', align: 'center', bold: true },
    ...Array.from({ length: 12 }, (_, i) => ({ kind: 'line' as const, left: `Item ${i + 1} ${marker}`, right: `${i + 1}.00` })),
    { kind: 'rule' },
    { kind: 'line', left: 'TOTAL', right: '78.00' },
    { kind: 'text', text: `END ${marker}`, align: 'center' },
  ],
  cut: true,
});

describe('in-doubt print (paper runs out right after sending): SQLite ledger, real driver, pty, printer simulator', () => {
  let dir: string;
  let db: KioskDb;
  let ledger: SqlitePrintJobLedger;
  let rig: PtyPrinter;
  let sim: PrinterSimulator;
  let printer: EscPosPrinter;
  const clock = new SystemClock();

  beforeEach(async () => {
    dir = tempDir('kiosk-indoubt-');
    db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
    await migrate(db);
    ledger = new SqlitePrintJobLedger(db, clock);
    rig = await ptyPrinter({ ledger, columns: 42, cjk: false });
    ({ sim, printer } = rig);
    await rig.start();
  });
  afterEach(async () => {
    await rig.close();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Receipts the simulator cut (finished) whose text has `marker`. */
  const cutWith = (marker: string) => sim.receipts().filter((r) => r.cut !== null && r.text.includes(`END ${marker}`));
  const sends = async (id: string) => (await db.read.get<{ sends: number }>('SELECT sends FROM print_jobs WHERE id = ?', [id]))?.sends;

  it('roll ends mid-job and the printer is switched off to change it: the job is in_doubt, the retry really resends it marked COPY — one full receipt on paper', async () => {
    const j = job('A1');
    sim.paperRunsOutAfter(120);
    const err = await printer.print(j).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isKioskError(err, 'PAPER_OUT')).toBe(true);
    expect(await ledger.get(j.id)).toBe('in_doubt');
    expect(cutWith('A1')).toHaveLength(0); // only a torn piece so far
    const firstSend = sim.receivedDataBytes;
    expect(firstSend).toBeGreaterThan(120);

    // still out of paper: refused before sending, still in doubt
    const again = await printer.print(j).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isKioskError(again, 'PAPER_OUT')).toBe(true);
    expect(sim.receivedDataBytes).toBe(firstSend);
    expect(await ledger.get(j.id)).toBe('in_doubt');

    // the attendant switches the printer off, loads a roll, switches it on: what it held is gone
    sim.powerCycle();
    sim.paperOk();
    expect(sim.discardedDataBytes).toBeGreaterThan(0);
    await waitFor('printer ready', async () => !(await printer.realtimeStatus()).paperOut);
    const r = await printer.print(j);
    expect(r).toMatchObject({ id: j.id, state: 'printed', duplicate: false, copy: true });
    expect(sim.receivedDataBytes).toBeGreaterThan(firstSend); // really sent again
    const onPaper = cutWith('A1');
    expect(onPaper).toHaveLength(1);
    expect(onPaper[0].text).toContain('COPY');
    expect(onPaper[0].text).toContain('Item 12 A1');
    expect(await ledger.get(j.id)).toBe('printed');
    expect(await sends(j.id)).toBe(2);

    // confirmed now: another retry prints nothing
    const bytes = sim.receivedDataBytes;
    await expect(printer.print(j)).resolves.toMatchObject({ duplicate: true });
    expect(sim.receivedDataBytes).toBe(bytes);
    expect(cutWith('A1')).toHaveLength(1);
  }, 30_000);

  it('the printer kept the rest in its buffer and finishes it on the new roll: the retry still resends, and the extra one says COPY', async () => {
    const j = job('B2');
    sim.paperRunsOutAfter(120);
    await expect(printer.print(j)).rejects.toMatchObject({ code: 'PAPER_OUT' });
    expect(await ledger.get(j.id)).toBe('in_doubt');
    sim.paperOk(); // held bytes print: the original completes
    expect(cutWith('B2')).toHaveLength(1);
    await waitFor('printer ready', async () => !(await printer.realtimeStatus()).paperOut);
    await expect(printer.print(j)).resolves.toMatchObject({ state: 'printed', copy: true });
    const onPaper = cutWith('B2');
    expect(onPaper).toHaveLength(2);
    expect(onPaper.filter((x) => x.text.includes('COPY'))).toHaveLength(1); // never two unmarked originals
  }, 30_000);

  it('the in-doubt state is durable: a restart (ledger on the reopened file) still knows the job may not have printed', async () => {
    const j = job('C3');
    sim.paperRunsOutAfter(60);
    await expect(printer.print(j)).rejects.toMatchObject({ code: 'PAPER_OUT' });
    await db.close();
    db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
    const reopened = new SqlitePrintJobLedger(db, clock);
    expect(await reopened.get(j.id)).toBe('in_doubt');
    expect(await reopened.unprinted('receipt:')).toEqual([expect.objectContaining({ id: j.id, state: 'in_doubt', sends: 1 })]);
  }, 30_000);
});
