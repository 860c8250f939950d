import { EventEmitter } from 'node:events';
import { SimulatedClock } from '../../kernel/clock';
import { KioskError, isKioskError } from '../../kernel/errors';
import type { DeviceStatus } from '../contract/device';
import type { TransportEvents, ZvtTransport } from './transport';
import { ZvtTerminal, type ZvtTerminalOptions } from './zvt-terminal';
import { decodeApdu, encodeApdu } from './zvt/apdu';
import { decodeEcrCommand, type EcrCommand } from './zvt/commands';
import { encodeTerminalMessage, type TerminalMessage } from './zvt/messages';
import { fromHex } from './zvt/hex';

const tick = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** A scripted transport: records what the driver sends; the test plays the terminal. */
class FakeTransport extends EventEmitter<TransportEvents> implements ZvtTransport {
  readonly kind = 'tcp' as const;
  readonly target = 'fake:1';
  connected = false;
  sent: EcrCommand[] = [];
  connectAttempts: number[] = [];
  /** true = next connect succeeds. */
  up = true;
  /** Auto-answer a registration with 80 00 00 + 06 0F. */
  autoRegister = true;
  /** When set, send() stays pending until the test calls the resolver (a serial link still retransmitting). */
  hold: (() => void)[] | null = null;
  constructor(private readonly clock: SimulatedClock) {
    super();
  }
  async connect(): Promise<void> {
    this.connectAttempts.push(this.clock.now());
    if (!this.up) throw new KioskError('DEVICE_OFFLINE', 'refused');
    this.connected = true;
  }
  async send(apdu: Uint8Array): Promise<void> {
    if (!this.connected) throw new KioskError('DEVICE_OFFLINE', 'down');
    const c = decodeEcrCommand(decodeApdu(apdu));
    this.sent.push(c);
    if (this.hold) await new Promise<void>((r) => this.hold!.push(r));
    if (c.kind === 'registration' && this.autoRegister) {
      queueMicrotask(() => {
        this.pt({ kind: 'ack' });
        this.pt({ kind: 'completion', info: { terminalId: '12345678' } });
      });
    }
  }
  async close(): Promise<void> {
    this.connected = false;
  }
  /** The terminal says something. */
  pt(m: TerminalMessage): void {
    this.emit('apdu', encodeApdu(encodeTerminalMessage(m)));
  }
  raw(hexBytes: string): void {
    this.emit('apdu', fromHex(hexBytes));
  }
  drop(): void {
    this.connected = false;
    this.emit('close', new KioskError('DEVICE_OFFLINE', 'cable pulled'));
  }
  kinds(): string[] {
    return this.sent.map((c) => c.kind);
  }
}

async function make(opts: Partial<ZvtTerminalOptions> = {}) {
  const clock = new SimulatedClock();
  let fake!: FakeTransport;
  const t = new ZvtTerminal({
    connection: { kind: 'tcp', host: 'fake' },
    clock,
    transportFactory: (_c, clk) => (fake = new FakeTransport(clk as SimulatedClock)),
    timeouts: { commandAck: 1000, completion: 10_000, admin: 2000, drain: 3000 },
    reconnect: { initialMs: 500, maxMs: 4000, factor: 2 },
    offlineDebounceMs: 1000,
    ...opts,
  });
  const statuses: DeviceStatus[] = [];
  t.on('status', (s) => statuses.push(s));
  await t.open();
  await t.claim();
  await t.enable();
  fake.sent = [];
  statuses.length = 0;
  return { t, clock, fake, statuses };
}

describe('ZvtTerminal with a scripted transport and the injected clock', () => {
  it('completion silence is measured on the injected clock and re-armed by every terminal message', async () => {
    const { t, clock, fake } = await make();
    const result = t.authorize(100).catch((e: unknown) => e);
    await tick();
    fake.pt({ kind: 'ack' });
    clock.advance(9999);
    fake.pt({ kind: 'intermediate', code: 0x0a });
    clock.advance(9999);
    await tick();
    expect(fake.kinds()).toEqual(['authorization', 'ack']);
    clock.advance(1);
    const e = await result;
    expect(isKioskError(e, 'TIMEOUT')).toBe(true);
    expect((e as KioskError).details).toMatchObject({ unknownOutcome: true, kind: 'authorize' });
    await tick();
    expect(fake.kinds()).toEqual(['authorization', 'ack', 'abort']);
  });

  it('no 80 00 00 within commandAck → TIMEOUT', async () => {
    const { t, clock } = await make();
    const result = t.authorize(100).catch((e: unknown) => e);
    await tick();
    clock.advance(1000);
    const e = (await result) as KioskError;
    expect(e.code).toBe('TIMEOUT');
    expect(e.message).toMatch(/did not acknowledge/);
  });

  it('the command-ack clock starts only once the link delivered the command (serial retransmissions are not cut short)', async () => {
    const { t, clock, fake } = await make({ timeouts: { ack: 5000, retries: 3, commandAck: 1000, completion: 10_000 } });
    fake.hold = [];
    const p = t.authorize(100);
    await tick();
    clock.advance(15_000); // the link is still retransmitting (4 × T3 = 20 s): no verdict yet
    await tick();
    fake.hold.splice(0).forEach((r) => r());
    fake.hold = null;
    await tick();
    fake.pt({ kind: 'ack' });
    fake.pt({ kind: 'completion', info: {} });
    expect(await p).toMatchObject({ approved: true });
  });

  it('after a timed-out payment: busy (drain) until the terminal ends it, then free', async () => {
    const { t, clock, fake } = await make();
    const result = t.authorize(100).catch((e: unknown) => e);
    await tick();
    clock.advance(1000);
    await result;
    expect(t.status().faults).toEqual(['TERMINAL_BUSY']);
    await expect(t.authorize(1)).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    fake.pt({ kind: 'ack' }); // for the abort
    fake.pt({ kind: 'abort', resultCode: 0x6c, info: {} }); // late end of the old transaction: acknowledged, not misattributed
    await tick();
    expect(fake.kinds()).toEqual(['authorization', 'abort', 'ack']);
    expect(t.status().faults).toEqual([]);
  });

  it('the drain also ends after `drain` ms if the terminal stays silent', async () => {
    const { t, clock } = await make();
    const result = t.authorize(100).catch((e: unknown) => e);
    await tick();
    clock.advance(1000);
    await result;
    clock.advance(2999);
    expect(t.status().faults).toEqual(['TERMINAL_BUSY']);
    clock.advance(1);
    expect(t.status().faults).toEqual([]);
  });

  it('84 xx to a command: known outcome, not approved, nothing charged', async () => {
    const { t, fake } = await make();
    const p = t.authorize(100);
    await tick();
    fake.pt({ kind: 'nack', code: 0x83 });
    expect(await p).toMatchObject({ approved: false, resultCode: 0x83, text: 'terminal refused the command: function not possible' });
  });

  it('a status information the driver cannot decode is an error event; the payment still completes', async () => {
    const { t, fake } = await make();
    const errors: KioskError[] = [];
    t.on('error', (e) => errors.push(e));
    const p = t.authorize(100);
    await tick();
    fake.pt({ kind: 'ack' });
    fake.raw('04 0F 03 FD 01 02'); // unknown BMP FD
    fake.pt({ kind: 'completion', info: {} });
    expect(await p).toMatchObject({ approved: true, resultCode: 0 });
    expect(errors[0].code).toBe('PROTOCOL');
    await tick();
    expect(fake.kinds()).toEqual(['authorization', 'ack', 'ack']);
  });

  it('a terminal that sends an unmasked PAN still yields a masked one', async () => {
    const { t, fake } = await make();
    const p = t.authorize(100);
    await tick();
    fake.pt({ kind: 'ack' });
    fake.pt({ kind: 'status-info', info: { resultCode: 0, amount: 100, maskedPan: '4111111111111111' } });
    fake.pt({ kind: 'completion', info: {} });
    expect((await p).maskedPan).toBe('411111******1111');
  });

  it('messages outside a command are acknowledged', async () => {
    const { fake } = await make();
    fake.pt({ kind: 'print-line', attribute: 0, text: 'x' });
    await tick();
    expect(fake.kinds()).toEqual(['ack']);
  });

  it('an already aborted signal sends nothing', async () => {
    const { t, fake } = await make();
    const ac = new AbortController();
    ac.abort();
    expect(await t.authorize(100, { signal: ac.signal })).toMatchObject({ approved: false, resultCode: 0x6c });
    expect(fake.sent).toEqual([]);
  });

  it('line loss: offline only after the debounce; reconnect with backoff on the injected clock; re-registers; online again', async () => {
    const { t, clock, fake, statuses } = await make();
    fake.up = false;
    const t0 = clock.now();
    fake.drop();
    await expect(t.authorize(1)).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
    expect(t.status().online).toBe(true); // debounced
    clock.advance(500);
    await tick();
    expect(fake.connectAttempts.slice(-1)[0] - t0).toBe(500);
    clock.advance(500);
    await tick();
    expect(statuses).toEqual([expect.objectContaining({ online: false, lifecycle: 'enabled' })]);
    clock.advance(500); // second attempt at +1500 (backoff 1000)
    await tick();
    clock.advance(2000); // third at +3500 (backoff 2000)
    await tick();
    clock.advance(4000); // fourth at +7500 (backoff capped at 4000)
    await tick();
    expect(fake.connectAttempts.slice(-4).map((a) => a - t0)).toEqual([500, 1500, 3500, 7500]);
    fake.up = true;
    clock.advance(4000);
    await tick(10);
    expect(fake.kinds()).toEqual(['registration', 'ack']);
    expect(statuses[statuses.length - 1]).toMatchObject({ online: true, lifecycle: 'enabled' });
    expect(t.status().online).toBe(true);
  });

  it('a blip shorter than the debounce is never reported', async () => {
    const { clock, fake, statuses } = await make();
    fake.drop();
    clock.advance(500);
    await tick(10);
    clock.advance(1000);
    await tick();
    expect(statuses).toEqual([]);
  });

  it('close() during the drain waits for the terminal to end it (acknowledged), but never longer than `drain` (injected clock)', async () => {
    const { t, clock, fake } = await make();
    const result = t.authorize(100).catch((e: unknown) => e);
    await tick();
    clock.advance(1000); // no 80 00 00: TIMEOUT, abort sent, draining
    await result;
    let closed = false;
    const closing = t.close().then(() => (closed = true));
    await tick();
    expect(closed).toBe(false);
    fake.pt({ kind: 'abort', resultCode: 0x6c, info: {} });
    await closing;
    expect(fake.kinds()).toEqual(['authorization', 'abort', 'ack']); // the late 06 1E was answered before the port closed

    // a terminal that stays silent: close() returns once `drain` (3000 ms) passed
    const other = await make();
    const r2 = other.t.authorize(100).catch((e: unknown) => e);
    await tick();
    other.clock.advance(1000);
    await r2;
    let closed2 = false;
    const closing2 = other.t.close().then(() => (closed2 = true));
    await tick();
    other.clock.advance(2999);
    await tick();
    expect(closed2).toBe(false);
    other.clock.advance(1);
    await closing2;
    expect(other.t.status().lifecycle).toBe('closed');
  });

  it('close() cancels reconnecting', async () => {
    const { t, clock, fake } = await make();
    fake.up = false;
    fake.drop();
    await t.close();
    const attempts = fake.connectAttempts.length;
    clock.advance(60_000);
    await tick();
    expect(fake.connectAttempts.length).toBe(attempts);
    expect(t.status()).toMatchObject({ lifecycle: 'closed', online: false });
  });

  it('a refused registration rejects enable()', async () => {
    const clock = new SimulatedClock();
    let fake!: FakeTransport;
    const t = new ZvtTerminal({ connection: { kind: 'tcp', host: 'x' }, clock, transportFactory: () => (fake = new FakeTransport(clock)) });
    await t.open();
    await t.claim();
    fake.autoRegister = false;
    const p = t.enable();
    await tick();
    fake.pt({ kind: 'ack' });
    fake.pt({ kind: 'abort', resultCode: 0x6b, info: {} });
    await expect(p).rejects.toMatchObject({ code: 'PROTOCOL', details: { resultCode: 0x6b } });
    expect(t.status().lifecycle).toBe('claimed');
  });

  it('validates amounts and options', async () => {
    const { t } = await make();
    await expect(t.authorize(0)).rejects.toThrow(RangeError);
    await expect(t.authorize(1.5)).rejects.toThrow(RangeError);
    await expect(t.refund(-1)).rejects.toThrow(RangeError);
    await expect(t.reverse(10000)).rejects.toThrow(RangeError);
    expect(() => new ZvtTerminal({ connection: { kind: 'tcp', host: 'x' }, password: '12' })).toThrow(RangeError);
  });
});
