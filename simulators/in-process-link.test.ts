import { SerialPortStream, type OpenOptions } from '@serialport/stream';
import * as fc from 'fast-check';
import { InProcessLink, LinkError } from './in-process-link';

/**
 * The in-process serial link as serialport sees it: `SerialPortStream`s built with the link as their binding,
 * exactly how the drivers and simulators open it. Bytes both ways, split writes, the cable pulled under a
 * pending read, reopening after a replug, and the rules a real port keeps (lock, open twice, use after close).
 */

type PortOpts = Omit<OpenOptions, 'binding' | 'autoOpen'>;

function port(link: InProcessLink, path: string, opts: Partial<PortOpts> = {}): SerialPortStream {
  const p = new SerialPortStream({ binding: link.binding, path, baudRate: 9600, autoOpen: false, ...opts });
  p.on('error', () => undefined); // a failed write also emits 'error' (as with serialport's OS binding); tests check the callbacks
  return p;
}

function open(p: SerialPortStream): Promise<void> {
  return new Promise((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
}

function openError(p: SerialPortStream): Promise<Error> {
  return new Promise((resolve, reject) => p.open((err) => (err ? resolve(err) : reject(new Error(`${p.path} opened`)))));
}

function write(p: SerialPortStream, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => p.write(bytes, (err) => (err ? reject(err) : p.drain((e) => (e ? reject(e) : resolve())))));
}

function close(p: SerialPortStream): Promise<Error | null> {
  return new Promise((resolve) => p.close((err) => resolve(err ?? null)));
}

/** Collects what a port reads; `until(n)` resolves once n bytes arrived. */
function reader(p: SerialPortStream) {
  const chunks: Buffer[] = [];
  let waiting: { n: number; resolve: () => void } | null = null;
  p.on('data', (d: Buffer) => {
    chunks.push(d);
    if (waiting && Buffer.concat(chunks).length >= waiting.n) waiting.resolve();
  });
  return {
    bytes: () => Buffer.concat(chunks),
    chunks: () => chunks.length,
    until: (n: number) =>
      new Promise<void>((resolve) => {
        if (Buffer.concat(chunks).length >= n) return resolve();
        waiting = { n, resolve };
      }),
  };
}

async function pair(name = 'cable') {
  const link = new InProcessLink(name);
  const host = port(link, link.hostPath);
  const device = port(link, link.devicePath, { lock: false });
  await open(host);
  await open(device);
  return { link, host, device };
}

describe('InProcessLink — a serialport binding with two named ends', () => {
  it('names its ends after the link and lists them while plugged', async () => {
    const link = new InProcessLink('scanner');
    expect([link.hostPath, link.devicePath]).toEqual(['inproc:scanner-host', 'inproc:scanner-device']);
    expect((await link.list()).map((p) => p.path)).toEqual([link.hostPath, link.devicePath]);
    await link.unplug();
    expect(await link.list()).toEqual([]);
  });

  it('carries bytes both ways, in order', async () => {
    const { host, device } = await pair();
    const atDevice = reader(device);
    const atHost = reader(host);
    await write(host, Buffer.from('hello device'));
    await write(device, Buffer.from([0x00, 0xff, 0x10, 0x02]));
    await atDevice.until(12);
    await atHost.until(4);
    expect(atDevice.bytes().toString()).toBe('hello device');
    expect([...atHost.bytes()]).toEqual([0x00, 0xff, 0x10, 0x02]);
    await close(host);
    await close(device);
  });

  it('joins split writes into one stream, and bytes written before the reader attached wait for it', async () => {
    const { host, device } = await pair();
    await write(device, Buffer.from('AB'));
    await write(device, Buffer.from('CD'));
    const atHost = reader(host);
    await write(device, Buffer.from('E'));
    await atHost.until(5);
    expect(atHost.bytes().toString()).toBe('ABCDE');
    await close(host);
    await close(device);
  });

  it('unplug during a pending read: the port closes with a disconnect, the paths vanish, open fails (ENOENT)', async () => {
    const { link, host, device } = await pair();
    reader(host); // a read is pending on the host end
    const closed = new Promise<Error | null>((resolve) => host.once('close', (err: Error | null) => resolve(err)));
    const n0 = await link.deviceNumber(link.hostPath);
    await link.unplug();
    const err = (await closed) as (Error & { disconnected?: boolean }) | null;
    expect(err?.disconnected).toBe(true);
    expect(err?.message).toMatch(/Input\/output error/);
    expect(host.isOpen).toBe(false);
    expect(link.existsSync(link.hostPath)).toBe(false);
    expect(await link.pathExists(link.devicePath)).toBe(false);
    expect(await link.deviceNumber(link.hostPath)).toBeNull();
    expect(n0).not.toBeNull();
    // the device end's port is dead too: a write fails (not canceled) and serialport closes it
    await expect(write(device, Buffer.from('x'))).rejects.toThrow(/Input\/output error/);
    const again = await openError(port(link, link.hostPath));
    expect(again).toBeInstanceOf(LinkError);
    expect(again.message).toMatch(/No such file or directory/);
    expect((again as LinkError).code).toBe('ENOENT');
  });

  it('replug brings the ends back under the same names with a new device number; reopened ports carry bytes', async () => {
    const { link, host, device } = await pair();
    const before = await link.deviceNumber(link.hostPath);
    await link.unplug();
    await write(host, Buffer.from('lost')).catch(() => undefined);
    await link.replug();
    expect(link.existsSync(link.hostPath)).toBe(true);
    const after = await link.deviceNumber(link.hostPath);
    expect(after).not.toBeNull();
    expect(after).not.toBe(before);
    // the ports held from before stay dead (the old descriptor of a replugged adapter)
    expect(host.isOpen).toBe(false);
    await expect(write(device, Buffer.from('x'))).rejects.toThrow(/Input\/output error/);
    expect(device.isOpen).toBe(false);
    const host2 = port(link, link.hostPath);
    const device2 = port(link, link.devicePath, { lock: false });
    await open(host2);
    await open(device2);
    const atHost = reader(host2);
    await write(device2, Buffer.from('back'));
    await atHost.until(4);
    expect(atHost.bytes().toString()).toBe('back'); // nothing from before the unplug
    await close(host2);
    await close(device2);
  });

  it('keeps the rules of a real port: one locked opener per end, no second open, nothing after close', async () => {
    const link = new InProcessLink('rules');
    const a = port(link, link.hostPath); // lock: true is serialport's default
    await open(a);
    const busy = await openError(port(link, link.hostPath));
    expect(busy.message).toMatch(/Cannot lock port/);
    expect(await openError(port(link, link.hostPath, { lock: false }))).toBeInstanceOf(LinkError); // the holder locked it
    expect((await openError(a)).message).toMatch(/already open/);
    expect(await openError(port(link, 'inproc:other-host'))).toMatchObject({ code: 'ENOENT' });
    // without lock several may share an end, as on a tty
    const s1 = port(link, link.devicePath, { lock: false });
    const s2 = port(link, link.devicePath, { lock: false });
    await open(s1);
    await open(s2);
    expect(link.openers('device')).toBe(2);
    expect(await close(a)).toBeNull();
    expect(await close(a)).toMatchObject({ message: 'Port is not open' });
    // the binding port itself refuses work after close, as a closed file descriptor does
    const raw = await link.open({ path: link.hostPath, baudRate: 9600 });
    await raw.close();
    await expect(raw.write(Buffer.from('x'))).rejects.toMatchObject({ code: 'EBADF' });
    await expect(raw.read(Buffer.alloc(8), 0, 8)).rejects.toMatchObject({ code: 'EBADF' });
    await expect(raw.drain()).rejects.toMatchObject({ code: 'EBADF' });
    await expect(raw.close()).rejects.toMatchObject({ code: 'EBADF' });
    // the lock is gone with its holder
    const b = port(link, link.hostPath);
    await open(b);
    await close(b);
    await close(s1);
    await close(s2);
  });

  it('a pending read canceled by close is marked canceled (serialport then does not count it as a disconnect)', async () => {
    const link = new InProcessLink('cancel');
    const raw = await link.open({ path: link.hostPath, baudRate: 9600 });
    const read = raw.read(Buffer.alloc(4), 0, 4);
    await raw.close();
    await expect(read).rejects.toMatchObject({ canceled: true });
  });

  it('a write in flight when its port closes is canceled, and its bytes never arrive', async () => {
    const link = new InProcessLink('inflight');
    const host = await link.open({ path: link.hostPath, baudRate: 9600 });
    const dev = await link.open({ path: link.devicePath, baudRate: 9600, lock: false });
    const write = dev.write(Buffer.from('late'));
    await dev.close();
    await expect(write).rejects.toMatchObject({ canceled: true });
    const read = host.read(Buffer.alloc(8), 0, 8);
    await host.close();
    await expect(read).rejects.toMatchObject({ canceled: true }); // nothing arrived: the read was still waiting
  });

  it('bounds what an end holds unread: beyond maxBufferedBytes bytes are dropped and counted', async () => {
    const link = new InProcessLink('bounded', { maxBufferedBytes: 8 });
    const dev = await link.open({ path: link.devicePath, baudRate: 9600, lock: false });
    await dev.write(Buffer.from('0123456789ABCDEF'));
    expect(link.dropped('host')).toBe(8);
    const host = await link.open({ path: link.hostPath, baudRate: 9600 });
    const buf = Buffer.alloc(32);
    const { bytesRead } = await host.read(buf, 0, 32);
    expect(buf.subarray(0, bytesRead).toString()).toBe('01234567');
  });

  it('property: any byte sequence, split any way, arrives intact and in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { minLength: 1, maxLength: 12 }), fc.boolean(), async (pieces, towardsHost) => {
        const { link, host, device } = await pair('prop');
        const [from, to] = towardsHost ? [device, host] : [host, device];
        const got = reader(to);
        const want = Buffer.concat(pieces.map((p) => Buffer.from(p)));
        for (const piece of pieces) await write(from, Buffer.from(piece));
        await got.until(want.length);
        await close(host);
        await close(device);
        await link.close();
        return got.bytes().equals(want);
      }),
      { numRuns: 60 },
    );
  });
});
