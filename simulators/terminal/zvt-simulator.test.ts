import { SerialPort } from 'serialport';
import { SystemClock } from '../../kernel/clock';
import { PtyPair } from '../pty-pair';
import { ZvtTerminalSimulator, type TerminalSimulatorOptions } from './zvt-simulator';
import { apduHex, asciiHex, bytesOf, hexOf, RawTcpEcr } from '../../test/support/zvt-raw-ecr';

/**
 * The simulator driven with raw bytes, written out by hand (no codec from drivers/, none from the simulator).
 * Byte sources: PA00P015/PA00P016 as quoted in test/zvt-spec/vectors.ts.
 */

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Wall-clock timers, but "now" is 2026-12-06 09:30:15 UTC, so 0C/0D in status information are known bytes. */
class FixedNowClock extends SystemClock {
  override now(): number {
    return Date.UTC(2026, 11, 6, 9, 30, 15);
  }
}

const PAY_1234 = '06 01 07 04 00 00 00 00 12 34';
const REGISTER = (config: string) => `06 00 04 00 00 00 ${config}`;
const TIME_DATE = '0C 09 30 15 0D 12 06';
const CARD = '0E 28 12 17 00 01 22 F0 F8 67 99 EE EE EE EE 00 16';
const TID = '29 52 00 12 33';
const GIROCARD = `8A 05 8B F0 F8 ${asciiHex('girocard')}`;

/** 04 0F of the first approved payment of 12.34 (trace 1, receipt 1, auth code 100001). */
const APPROVED_1234 = apduHex('04 0F', `27 00 04 00 00 00 00 12 34 0B 00 00 01 ${TIME_DATE} ${CARD} ${TID} 3B ${asciiHex('100001')} 00 00 49 09 78 87 00 01 ${GIROCARD}`);

/** The same transaction repeated from the terminal's journal (06 20 with 03 01): the card's expiry / sequence no. / type are not kept. */
const REPEATED_1234 = apduHex('04 0F', `27 00 04 00 00 00 00 12 34 0B 00 00 01 ${TIME_DATE} 22 F0 F8 67 99 EE EE EE EE 00 16 ${TID} 3B ${asciiHex('100001')} 00 00 49 09 78 87 00 01 8B F0 F8 ${asciiHex('girocard')}`);

describe('ZVT terminal simulator over TCP, byte level', () => {
  let sim: ZvtTerminalSimulator;
  let ecr: RawTcpEcr;
  let port: number;

  async function start(opts: TerminalSimulatorOptions = {}): Promise<void> {
    sim = new ZvtTerminalSimulator({ ecrAckTimeoutMs: 1000, clock: new FixedNowClock(), ...opts });
    port = (await sim.listenTcp()).port;
    ecr = await RawTcpEcr.connect(port);
    await until(() => sim.connected);
  }

  async function register(config: string): Promise<void> {
    ecr.send(REGISTER(config));
    expect(await ecr.follow()).toEqual(['80 00 00', apduHex('06 0F', `19 00 ${TID}`)]);
    await until(() => sim.idle);
  }

  afterEach(async () => {
    ecr?.close();
    await sim?.close();
  });

  describe('registration (06 00)', () => {
    it('answers 80 00 00, then 06 0F 19 <status> 29 <TID> and 49 <CC> only because the ECR sent a currency', async () => {
      await start();
      ecr.send('06 00 06 00 00 00 08 09 78');
      expect(await ecr.follow()).toEqual(['80 00 00', apduHex('06 0F', `19 00 ${TID} 49 09 78`)]);
      expect(sim.registration).toEqual({ config: 0x08, currency: 978 });
      ecr.send(REGISTER('08'));
      expect(await ecr.follow()).toEqual(['80 00 00', apduHex('06 0F', `19 00 ${TID}`)]);
    });

    it('refuses a registration in another currency with 84 1E 03 6F <its own CC> and stays unregistered', async () => {
      await start();
      ecr.send('06 00 06 00 00 00 08 08 40'); // USD
      expect(await ecr.follow()).toEqual(['84 1E 03 6F 09 78']);
      expect(sim.registration).toBeNull();
      await sim.close();
      ecr.close();
      await start({ currency: 756 }); // a CHF terminal refuses euros
      ecr.send('06 00 06 00 00 00 08 09 78');
      expect(await ecr.follow()).toEqual(['84 1E 03 6F 07 56']);
    });

    it('log-off 06 02 is answered 80 00 00 and nothing else; the terminal forgets the registration', async () => {
      await start();
      await register('08');
      ecr.send('06 02 00');
      expect(await ecr.next()).toBe('80 00 00');
      expect(await ecr.silent(200)).toBe(true);
      expect(sim.registration).toBeNull();
      // not logged on: no intermediate status any more
      ecr.send(PAY_1234);
      expect((await ecr.follow()).filter((m) => m.startsWith('04 FF'))).toEqual([]);
    });
  });

  describe('the config byte decides what the terminal sends', () => {
    it('not registered: 80 00 00, the status information, 06 0F 00 — no 04 FF, no 06 D1', async () => {
      await start();
      ecr.send(PAY_1234);
      expect(await ecr.follow()).toEqual(['80 00 00', APPROVED_1234, '06 0F 00']);
      expect(sim.lookupByTrace(1)).toMatchObject({ kind: 'payment', result: 'approved', amount: 1234, receiptNumber: 1, maskedPan: '6799********0016' });
    });

    it('config 08 (intermediate status): 04 FF insert card / PIN pad / host, still no print lines without print-type bit 80', async () => {
      await start();
      await register('08');
      ecr.send(PAY_1234);
      expect(await ecr.follow()).toEqual(['80 00 00', '04 FF 01 0A', '04 FF 01 01', '04 FF 01 04', APPROVED_1234, '06 0F 00']);
    });

    it('config 3E (the ECR prints, but compiles receipts itself from the status information): no 06 D1', async () => {
      await start();
      await register('3E');
      ecr.send(PAY_1234);
      expect((await ecr.follow()).filter((m) => m.startsWith('06 D1'))).toEqual([]);
    });

    it('config 82 (print lines for payment receipts): 06 D1 lines with attribute 00, the last one 06 D1 01 81', async () => {
      await start();
      await register('82');
      ecr.send(PAY_1234);
      const seen = await ecr.follow();
      const lines = seen.filter((m) => m.startsWith('06 D1'));
      expect(lines.length).toBeGreaterThan(2);
      expect(lines[lines.length - 1]).toBe('06 D1 01 81');
      for (const l of lines.slice(0, -1)) expect(l.split(' ')[3]).toBe('00');
      expect(lines).toContain(apduHex('06 D1', `00 ${asciiHex('Betrag EUR 12,34')}`));
      expect(seen[seen.length - 1]).toBe('06 0F 00');
      expect(seen.filter((m) => m.startsWith('04 FF'))).toEqual([]);
    });

    it('config 84 (print lines for administration receipts only): a payment prints nothing, end-of-day does', async () => {
      await start();
      await register('84');
      ecr.send(PAY_1234);
      expect((await ecr.follow()).filter((m) => m.startsWith('06 D1'))).toEqual([]);
      ecr.send('06 50 03 00 00 00');
      const eod = await ecr.follow();
      expect(eod.filter((m) => m.startsWith('06 D1')).pop()).toBe('06 D1 01 81');
    });
  });

  describe('payments', () => {
    it('refuses a payment in another currency: 80 00 00 then 06 1E 03 6F <its CC>; nothing journalled', async () => {
      await start();
      ecr.send('06 01 0A 04 00 00 00 00 10 00 49 08 40');
      expect(await ecr.follow()).toEqual(['80 00 00', '06 1E 03 6F 09 78']);
      expect(sim.journal.entries()).toEqual([]);
    });

    it('declineNext: status information with 27 <code>, then 06 1E 01 <code>', async () => {
      await start();
      sim.declineNext(0x05);
      ecr.send(PAY_1234);
      const seen = await ecr.follow();
      expect(seen[1].startsWith('04 0F') && seen[1].split(' ').slice(3, 5).join(' ')).toBe('27 05');
      expect(seen[seen.length - 1]).toBe('06 1E 01 05');
      expect(sim.last()).toMatchObject({ result: 'declined', resultCode: 5 });
    });

    it('the ECR answers the status information 84 9C 00: the terminal sends it again instead of reversing', async () => {
      await start();
      let asked = 0;
      ecr.send(PAY_1234);
      const seen = await ecr.follow((m) => (m.startsWith('04 0F') && asked++ < 2 ? '84 9C 00' : '80 00 00'));
      expect(seen).toEqual(['80 00 00', APPROVED_1234, APPROVED_1234, APPROVED_1234, '06 0F 00']);
      expect(sim.last()).toMatchObject({ result: 'approved', amount: 1234 });
    });

    it('any other negative answer to the status information (84 66 00) reverses the payment: 06 1E 01 6C', async () => {
      await start();
      ecr.send(PAY_1234);
      const seen = await ecr.follow((m) => (m.startsWith('04 0F') ? '84 66 00' : '80 00 00'));
      expect(seen).toEqual(['80 00 00', APPROVED_1234, '06 1E 01 6C']);
      expect(sim.last()).toMatchObject({ result: 'aborted', note: 'ECR refused the status information; reversed' });
    });

    it('timeoutNext: asks for a card, stays silent; other commands meanwhile get 84 9C 00; 06 B0 ends it with 06 1E 01 6C', async () => {
      await start();
      await register('08');
      sim.timeoutNext();
      ecr.send('06 01 07 04 00 00 00 00 07 00');
      expect(await ecr.next()).toBe('80 00 00');
      expect(await ecr.next()).toBe('04 FF 01 0A');
      ecr.ack();
      expect(await ecr.silent(300)).toBe(true);
      expect(sim.last()).toMatchObject({ result: 'pending', amount: 700 });
      ecr.send('05 01 03 00 00 00');
      expect(await ecr.next()).toBe('84 9C 00');
      ecr.send('06 B0 00');
      expect(await ecr.follow()).toEqual(['80 00 00', '06 1E 01 6C']);
      expect(sim.last()).toMatchObject({ result: 'aborted', resultCode: 0x6c, note: 'aborted by the ECR' });
    });

    it('autoCard off: waits for insertCard(), then reports that card', async () => {
      await start({ autoCard: false });
      ecr.send(PAY_1234);
      expect(await ecr.next()).toBe('80 00 00');
      expect(await ecr.silent(200)).toBe(true);
      sim.insertCard({ maskedPan: '4111********1111', cardName: 'VISA' });
      const seen = await ecr.follow();
      expect(seen[0]).toContain(`22 F0 F8 41 11 EE EE EE EE 11 11`);
      expect(seen[0]).toContain(`8B F0 F4 ${asciiHex('VISA')}`);
      expect(sim.cardInserted).toBe(true);
      sim.removeCard();
      expect(sim.cardInserted).toBe(false);
    });
  });

  describe('busy switch', () => {
    it('busy: every command gets 84 A0 00 (receiver not ready) and nothing is journalled; a number picks the code; false serves again', async () => {
      await start({ busy: true });
      ecr.send(PAY_1234);
      expect(await ecr.follow()).toEqual(['84 A0 00']);
      ecr.send(REGISTER('08'));
      expect(await ecr.follow()).toEqual(['84 A0 00']);
      sim.setBusy(0x9c);
      ecr.send(PAY_1234);
      expect(await ecr.follow()).toEqual(['84 9C 00']);
      expect(sim.journal.entries()).toEqual([]);
      sim.setBusy(false);
      ecr.send(PAY_1234);
      expect((await ecr.follow()).pop()).toBe('06 0F 00');
    });
  });

  describe('status enquiry (05 01)', () => {
    it('06 0F <software version LLLVAR> <terminal status> — nothing after the status byte', async () => {
      await start();
      ecr.send('05 01 03 00 00 00');
      expect(await ecr.follow()).toEqual(['80 00 00', apduHex('06 0F', `F0 F1 F3 ${asciiHex('KIOSK-SIM 1.0')} 00`)]);
      sim.setTerminalStatus(0xdc);
      ecr.send('05 01 05 00 00 00 03 00'); // with a service byte
      expect(await ecr.follow()).toEqual(['80 00 00', apduHex('06 0F', `F0 F1 F3 ${asciiHex('KIOSK-SIM 1.0')} DC`)]);
    });
  });

  describe('repeat receipt (06 20)', () => {
    const RR = '06 20 03 00 00 00';
    const RR_INFO = '06 20 05 00 00 00 03 01';

    it('nothing to repeat: 06 1E 01 83', async () => {
      await start();
      ecr.send(RR_INFO);
      expect(await ecr.follow()).toEqual(['80 00 00', '06 1E 01 83']);
    });

    it('the status information only when the service byte asks for it (03 01); without it only the print-out', async () => {
      await start();
      ecr.send(PAY_1234);
      await ecr.follow();
      ecr.send(RR);
      expect(await ecr.follow()).toEqual(['80 00 00', '06 0F 00']);
      ecr.send(RR_INFO);
      expect(await ecr.follow()).toEqual(['80 00 00', REPEATED_1234, '06 0F 00']);
    });

    it("statusInfoOnRepeat 'never' (a terminal that gives no status information) and 'always'", async () => {
      await start({ statusInfoOnRepeat: 'never' });
      ecr.send(PAY_1234);
      await ecr.follow();
      ecr.send(RR_INFO);
      expect(await ecr.follow()).toEqual(['80 00 00', '06 0F 00']);
      sim.setStatusInfoOnRepeat('always');
      ecr.send(RR);
      expect(await ecr.follow()).toEqual(['80 00 00', REPEATED_1234, '06 0F 00']);
    });

    it('repeats the last completed transaction, never an aborted one', async () => {
      await start();
      ecr.send(PAY_1234);
      await ecr.follow();
      sim.timeoutNext();
      ecr.send('06 01 07 04 00 00 00 00 56 78');
      expect(await ecr.next()).toBe('80 00 00');
      ecr.send('06 B0 00');
      await ecr.follow();
      expect(sim.last()).toMatchObject({ traceNumber: 2, result: 'aborted' });
      ecr.send(RR_INFO);
      expect(await ecr.follow()).toEqual(['80 00 00', REPEATED_1234, '06 0F 00']);
    });

    it('only aborted transactions: nothing to repeat (06 1E 01 83)', async () => {
      await start();
      sim.timeoutNext();
      ecr.send(PAY_1234);
      expect(await ecr.next()).toBe('80 00 00');
      ecr.send('06 B0 00');
      await ecr.follow();
      ecr.send(RR_INFO);
      expect(await ecr.follow()).toEqual(['80 00 00', '06 1E 01 83']);
    });
  });

  describe('reversal (06 30)', () => {
    it('by receipt number; also with an amount (04) and currency (49); B4 when reversed already, B5 for an unknown receipt or another amount', async () => {
      await start();
      ecr.send(PAY_1234);
      await ecr.follow();
      ecr.send('06 30 10 00 00 00 04 00 00 00 00 99 99 87 00 01 49 09 78'); // wrong amount
      expect(await ecr.follow()).toEqual(['80 00 00', '06 1E 01 B5']);
      ecr.send('06 30 10 00 00 00 04 00 00 00 00 12 34 87 00 01 49 09 78');
      const seen = await ecr.follow();
      expect(seen).toEqual([
        '80 00 00',
        apduHex('04 0F', `27 00 04 00 00 00 00 12 34 0B 00 00 02 ${TIME_DATE} 22 F0 F8 67 99 EE EE EE EE 00 16 ${TID} 37 00 00 01 49 09 78 87 00 02 8B F0 F8 ${asciiHex('girocard')}`),
        '06 0F 00',
      ]);
      expect(sim.lookupByTrace(1)).toMatchObject({ reversed: true });
      expect(sim.lookupByTrace(2)).toMatchObject({ kind: 'reversal', result: 'approved', originalTraceNumber: 1 });
      ecr.send('06 30 06 00 00 00 87 00 01');
      expect(await ecr.follow()).toEqual(['80 00 00', '06 1E 01 B4']);
      ecr.send('06 30 06 00 00 00 87 00 77');
      expect(await ecr.follow()).toEqual(['80 00 00', '06 1E 01 B5']);
    });
  });

  describe('end-of-day (06 50)', () => {
    it('status information with the total (04) and the individual totals (BMP 60, LLLVAR), approved payments minus refunds, reversed left out', async () => {
      await start();
      for (const amount of ['00 00 00 00 10 00', '00 00 00 00 02 50']) {
        ecr.send(`06 01 07 04 ${amount}`);
        await ecr.follow();
      }
      sim.declineNext();
      ecr.send('06 01 07 04 00 00 00 00 40 00');
      await ecr.follow();
      ecr.send('06 31 0A 00 00 00 04 00 00 00 00 01 00'); // refund 1.00
      await ecr.follow();
      ecr.send('06 30 06 00 00 00 87 00 02'); // reverse the 2.50
      await ecr.follow();
      ecr.send('06 50 03 00 00 00');
      const seen = await ecr.follow();
      // receipts 1..5 (2 payments, declined 3, refund 4, reversal 5): girocard count 1 (the 10.00), turnover 9.00
      const totals = `00 01 00 05 01 00 00 00 00 09 00 ${'00 00 00 00 00 00 00 '.repeat(6).trim()}`;
      expect(seen).toEqual(['80 00 00', apduHex('04 0F', `27 00 04 00 00 00 00 09 00 0B 00 00 06 ${TIME_DATE} ${TID} 49 09 78 60 F0 F5 F3 ${totals}`), '06 0F 00']);
      ecr.send('06 50 03 00 00 00');
      expect((await ecr.follow())[1]).toContain('04 00 00 00 00 00 00');
    });
  });

  describe('bad input', () => {
    it('an unknown command gets 84 83 00; a malformed known one 84 9A 00', async () => {
      await start();
      ecr.send('06 70 00');
      expect(await ecr.next()).toBe('84 83 00');
      ecr.send('06 01 03 49 09 78'); // authorization without amount
      expect(await ecr.next()).toBe('84 9A 00');
      ecr.send('06 01 02 77 01'); // unknown BMP
      expect(await ecr.next()).toBe('84 9A 00');
    });
  });

  describe('interface power', () => {
    it('disconnect() drops the ECR and refuses connections; reconnect() listens on the same port', async () => {
      await start();
      sim.timeoutNext();
      ecr.send(PAY_1234);
      await ecr.next();
      await sim.disconnect();
      await until(() => ecr.closed);
      await expect(RawTcpEcr.connect(port)).rejects.toThrow(/ECONNREFUSED/);
      await until(() => sim.last()?.result === 'aborted');
      expect(sim.last()).toMatchObject({ note: 'line to the ECR lost; reversed' });
      await sim.reconnect();
      ecr = await RawTcpEcr.connect(port);
      ecr.send('05 01 03 00 00 00');
      expect((await ecr.follow()).pop()).toMatch(/^06 0F/);
    });
  });
});

/** A bare-bytes ECR on the host end of a pty pair: frames written out by hand (captures from test/zvt-spec/vectors.ts). */
class RawSerialEcr {
  received = Buffer.alloc(0);
  private constructor(readonly port: SerialPort) {
    port.on('data', (d: Buffer) => (this.received = Buffer.concat([this.received, d])));
  }
  static async open(path: string): Promise<RawSerialEcr> {
    const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    return new RawSerialEcr(port);
  }
  write(hex: string): void {
    this.port.write(bytesOf(hex));
  }
  /** Waits until `n` bytes arrived and takes them, as hex. */
  async take(n: number, ms = 2000): Promise<string> {
    const deadline = Date.now() + ms;
    while (this.received.length < n) {
      if (Date.now() > deadline) throw new Error(`no ${n} bytes (have ${hexOf(this.received)})`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const out = this.received.subarray(0, n);
    this.received = this.received.subarray(n);
    return hexOf(out);
  }
  /** Closes once every byte written is out: a write still pending at close would fail with EBADF under load. */
  close(): Promise<void> {
    if (!this.port.isOpen) return Promise.resolve();
    return new Promise((r) => this.port.drain(() => this.port.close(() => r())));
  }
}

// wirelane/ecrterm tests/test_data_encoding.py captures
const STATUS_ENQUIRY_FRAME = '10 02 05 01 03 12 34 56 10 03 E0 43';
const ACK_FRAME = '10 02 80 00 00 10 03 F5 1F';

describe('ZVT terminal simulator over a pty pair (PA00P016 framing), byte level', () => {
  let pair: PtyPair;
  let sim: ZvtTerminalSimulator;
  let ecr: RawSerialEcr;
  const SW = asciiHex('KIOSK-SIM 1.0');

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

  const completionFrameLength = 2 + 3 + 17 + 2 + 2; // DLE STX, 06 0F 11, data, DLE ETX, CRC (no 10 in it)

  it('ACKs our frame (06), sends 80 00 00 as the captured frame, and the completion as a frame after our ACK', async () => {
    ecr.write(STATUS_ENQUIRY_FRAME);
    expect(await ecr.take(1)).toBe('06');
    expect(await ecr.take(9)).toBe(ACK_FRAME);
    ecr.write('06');
    const completion = await ecr.take(completionFrameLength);
    expect(completion.startsWith(`10 02 06 0F 11 F0 F1 F3 ${SW} 00 10 03`)).toBe(true);
    ecr.write('06');
    ecr.write(ACK_FRAME);
    expect(await ecr.take(1)).toBe('06');
    await until(() => sim.idle);
    expect(sim.stats.serial).toMatchObject({ retransmissions: 0, naksReceived: 0, framesReceived: 2 });
  });

  it('NAKs (15) a frame with a bad CRC and does not act on it', async () => {
    ecr.write('10 02 05 01 03 12 34 56 10 03 E0 44');
    expect(await ecr.take(1)).toBe('15');
    expect(sim.stats.commands).toBe(0);
  });

  it('a corrupted frame from the terminal is sent again after our NAK', async () => {
    sim.injectFaults({ corruptFrames: 1 });
    ecr.write(STATUS_ENQUIRY_FRAME);
    expect(await ecr.take(1)).toBe('06');
    const bad = await ecr.take(9);
    expect(bad.slice(0, 20)).toBe(ACK_FRAME.slice(0, 20));
    expect(bad).not.toBe(ACK_FRAME);
    ecr.write('15');
    expect(await ecr.take(9)).toBe(ACK_FRAME);
    ecr.write('06');
    expect(sim.stats.serial).toMatchObject({ corruptedSent: 1, naksReceived: 1, retransmissions: 1 });
  });

  it('a frame we do not ACK is repeated after T3, at most twice (3 transmissions), then given up', async () => {
    ecr.write(STATUS_ENQUIRY_FRAME);
    expect(await ecr.take(1)).toBe('06');
    expect(await ecr.take(9)).toBe(ACK_FRAME);
    expect(await ecr.take(9, 1000)).toBe(ACK_FRAME); // T3 = 200 ms
    expect(await ecr.take(9, 1000)).toBe(ACK_FRAME);
    await new Promise((r) => setTimeout(r, 500));
    expect(ecr.received.length).toBe(0);
    expect(sim.stats.serial).toMatchObject({ ackTimeouts: 3, retransmissions: 2 });
  });

  it('a swallowed frame (dropped on the line) is neither ACKed nor acted on', async () => {
    sim.injectFaults({ dropFrames: 1 });
    ecr.write(STATUS_ENQUIRY_FRAME);
    await new Promise((r) => setTimeout(r, 300));
    expect(ecr.received.length).toBe(0);
    expect(sim.stats.commands).toBe(0);
    ecr.write(STATUS_ENQUIRY_FRAME);
    expect(await ecr.take(1)).toBe('06');
    expect(sim.stats.serial?.swallowed).toBe(1);
  });

  it('survives unplug/replug: reopens the device end by itself', async () => {
    await ecr.close();
    await pair.unplug();
    await until(() => !sim.connected);
    await pair.replug();
    await until(() => sim.connected);
    ecr = await RawSerialEcr.open(pair.hostPath);
    ecr.write(STATUS_ENQUIRY_FRAME);
    expect(await ecr.take(1)).toBe('06');
  });
});
