import * as net from 'node:net';
import type { SerialPortStream } from '@serialport/stream';
import { OS_CABLE_ACCESS } from '../../os-serial-access';
import { cablePort, type CableAccess } from '../../serial-cable';
import type { Clock, TimerHandle } from '../../../kernel/clock';
import { ApduReader } from './apdu';
import { LinkDown, SerialLink, type SerialLinkFaults, type SerialLinkStats } from './serial-link';

/** One ECR connection, as the terminal's session logic sees it. */
export interface EcrLink {
  readonly via: 'serial' | 'tcp';
  /** Resolves once the bytes are out (serial: ACKed by the ECR); rejects LinkDown. */
  send(apdu: Uint8Array): Promise<void>;
  drop(): void;
}

export interface EndpointEvents {
  up(link: EcrLink): void;
  down(link: EcrLink): void;
  apdu(link: EcrLink, apdu: Uint8Array): void;
  noise(link: EcrLink, what: string): void;
}

/** ZVT over TCP/IP: bare APDUs on a server socket (the terminal listens, the ECR connects). */
export class TcpEndpoint {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  address: { host: string; port: number } | null = null;

  constructor(private readonly events: EndpointEvents) {}

  async listen(port: number, host: string): Promise<{ host: string; port: number }> {
    if (this.server && this.address) return this.address;
    const server = net.createServer((s) => this.onSocket(s));
    this.server = server;
    const address = await new Promise<{ host: string; port: number }>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.removeListener('error', reject);
        resolve({ host, port: (server.address() as net.AddressInfo).port });
      });
    });
    this.address = address;
    return address;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private onSocket(socket: net.Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    const reader = new ApduReader();
    const link: EcrLink = {
      via: 'tcp',
      send: (apdu) =>
        new Promise<void>((resolve, reject) => {
          if (socket.destroyed) return reject(new LinkDown('socket closed'));
          socket.write(apdu, (err) => (err ? reject(new LinkDown('socket write failed')) : resolve()));
        }),
      drop: () => socket.destroy(),
    };
    this.events.up(link);
    socket.on('data', (d: Buffer) => {
      let apdus: Uint8Array[];
      try {
        apdus = reader.push(d);
      } catch (e) {
        this.events.noise(link, (e as Error).message);
        socket.destroy();
        return;
      }
      for (const a of apdus) this.events.apdu(link, a);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.events.down(link);
    });
  }
}

export interface SerialEndpointOptions {
  clock: Clock;
  path: string;
  baudRate: number;
  stopBits: 1 | 2;
  linkAckTimeoutMs: number;
  watchMs: number;
  faults: SerialLinkFaults;
  /** How the device path is opened: the OS (a pty, the default) or an in-process link. */
  access?: CableAccess;
}

/** ZVT over a serial line (PA00P016 framing), reopening the device path after unplug/replug. */
export class SerialEndpoint {
  private port: SerialPortStream | null = null;
  private link: SerialLink | null = null;
  private opening = false;
  private watch: TimerHandle | null = null;
  private off = false;
  private closed = false;
  lastStats: SerialLinkStats | null = null;

  constructor(
    private readonly opts: SerialEndpointOptions,
    private readonly events: EndpointEvents,
  ) {}

  get stats(): SerialLinkStats | null {
    return this.link ? { ...this.link.stats } : this.lastStats;
  }

  async start(): Promise<void> {
    await this.open();
    this.schedule();
  }

  /** Interface powered off: close the port and stay closed until `powerOn()`. */
  async powerOff(): Promise<void> {
    this.off = true;
    await this.closePort();
  }

  async powerOn(): Promise<void> {
    this.off = false;
    await this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.off = true;
    if (this.watch) this.opts.clock.clearTimeout(this.watch);
    this.watch = null;
    await this.closePort();
  }

  private schedule(): void {
    if (this.closed) return;
    this.watch = this.opts.clock.setTimeout(() => {
      this.watch = null;
      if (this.closed) return;
      const present = (this.opts.access ?? OS_CABLE_ACCESS).existsSync(this.opts.path);
      if (this.port && !present) void this.closePort();
      else if (!this.port && present && !this.off) void this.open().catch(() => undefined);
      this.schedule();
    }, this.opts.watchMs);
  }

  private async open(): Promise<void> {
    if (this.port || this.opening || this.off) return;
    this.opening = true;
    try {
      const port = cablePort(this.opts.access ?? OS_CABLE_ACCESS, { path: this.opts.path, baudRate: this.opts.baudRate, stopBits: this.opts.stopBits, lock: false });
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      if (this.off) {
        await new Promise<void>((r) => port.close(() => r()));
        return;
      }
      this.port = port;
      let ecrLink: EcrLink | null = null;
      const serial = new SerialLink((bytes) => port.write(Buffer.from(bytes)), {
        clock: this.opts.clock,
        ackTimeoutMs: this.opts.linkAckTimeoutMs,
        faults: this.opts.faults,
        onApdu: (a) => ecrLink && this.events.apdu(ecrLink, a),
        onNoise: (what) => ecrLink && this.events.noise(ecrLink, what),
      });
      this.link = serial;
      const link: EcrLink = { via: 'serial', send: (a) => serial.send(a), drop: () => undefined };
      ecrLink = link;
      port.on('data', (d: Buffer) => serial.receive(d));
      port.on('error', () => undefined);
      port.on('close', () => {
        if (this.port !== port) return;
        this.port = null;
        this.lastStats = { ...serial.stats };
        this.link = null;
        serial.close();
        this.events.down(link);
      });
      this.events.up(link);
    } finally {
      this.opening = false;
    }
  }

  private async closePort(): Promise<void> {
    const port = this.port;
    if (!port) return;
    await new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r()));
    if (this.port === port) port.emit('close');
  }
}
