import { SerialPort } from 'serialport';
import { SimulatedClock } from '../../kernel/clock';
import { encodeReceipt } from '../../drivers/printer/encode-receipt';
import { sampleJob, waitFor } from '../../test/support/contracts/printer-suite';
import { SimUsbLinkError } from './simulated-usb-link';
import { PtyPair } from '../pty-pair';
import { PrinterSimulator, type PrinterSimState } from './printer-simulator';
import { SerialPrinterSimulator } from './serial-printer';

const EOT = (n: number) => Uint8Array.of(0x10, 0x04, n);

function withReplies(sim: PrinterSimulator): number[] {
  const out: number[] = [];
  sim.onReply((b) => out.push(...b));
  return out;
}

describe('PrinterSimulator: real-time status', () => {
  it('answers DLE EOT 1–4 from its state', () => {
    const sim = new PrinterSimulator();
    const replies = withReplies(sim);
    const ask = () => {
      replies.length = 0;
      for (const n of [1, 2, 3, 4]) sim.receive(EOT(n));
      return [...replies];
    };
    expect(ask()).toEqual([0x12, 0x12, 0x12, 0x12]);
    sim.paperNearEnd();
    expect(ask()).toEqual([0x12, 0x12, 0x12, 0x1e]);
    sim.paperOut();
    expect(ask()).toEqual([0x1a, 0x32, 0x12, 0x7e]);
    sim.paperOk();
    sim.coverOpen();
    expect(ask()).toEqual([0x1a, 0x16, 0x12, 0x12]);
    sim.coverClose();
    sim.cutterError();
    expect(ask()).toEqual([0x1a, 0x52, 0x1a, 0x12]);
    sim.clearError();
    sim.drawer(true);
    expect(ask()).toEqual([0x16, 0x12, 0x12, 0x12]);
    expect(sim.statusQueries).toBe(24);
  });

  it('takes DLE EOT out of the data stream wherever it is, also split across chunks; DLE EOT with another n is data', () => {
    const sim = new PrinterSimulator();
    const replies = withReplies(sim);
    sim.receive(Uint8Array.of(0x41, 0x10));
    sim.receive(Uint8Array.of(0x04));
    sim.receive(Uint8Array.of(0x02, 0x42, 0x10, 0x04, 0x31, 0x0a));
    expect(replies).toEqual([0x12]);
    expect(sim.receivedDataBytes).toBe(6);
    // the printer's command interpreter then skips DLE EOT 0x31 as a (meaningless) command
    expect(sim.last()).toBe('AB');
    expect(sim.warnings).toEqual([]);
  });

  it('unresponsive / flap / garble', () => {
    const sim = new PrinterSimulator();
    const replies = withReplies(sim);
    sim.unresponsive();
    sim.receive(EOT(1));
    expect(replies).toEqual([]);
    sim.unresponsive(false);
    sim.flap(true);
    for (let i = 0; i < 4; i++) sim.receive(Uint8Array.of(...EOT(1), ...EOT(4)));
    expect(replies).toEqual([0x12, 0x12, 0x12, 0x12]); // polls 2 and 4 answered
    sim.flap(false);
    replies.length = 0;
    sim.garble((n, r) => (n === 1 ? [0xff, r] : null));
    sim.receive(Uint8Array.of(...EOT(1), ...EOT(2)));
    expect(replies).toEqual([0xff, 0x12]);
  });
});

describe('PrinterSimulator: paper', () => {
  it('holds what it receives while it cannot print, prints it when the fault clears', () => {
    const sim = new PrinterSimulator();
    const bytes = encodeReceipt(sampleJob('a'), { columns: 42, cjk: true });
    for (const [fault, clear] of [
      [() => sim.paperOut(), () => sim.paperOk()],
      [() => sim.coverOpen(), () => sim.coverClose()],
      [() => sim.cutterError(), () => sim.clearError()],
    ] as const) {
      const before = sim.receipts().length;
      fault();
      sim.receive(bytes);
      expect(sim.receipts()).toHaveLength(before);
      expect(sim.state().heldBytes).toBe(bytes.length);
      clear();
      expect(sim.state().heldBytes).toBe(0);
      expect(sim.receipts()).toHaveLength(before + 1);
    }
    expect(sim.last()).toContain('谢谢惠顾');
  });

  it('onStatus fires once per actual change', () => {
    const sim = new PrinterSimulator();
    const seen: PrinterSimState[] = [];
    const off = sim.onStatus((s) => seen.push(s));
    sim.paperNearEnd();
    sim.paperNearEnd();
    sim.paperOut();
    sim.paperOk();
    sim.disconnect();
    sim.disconnect();
    sim.reconnect();
    off();
    sim.coverOpen();
    expect(seen.map((s) => [s.paperNearEnd, s.paperOut, s.connected])).toEqual([
      [true, false, true],
      [true, true, true],
      [false, false, true],
      [false, false, false],
      [false, false, true],
    ]);
  });

  it('dropAfter(n): exactly n data bytes arrive, then the printer is gone', () => {
    const sim = new PrinterSimulator();
    sim.dropAfter(10);
    sim.receive(Uint8Array.of(...Buffer.from('0123456'), ...EOT(1), ...Buffer.from('789abcdef')));
    expect(sim.receivedDataBytes).toBe(10);
    expect(sim.connected).toBe(false);
    sim.receive(Buffer.from('more'));
    expect(sim.receivedDataBytes).toBe(10);
  });
});

describe('PrinterSimulator: USB link', () => {
  it('bulk OUT carries data, bulk IN the replies (after the configured empty reads)', async () => {
    const clock = new SimulatedClock();
    const sim = new PrinterSimulator({ clock, emptyReadsBeforeReply: 2, serialNumber: 'SN-1' });
    const link = sim.usbLink();
    await expect(link.open()).resolves.toMatchObject({ serialNumber: 'SN-1' });
    await link.claim();
    await link.transferOut(EOT(4));
    expect((await link.transferIn(64, 100)).length).toBe(0);
    expect((await link.transferIn(64, 100)).length).toBe(0);
    expect([...(await link.transferIn(64, 100))]).toEqual([0x12]);
    // nothing pending: the read waits for its timeout on the clock
    const waiting = link.transferIn(64, 100);
    let got: Uint8Array | null = null;
    void waiting.then((x) => (got = x));
    await new Promise((r) => setImmediate(r));
    expect(got).toBeNull();
    clock.advance(100);
    await expect(waiting).resolves.toEqual(new Uint8Array(0));
  });

  it('one claim at a time; a disconnect kills every handle; NOT_FOUND until reconnected', async () => {
    const clock = new SimulatedClock();
    const sim = new PrinterSimulator({ clock });
    const a = sim.usbLink();
    const b = sim.usbLink();
    await a.open();
    await b.open();
    await a.claim();
    await expect(b.claim()).rejects.toMatchObject({ code: 'BUSY' });
    const pending = a.transferIn(64, 1000);
    sim.disconnect();
    await expect(pending).rejects.toBeInstanceOf(SimUsbLinkError);
    await expect(a.transferOut(Uint8Array.of(1))).rejects.toMatchObject({ code: 'NO_DEVICE' });
    await expect(b.open()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    sim.reconnect();
    await b.open();
    await b.claim();
    await b.transferOut(Buffer.from('hi\n'));
    expect(sim.last()).toBe('hi');
  });

  it('dropAfter: the bulk OUT that crosses the limit fails NO_DEVICE', async () => {
    const sim = new PrinterSimulator();
    const link = sim.usbLink();
    await link.open();
    await link.claim();
    sim.dropAfter(5);
    await expect(link.transferOut(Buffer.from('0123456789'))).rejects.toMatchObject({ code: 'NO_DEVICE' });
    expect(sim.receivedDataBytes).toBe(5);
  });
});

describe('SerialPrinterSimulator over a real pty', () => {
  it('answers DLE EOT on the line, prints what it gets, and reattaches after the cable is replugged', async () => {
    const pair = await PtyPair.create('simprn');
    const sim = new PrinterSimulator();
    const dev = await SerialPrinterSimulator.attach(sim, pair.devicePath, { baudRate: 115200 });
    const open = async () => {
      const port = new SerialPort({ path: pair.hostPath, baudRate: 115200, autoOpen: false });
      await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
      const got: number[] = [];
      port.on('data', (d: Buffer) => got.push(...d));
      port.on('error', () => undefined);
      return { port, got };
    };
    try {
      let host = await open();
      host.port.write(Buffer.from([...Buffer.from('hello\n'), ...EOT(1)]));
      await waitFor(() => host.got.length === 1, 3000, 'the status byte');
      expect(host.got).toEqual([0x12]);
      await waitFor(() => sim.last() === 'hello', 3000, 'the text');

      await pair.unplug();
      await waitFor(() => !dev.attached, 2000, 'the device end to notice');
      await pair.replug();
      await dev.whenAttached();
      host = await open();
      host.port.write(Buffer.from(EOT(4)));
      await waitFor(() => host.got.length === 1, 3000, 'the status byte after replug');
      await new Promise<void>((res) => host.port.close(() => res()));
    } finally {
      await dev.close();
      await pair.close();
    }
  });
});
