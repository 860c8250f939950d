import { EventEmitter } from 'node:events';
import { SystemClock, type Clock, type TimerHandle } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { decodeApdu } from './zvt/apdu';
import { MalformedCommand, readIncoming, type SimCommand } from './zvt/ecr-commands';
import { SerialEndpoint, TcpEndpoint, type EcrLink, type EndpointEvents } from './zvt/endpoints';
import { FlowBroken, type Active, type Answer } from './zvt/flow-control';
import * as pt from './zvt/pt-messages';
import { RC } from './zvt/spec';
import type { CableAccess } from '../serial-cable';
import type { SimErrorRates, SimEvents, TerminalSimulatorOptions } from './sim-options';

/**
 * The ZVT terminal's side of the line: its endpoints (serial on a pty, TCP on 127.0.0.1), the one ECR link in
 * force, messages out (`tell` waits for the ECR's 80 00 00 / 84 xx), answers and commands in, and the state of the
 * transaction in progress (abort, line loss, waits on the injected clock). What the terminal does with a command
 * is the subclass's: `transaction-flows.ts`, `zvt-simulator.ts`.
 */
export abstract class EcrSession extends EventEmitter<SimEvents> {
  protected readonly clock: Clock;
  protected rates: Required<SimErrorRates>;
  protected readonly random: () => number;
  protected active: Active | null = null;
  private pendingAnswer: { resolve: (a: Answer) => void; reject: (e: FlowBroken) => void; timer: TimerHandle; final: boolean } | null = null;
  protected link: EcrLink | null = null;
  protected forced = { corruptFrames: 0, dropFrames: 0 };
  protected readonly tcp: TcpEndpoint;
  protected serial: SerialEndpoint | null = null;
  protected powered = true;

  constructor(protected readonly opts: TerminalSimulatorOptions) {
    super();
    this.clock = opts.clock ?? new SystemClock();
    this.rates = { corruptCrc: opts.errorRates?.corruptCrc ?? 0, dropAck: opts.errorRates?.dropAck ?? 0 };
    this.random = opts.random ?? Math.random;
    this.tcp = new TcpEndpoint(this.endpointEvents());
  }

  /** A command from the ECR (anything but an answer to a message of ours). */
  protected abstract onCommand(cmd: SimCommand): void;

  /** Powers the terminal's interface off: TCP stops listening and drops the ECR; serial closes the port. */
  async disconnect(): Promise<void> {
    this.powered = false;
    await this.tcp.stop();
    await this.serial?.powerOff();
  }

  /** Back on: TCP listens on the same port again; serial reopens the device path. */
  async reconnect(): Promise<void> {
    this.powered = true;
    if (this.tcp.address) await this.tcp.listen(this.tcp.address.port, this.tcp.address.host);
    await this.serial?.powerOn();
  }

  async close(): Promise<void> {
    this.powered = false;
    await this.tcp.stop();
    await this.serial?.close();
    if (this.active) this.breakActive('link');
  }

  // ------------------------------------------------------------------ endpoints

  /** Serves ZVT over TCP on host (default 127.0.0.1) and port (default 0 = ephemeral). */
  async listenTcp(opts: { port?: number; host?: string } = {}): Promise<{ host: string; port: number }> {
    this.powered = true;
    return this.tcp.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  }

  /**
   * Serves ZVT on a serial device path (the device end of a PtyPair, or of an InProcessLink given its `access`),
   * reopening it after unplug/replug.
   */
  async attachSerial(path: string, opts: { baudRate?: number; stopBits?: 1 | 2; access?: CableAccess } = {}): Promise<void> {
    this.serial = new SerialEndpoint(
      {
        clock: this.clock,
        path,
        baudRate: opts.baudRate ?? 9600,
        stopBits: opts.stopBits ?? 2,
        linkAckTimeoutMs: this.opts.linkAckTimeoutMs ?? 5000,
        watchMs: this.opts.serialWatchMs ?? 100,
        ...(opts.access && { access: opts.access }),
        faults: {
          corruptOutgoing: () => this.fault('corruptFrames', this.rates.corruptCrc),
          swallowIncoming: () => this.fault('dropFrames', this.rates.dropAck),
        },
      },
      this.endpointEvents(),
    );
    await this.serial.start();
  }

  private fault(kind: 'corruptFrames' | 'dropFrames', rate: number): boolean {
    if (this.forced[kind] > 0) {
      this.forced[kind]--;
      return true;
    }
    return rate > 0 && this.random() < rate;
  }

  private endpointEvents(): EndpointEvents {
    return {
      up: (link) => {
        if (!this.powered) {
          link.drop();
          return;
        }
        const old = this.link;
        this.link = link;
        if (old && old !== link) {
          old.drop();
          this.linkLostEffects();
        }
        this.emit('connection', { connected: true, via: link.via });
      },
      down: (link) => {
        if (this.link !== link) return;
        this.link = null;
        this.linkLostEffects();
        this.emit('connection', { connected: false, via: link.via });
      },
      apdu: (link, apdu) => this.onApdu(link, apdu),
      noise: (_link, what) => this.report(new KioskError('PROTOCOL', `ZVT simulator: ${what}`)),
    };
  }

  private linkLostEffects(): void {
    const p = this.pendingAnswer;
    if (p) {
      this.pendingAnswer = null;
      this.clock.clearTimeout(p.timer);
      p.reject(new FlowBroken('link'));
    }
    if (this.active) this.breakActive('link');
  }

  protected report(e: KioskError): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  // ------------------------------------------------------------------ incoming

  private onApdu(link: EcrLink, bytes: Uint8Array): void {
    if (link !== this.link) return;
    let incoming;
    try {
      incoming = readIncoming(decodeApdu(bytes));
    } catch (e) {
      this.report(new KioskError('PROTOCOL', `ZVT simulator: ${(e as Error).message}`));
      if (e instanceof MalformedCommand) this.sendRaw(pt.nack(RC.PROTOCOL_ERROR)).catch(() => undefined);
      return;
    }
    if (incoming.type !== 'command') {
      const p = this.pendingAnswer;
      if (!p) return;
      this.pendingAnswer = null;
      this.clock.clearTimeout(p.timer);
      // the ECR confirmed the last message (06 0F / 06 1E): the terminal is idle now, before any byte that follows
      if (p.final && incoming.type === 'ack') this.active = null;
      p.resolve(incoming.type === 'ack' ? { ok: true } : { ok: false, code: incoming.code });
      return;
    }
    this.onCommand(incoming.command);
  }

  protected breakActive(why: 'aborted' | 'link'): void {
    const a = this.active;
    if (!a) return;
    if (why === 'aborted') a.aborted = true;
    else a.linkLost = true;
    for (const w of [...a.wakers]) w();
  }

  // ------------------------------------------------------------------ outgoing helpers

  protected async sendRaw(apdu: Uint8Array): Promise<void> {
    const link = this.link;
    if (!link) throw new FlowBroken('link');
    await link.send(apdu).catch(() => Promise.reject(new FlowBroken('link')));
  }

  /** Sends a message and waits for the ECR's answer: 80 00 00 (ok) or 84 <code> (not ok). */
  protected async tell(apdu: Uint8Array, final = false): Promise<Answer> {
    this.check();
    const link = this.link;
    if (!link) throw new FlowBroken('link');
    const answered = new Promise<Answer>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (this.pendingAnswer?.timer === timer) this.pendingAnswer = null;
        reject(new FlowBroken('no-ack'));
      }, this.opts.ecrAckTimeoutMs ?? 5000);
      this.pendingAnswer = { resolve, reject, timer, final };
    });
    answered.catch(() => undefined);
    try {
      await link.send(apdu);
    } catch {
      const p = this.pendingAnswer;
      if (p) {
        this.pendingAnswer = null;
        this.clock.clearTimeout(p.timer);
      }
      throw new FlowBroken('link');
    }
    return answered;
  }


  protected check(): void {
    const a = this.active;
    if (a?.linkLost) throw new FlowBroken('link');
    if (a?.aborted) throw new FlowBroken('aborted');
  }

  /** Waits `ms` on the injected clock; an abort or line loss cuts it short. */
  protected pause(ms: number): Promise<void> {
    this.check();
    const a = this.active;
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        a?.wakers.delete(done);
        this.clock.clearTimeout(timer);
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      a?.wakers.add(done);
    }).then(() => this.check());
  }

  protected untilBroken(): Promise<never> {
    const a = this.active;
    return new Promise<never>((_resolve, reject) => {
      const done = () => {
        try {
          this.check();
        } catch (e) {
          a?.wakers.delete(done);
          reject(e);
        }
      };
      a?.wakers.add(done);
      done();
    });
  }
}
