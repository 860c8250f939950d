import type { Clock, TimerHandle } from '../../../kernel/clock';
import { ACK, NAK, encodeFrame, FrameReader } from './framing';

/**
 * The terminal's end of the PA00P016 serial link: each good frame is answered ACK and handed up, a bad CRC NAK;
 * each frame we send waits for the ECR's ACK up to T3, and is repeated after a NAK or T3 at most
 * `maxRepeats` times (the spec allows 2 repeats) before the send fails. Frames go out one at a time.
 */
export interface SerialLinkStats {
  framesSent: number;
  retransmissions: number;
  naksReceived: number;
  ackTimeouts: number;
  naksSent: number;
  framesReceived: number;
  corruptedSent: number;
  swallowed: number;
}

export interface SerialLinkFaults {
  /** Send this frame with a wrong CRC. */
  corruptOutgoing(): boolean;
  /** Treat this good incoming frame as lost on the line: no ACK, not handed up. */
  swallowIncoming(): boolean;
}

export interface SerialLinkOptions {
  clock: Clock;
  /** T3: wait for ACK/NAK after a frame. */
  ackTimeoutMs: number;
  maxRepeats?: number;
  faults?: SerialLinkFaults;
  onApdu(apdu: Uint8Array): void;
  onNoise(what: string): void;
}

export class LinkDown extends Error {}

type Outgoing = { apdu: Uint8Array; resolve: () => void; reject: (e: LinkDown) => void };

export class SerialLink {
  readonly stats: SerialLinkStats = { framesSent: 0, retransmissions: 0, naksReceived: 0, ackTimeouts: 0, naksSent: 0, framesReceived: 0, corruptedSent: 0, swallowed: 0 };
  private readonly reader = new FrameReader();
  private readonly queue: Outgoing[] = [];
  private current: { o: Outgoing; sends: number; timer: TimerHandle | null } | null = null;
  private down = false;

  constructor(
    private readonly write: (bytes: Uint8Array) => void,
    private readonly opts: SerialLinkOptions,
  ) {}

  receive(chunk: Uint8Array): void {
    for (const ev of this.reader.push(chunk)) {
      switch (ev.type) {
        case 'frame':
          if (this.opts.faults?.swallowIncoming()) {
            this.stats.swallowed++;
            break;
          }
          this.stats.framesReceived++;
          this.raw(Uint8Array.of(ACK));
          this.opts.onApdu(ev.apdu);
          break;
        case 'bad-crc':
          this.stats.naksSent++;
          this.raw(Uint8Array.of(NAK));
          this.opts.onNoise('frame with a bad CRC');
          break;
        case 'noise':
          this.opts.onNoise(`${ev.count} stray byte(s) on the line`);
          break;
        case 'ack':
          this.settle(true);
          break;
        case 'nak':
          this.settle(false);
          break;
      }
    }
  }

  /** Resolves once the ECR ACKed the frame; rejects LinkDown when it never did or the link closed. */
  send(apdu: Uint8Array): Promise<void> {
    if (this.down) return Promise.reject(new LinkDown('link closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ apdu, resolve, reject });
      if (!this.current) this.next();
    });
  }

  close(): void {
    if (this.down) return;
    this.down = true;
    const cur = this.current;
    this.current = null;
    if (cur) {
      if (cur.timer) this.opts.clock.clearTimeout(cur.timer);
      cur.o.reject(new LinkDown('link closed'));
    }
    for (const o of this.queue.splice(0)) o.reject(new LinkDown('link closed'));
    this.reader.reset();
  }

  private raw(bytes: Uint8Array): void {
    try {
      this.write(bytes);
    } catch {
      this.close();
    }
  }

  private next(): void {
    const o = this.queue.shift();
    if (!o) return;
    this.current = { o, sends: 0, timer: null };
    this.transmit();
  }

  private transmit(): void {
    const cur = this.current;
    if (!cur || this.down) return;
    cur.sends++;
    if (cur.sends > 1) this.stats.retransmissions++;
    const corrupt = this.opts.faults?.corruptOutgoing() ?? false;
    if (corrupt) this.stats.corruptedSent++;
    this.stats.framesSent++;
    this.raw(encodeFrame(cur.o.apdu, corrupt));
    cur.timer = this.opts.clock.setTimeout(() => {
      if (this.current !== cur) return;
      cur.timer = null;
      this.stats.ackTimeouts++;
      this.retryOrFail(cur);
    }, this.opts.ackTimeoutMs);
  }

  private settle(acked: boolean): void {
    const cur = this.current;
    if (!cur) return; // an ACK nobody waits for: ignore
    if (cur.timer) this.opts.clock.clearTimeout(cur.timer);
    cur.timer = null;
    if (acked) {
      this.current = null;
      cur.o.resolve();
      this.next();
      return;
    }
    this.stats.naksReceived++;
    this.retryOrFail(cur);
  }

  private retryOrFail(cur: { o: Outgoing; sends: number; timer: TimerHandle | null }): void {
    if (cur.sends <= (this.opts.maxRepeats ?? 2)) {
      this.transmit();
      return;
    }
    this.current = null;
    cur.o.reject(new LinkDown('the ECR did not acknowledge the frame'));
    this.next();
  }
}
