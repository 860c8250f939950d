import { PtyPair } from '../../simulators/pty-pair';
import { isKioskError, type KioskError } from '../../kernel/errors';
import { CardTerminalProvider } from '../../runtime/payments/card-terminal';
import { SerialPeer, TcpPeer, until } from '../../test/support/zvt-scripted-peer';
import { ZvtTerminal, type ZvtTerminalOptions, type ZvtTimeouts } from './zvt-terminal';

/**
 * The driver against a terminal played byte by byte (drivers/terminal/scripted-peer.ts): each test sends what a
 * real terminal may legally send, quoted from the spec or from public captures, and checks what the driver makes
 * of it and what it answers. Issue 10, points 1–6.
 */

const TIMEOUTS: Partial<ZvtTimeouts> = { ack: 250, commandAck: 1500, completion: 3000, admin: 3000, endOfDay: 3000, connect: 1500, drain: 3000 };
/** Completion after status enquiry: software version "2.14.15", terminal status 00 ready (wirelane/ecrterm test_version_completion). */
const STATUS_READY = '06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00';
/** Status information of an approved Debit Mastercard payment of 20.40, trace 470 (Portalum.Zvt StatusInformationParserTest). */
const APPROVED_2040 =
  '04 0F 77 27 00 04 00 00 00 00 20 40 0B 00 04 70 0C 22 39 53 0D 10 06 0E 25 12 17 00 01 19 70 22 F0 F8 EE EE EE EE EE EE 47 71 29 28 00 48 69 2A 31 30 30 34 36 31 37 36 33 20 20 20 20 20 20 3B 36 31 31 38 30 34 00 00 3C F0 F1 F4 47 45 4E 2E 4E 52 2E 3A 36 31 31 38 30 34 49 09 78 87 04 70 88 00 04 70 8A 2E 8B F1 F7 44 65 62 69 74 20 4D 61 73 74 65 72 63 61 72 64 00';
/** Status information of a reversal of 12.34: trace 43, BMP 37 original trace 42, receipt 19. */
const REVERSAL_1234 = '04 0F 1C 27 00 04 00 00 00 00 12 34 49 09 78 0B 00 00 43 37 00 00 42 87 00 19 29 52 00 12 33';

async function rejection(p: Promise<unknown>): Promise<KioskError> {
  try {
    await p;
  } catch (e) {
    if (isKioskError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

/** A terminal that registers, answers status enquiry "ready", and plays `repeat` on Repeat Receipt. */
function playTerminal(peer: TcpPeer, repeat: (then: (hex: string) => void) => void, registration: string[] = ['80 00 00', '06 0F 00']): void {
  let afterAck: (() => void) | null = null;
  peer.on('apdu', (a) => {
    if (a === '80 00 00') {
      const next = afterAck;
      afterAck = null;
      next?.();
      return;
    }
    if (a.startsWith('06 00')) for (const r of registration) peer.send(r);
    else if (a.startsWith('05 01')) {
      peer.send('80 00 00');
      peer.send(STATUS_READY);
    } else if (a.startsWith('06 20')) {
      peer.send('80 00 00');
      // each message the terminal sends waits for the ECR's 80 00 00 to the one before
      const queue: string[] = [];
      repeat((hex) => queue.push(hex));
      const sendNext = () => {
        const m = queue.shift();
        if (!m) return;
        peer.send(m);
        if (queue.length) afterAck = sendNext;
      };
      sendNext();
    }
  });
}

describe('ZvtTerminal against a scripted terminal on TCP loopback', () => {
  let peer: TcpPeer;
  let t: ZvtTerminal;
  const make = async (opts: Partial<ZvtTerminalOptions> = {}) => {
    t = new ZvtTerminal({ connection: { kind: 'tcp', host: '127.0.0.1', port: peer.port }, timeouts: TIMEOUTS, offlineDebounceMs: 100, ...opts });
    await t.open();
    await t.claim();
    return t;
  };
  beforeEach(async () => (peer = await TcpPeer.listen()));
  afterEach(async () => {
    await t?.close();
    await peer.close();
  });

  describe('point 1: a completion without status information is "unknown", never "declined"', () => {
    it('recovery asks for the status information (06 20 with service byte 01); 80 00 00 + 06 0F 00 alone → unknown; the payment stays in doubt', async () => {
      playTerminal(peer, (send) => send('06 0F 00'));
      await make();
      await t.enable();
      const r = await t.statusEnquiry();
      expect(peer.received).toContain('06 20 05 00 00 00 03 01');
      expect(r).toMatchObject({ approved: false, lastTransaction: 'unknown' });
      expect(r.text).toMatch(/without status information/);
      // the lookup a crashed payment gets: in doubt, not declined (a declined one would be cancelled by `payments recover --close`)
      const p = new CardTerminalProvider(t, { lastTraceNumber: async () => null });
      await expect(p.lookup({ attemptId: 'a1', orderId: 'o1', amount: 2040, context: await p.prepare() })).resolves.toEqual({ outcome: 'unknown' });
      await until(() => peer.received.filter((a) => a === '80 00 00').length >= 3, 2000, 'the ECR answering every completion');
    });

    it('the terminal\'s explicit "no receipt stored" (06 1E 01 83) → none; with nothing on record either: declined', async () => {
      playTerminal(peer, (send) => send('06 1E 01 83'));
      await make();
      await t.enable();
      expect(await t.statusEnquiry()).toMatchObject({ approved: false, lastTransaction: 'none', resultCode: 0x83 });
      const p = new CardTerminalProvider(t, { lastTraceNumber: async () => null });
      await expect(p.lookup({ attemptId: 'a1', orderId: 'o1', amount: 2040, context: await p.prepare() })).resolves.toMatchObject({ outcome: 'declined' });
    });

    it('status information then completion → found: the last transaction with its result, amount and trace', async () => {
      playTerminal(peer, (send) => {
        send(APPROVED_2040);
        send('06 0F 00');
      });
      await make();
      await t.enable();
      expect(await t.statusEnquiry()).toMatchObject({ approved: true, resultCode: 0, lastTransaction: 'found', amount: 2040, traceNumber: 470, receiptNumber: 470 });
      const p = new CardTerminalProvider(t, { lastTraceNumber: async () => 469 });
      await expect(p.lookup({ attemptId: 'a1', orderId: 'o1', amount: 2040, context: await p.prepare() })).resolves.toMatchObject({
        outcome: 'approved',
        amount: 2040,
        reference: { traceNumber: 470 },
      });
    });
  });

  describe('point 2: a reversal of the same amount is never taken for the payment', () => {
    it('the terminal\'s last transaction is a reversal (BMP 37) newer than the baseline, same amount → unknown, not approved', async () => {
      playTerminal(peer, (send) => {
        send(REVERSAL_1234);
        send('06 0F 00');
      });
      await make();
      await t.enable();
      const last = await t.statusEnquiry();
      expect(last).toMatchObject({ approved: true, lastTransaction: 'found', amount: 1234, traceNumber: 43, originalTraceNumber: 42 });
      // the kiosk's baseline is the original payment (trace 42): the reversal moved past it with the same amount
      const p = new CardTerminalProvider(t, { lastTraceNumber: async () => 42 });
      await expect(p.lookup({ attemptId: 'a2', orderId: 'o2', amount: 1234, context: await p.prepare() })).resolves.toEqual({ outcome: 'unknown' });
      // with the reversal's own trace in the baseline (the kiosk ran it): the payment never reached the terminal
      const q = new CardTerminalProvider(t, { lastTraceNumber: async () => 43 });
      await expect(q.lookup({ attemptId: 'a2', orderId: 'o2', amount: 1234, context: await q.prepare() })).resolves.toMatchObject({
        outcome: 'declined',
        reason: expect.stringMatching(/never reached/),
      });
    });
  });

  describe('point 5: a refused registration shows its reason', () => {
    it('84 1E 03 6F 09 78 (wrong currency, the terminal runs 978): enable, authorize, status and health all name it', async () => {
      playTerminal(peer, () => undefined, ['84 1E 03 6F 09 78']);
      await make({ currency: 156 });
      const err = await rejection(t.enable());
      expect(err.message).toMatch(/wrong currency: the terminal runs currency 978, the kiosk is set to 156/);
      expect(err.details).toMatchObject({ resultCode: 0x6f, terminalCurrency: 978, currency: 156 });
      expect(t.status()).toMatchObject({ lifecycle: 'claimed', detail: expect.stringMatching(/wrong currency/) });
      const pay = await rejection(t.authorize(100));
      expect(pay.code).toBe('DEVICE_STATE');
      expect(pay.message).toMatch(/wrong currency/);
      expect(await t.checkHealth('external')).toMatchObject({ ok: false, reason: expect.stringMatching(/refused registration: wrong currency/) });
      expect(await t.checkHealth('internal')).toMatchObject({ reason: expect.stringMatching(/wrong currency/) });
    });
  });

  describe('point 6: codec gaps', () => {
    it('status-only completion 06 0F 01 DC: the terminal status is "card inserted", not ready, and no protocol error', async () => {
      const errors: KioskError[] = [];
      peer.on('apdu', (a) => {
        if (a.startsWith('05 01')) {
          peer.send('80 00 00');
          peer.send('06 0F 01 DC');
        }
      });
      await make();
      t.on('error', (e) => errors.push(e));
      expect(await t.terminalStatus()).toMatchObject({ terminalStatus: 0xdc });
      expect(await t.checkHealth('external')).toMatchObject({ ok: false, reason: expect.stringMatching(/card inserted/) });
      expect(errors).toEqual([]);
    });

    it('a garbled status-enquiry completion is no "ready"', async () => {
      peer.on('apdu', (a) => {
        if (a.startsWith('05 01')) {
          peer.send('80 00 00');
          peer.send('06 0F 02 EE EE'); // neither a status byte + BMPs nor a software version
        }
      });
      await make();
      t.on('error', () => undefined);
      expect((await t.terminalStatus()).terminalStatus).toBeUndefined();
      expect(await t.checkHealth('external')).toMatchObject({ ok: false });
    });

    it('06 1E 03 6F 09 78 ends a payment as declined with the reason and the currency, no protocol error', async () => {
      const errors: KioskError[] = [];
      peer.on('apdu', (a) => {
        if (a.startsWith('06 00')) {
          peer.send('80 00 00');
          peer.send('06 0F 00');
        } else if (a.startsWith('06 01')) {
          peer.send('80 00 00');
          peer.send('06 1E 03 6F 09 78');
        }
      });
      await make({ currency: 156 });
      t.on('error', (e) => errors.push(e));
      await t.enable();
      const r = await t.authorize(500);
      expect(r).toMatchObject({ approved: false, resultCode: 0x6f, text: expect.stringMatching(/wrong currency: the terminal runs currency 978/) });
      expect(errors).toEqual([]);
    });
  });
});

describe('ZvtTerminal against a scripted terminal on a pty (serial framing written out by hand)', () => {
  let pair: PtyPair;
  let peer: SerialPeer;
  let t: ZvtTerminal;
  beforeEach(async () => {
    pair = await PtyPair.create('zvt-peer');
    peer = await SerialPeer.open(pair.devicePath);
    t = new ZvtTerminal({ connection: { kind: 'serial', path: pair.hostPath, watchIntervalMs: 50 }, timeouts: TIMEOUTS, offlineDebounceMs: 100 });
    await t.open();
    await t.claim();
  });
  afterEach(async () => {
    await t.close();
    await peer.close();
    await pair.close();
  });

  it('point 3: a frame the terminal never acknowledges goes out 3 times (1 + 2 repeats), then TIMEOUT', async () => {
    peer.autoAck = false;
    const err = await rejection(t.terminalStatus());
    expect(err.code).toBe('TIMEOUT');
    expect(peer.frames).toEqual(['05 01 03 00 00 00', '05 01 03 00 00 00', '05 01 03 00 00 00']);
  });

  it('point 4: close() right after the result still answers the last 06 0F 00 with 80 00 00, repeating it when the line needs it', async () => {
    peer.on('apdu', (a) => {
      if (a.startsWith('05 01')) {
        peer.send('80 00 00');
        peer.send(STATUS_READY);
      } else if (a.startsWith('06 20')) {
        peer.send('80 00 00');
        peer.nakNext = 1; // line noise: the ECR's first 80 00 00 to the completion arrives garbled
        peer.send('06 0F 00');
      }
    });
    const r = await t.statusEnquiry();
    expect(r.lastTransaction).toBe('unknown');
    await t.close(); // what `kiosk payments recover` does on its exit-3 path
    const afterCompletion = peer.frames.slice(peer.frames.lastIndexOf('06 20 05 00 00 00 03 01') + 1);
    expect(afterCompletion).toEqual(['80 00 00', '80 00 00']); // NAKed once, repeated before the port closed
    expect(peer.line[peer.line.length - 1]).toEqual({ type: 'frame', apdu: '80 00 00' });
  });

  it('point 4: close() during the drain after 06 B0 acknowledges and answers the terminal\'s 04 0F and 06 1E before closing', async () => {
    let stage: 'paying' | 'status-info-sent' | 'abort-sent' = 'paying';
    peer.on('apdu', (a) => {
      if (a.startsWith('06 00')) {
        peer.send('80 00 00');
        peer.send('06 0F 00');
      } else if (a.startsWith('06 01')) peer.send('80 00 00'); // then silence: the payment times out
      else if (a === '06 B0 00') {
        setTimeout(() => {
          peer.send('04 0F 02 27 6C'); // the terminal winds down: status information "aborted"
          stage = 'status-info-sent';
        }, 100);
      } else if (a === '80 00 00' && stage === 'status-info-sent') {
        stage = 'abort-sent';
        peer.send('06 1E 01 6C'); // the ECR answered the status information: now the abort
      }
    });
    await t.enable();
    const err = await rejection(t.authorize(4200));
    expect(err).toMatchObject({ code: 'TIMEOUT', details: { unknownOutcome: true } });
    await t.close(); // a CLI command exiting right after the timeout
    const from = peer.line.findIndex((e) => e.type === 'frame' && e.apdu === '06 B0 00');
    const after = peer.line.slice(from + 1);
    // the terminal's 04 0F and 06 1E were each link-ACKed (06) and answered (80 00 00) before the port closed
    expect(after.filter((e) => e.type === 'ack')).toHaveLength(2);
    expect(after.flatMap((e) => (e.type === 'frame' ? [e.apdu] : []))).toEqual(['80 00 00', '80 00 00']);
    expect(stage).toBe('abort-sent');
  });
});
