import { SimulatedClock } from '../../kernel/clock';
import { isKioskError, type KioskError } from '../../kernel/errors';
import { FramedLink } from './framed-link';
import { encodeFrame } from './zvt/frame';
import { fromHex, hex } from './zvt/hex';

const tick = () => new Promise((r) => setImmediate(r));

function link(opts: { ackTimeoutMs?: number; maxRetries?: number } = {}) {
  const clock = new SimulatedClock();
  const written: string[] = [];
  const l = new FramedLink((b) => written.push(hex(b)), { clock, ackTimeoutMs: opts.ackTimeoutMs ?? 5000, maxRetries: opts.maxRetries });
  const apdus: string[] = [];
  const errors: KioskError[] = [];
  l.on('apdu', (a) => apdus.push(hex(a)));
  l.on('error', (e) => errors.push(e));
  return { l, clock, written, apdus, errors };
}

const FRAME = hex(encodeFrame(fromHex('06 01 0A 04 00 00 00 01 10 00 49 09 78')));

describe('FramedLink (serial link layer)', () => {
  it('ACKs a good frame and delivers its APDU', () => {
    const { l, written, apdus } = link();
    l.receive(encodeFrame(fromHex('80 00 00')));
    expect(written).toEqual(['06']);
    expect(apdus).toEqual(['80 00 00']);
  });

  it('NAKs a frame with a bad CRC and delivers nothing', () => {
    const { l, written, apdus, errors } = link();
    l.receive(encodeFrame(fromHex('80 00 00'), { corruptCrc: true }));
    expect(written).toEqual(['15']);
    expect(apdus).toEqual([]);
    expect(errors[0].code).toBe('PROTOCOL');
    expect(l.stats.naksSent).toBe(1);
  });

  it('send resolves on ACK', async () => {
    const { l, written } = link();
    let done = false;
    void l.send(fromHex('06 01 0A 04 00 00 00 01 10 00 49 09 78')).then(() => (done = true));
    expect(written).toEqual([FRAME]);
    l.receive(Uint8Array.of(0x06));
    await tick();
    expect(done).toBe(true);
  });

  it('repeats on NAK at most 2 times (PA00P016: 3 transmissions in all), then rejects PROTOCOL', async () => {
    const { l, written } = link();
    const p = l.send(fromHex('80 00 00'));
    const result = p.catch((e: unknown) => e);
    for (let i = 0; i < 3; i++) l.receive(Uint8Array.of(0x15));
    const e = await result;
    expect(isKioskError(e, 'PROTOCOL')).toBe(true);
    expect(written).toHaveLength(3); // 1 + 2 repeats
    expect(l.stats).toMatchObject({ framesSent: 3, retransmissions: 2, naksReceived: 3 });
  });

  it('repeats after T3 (on the injected clock) at most 2 times, then rejects TIMEOUT', async () => {
    const { l, clock, written } = link({ ackTimeoutMs: 5000 });
    const result = l.send(fromHex('80 00 00')).catch((e: unknown) => e);
    clock.advance(4999);
    expect(written).toHaveLength(1);
    clock.advance(1);
    expect(written).toHaveLength(2);
    clock.advance(5000);
    expect(written).toHaveLength(3);
    clock.advance(5000);
    const e = await result;
    expect(isKioskError(e, 'TIMEOUT')).toBe(true);
    expect(written).toHaveLength(3);
    expect(l.stats.ackTimeouts).toBe(3);
  });

  it('a NAK then an ACK: one retransmission, resolves', async () => {
    const { l, written } = link();
    const p = l.send(fromHex('80 00 00'));
    l.receive(Uint8Array.of(0x15));
    l.receive(Uint8Array.of(0x06));
    await expect(p).resolves.toBeUndefined();
    expect(written).toHaveLength(2);
    expect(written[0]).toBe(written[1]);
  });

  it('sends one frame at a time, in call order', async () => {
    const { l, written } = link();
    const a = l.send(fromHex('80 00 00'));
    const b = l.send(fromHex('06 B0 00'));
    expect(written).toHaveLength(1);
    l.receive(Uint8Array.of(0x06));
    await a;
    expect(written).toHaveLength(2);
    expect(written[1]).toBe(hex(encodeFrame(fromHex('06 B0 00'))));
    l.receive(Uint8Array.of(0x06));
    await b;
  });

  it('frames from the peer interleave with our pending send (full duplex)', async () => {
    const { l, written, apdus } = link();
    const p = l.send(fromHex('06 B0 00'));
    l.receive(encodeFrame(fromHex('04 FF 01 0A')));
    expect(apdus).toEqual(['04 FF 01 0A']);
    expect(written).toEqual([hex(encodeFrame(fromHex('06 B0 00'))), '06']);
    l.receive(Uint8Array.of(0x06));
    await p;
  });

  it('stray bytes while waiting for an ACK are reported when T3 expires', () => {
    const { l, clock, errors } = link({ ackTimeoutMs: 100 });
    void l.send(fromHex('80 00 00')).catch(() => undefined);
    l.receive(fromHex('41 42'));
    expect(errors).toHaveLength(0);
    clock.advance(100);
    expect(errors[0]).toMatchObject({ code: 'PROTOCOL', details: { count: 2 } });
  });

  it('close() rejects what is queued and everything sent later', async () => {
    const { l } = link();
    const a = l.send(fromHex('80 00 00')).catch((e: unknown) => e);
    const b = l.send(fromHex('80 00 00')).catch((e: unknown) => e);
    l.close(new (await import('../../kernel/errors')).KioskError('DEVICE_OFFLINE', 'gone'));
    expect(isKioskError(await a, 'DEVICE_OFFLINE')).toBe(true);
    expect(isKioskError(await b, 'DEVICE_OFFLINE')).toBe(true);
    await expect(l.send(fromHex('80 00 00'))).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
  });

  it('a write that throws takes the link offline', async () => {
    const clock = new SimulatedClock();
    const l = new FramedLink(
      () => {
        throw new Error('EIO');
      },
      { clock },
    );
    await expect(l.send(fromHex('80 00 00'))).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
  });
});
