/**
 * The receipt spool on real parts: the ESC/POS driver over a pty to the printer simulator, the SQLite job ledger in
 * a file. Its clock (and the ledger's) is simulated so the age rule can be checked without waiting.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PrintJob } from '../../drivers/contract';
import { tempDir } from '../../test/support/engine-fixture';
import { ptyPrinter } from '../../test/support/pty-printer';
import { SimulatedClock } from '../../kernel/clock';
import { KioskDb } from '../../kernel/sqlite/database';
import { migrate } from '../db/migrations';
import { SqlitePrintJobLedger } from './job-ledger';
import { parseReceiptJobId, ReceiptSpool } from './receipt-spool';

const job = (id: string): PrintJob => ({ id, blocks: [{ kind: 'text', text: `RECEIPT ${id}` }], cut: true });

describe('ReceiptSpool', () => {
  it('parses the receipt job ids it owns, and nothing else', () => {
    expect(parseReceiptJobId('receipt:o-1')).toEqual({ orderId: 'o-1', reprint: 0 });
    expect(parseReceiptJobId('reprint:o-1:3')).toEqual({ orderId: 'o-1', reprint: 3 });
    expect(parseReceiptJobId('health:printer:1')).toBeNull();
    expect(parseReceiptJobId('receipt:')).toBeNull();
    expect(parseReceiptJobId('reprint:o-1:x')).toBeNull();
  });

  it('prints the receipts that wait once the printer is ready, each once; one older than maxAgeMs, and failed reprints, are left for the attendant', async () => {
    const dir = tempDir('kiosk-spool-');
    const clock = new SimulatedClock(Date.UTC(2026, 0, 5, 9, 0, 0));
    const db = await KioskDb.open(path.join(dir, 'kiosk.sqlite'));
    await migrate(db);
    const ledger = new SqlitePrintJobLedger(db, clock);
    const rig = await ptyPrinter({ ledger, cjk: false });
    const { sim, printer } = rig;
    const printed: string[] = [];
    const spool = new ReceiptSpool(ledger, printer, { clock, jobFor: async (id) => (parseReceiptJobId(id) ? job(id) : null), maxAgeMs: 15 * 60_000, onPrinted: (r) => printed.push(r.id) });
    try {
      await rig.start();
      sim.paperOut();
      await expect(printer.print(job('receipt:old'))).rejects.toMatchObject({ code: 'PAPER_OUT' });
      clock.advance(16 * 60_000);
      await expect(printer.print(job('receipt:new'))).rejects.toMatchObject({ code: 'PAPER_OUT' });
      await expect(printer.print(job('health:x'))).rejects.toMatchObject({ code: 'PAPER_OUT' });
      await expect(printer.print(job('reprint:new:1'))).rejects.toMatchObject({ code: 'PAPER_OUT' });
      await spool.start(); // paper out: nothing is sent
      expect(sim.receivedDataBytes).toBe(0);

      sim.paperOk();
      // the spool goes by the driver's status, whose faults clear after `faultConfirmPolls` polls (not by one read)
      while (printer.status().faults.includes('PAPER_OUT')) await new Promise((r) => setTimeout(r, 20));
      await spool.kick();
      expect(printed).toEqual(['receipt:new']);
      expect(sim.receipts().filter((r) => r.cut !== null).map((r) => r.text)).toEqual(['RECEIPT receipt:new']);
      await spool.kick();
      await spool.kick();
      expect(sim.receipts().filter((r) => r.cut !== null)).toHaveLength(1);
      // left for the attendant: the old receipt and the reprint whose failure the attendant saw
      expect((await spool.pending()).map((j) => [j.id, j.state])).toEqual([
        ['receipt:old', 'failed'],
        ['reprint:new:1', 'failed'],
      ]);
    } finally {
      spool.stop();
      await rig.close();
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
