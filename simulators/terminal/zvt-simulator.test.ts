import * as net from 'node:net';
import { SerialPort } from 'serialport';
import { PtyPair } from '../pty-pair';
import { ZvtTerminalSimulator } from './zvt-simulator';
import { decodeApdu, encodeApdu, type Apdu } from '../../drivers/terminal/zvt/apdu';
import { ApduDecoder } from '../../drivers/terminal/zvt/apdu-stream';
import { encodeEcrCommand, type EcrCommand } from '../../drivers/terminal/zvt/commands';
import { decodeTerminalMessage, type TerminalMessage } from '../../drivers/terminal/zvt/messages';
import { encodeFrame, FrameDecoder, type FrameEvent } from '../../drivers/terminal/zvt/frame';
import { fromHex } from '../../drivers/terminal/zvt/hex';

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A bare-bytes ECR over TCP: what a driver would do, written out by hand. */
class RawTcpEcr {
  private readonly decoder = new ApduDecoder();
  private readonly inbox: Apdu[] = [];
  private waiter: (() => void) | null = null;
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      for (const ev of this.decoder.push(d)) if (ev.type === 'apdu') this.inbox.push(decodeApdu(ev.apdu));
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }
  static connect(port: number): Promise<RawTcpEcr> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawTcpEcr(s)));
      s.once('error', reject);
    });
  }
  send(c: EcrCommand | string): void {
    this.socket.write(typeof c === 'string' ? fromHex(c) : encodeApdu(encodeEcrCommand(c)));
  }
  async next(ms = 2000): Promise<TerminalMessage> {
    const deadline = Date.now() + ms;
    while (this.inbox.length === 0) {
      if (this.closed) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('no message');
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 20);
      });
    }
    return decodeTerminalMessage(this.inbox.shift()!);
  }
  /** Reads messages, acknowledging each one (80 00 00) the way the ECR must, until 06 0F / 06 1E. */
  async follow(): Promise<TerminalMessage[]> {
    const seen: TerminalMessage[] = [];
    for (;;) {
      const m = await this.next();
      seen.push(m);
      if (m.kind !== 'ack' && m.kind !== 'nack') this.send({ kind: 'ack' });
      if (m.kind === 'completion' || m.kind === 'abort' || m.kind === 'nack') return seen;
    }
  }
  close(): void {
    this.socket.destroy();
  }
}

/** A bare-bytes ECR on the host end of a pty pair: frames, ACK/NAK by hand. */
class RawSerialEcr {
  private readonly decoder = new FrameDecoder();
  readonly events: FrameEvent[] = [];
  private constructor(readonly port: SerialPort) {
    port.on('data', (d: Buffer) => this.events.push(...this.decoder.push(d)));
  }
  static async open(path: string): Promise<RawSerialEcr> {
    const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    return new RawSerialEcr(port);
  }
  write(bytes: Uint8Array | number[]): void {
    this.port.write(Buffer.from(Uint8Array.from(bytes)));
  }
  sendFrame(c: EcrCommand): void {
    this.write(encodeFrame(encodeApdu(encodeEcrCommand(c))));
  }
  async next(ms = 2000): Promise<FrameEvent> {
    const deadline = Date.now() + ms;
    while (this.events.length === 0) {
      if (Date.now() > deadline) throw new Error('no event');
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.events.shift()!;
  }
  async nextFrame(ms = 2000): Promise<TerminalMessage> {
    const ev = await this.next(ms);
    if (ev.type !== 'frame') throw new Error(`expected a frame, got ${ev.type}`);
    return decodeTerminalMessage(decodeApdu(ev.apdu));
  }
  close(): Promise<void> {
    return new Promise((r) => (this.port.isOpen ? this.port.close(() => r()) : r()));
  }
}

describe('ZVT terminal simulator over TCP (bare APDUs)', () => {
  let sim: ZvtTerminalSimulator;
  let port: number;
  let ecr: RawTcpEcr;

  beforeEach(async () => {
    sim = new ZvtTerminalSimulator({ ecrAckTimeoutMs: 1000 });
    port = (await sim.listenTcp()).port;
    ecr = await RawTcpEcr.connect(port);
  });
  afterEach(async () => {
    ecr.close();
    await sim.close();
  });

  it('answers a registration with 80 00 00 then 06 0F carrying the terminal id and currency', async () => {
    ecr.send('06 00 06 00 00 00 08 09 78');
    expect(await ecr.follow()).toEqual([{ kind: 'ack' }, { kind: 'completion', info: { paymentType: 0, terminalId: '52001233', currency: 978 } }]);
  });

  it('runs an approved payment: prompts, status information with a masked PAN, receipt lines, completion; journals it', async () => {
    ecr.send({ kind: 'authorization', amount: 1234, currency: 978 });
    const seen = await ecr.follow();
    expect(seen.map((m) => (m.kind === 'intermediate' ? `04FF:${m.code}` : m.kind))).toEqual([
      'ack',
      '04FF:10',
      '04FF:1',
      '04FF:4',
      'status-info',
      'print-line',
      'print-line',
      'print-line',
      'print-line',
      'print-line',
      'completion',
    ]);
    const info = seen.find((m) => m.kind === 'status-info');
    expect(info).toMatchObject({ kind: 'status-info', info: { resultCode: 0, amount: 1234, traceNumber: 1, receiptNumber: 1, maskedPan: '6799********0016', cardName: 'girocard' } });
    expect(sim.lookupByTrace(1)).toMatchObject({ kind: 'payment', result: 'approved', resultCode: 0, amount: 1234, receiptNumber: 1, maskedPan: '6799********0016' });
    expect(sim.lookupByReceipt(1)?.traceNumber).toBe(1);
    expect(sim.last()?.traceNumber).toBe(1);
  });

  it('declineNext: status information with the code, then 06 1E <code>', async () => {
    sim.declineNext(0x05);
    ecr.send({ kind: 'authorization', amount: 500 });
    const seen = await ecr.follow();
    expect(seen.find((m) => m.kind === 'status-info')).toMatchObject({ info: { resultCode: 5 } });
    expect(seen[seen.length - 1]).toEqual({ kind: 'abort', resultCode: 5, info: {} });
    expect(sim.last()).toMatchObject({ result: 'declined', resultCode: 5 });
  });

  it('timeoutNext: asks for a card, then stays silent until 06 B0, which ends it with 06 1E 6C', async () => {
    sim.timeoutNext();
    ecr.send({ kind: 'authorization', amount: 700 });
    expect(await ecr.next()).toEqual({ kind: 'ack' });
    expect(await ecr.next()).toMatchObject({ kind: 'intermediate', code: 0x0a });
    ecr.send({ kind: 'ack' });
    await expect(ecr.next(300)).rejects.toThrow('no message');
    expect(sim.last()).toMatchObject({ result: 'pending', amount: 700 });
    // busy meanwhile: any other command gets 84 9C
    ecr.send({ kind: 'status-enquiry', password: '000000' });
    expect(await ecr.next()).toEqual({ kind: 'nack', code: 0x9c });
    ecr.send({ kind: 'abort' });
    expect(await ecr.follow()).toEqual([{ kind: 'ack' }, { kind: 'abort', resultCode: 0x6c, info: {} }]);
    expect(sim.last()).toMatchObject({ result: 'aborted', resultCode: 0x6c, note: 'aborted by the ECR' });
  });

  it('status enquiry answers with software version and terminal status; repeat receipt repeats the last transaction', async () => {
    ecr.send({ kind: 'repeat-receipt', password: '000000' });
    expect(await ecr.follow()).toEqual([{ kind: 'ack' }, { kind: 'abort', resultCode: 0x83, info: {} }]);
    ecr.send({ kind: 'authorization', amount: 999 });
    await ecr.follow();
    ecr.send({ kind: 'status-enquiry', password: '000000' });
    expect(await ecr.follow()).toEqual([{ kind: 'ack' }, { kind: 'completion', swVersion: 'KIOSK-SIM 1.0', terminalStatus: 0, info: { terminalId: '52001233' } }]);
    ecr.send({ kind: 'repeat-receipt', password: '000000' });
    const seen = await ecr.follow();
    expect(seen.find((m) => m.kind === 'status-info')).toMatchObject({ info: { amount: 999, traceNumber: 1, resultCode: 0 } });
    expect(seen[seen.length - 1].kind).toBe('completion');
  });

  it('reversal by receipt number marks the payment reversed; a second reversal is refused (B4), an unknown receipt too (B5)', async () => {
    ecr.send({ kind: 'authorization', amount: 2500 });
    await ecr.follow();
    ecr.send({ kind: 'reversal', password: '000000', receiptNumber: 1 });
    const seen = await ecr.follow();
    expect(seen.find((m) => m.kind === 'status-info')).toMatchObject({ info: { amount: 2500, originalTraceNumber: 1, traceNumber: 2 } });
    expect(sim.lookupByTrace(1)).toMatchObject({ reversed: true });
    expect(sim.lookupByTrace(2)).toMatchObject({ kind: 'reversal', result: 'approved' });
    ecr.send({ kind: 'reversal', password: '000000', receiptNumber: 1 });
    expect((await ecr.follow()).pop()).toMatchObject({ kind: 'abort', resultCode: 0xb4 });
    ecr.send({ kind: 'reversal', password: '000000', receiptNumber: 77 });
    expect((await ecr.follow()).pop()).toMatchObject({ kind: 'abort', resultCode: 0xb5 });
  });

  it('end-of-day totals approved payments minus refunds since the last one, leaving out reversed ones', async () => {
    for (const amount of [1000, 250]) {
      ecr.send({ kind: 'authorization', amount });
      await ecr.follow();
    }
    sim.declineNext();
    ecr.send({ kind: 'authorization', amount: 4000 });
    await ecr.follow();
    ecr.send({ kind: 'refund', password: '000000', amount: 100 });
    await ecr.follow();
    ecr.send({ kind: 'reversal', password: '000000', receiptNumber: 2 });
    await ecr.follow();
    ecr.send({ kind: 'end-of-day', password: '000000' });
    const seen = await ecr.follow();
    expect(seen.find((m) => m.kind === 'status-info')).toMatchObject({ info: { amount: 900, resultCode: 0 } });
    ecr.send({ kind: 'end-of-day', password: '000000' });
    expect((await ecr.follow()).find((m) => m.kind === 'status-info')).toMatchObject({ info: { amount: 0 } });
  });

  it('an unknown command gets 84 83 00; garbage APDUs a negative acknowledgement', async () => {
    ecr.send('06 70 00');
    expect(await ecr.next()).toEqual({ kind: 'nack', code: 0x83 });
    ecr.send('06 01 03 49 09 78'); // authorization without amount
    expect(await ecr.next()).toEqual({ kind: 'nack', code: 0x9a });
  });

  it('autoCard off: waits for insertCard()', async () => {
    await sim.close();
    sim = new ZvtTerminalSimulator({ autoCard: false });
    port = (await sim.listenTcp()).port;
    ecr.close();
    ecr = await RawTcpEcr.connect(port);
    ecr.send({ kind: 'authorization', amount: 100 });
    expect(await ecr.next()).toEqual({ kind: 'ack' });
    expect(await ecr.next()).toMatchObject({ kind: 'intermediate', code: 0x0a });
    ecr.send({ kind: 'ack' });
    await expect(ecr.next(200)).rejects.toThrow('no message');
    sim.insertCard({ maskedPan: '4111********1111', cardName: 'VISA' });
    const seen = await ecr.follow();
    expect(seen.find((m) => m.kind === 'status-info')).toMatchObject({ info: { maskedPan: '4111********1111', cardName: 'VISA' } });
    expect(sim.cardInserted).toBe(true);
    sim.removeCard();
    expect(sim.cardInserted).toBe(false);
  });

  it('disconnect() drops the ECR and refuses connections; reconnect() listens on the same port', async () => {
    sim.timeoutNext();
    ecr.send({ kind: 'authorization', amount: 100 });
    await ecr.next();
    await ecr.next();
    await sim.disconnect();
    await expect(ecr.next(1000)).rejects.toThrow('connection closed');
    await expect(RawTcpEcr.connect(port)).rejects.toThrow(/ECONNREFUSED/);
    expect(sim.last()).toMatchObject({ result: 'aborted', note: 'line to the ECR lost; reversed' });
    await sim.reconnect();
    ecr = await RawTcpEcr.connect(port);
    ecr.send({ kind: 'status-enquiry', password: '000000' });
    expect((await ecr.follow()).pop()).toMatchObject({ kind: 'completion', terminalStatus: 0 });
  });

  it('an ECR that refuses the status information (84 xx) gets the payment reversed', async () => {
    ecr.send({ kind: 'authorization', amount: 300 });
    for (;;) {
      const m = await ecr.next();
      if (m.kind === 'status-info') {
        ecr.send({ kind: 'nack', code: 0x66 });
        break;
      }
      if (m.kind !== 'ack') ecr.send({ kind: 'ack' });
    }
    expect(await ecr.next()).toEqual({ kind: 'abort', resultCode: 0x6c, info: {} });
    ecr.send({ kind: 'ack' });
    expect(sim.last()).toMatchObject({ result: 'aborted', note: 'ECR refused the status information; reversed' });
  });
});

describe('ZVT terminal simulator over a pty pair (framed serial)', () => {
  let pair: PtyPair;
  let sim: ZvtTerminalSimulator;
  let ecr: RawSerialEcr;

  beforeEach(async () => {
    pair = await PtyPair.create('zvtsim');
    sim = new ZvtTerminalSimulator({ linkAckTimeoutMs: 200, ecrAckTimeoutMs: 1500, serialWatchMs: 50 });
    await sim.attachSerial(pair.devicePath);
    ecr = await RawSerialEcr.open(pair.hostPath);
  });
  afterEach(async () => {
    await ecr.close();
    await sim.close();
    await pair.close();
  });

  it('ACKs our frame (06), sends 80 00 00 and 06 0F as frames, and takes our ACKs', async () => {
    ecr.sendFrame({ kind: 'registration', password: '000000', config: 0x08, currency: 978 });
    expect(await ecr.next()).toEqual({ type: 'ack' });
    expect(await ecr.nextFrame()).toEqual({ kind: 'ack' });
    ecr.write([0x06]);
    expect(await ecr.nextFrame()).toMatchObject({ kind: 'completion', info: { terminalId: '52001233' } });
    ecr.write([0x06]);
    ecr.sendFrame({ kind: 'ack' });
    expect(await ecr.next()).toEqual({ type: 'ack' });
    expect(sim.stats.serial).toMatchObject({ retransmissions: 0, naksReceived: 0 });
  });

  it('NAKs a frame with a bad CRC', async () => {
    const bad = encodeFrame(fromHex('06 00 06 00 00 00 08 09 78'), { corruptCrc: true });
    ecr.write(bad);
    expect(await ecr.next()).toEqual({ type: 'nak' });
    expect(sim.stats.commands).toBe(0);
  });

  it('a corrupted frame from the terminal is retransmitted after our NAK', async () => {
    sim.injectFaults({ corruptFrames: 1 });
    ecr.sendFrame({ kind: 'status-enquiry', password: '000000' });
    expect(await ecr.next()).toEqual({ type: 'ack' });
    expect(await ecr.next()).toMatchObject({ type: 'crc-error' });
    ecr.write([0x15]);
    expect(await ecr.nextFrame()).toEqual({ kind: 'ack' });
    ecr.write([0x06]);
    expect(sim.stats.serial).toMatchObject({ corruptedSent: 1, naksReceived: 1, retransmissions: 1 });
  });

  it('a frame we do not ACK is sent again after T3', async () => {
    ecr.sendFrame({ kind: 'status-enquiry', password: '000000' });
    expect(await ecr.next()).toEqual({ type: 'ack' });
    const first = await ecr.next();
    const again = await ecr.next(1000); // no ACK from us: T3 (200 ms) then the same frame
    expect(again).toEqual(first);
    ecr.write([0x06]);
    expect(sim.stats.serial?.ackTimeouts).toBeGreaterThanOrEqual(1);
  });

  it('a swallowed frame (dropped ACK) is neither ACKed nor acted on', async () => {
    sim.injectFaults({ dropFrames: 1 });
    ecr.sendFrame({ kind: 'status-enquiry', password: '000000' });
    await expect(ecr.next(300)).rejects.toThrow('no event');
    expect(sim.stats.commands).toBe(0);
    ecr.sendFrame({ kind: 'status-enquiry', password: '000000' });
    expect(await ecr.next()).toEqual({ type: 'ack' });
    expect(sim.stats.serial?.swallowed).toBe(1);
  });

  it('survives unplug/replug: reopens the device end by itself', async () => {
    await ecr.close();
    await pair.unplug();
    await until(() => !sim.connected);
    await pair.replug();
    await until(() => sim.connected);
    ecr = await RawSerialEcr.open(pair.hostPath);
    ecr.sendFrame({ kind: 'status-enquiry', password: '000000' });
    expect(await ecr.next()).toEqual({ type: 'ack' });
  });
});
