import { SerialPort } from 'serialport';
import { SystemClock } from '../../kernel/clock';
import { isKioskError } from '../../kernel/errors';
import { PtyPair } from '../../simulators/pty-pair';
import { SerialTransport } from './serial-transport';
import { waitFor } from '../../test/support/contracts/printer-suite';

const clock = new SystemClock();

describe('SerialTransport over a real pty', () => {
  let pair: PtyPair;
  let far: SerialPort;
  const farGot: number[] = [];

  beforeEach(async () => {
    pair = await PtyPair.create('serial-t');
    far = new SerialPort({ path: pair.devicePath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => far.open((e) => (e ? rej(e) : res())));
    far.on('data', (d: Buffer) => farGot.push(...d));
    far.on('error', () => undefined);
    farGot.length = 0;
  });

  afterEach(async () => {
    if (far.isOpen) await new Promise<void>((res) => far.close(() => res()));
    await pair.close();
  });

  it('open() rejects DEVICE_OFFLINE for a port that does not exist', async () => {
    const t = new SerialTransport({ path: `${pair.hostPath}-missing`, clock });
    await expect(t.open()).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
  });

  it('writes, and reads what arrives — or nothing after the timeout; discardInput drops stale bytes', async () => {
    const t = new SerialTransport({ path: pair.hostPath, baudRate: 115200, clock });
    await t.open();
    await t.claim();
    await t.write(Uint8Array.of(0x10, 0x04, 0x01));
    await waitFor(() => farGot.length === 3, 2000, 'the bytes at the far end');
    const started = Date.now();
    expect((await t.read(60)).length).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    const pending = t.read(2000);
    far.write(Buffer.from([0x12]));
    expect([...(await pending)]).toEqual([0x12]);
    far.write(Buffer.from([0x99]));
    await new Promise((r) => setTimeout(r, 50));
    t.discardInput();
    expect((await t.read(30)).length).toBe(0);
    await t.close();
  });

  it('a second claim on the same port is DEVICE_BUSY; after release it can be claimed again', async () => {
    const a = new SerialTransport({ path: pair.hostPath, clock });
    const b = new SerialTransport({ path: pair.hostPath, clock });
    await a.claim();
    await expect(b.claim()).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    await a.release();
    await b.claim();
    await b.close();
    await a.close();
  });

  it('unplugged: the disconnect listener runs once, pending and later calls reject DEVICE_OFFLINE', async () => {
    const t = new SerialTransport({ path: pair.hostPath, clock });
    await t.claim();
    const lost: Error[] = [];
    t.onDisconnect((e) => lost.push(e));
    const pending = t.read(5000).then(
      () => null,
      (e: unknown) => e,
    );
    await pair.unplug();
    const err = await pending;
    expect(isKioskError(err, 'DEVICE_OFFLINE')).toBe(true);
    await waitFor(() => lost.length > 0, 2000, 'the disconnect');
    await expect(t.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
    expect(lost).toHaveLength(1);
    await t.close();
  });
});
