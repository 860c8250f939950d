import type { DeviceStatus } from '../contract/device';
import type { PrintJobResult } from '../contract/printer';
import { SimulatedClock } from '../../kernel/clock';
import { AssertionFailed, KioskError, isKioskError } from '../../kernel/errors';
import { PrinterSimulator, type PrinterSimulatorOptions } from '../../simulators/printer/printer-simulator';
import { EscPosPrinter, type EscPosPrinterOptions } from './escpos-printer';
import { MapPrintJobLedger } from '../../test/support/contracts/map-ledger';
import { sampleJob } from '../../test/support/contracts/printer-suite';
import { UsbTransport, type UsbBulkLink } from './usb-transport';

/** Lets promise chains run (the simulator answers through promises, not timers). */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** Moves the simulated clock forward in steps, letting I/O settle in between. */
async function run(clock: SimulatedClock, ms: number, step = 10): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await flush();
  }
}

/** Advances the clock until `p` settles. */
async function settle<T>(clock: SimulatedClock, p: Promise<T>, maxMs = 60_000): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await flush();
  for (let t = 0; !done && t < maxMs; t += 10) {
    clock.advance(10);
    await flush();
  }
  return p;
}

const rejection = async (clock: SimulatedClock, p: Promise<unknown>): Promise<unknown> => settle(clock, p).then(() => null, (e: unknown) => e);

interface Rig {
  clock: SimulatedClock;
  sim: PrinterSimulator;
  ledger: MapPrintJobLedger;
  printer: EscPosPrinter;
  events: DeviceStatus[];
  jobs: PrintJobResult[];
  opens: number[];
}

function rig(opts: { printer?: Partial<EscPosPrinterOptions>; sim?: PrinterSimulatorOptions } = {}): Rig {
  const clock = new SimulatedClock();
  const sim = new PrinterSimulator({ clock, serialNumber: 'SIM-USB-1', ...opts.sim });
  const ledger = new MapPrintJobLedger();
  const link = sim.usbLink();
  const opens: number[] = [];
  // record when the driver (re)opens the device, to check the backoff
  const counting: UsbBulkLink = {
    open: () => {
      opens.push(clock.now());
      return link.open();
    },
    claim: () => link.claim(),
    release: () => link.release(),
    close: () => link.close(),
    transferOut: (d) => link.transferOut(d),
    transferIn: (n, t) => link.transferIn(n, t),
  };
  const printer = new EscPosPrinter({
    transport: new UsbTransport(counting, { clock }),
    ledger,
    clock,
    pollIntervalMs: 1000,
    statusTimeoutMs: 100,
    ...opts.printer,
  });
  const events: DeviceStatus[] = [];
  const jobs: PrintJobResult[] = [];
  printer.on('status', (s) => events.push(s));
  printer.on('job', (j) => jobs.push(j));
  return { clock, sim, ledger, printer, events, jobs, opens };
}

async function up(r: Rig): Promise<void> {
  await r.printer.open();
  await r.printer.claim();
  await settle(r.clock, r.printer.enable());
  r.events.length = 0;
}

const printedWith = (sim: PrinterSimulator, marker: string) => sim.receipts().filter((x) => x.text.includes(marker));

describe('EscPosPrinter: status debounce (simulated clock, USB link)', () => {
  it('a printer that answers every other poll produces no status events (no flapping storm)', async () => {
    const r = rig();
    await up(r);
    r.sim.flap(true);
    await run(r.clock, 30_000);
    expect(r.sim.statusQueries).toBeGreaterThan(30);
    expect(r.events).toEqual([]);
    expect(r.printer.status().online).toBe(true);
    await r.printer.close();
  });

  it('one or two missed polls are not offline; the third is — one event, then one event back', async () => {
    const r = rig();
    await up(r);
    r.sim.unresponsive();
    await run(r.clock, 2_500); // polls at ~1 s and ~2.5 s missed
    expect(r.events).toEqual([]);
    expect(r.printer.status().online).toBe(true);
    await run(r.clock, 10_000);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ online: false, lifecycle: 'enabled' });
    expect(r.events[0].detail).toMatch(/no status for 3 polls: no reply to DLE EOT 1/);
    r.sim.unresponsive(false);
    await run(r.clock, 3_000);
    expect(r.events.map((e) => e.online)).toEqual([false, true]);
    await r.printer.close();
  });

  it('offlineAfterMissedPolls is configurable', async () => {
    const r = rig({ printer: { offlineAfterMissedPolls: 6 } });
    await up(r);
    r.sim.unresponsive();
    await run(r.clock, 7_000);
    expect(r.events).toEqual([]);
    await run(r.clock, 5_000);
    expect(r.events).toHaveLength(1);
    await r.printer.close();
  });

  it('each fault change is one event: paper out (with near end), then paper ok', async () => {
    const r = rig();
    await up(r);
    r.sim.paperOut();
    await run(r.clock, 10_000);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ online: true, faults: ['PAPER_OUT', 'PAPER_NEAR_END'] });
    r.sim.paperOk();
    await run(r.clock, 10_000);
    expect(r.events.map((e) => e.faults)).toEqual([['PAPER_OUT', 'PAPER_NEAR_END'], []]);
    await r.printer.close();
  });

  it('a flapping near-end sensor does not storm; a steady one is reported once', async () => {
    const r = rig();
    await up(r);
    for (let i = 0; i < 20; i++) {
      r.sim.paperNearEnd(i % 2 === 0);
      await run(r.clock, 1_000);
    }
    expect(r.events).toEqual([]);
    r.sim.paperNearEnd(true);
    await run(r.clock, 5_000);
    expect(r.events).toHaveLength(1);
    expect(r.events[0].faults).toEqual(['PAPER_NEAR_END']);
    await r.printer.close();
  });

  it('the first poll at enable() establishes faults at once', async () => {
    const r = rig();
    r.sim.coverOpen();
    await r.printer.open();
    await r.printer.claim();
    await settle(r.clock, r.printer.enable());
    expect(r.printer.status()).toMatchObject({ online: true, lifecycle: 'enabled', faults: ['COVER_OPEN'] });
    expect(r.events).toHaveLength(1);
    await r.printer.close();
  });

  it('disable() and enable() while a poll is in flight: polling goes on', async () => {
    const r = rig();
    await up(r);
    r.sim.unresponsive();
    await run(r.clock, 1_050); // a poll is now waiting for its reply
    await r.printer.disable();
    const enabling = r.printer.enable();
    r.sim.unresponsive(false);
    await settle(r.clock, enabling);
    r.events.length = 0;
    r.sim.paperOut();
    await run(r.clock, 5_000);
    expect(r.events.map((e) => e.faults)).toEqual([['PAPER_OUT', 'PAPER_NEAR_END']]);
    await r.printer.close();
  });

  it('no status events unless enabled', async () => {
    const r = rig();
    await up(r);
    await r.printer.disable();
    r.sim.paperOut();
    r.sim.unresponsive();
    await run(r.clock, 10_000);
    expect(r.events).toEqual([]);
    await r.printer.close();
  });
});

describe('EscPosPrinter: status reads', () => {
  it('USB: reads that come back empty are retried, up to 5 reads per query', async () => {
    const r = rig();
    await r.printer.open();
    await r.printer.claim();
    r.sim.emptyReads(4);
    await expect(settle(r.clock, r.printer.realtimeStatus())).resolves.toMatchObject({ online: true, paperOut: false });
    r.sim.emptyReads(5);
    const err = await rejection(r.clock, r.printer.realtimeStatus());
    expect(isKioskError(err, 'TIMEOUT')).toBe(true);
    expect((err as Error).message).toContain('5 reads');
    await r.printer.close();
  });

  it('statusReadAttempts overrides the transport default', async () => {
    const r = rig({ printer: { statusReadAttempts: 8 }, sim: { emptyReadsBeforeReply: 7 } });
    await r.printer.open();
    await r.printer.claim();
    await expect(settle(r.clock, r.printer.realtimeStatus())).resolves.toMatchObject({ online: true });
    await r.printer.close();
  });

  it('a cutter jam: DLE EOT 3 is read, the fault is HARDWARE, printing is refused', async () => {
    const r = rig();
    await up(r);
    r.sim.cutterError();
    await expect(settle(r.clock, r.printer.realtimeStatus())).resolves.toMatchObject({ error: true, errorCause: { autocutter: true, unrecoverable: false } });
    const job = sampleJob('receipt:jam');
    const err = await rejection(r.clock, r.printer.print(job));
    expect(isKioskError(err, 'DEVICE_OFFLINE')).toBe(true);
    expect(await r.ledger.get(job.id)).toBe('failed');
    await run(r.clock, 5_000);
    expect(r.printer.status().faults).toEqual(['HARDWARE']);
    await r.printer.close();
  });

  it('garbled replies are PROTOCOL errors (error event, a missed poll); the driver keeps going', async () => {
    const r = rig();
    await up(r);
    const errors: KioskError[] = [];
    r.printer.on('error', (e) => errors.push(e));
    r.sim.garble(() => [0xff]);
    const err = await rejection(r.clock, r.printer.realtimeStatus());
    expect(isKioskError(err, 'PROTOCOL')).toBe(true);
    r.sim.garble(() => [0x12, 0x12]);
    expect(isKioskError(await rejection(r.clock, r.printer.realtimeStatus()), 'PROTOCOL')).toBe(true);
    await run(r.clock, 2_000);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.code === 'PROTOCOL')).toBe(true);
    r.sim.garble(null);
    await expect(settle(r.clock, r.printer.realtimeStatus())).resolves.toMatchObject({ online: true });
    expect(r.events).toEqual([]);
    await r.printer.close();
  });

  it('without an error listener a PROTOCOL error does not throw', async () => {
    const r = rig();
    await up(r);
    r.sim.garble(() => [0x00]);
    await run(r.clock, 5_000);
    expect(r.printer.status().online).toBe(false);
    await r.printer.close();
  });
});

describe('EscPosPrinter: jobs', () => {
  it('concurrent prints of one id print once', async () => {
    const r = rig();
    await up(r);
    const job = sampleJob('receipt:twice');
    const [a, b] = await settle(r.clock, Promise.all([r.printer.print(job), r.printer.print(job)]));
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    expect(printedWith(r.sim, job.marker)).toHaveLength(1);
    expect(r.ledger.history.filter(([id]) => id === job.id).map(([, s]) => s)).toEqual(['sending', 'printed']);
    await r.printer.close();
  });

  it('a job the ledger has as printed sends nothing, even while offline', async () => {
    const r = rig();
    await up(r);
    const job = sampleJob('receipt:old');
    await r.ledger.mark(job.id, 'printed');
    r.sim.disconnect();
    await expect(settle(r.clock, r.printer.print(job))).resolves.toMatchObject({ state: 'printed', duplicate: true });
    expect(r.sim.receivedDataBytes).toBe(0);
    await r.printer.close();
  });

  it('a job that cannot be encoded fails an assertion: nothing sent, ledger untouched', async () => {
    const r = rig();
    await up(r);
    const bad = { id: 'receipt:bad', blocks: [{ kind: 'barcode' as const, data: '123', symbology: 'ean13' as const }] };
    await expect(r.printer.print(bad)).rejects.toBeInstanceOf(AssertionFailed);
    await expect(r.printer.print({ id: '', blocks: [] })).rejects.toBeInstanceOf(AssertionFailed);
    expect(r.ledger.history).toEqual([]);
    expect(r.sim.receivedDataBytes).toBe(0);
    await r.printer.close();
  });

  it('the cable goes mid-job: "in_doubt"; a retry while paper is out is refused and sends nothing; once ready the retry resends it marked COPY', async () => {
    const r = rig();
    await up(r);
    const job = sampleJob('receipt:drop');
    r.sim.dropAfter(60);
    const err = await rejection(r.clock, r.printer.print(job));
    expect(isKioskError(err, 'DEVICE_OFFLINE')).toBe(true);
    expect(await r.ledger.get(job.id)).toBe('in_doubt');
    expect(r.jobs.at(-1)).toMatchObject({ id: job.id, state: 'in_doubt' });
    const sent = r.sim.receivedDataBytes;
    expect(sent).toBe(60);

    r.sim.reconnect();
    r.sim.paperOut();
    await run(r.clock, 3_000); // reconnect with backoff
    const refused = await rejection(r.clock, r.printer.print(job));
    expect(isKioskError(refused, 'PAPER_OUT')).toBe(true);
    expect(await r.ledger.get(job.id)).toBe('in_doubt');
    expect(r.sim.receivedDataBytes).toBe(sent);

    r.sim.paperOk();
    await expect(settle(r.clock, r.printer.print(job))).resolves.toMatchObject({ state: 'printed', duplicate: false, copy: true });
    expect(r.sim.receivedDataBytes).toBeGreaterThan(sent);
    expect(r.ledger.history.filter(([id]) => id === job.id).map(([, s]) => s)).toEqual(['sending', 'in_doubt', 'sending', 'printed']);
    const copies = printedWith(r.sim, job.marker).filter((x) => x.cut === 'full');
    expect(copies).toHaveLength(1);
    expect(copies[0].text).toContain('COPY');
    await expect(settle(r.clock, r.printer.print(job))).resolves.toMatchObject({ duplicate: true });

    await expect(settle(r.clock, r.printer.print({ ...job, id: 'reprint:drop:2' }))).resolves.toMatchObject({ duplicate: false });
    expect(printedWith(r.sim, job.marker).filter((x) => x.cut === 'full')).toHaveLength(2);
    await r.printer.close();
  });

  it('the confirming status read fails: the job is "in_doubt"; the retry waits for an answer, then resends it marked COPY', async () => {
    const r = rig();
    await up(r);
    const job = sampleJob('receipt:noconfirm');
    const off = r.sim.onData(() => {
      off();
      r.sim.unresponsive();
    });
    const err = await rejection(r.clock, r.printer.print(job));
    expect(isKioskError(err, 'TIMEOUT')).toBe(true);
    expect(await r.ledger.get(job.id)).toBe('in_doubt');
    expect(printedWith(r.sim, job.marker)).toHaveLength(1);
    const sent = r.sim.receivedDataBytes;

    // still unresponsive: the retry cannot check the printer is ready, so it refuses and sends nothing
    expect(isKioskError(await rejection(r.clock, r.printer.print(job)), 'TIMEOUT')).toBe(true);
    expect(r.sim.receivedDataBytes).toBe(sent);
    expect(await r.ledger.get(job.id)).toBe('in_doubt');
    r.sim.unresponsive(false);
    await expect(settle(r.clock, r.printer.print(job))).resolves.toMatchObject({ state: 'printed', duplicate: false, copy: true });
    expect(r.sim.receivedDataBytes).toBeGreaterThan(sent);
    // the hung printer did print the first one: the second on paper is the marked COPY
    expect(printedWith(r.sim, job.marker)).toHaveLength(2);
    expect(printedWith(r.sim, job.marker).filter((x) => x.text.includes('COPY'))).toHaveLength(1);
    await r.printer.close();
  });

  it('paper runs out during the job: PAPER_OUT, job "in_doubt"; after a new roll the retry resends it marked COPY', async () => {
    const r = rig();
    await up(r);
    const job = sampleJob('receipt:runout');
    const off = r.sim.onData(() => {
      off();
      r.sim.paperOut();
    });
    const err = await rejection(r.clock, r.printer.print(job));
    expect(isKioskError(err, 'PAPER_OUT')).toBe(true);
    expect(await r.ledger.get(job.id)).toBe('in_doubt');
    expect(r.sim.state().heldBytes).toBeGreaterThan(0);
    expect(printedWith(r.sim, job.marker)).toHaveLength(0);
    const sent = r.sim.receivedDataBytes;
    r.sim.paperOk();
    expect(printedWith(r.sim, job.marker)).toHaveLength(1);
    await expect(settle(r.clock, r.printer.print(job))).resolves.toMatchObject({ duplicate: false, copy: true });
    expect(r.sim.receivedDataBytes).toBeGreaterThan(sent);
    expect(printedWith(r.sim, job.marker)).toHaveLength(2);
    expect(printedWith(r.sim, job.marker).filter((x) => x.text.includes('COPY'))).toHaveLength(1);
    await r.printer.close();
  });
});

describe('EscPosPrinter: connection', () => {
  it('a dropped link: reconnect attempts back off on the injected clock; offline once, online once; commands in between reject DEVICE_OFFLINE', async () => {
    const r = rig({ printer: { reconnect: { initialMs: 250, factor: 2, maxMs: 2000 } } });
    await up(r);
    const opensBefore = r.opens.length;
    r.sim.disconnect();
    await run(r.clock, 1_100); // the next poll finds the link gone
    const job = sampleJob('receipt:offline');
    expect(isKioskError(await rejection(r.clock, r.printer.print(job)), 'DEVICE_OFFLINE')).toBe(true);
    expect(await r.ledger.get(job.id)).toBe('failed');
    await run(r.clock, 12_000);
    expect(r.events.map((e) => e.online)).toEqual([false]);
    const attempts = r.opens.slice(opensBefore);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
    expect(gaps.slice(0, 3)).toEqual([500, 1000, 2000]);
    expect(Math.max(...gaps)).toBe(2000);

    r.sim.reconnect();
    await run(r.clock, 3_000);
    expect(r.events.map((e) => e.online)).toEqual([false, true]);
    expect(r.printer.status()).toMatchObject({ online: true, lifecycle: 'enabled' });
    expect(r.sim.receivedDataBytes).toBe(0); // the refused job was not queued
    await expect(settle(r.clock, r.printer.print(job))).resolves.toMatchObject({ state: 'printed' });
    await r.printer.close();
  });

  it('a link back before the debounce runs out produces no events at all', async () => {
    const r = rig({ printer: { reconnect: { initialMs: 100 } } });
    await up(r);
    r.sim.disconnect();
    await run(r.clock, 1_100);
    r.sim.reconnect();
    await run(r.clock, 5_000);
    expect(r.events).toEqual([]);
    await r.printer.close();
  });

  it('close() rejects commands in flight with DEVICE_OFFLINE and always resolves', async () => {
    const r = rig();
    await up(r);
    r.sim.unresponsive();
    const pending = r.printer.realtimeStatus();
    await flush();
    await r.printer.close();
    const err = await rejection(r.clock, pending);
    expect(isKioskError(err, 'DEVICE_OFFLINE')).toBe(true);
    await r.printer.close();
    expect(r.printer.status()).toMatchObject({ lifecycle: 'closed', online: false });
  });

  it('claim(timeoutMs) rejects TIMEOUT when the interface never comes', async () => {
    const clock = new SimulatedClock();
    const stuck: UsbBulkLink = {
      open: async () => ({ serialNumber: 'STUCK' }),
      claim: () => new Promise(() => undefined),
      release: async () => undefined,
      close: async () => undefined,
      transferOut: async () => undefined,
      transferIn: async () => new Uint8Array(0),
    };
    const printer = new EscPosPrinter({ transport: new UsbTransport(stuck, { clock }), ledger: new MapPrintJobLedger(), clock });
    await printer.open();
    expect(isKioskError(await rejection(clock, printer.claim(300)), 'TIMEOUT')).toBe(true);
    expect(printer.status().lifecycle).toBe('opened');
    await printer.close();
  });

  it('open() rejects DEVICE_OFFLINE when the printer is not attached', async () => {
    const r = rig();
    r.sim.disconnect();
    await expect(r.printer.open()).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
    expect(r.printer.status().lifecycle).toBe('closed');
  });

  it('identifies itself by USB serial number', async () => {
    const r = rig();
    await r.printer.open();
    expect(r.printer.info).toMatchObject({ id: 'SIM-USB-1', serialNumber: 'SIM-USB-1', deviceClass: 'printer', driver: 'escpos-usb', path: 'usb:sim-1' });
    await r.printer.close();
  });
});

describe('EscPosPrinter: health', () => {
  it('never throws: external reports TIMEOUT / PAPER_OUT / COVER_OPEN as ok:false with the code', async () => {
    const r = rig();
    await expect(r.printer.checkHealth('internal')).resolves.toMatchObject({ ok: true });
    await up(r);
    r.sim.paperOut();
    await expect(settle(r.clock, r.printer.checkHealth('external'))).resolves.toMatchObject({ ok: false, code: 'PAPER_OUT' });
    r.sim.paperOk();
    r.sim.coverOpen();
    await expect(settle(r.clock, r.printer.checkHealth('external'))).resolves.toMatchObject({ ok: false, code: 'COVER_OPEN' });
    r.sim.coverClose();
    r.sim.unresponsive();
    await expect(settle(r.clock, r.printer.checkHealth('external'))).resolves.toMatchObject({ ok: false, code: 'TIMEOUT' });
    await expect(settle(r.clock, r.printer.checkHealth('interactive', { prompt: async () => true }))).resolves.toMatchObject({ ok: false, code: 'TIMEOUT' });
    await expect(r.printer.checkHealth('bogus' as never)).resolves.toMatchObject({ ok: false });
    await r.printer.close();
  });
});
