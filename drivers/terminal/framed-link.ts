import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { ACK, NAK } from './zvt/constants';
import { encodeFrame, FrameDecoder } from './zvt/frame';

/** Fault injection hooks (the simulator's side uses them; a driver never sets them). */
export interface LinkFaults {
  /** Send this outgoing frame with a wrong checksum (the peer should NAK it). */
  corruptOutgoing?: () => boolean;
  /** Treat this good incoming frame as lost on the line: no ACK, not delivered (the peer retransmits after T3). */
  swallowIncoming?: () => boolean;
}

export interface FramedLinkOptions {
  clock: Clock;
  /** T3: how long to wait for the peer's ACK/NAK after a frame. Default 5000 ms. */
  ackTimeoutMs?: number;
  /**
   * Repeats after a NAK or an expired T3 before giving up. Default 2: PA00P016 (transport protocol) allows a frame
   * to be sent at most 3 times in all — the first transmission and 2 repeats.
   */
  maxRetries?: number;
  maxFrameBytes?: number;
  faults?: LinkFaults;
}

export interface LinkStats {
  framesSent: number;
  retransmissions: number;
  naksReceived: number;
  ackTimeouts: number;
  naksSent: number;
  framesReceived: number;
  corruptedSent: number;
  swallowed: number;
}

export type FramedLinkEvents = {
  /** A good frame's APDU (already ACKed). */
  apdu: [Uint8Array];
  /** Garbled bytes, bad checksums: the link has resynchronised already. */
  error: [KioskError];
};

/** PA00P016: an unacknowledged frame is repeated at most twice (3 transmissions in all). */
export const MAX_REPEATS = 2;

type Pending = { apdu: Uint8Array; resolve: () => void; reject: (e: KioskError) => void };

/**
 * The serial link layer both ends speak: frames out with ACK/NAK handshake and retransmission, frames in with
 * ACK on a good checksum and NAK on a bad one. Outgoing frames are sent one at a time in call order; incoming
 * frames are handled independently, so both sides may talk at once.
 */
export class FramedLink extends EventEmitter<FramedLinkEvents> {
  readonly stats: LinkStats = { framesSent: 0, retransmissions: 0, naksReceived: 0, ackTimeouts: 0, naksSent: 0, framesReceived: 0, corruptedSent: 0, swallowed: 0 };
  private readonly decoder: FrameDecoder;
  private readonly queue: Pending[] = [];
  private current: { p: Pending; attempts: number; timer: TimerHandle | null } | null = null;
  private closed: KioskError | null = null;
  private readonly ackTimeoutMs: number;
  private readonly maxRetries: number;

  constructor(
    private readonly write: (bytes: Uint8Array) => void,
    private readonly opts: FramedLinkOptions,
  ) {
    super();
    this.decoder = new FrameDecoder({ maxFrameBytes: opts.maxFrameBytes });
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 5000;
    this.maxRetries = opts.maxRetries ?? MAX_REPEATS;
  }

  /** Feed bytes from the line. */
  receive(chunk: Uint8Array): void {
    for (const ev of this.decoder.push(chunk)) {
      switch (ev.type) {
        case 'frame':
          if (this.opts.faults?.swallowIncoming?.()) {
            this.stats.swallowed++;
            break;
          }
          this.stats.framesReceived++;
          this.safeWrite(Uint8Array.of(ACK));
          this.emit('apdu', ev.apdu);
          break;
        case 'crc-error':
          this.stats.naksSent++;
          this.safeWrite(Uint8Array.of(NAK));
          this.report(ev.error);
          break;
        case 'error':
          this.report(ev.error);
          break;
        case 'ack':
          this.onAck();
          break;
        case 'nak':
          this.onNak();
          break;
      }
    }
  }

  /** Sends one APDU; resolves once the peer ACKed it. Rejects TIMEOUT (no answer), PROTOCOL (NAKed every time), DEVICE_OFFLINE. */
  send(apdu: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ apdu, resolve, reject });
      if (!this.current) this.next();
    });
  }

  /** Rejects everything queued; later sends reject with `reason`. */
  close(reason: KioskError): void {
    if (this.closed) return;
    this.closed = reason;
    if (this.current) {
      if (this.current.timer) this.opts.clock.clearTimeout(this.current.timer);
      this.current.p.reject(reason);
      this.current = null;
    }
    for (const p of this.queue.splice(0)) p.reject(reason);
    this.decoder.reset();
  }

  get idle(): boolean {
    return !this.current && this.queue.length === 0;
  }

  private report(e: KioskError): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  private safeWrite(bytes: Uint8Array): boolean {
    try {
      this.write(bytes);
      return true;
    } catch (e) {
      this.close(new KioskError('DEVICE_OFFLINE', `ZVT: write failed: ${(e as Error).message}`));
      return false;
    }
  }

  private next(): void {
    const p = this.queue.shift();
    if (!p) return;
    this.current = { p, attempts: 0, timer: null };
    this.transmit();
  }

  private transmit(): void {
    const cur = this.current;
    if (!cur) return;
    cur.attempts++;
    if (cur.attempts > 1) this.stats.retransmissions++;
    this.stats.framesSent++;
    const corrupt = this.opts.faults?.corruptOutgoing?.() ?? false;
    if (corrupt) this.stats.corruptedSent++;
    if (!this.safeWrite(encodeFrame(cur.p.apdu, { corruptCrc: corrupt }))) return;
    cur.timer = this.opts.clock.setTimeout(() => {
      cur.timer = null;
      this.stats.ackTimeouts++;
      // stray bytes that arrived instead of an ACK are reported now rather than at the next frame
      for (const ev of this.decoder.flush()) if (ev.type === 'error') this.report(ev.error);
      this.retry('timeout');
    }, this.ackTimeoutMs);
  }

  private retry(why: 'nak' | 'timeout'): void {
    const cur = this.current;
    if (!cur) return;
    if (cur.timer) this.opts.clock.clearTimeout(cur.timer);
    cur.timer = null;
    if (cur.attempts > this.maxRetries) {
      this.current = null;
      cur.p.reject(
        why === 'timeout'
          ? new KioskError('TIMEOUT', `ZVT: no ACK after ${cur.attempts} transmissions (T3 ${this.ackTimeoutMs} ms)`, { attempts: cur.attempts })
          : new KioskError('PROTOCOL', `ZVT: frame NAKed ${cur.attempts} times`, { attempts: cur.attempts }),
      );
      this.next();
      return;
    }
    this.transmit();
  }

  private onAck(): void {
    const cur = this.current;
    if (!cur) return; // a stray ACK: nothing waits for it
    if (cur.timer) this.opts.clock.clearTimeout(cur.timer);
    this.current = null;
    cur.p.resolve();
    this.next();
  }

  private onNak(): void {
    if (!this.current) return;
    this.stats.naksReceived++;
    this.retry('nak');
  }
}
