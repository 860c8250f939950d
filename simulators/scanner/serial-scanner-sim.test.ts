import * as fs from 'node:fs';
import { SerialPort } from 'serialport';
import { SerialScannerSimulator } from './serial-scanner-sim';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The host end as a plain serial port: what a driver would receive. */
async function openHost(path: string): Promise<{ port: SerialPort; received: () => Buffer }> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false, lock: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  const chunks: Buffer[] = [];
  port.on('data', (c: Buffer) => chunks.push(c));
  port.on('error', () => undefined);
  return { port, received: () => Buffer.concat(chunks) };
}

/** Fails with a label instead of hanging until the jest timeout. */
function within<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${label}: not done within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await delay(5);
}

describe('SerialScannerSimulator', () => {
  let sim: SerialScannerSimulator;
  afterEach(async () => {
    await sim?.close();
  });

  it('puts AIM id, data and suffix on the line, byte for byte', async () => {
    sim = await SerialScannerSimulator.create();
    const host = await openHost(sim.hostPath);
    await sim.scan('4006381333931', { aim: ']E0' });
    await sim.scan('96385074', { suffix: '\r\n' });
    await sim.garble([0x00, 0xff]);
    const expected = Buffer.from(']E04006381333931\r96385074\r\n\x00\xff', 'latin1');
    await until(() => host.received().length >= expected.length);
    expect(host.received()).toEqual(expected);
    host.port.close();
  });

  it('encodes text as UTF-8 when configured', async () => {
    sim = await SerialScannerSimulator.create({ encoding: 'utf8', suffix: '\n' });
    expect(sim.bytesFor('Grüße')).toEqual(Buffer.from('Grüße\n', 'utf8'));
  });

  it('a 2-D read goes on a real pty byte for byte: GS separators, UTF-8 text, 4 KB in one scan', async () => {
    sim = await SerialScannerSimulator.create({ encoding: 'utf8', suffix: '\r\n' });
    const host = await openHost(sim.hostPath);
    const gs1 = '010950600013435217261231' + '10ABC\x1d21XYZ';
    const long = 'https://id.gs1.org/01/09506000134352?x=' + 'A'.repeat(4096);
    await sim.scan(gs1, { aim: ']d2' });
    await sim.scan('绿茶 500克', { aim: ']Q1' });
    await sim.scan(long, { aim: ']Q1' });
    const expected = Buffer.concat([
      Buffer.from([0x5d, 0x64, 0x32, ...Buffer.from('010950600013435217261231', 'ascii'), 0x31, 0x30, 0x41, 0x42, 0x43, 0x1d, 0x32, 0x31, 0x58, 0x59, 0x5a, 0x0d, 0x0a]),
      Buffer.from([0x5d, 0x51, 0x31, 0xe7, 0xbb, 0xbf, 0xe8, 0x8c, 0xb6, 0x20, 0x35, 0x30, 0x30, 0xe5, 0x85, 0x8b, 0x0d, 0x0a]),
      Buffer.from(`]Q1${long}\r\n`, 'ascii'),
    ]);
    await until(() => host.received().length >= expected.length, 5000);
    expect(host.received().equals(expected)).toBe(true);
    host.port.close();
  });

  it('unplug() takes the host end away, replug() brings it back under the same path', async () => {
    sim = await SerialScannerSimulator.create();
    const host = await within(openHost(sim.hostPath), 5000, 'open host end');
    await within(sim.unplug(), 5000, 'unplug');
    // the device node is gone; (serialport usually, not always, also reports the hang-up: drivers poll presence)
    expect(fs.existsSync(sim.hostPath)).toBe(false);
    expect(sim.plugged).toBe(false);
    if (host.port.isOpen) host.port.close();
    await expect(sim.scan('1')).rejects.toThrow(/unplugged/);
    await within(sim.replug(), 5000, 'replug');
    const again = await within(openHost(sim.hostPath), 5000, 'reopen host end');
    await sim.scan('42');
    await until(() => again.received().length >= 3);
    expect(again.received().toString('latin1')).toBe('42\r');
    again.port.close();
  });
});
