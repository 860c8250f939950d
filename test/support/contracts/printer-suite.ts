import { describe, expect, it } from '@jest/globals';
import type { DeviceStatus } from '../../../drivers/contract/device';
import type { PrintJob, PrintJobResult } from '../../../drivers/contract/printer';
import { isKioskError } from '../../../kernel/errors';
import type { PrinterSimulator } from '../../../simulators/printer/printer-simulator';
import type { EscPosPrinter } from '../../../drivers/printer/escpos-printer';
import type { MapPrintJobLedger } from './map-ledger';

/** One printer for one test, built by the suite's caller. */
export interface PrinterUnderTest {
  printer: EscPosPrinter;
  ledger: MapPrintJobLedger;
  /** A simulated printer: faults can be driven and the paper read. Absent for real hardware. */
  sim?: PrinterSimulator;
  /** Another driver instance on the same device, to check that claims are exclusive. */
  makeSecond?: () => EscPosPrinter;
  /** Pulls the cable once `afterDataBytes` more data bytes have arrived; `restore` plugs it back in. */
  cable?: { pullAfter(afterDataBytes: number): void; pullNow(): Promise<void>; restore(): Promise<void> };
  dispose(): Promise<void>;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let seq = 0;
/** A receipt with a unique marker line, Chinese text, a QR code and a barcode. */
export function sampleJob(id: string): PrintJob & { marker: string } {
  const marker = `MARK-${process.pid}-${Date.now().toString(36)}-${++seq}`;
  return {
    id,
    marker,
    blocks: [
      { kind: 'text', text: 'Kiosk Markt', align: 'center', bold: true, size: 2 },
      { kind: 'text', text: marker },
      { kind: 'line', left: '牛奶 Milch 1 l', right: '1.19' },
      { kind: 'line', left: 'Äpfel Braeburn', right: '2.49' },
      { kind: 'rule' },
      { kind: 'line', left: 'TOTAL', right: '3.68' },
      { kind: 'text', text: '谢谢惠顾，欢迎再次光临！', align: 'center' },
      { kind: 'qr', data: `https://receipts.example/${marker}` },
      { kind: 'barcode', data: marker, symbology: 'code128' },
    ],
    cut: true,
  };
}

const printedWith = (sim: PrinterSimulator, marker: string) => sim.receipts().filter((r) => r.text.includes(marker));

/**
 * The receipt printer contract, run against any `ReceiptPrinter` built by `makePrinter`: the simulator over a
 * real pty (serial), the simulator behind the injected USB link, and real hardware when the environment names one.
 * Tests that need to drive faults or pull the cable are registered only when the target offers `sim` / `cable`.
 */
export function printerContractSuite(name: string, makePrinter: () => Promise<PrinterUnderTest>, opts: { hasSim: boolean; hasCable: boolean; hasSecond: boolean }): void {
  const withPrinter = (body: (t: PrinterUnderTest) => Promise<void>) => async () => {
    const t = await makePrinter();
    try {
      await body(t);
    } finally {
      await t.dispose();
    }
  };
  const up = async (p: EscPosPrinter) => {
    await p.open();
    await p.claim();
    await p.enable();
  };

  describe(`ReceiptPrinter contract: ${name}`, () => {
    it(
      'lifecycle: out-of-order calls reject DEVICE_STATE, in-order calls are idempotent, close always succeeds',
      withPrinter(async ({ printer }) => {
        await expect(printer.enable()).rejects.toMatchObject({ code: 'DEVICE_STATE' });
        await expect(printer.claim()).rejects.toMatchObject({ code: 'DEVICE_STATE' });
        await expect(printer.print(sampleJob('x'))).rejects.toMatchObject({ code: 'DEVICE_STATE' });
        await expect(printer.realtimeStatus()).rejects.toMatchObject({ code: 'DEVICE_STATE' });
        await printer.open();
        await printer.open();
        await printer.claim();
        await printer.claim();
        await expect(printer.print(sampleJob('x'))).rejects.toMatchObject({ code: 'DEVICE_STATE' });
        await printer.enable();
        await printer.enable();
        expect(printer.status()).toMatchObject({ lifecycle: 'enabled', online: true });
        expect(printer.info.deviceClass).toBe('printer');
        expect(printer.info.id).toMatch(/\S/);
        // going down is always allowed (drivers/contract/device.ts): release() of an enabled printer disables it first
        await printer.release();
        expect(printer.status().lifecycle).toBe('opened');
        await printer.disable();
        await printer.release();
        expect(printer.status().lifecycle).toBe('opened');
        await printer.close();
        await printer.close();
        expect(printer.status().lifecycle).toBe('closed');
      }),
    );

    it(
      'realtimeStatus answers DLE EOT 1/2/4',
      withPrinter(async ({ printer, sim }) => {
        await printer.open();
        await printer.claim();
        const st = await printer.realtimeStatus();
        for (const k of ['online', 'coverOpen', 'paperNearEnd', 'paperOut'] as const) expect(typeof st[k]).toBe('boolean');
        if (sim) expect(st).toMatchObject({ online: true, coverOpen: false, paperNearEnd: false, paperOut: false });
      }),
    );

    it(
      'prints a job once per id; the same id again sends nothing; a new id prints again',
      withPrinter(async ({ printer, ledger, sim }) => {
        await up(printer);
        const jobs: PrintJobResult[] = [];
        printer.on('job', (r) => jobs.push(r));
        const job = sampleJob('receipt:order-1');
        await expect(printer.print(job)).resolves.toMatchObject({ id: job.id, state: 'printed', duplicate: false });
        expect(await ledger.get(job.id)).toBe('printed');
        const sent = sim?.receivedDataBytes ?? 0;
        await expect(printer.print(job)).resolves.toMatchObject({ id: job.id, state: 'printed', duplicate: true });
        expect(jobs.map((j) => j.duplicate)).toEqual([false, true]);
        if (sim) {
          expect(sim.receivedDataBytes).toBe(sent);
          const out = printedWith(sim, job.marker);
          expect(out).toHaveLength(1);
          expect(out[0].cut).toBe('full');
          expect(out[0].text).toContain('牛奶 Milch 1 l');
          expect(out[0].text).toContain('谢谢惠顾，欢迎再次光临！');
          expect(out[0].text).toContain('Äpfel Braeburn');
          expect(out[0].text).not.toContain('??');
          expect(out[0].qrCodes).toEqual([`https://receipts.example/${job.marker}`]);
          expect(out[0].barcodes).toEqual([{ symbology: 'code128', data: job.marker }]);
        }
        const again = { ...job, id: 'reprint:order-1:2' };
        await expect(printer.print(again)).resolves.toMatchObject({ state: 'printed', duplicate: false });
        if (sim) expect(printedWith(sim, job.marker)).toHaveLength(2);
      }),
    );

    it(
      'checkHealth: internal and external pass, interactive prints a test page and asks',
      withPrinter(async ({ printer, sim }) => {
        await expect(printer.checkHealth('external')).resolves.toMatchObject({ level: 'external', ok: false, code: 'DEVICE_STATE' });
        await up(printer);
        await expect(printer.checkHealth('internal')).resolves.toMatchObject({ level: 'internal', ok: true });
        await expect(printer.checkHealth('external')).resolves.toMatchObject({ level: 'external', ok: true });
        await expect(printer.checkHealth('interactive')).resolves.toMatchObject({ level: 'interactive', ok: false });
        const asked: string[] = [];
        const r = await printer.checkHealth('interactive', { prompt: async (q) => (asked.push(q), true) });
        expect(r).toMatchObject({ level: 'interactive', ok: true });
        expect(asked).toHaveLength(1);
        if (sim) expect(sim.last()).toContain('PRINTER TEST');
        await expect(printer.checkHealth('interactive', { prompt: async () => false })).resolves.toMatchObject({ ok: false });
      }),
    );

    if (opts.hasSecond) {
      it(
        'claim is exclusive: a second driver on the same device gets DEVICE_BUSY',
        withPrinter(async ({ printer, makeSecond }) => {
          await up(printer);
          const second = makeSecond!();
          try {
            await second.open();
            await expect(second.claim()).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
          } finally {
            await second.close();
          }
          await expect(printer.realtimeStatus()).resolves.toMatchObject({ paperOut: false });
        }),
      );
    }

    if (opts.hasSim) {
      it(
        'paper out: rejects PAPER_OUT before sending a byte, reports the fault once; after paperOk the job prints once',
        withPrinter(async ({ printer, ledger, sim }) => {
          const s = sim!;
          await up(printer);
          const events: DeviceStatus[] = [];
          printer.on('status', (st) => events.push(st));
          s.paperOut();
          const job = sampleJob('receipt:paper');
          const sent = s.receivedDataBytes;
          await expect(printer.print(job)).rejects.toMatchObject({ code: 'PAPER_OUT' });
          expect(await ledger.get(job.id)).toBe('failed');
          expect(s.receivedDataBytes).toBe(sent);
          await waitFor(() => events.some((e) => e.faults.includes('PAPER_OUT')), 5000, 'PAPER_OUT status event');
          s.paperOk();
          await waitFor(() => printer.status().faults.length === 0, 5000, 'faults to clear');
          expect(events.filter((e) => e.faults.includes('PAPER_OUT'))).toHaveLength(1);
          await expect(printer.print(job)).resolves.toMatchObject({ state: 'printed', duplicate: false });
          await expect(printer.print(job)).resolves.toMatchObject({ duplicate: true });
          expect(printedWith(s, job.marker)).toHaveLength(1);
        }),
      );

      it(
        'cover open: rejects COVER_OPEN, nothing sent',
        withPrinter(async ({ printer, ledger, sim }) => {
          const s = sim!;
          await up(printer);
          s.coverOpen();
          const sent = s.receivedDataBytes;
          const job = sampleJob('receipt:cover');
          await expect(printer.print(job)).rejects.toMatchObject({ code: 'COVER_OPEN' });
          expect(await ledger.get(job.id)).toBe('failed');
          expect(s.receivedDataBytes).toBe(sent);
          s.coverClose();
          await expect(printer.print(job)).resolves.toMatchObject({ state: 'printed' });
        }),
      );

      it(
        'paper near end: still prints, and the fault is reported',
        withPrinter(async ({ printer, sim }) => {
          const s = sim!;
          await up(printer);
          s.paperNearEnd();
          const job = sampleJob('receipt:near-end');
          await expect(printer.print(job)).resolves.toMatchObject({ state: 'printed' });
          await waitFor(() => printer.status().faults.includes('PAPER_NEAR_END'), 5000, 'PAPER_NEAR_END');
          expect(printedWith(s, job.marker)).toHaveLength(1);
        }),
      );
    }

    if (opts.hasCable && opts.hasSim) {
      it(
        'the cable goes mid-job: the job is "in_doubt"; after reconnecting, the retry resends it marked COPY and a new id prints',
        withPrinter(async ({ printer, ledger, sim, cable }) => {
          const s = sim!;
          await up(printer);
          const job = sampleJob('receipt:unplug');
          cable!.pullAfter(40);
          const err = await printer.print(job).then(
            () => null,
            (e: unknown) => e,
          );
          expect(isKioskError(err) && ['DEVICE_OFFLINE', 'TIMEOUT'].includes(err.code)).toBe(true);
          expect(await ledger.get(job.id)).toBe('in_doubt');
          await cable!.restore();
          await waitFor(() => printer.realtimeStatus().then(() => true, () => false), 8000, 'the printer to come back');
          const sent = s.receivedDataBytes;
          await expect(printer.print(job)).resolves.toMatchObject({ state: 'printed', duplicate: false, copy: true });
          expect(s.receivedDataBytes).toBeGreaterThan(sent);
          // whatever of the first send reached the paper, the resend is the one marked COPY: never two unmarked originals
          const full = printedWith(s, job.marker).filter((r) => r.cut !== null);
          expect(full.filter((r) => r.text.includes('COPY'))).toHaveLength(1);
          expect(full.filter((r) => !r.text.includes('COPY')).length).toBeLessThanOrEqual(1);
          await expect(printer.print(job)).resolves.toMatchObject({ duplicate: true });
          const reprint = { ...job, id: 'reprint:unplug:2' };
          await expect(printer.print(reprint)).resolves.toMatchObject({ state: 'printed', duplicate: false });
          expect(printedWith(s, job.marker).filter((r) => r.cut !== null).length).toBeGreaterThanOrEqual(1);
        }),
      );

      it(
        'unplugged: one offline event after the debounce, commands reject DEVICE_OFFLINE; replugged: one online event, still enabled',
        withPrinter(async ({ printer, cable }) => {
          await up(printer);
          const events: DeviceStatus[] = [];
          printer.on('status', (st) => events.push(st));
          await cable!.pullNow();
          await waitFor(() => !printer.status().online, 8000, 'offline');
          await expect(printer.print(sampleJob('receipt:offline'))).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
          await cable!.restore();
          await waitFor(() => printer.status().online, 8000, 'online again');
          expect(events.map((e) => e.online)).toEqual([false, true]);
          expect(printer.status().lifecycle).toBe('enabled');
          await expect(printer.print(sampleJob('receipt:after-replug'))).resolves.toMatchObject({ state: 'printed' });
        }),
      );
    }
  });
}
