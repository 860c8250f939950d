import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { Clock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { ApduDecoder } from './zvt/apdu-stream';
import { ZVT_DEFAULT_TCP_PORT } from './zvt/constants';
import type { TransportEvents, ZvtTransport } from './transport';

export interface TcpTransportOptions {
  host: string;
  /** Default 20007. */
  port?: number;
  clock: Clock;
  /** TCP keep-alive probe delay, so a terminal that lost power is noticed. Default 5000 ms. */
  keepAliveMs?: number;
  maxApduBytes?: number;
}

/** ZVT over TCP (LAN terminals): bare APDUs, no framing, no CRC, no link ACK — TCP already guarantees delivery. */
export class TcpTransport extends EventEmitter<TransportEvents> implements ZvtTransport {
  readonly kind = 'tcp' as const;
  readonly target: string;
  private socket: net.Socket | null = null;
  private _connected = false;

  constructor(private readonly opts: TcpTransportOptions) {
    super();
    this.target = `${opts.host}:${opts.port ?? ZVT_DEFAULT_TCP_PORT}`;
  }

  get connected(): boolean {
    return this._connected;
  }

  connect(timeoutMs: number): Promise<void> {
    if (this._connected) return Promise.resolve();
    const { clock } = this.opts;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const socket = net.connect({ host: this.opts.host, port: this.opts.port ?? ZVT_DEFAULT_TCP_PORT });
      const fail = (err: KioskError) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = clock.setTimeout(() => fail(new KioskError('TIMEOUT', `no TCP connection to ${this.target} within ${timeoutMs} ms`)), timeoutMs);
      socket.once('error', (e) => fail(new KioskError('DEVICE_OFFLINE', `cannot connect to ${this.target}: ${e.message}`)));
      socket.once('connect', () => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        socket.removeAllListeners('error');
        this.attach(socket);
        resolve();
      });
    });
  }

  private attach(socket: net.Socket): void {
    this.socket = socket;
    this._connected = true;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, this.opts.keepAliveMs ?? 5000);
    const decoder = new ApduDecoder({ maxApduBytes: this.opts.maxApduBytes });
    socket.on('data', (d: Buffer) => {
      for (const ev of decoder.push(d)) {
        if (ev.type === 'apdu') this.emit('apdu', ev.apdu);
        else {
          if (this.listenerCount('error') > 0) this.emit('error', ev.error);
          // a bare APDU stream cannot be resynchronised: start over on a fresh connection
          socket.destroy();
        }
      }
    });
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this._connected = false;
      this.emit('close', new KioskError('DEVICE_OFFLINE', `TCP connection to ${this.target} lost`));
    });
  }

  send(apdu: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!this._connected || !socket) return Promise.reject(new KioskError('DEVICE_OFFLINE', `not connected to ${this.target}`));
    return new Promise<void>((resolve, reject) => {
      socket.write(apdu, (err) => (err ? reject(new KioskError('DEVICE_OFFLINE', `write to ${this.target} failed: ${err.message}`)) : resolve()));
    });
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    this._connected = false;
    if (socket) {
      socket.removeAllListeners('close');
      socket.on('error', () => undefined);
      await new Promise<void>((r) => {
        if (socket.destroyed) return r();
        socket.once('close', () => r());
        socket.destroy();
      });
    }
  }
}
