/**
 * Issue 14: HQ's `print_test` prints a real test page through the ESC/POS driver — over a real pty to the printer
 * simulator, which decodes the bytes on its own — and says why not when it cannot (paper out: nothing sent).
 */
import { defaultConfig } from '../../config/defaults';
import type { EscPosPrinter } from '../../drivers/printer/escpos-printer';
import { SystemClock } from '../../kernel/clock';
import type { PrinterSimulator } from '../../simulators/printer/printer-simulator';
import { engineFixture, type Fixture } from '../../test/support/engine-fixture';
import { ptyPrinter, type PtyPrinter } from '../../test/support/pty-printer';
import { waitFor } from '../../test/support/wait';
import { Lane } from '../lane/lane';
import { Catalog } from '../pricebook/catalog';
import { SqlitePrintJobLedger } from '../receipts/job-ledger';
import { commandHandlers } from './command-handlers';

describe('print_test: a real test page on the receipt printer (driver → pty → simulator)', () => {
  let f: Fixture;
  let rig: PtyPrinter;
  let sim: PrinterSimulator;
  let printer: EscPosPrinter;

  beforeEach(async () => {
    f = await engineFixture();
    rig = await ptyPrinter({ ledger: new SqlitePrintJobLedger(f.db, new SystemClock()), columns: 42, cjk: true });
    ({ sim, printer } = rig);
    await rig.start();
  });
  afterEach(async () => {
    await rig.close();
    await f.close();
  });

  const handlers = () =>
    commandHandlers({
      db: f.db,
      lane: new Lane(f.engine, new Catalog(f.db), defaultConfig()),
      clock: f.clock,
      identity: { store: 'S7', device: 'lane-3' },
      currency: { code: 'CNY', minorUnits: 2 },
      businessDay: () => ({ timeZone: 'Asia/Shanghai', dayStartHour: 0 }),
      hardware: { printer, doctor: async () => ({}) },
      journalChanged: () => undefined,
      resendFrom: () => undefined,
      rebirth: () => ({}),
      software: 'kiosk-runtime/9.9.9',
    });

  it('prints title, store and device, local time, software version, both languages, QR and barcode, and cuts', async () => {
    const r = await handlers().print_test({});
    expect(r).toEqual({ printed: true, jobId: expect.stringMatching(/^hq-test:/) });
    const page = await waitFor('the cut test page', () => sim.receipts().find((x) => x.cut !== null && x.text.includes('TEST PAGE')));
    expect(page.text).toContain('打印测试页');
    expect(page.text).toMatch(/Store \/ 门店\s+S7/);
    expect(page.text).toMatch(/Device \/ 设备\s+lane-3/);
    // the fixture's clock is 2026-01-01T09:00Z: 17:00 in Shanghai
    expect(page.text).toMatch(/Time \/ 时间\s+2026-01-01 17:00:00/);
    expect(page.text).toContain('kiosk-runtime/9.9.9');
    expect(page.text).toContain('ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789');
    expect(page.text).toContain('中文字符测试：收银 找零 小票');
    expect(page.qrCodes).toEqual(['kiosk-test:S7/lane-3']);
    expect(page.barcodes).toEqual([{ symbology: 'code128', data: 'T-lane-3' }]);
    expect(page.cut).not.toBeNull();
  });

  it('paper out: nothing is sent, and the command fails saying why', async () => {
    sim.paperOut();
    await waitFor('the driver to see the paper out', async () => printer.status().faults.includes('PAPER_OUT'));
    const before = sim.receipts().length;
    await expect(handlers().print_test({})).rejects.toThrow(/test page not printed: PAPER_OUT/);
    expect(sim.receipts()).toHaveLength(before);
  });
});
