import type { SerialCable } from './serial-cable';
import type { BindingInterface, BindingPortInterface, OpenOptions, PortInfo, PortStatus, SetOptions, UpdateOptions } from '@serialport/bindings-interface';

/**
 * A simulated serial cable inside the process: a serialport binding (`BindingInterface`, the shape of
 * `@serialport/binding-mock`) whose link has two named ends, `<name>-host` (the real driver opens it) and
 * `<name>-device` (the simulator opens it). Bytes written on one end are read on the other, in order; nothing
 * needs a system binary (a `PtyPair` needs socat).
 *
 * It keeps the rules a real port has, so a driver cannot pass here and fail on a lane:
 * - opening a path that is not there (unknown, or unplugged) fails like a missing /dev node (`ENOENT`);
 * - with `lock` (serialport's default) an end has one opener: a second open fails like flock (`Cannot lock port`);
 *   without `lock` several may open it and share its input, as on a tty;
 * - reads, writes, drain, flush on a closed port fail (`Port is not open`); closing a closed port fails;
 * - `unplug()` is a pulled USB adapter: pending reads on both ends reject with `EIO` (not `canceled`, so
 *   serialport's stream closes the port with a `DisconnectedError`), writes fail, the paths vanish and `open`
 *   fails; `replug()` brings the ends back under the same names with a new device number, while ports held
 *   open from before stay dead (as the old file descriptor of a replugged adapter does).
 * - input not yet read is bounded (`maxBufferedBytes`, like a tty's input queue): beyond it bytes are dropped
 *   and counted, never kept without limit.
 */

export type LinkEndName = 'host' | 'device';

/** An error of the simulated OS: `code` like errno's, `canceled` as serialport's bindings mark a read cut short by close. */
export class LinkError extends Error {
  constructor(
    readonly code: 'ENOENT' | 'EAGAIN' | 'EIO' | 'EBADF' | 'ECANCELED' | 'EINVAL',
    message: string,
    readonly canceled = false,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

export interface InProcessLinkOptions {
  /** Bytes an end holds unread before it drops more (a tty's input queue is 4 KiB; a USB-serial adapter's more). Default 64 KiB. */
  maxBufferedBytes?: number;
}

interface End {
  readonly name: LinkEndName;
  readonly path: string;
  readonly ports: Set<InProcessPort>;
  input: Buffer[];
  inputBytes: number;
  dropped: number;
}

const tick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

/** One open port on one end of the link (serialport's `BindingPortInterface`). */
export class InProcessPort implements BindingPortInterface {
  isOpen = true;
  private dead: LinkError | null = null;
  private wait: { resolve: () => void; reject: (e: Error) => void } | null = null;

  constructor(
    private readonly link: InProcessLink,
    private readonly end: End,
    readonly openOptions: Required<OpenOptions>,
  ) {}

  /** The link was pulled under this port: whatever it does now fails with `err`. */
  kill(err: LinkError): void {
    if (this.dead) return;
    this.dead = err;
    this.wake(err);
  }

  /** Input arrived (or `err`: the read must fail). */
  wake(err?: Error): void {
    const w = this.wait;
    this.wait = null;
    if (!w) return;
    if (err) w.reject(err);
    else w.resolve();
  }

  private usable(): void {
    if (!this.isOpen) throw new LinkError('EBADF', 'Port is not open');
    if (this.dead) throw this.dead;
  }

  /** An operation that was in flight when the port closed is canceled (the binding contract), when it was pulled fails. */
  private inFlight(): void {
    if (!this.isOpen) throw new LinkError('ECANCELED', 'port closed during the operation', true);
    if (this.dead) throw this.dead;
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!Buffer.isBuffer(buffer)) throw new TypeError('"buffer" is not a Buffer');
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 1 || buffer.length < offset + length) {
      throw new LinkError('EINVAL', `bad read of ${length} bytes at ${offset} into ${buffer.length}`);
    }
    this.usable();
    for (;;) {
      const n = this.link.take(this.end, buffer, offset, length);
      if (n > 0) return { buffer, bytesRead: n };
      if (this.wait) throw new LinkError('EINVAL', 'a read is already pending on this port');
      await new Promise<void>((resolve, reject) => (this.wait = { resolve, reject }));
      this.inFlight();
    }
  }

  async write(buffer: Buffer): Promise<void> {
    if (!Buffer.isBuffer(buffer)) throw new TypeError('"buffer" is not a Buffer');
    this.usable();
    const copy = Buffer.from(buffer);
    await tick(); // handed to the "OS" asynchronously, as a real write is
    this.inFlight();
    this.link.deliver(this.end, copy);
  }

  async close(): Promise<void> {
    if (!this.isOpen) throw new LinkError('EBADF', 'Port is not open');
    this.isOpen = false;
    this.link.detach(this.end, this);
    this.wake(new LinkError('ECANCELED', 'port is closed', true));
  }

  async drain(): Promise<void> {
    this.usable();
    await tick();
    this.inFlight();
  }

  async flush(): Promise<void> {
    this.usable();
    this.link.discard(this.end);
  }

  async update(options: UpdateOptions): Promise<void> {
    if (typeof options?.baudRate !== 'number' || !(options.baudRate > 0)) throw new TypeError('"options.baudRate" is not a positive number');
    this.usable();
    this.openOptions.baudRate = options.baudRate;
  }

  async set(_options: SetOptions): Promise<void> {
    this.usable();
  }

  async get(): Promise<PortStatus> {
    this.usable();
    // the far end holds the line up while it has the port open
    const peer = this.link.peerOpen(this.end);
    return { cts: peer, dsr: peer, dcd: peer };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    this.usable();
    return { baudRate: this.openOptions.baudRate };
  }
}

let linkCount = 0;

/**
 * One in-process serial link (and the binding that opens its two ends). `binding` goes to
 * `new SerialPortStream({ binding, path: link.hostPath, … })`; `existsSync` / `pathExists` / `deviceNumber`
 * answer the presence checks a driver otherwise makes with stat().
 */
export class InProcessLink implements BindingInterface<InProcessPort, OpenOptions, PortInfo>, SerialCable {
  readonly name: string;
  readonly hostPath: string;
  readonly devicePath: string;
  private readonly ends: Record<LinkEndName, End>;
  private readonly maxBuffered: number;
  private readonly id = ++linkCount;
  private plug = 1; // how many times it was plugged in: part of the device number
  private isPlugged = true;
  private closed = false;

  constructor(name: string, opts: InProcessLinkOptions = {}) {
    if (!/^[\w.-]{1,64}$/.test(name)) throw new RangeError(`link name ${JSON.stringify(name)} is not a short word`);
    this.name = name;
    this.hostPath = `inproc:${name}-host`;
    this.devicePath = `inproc:${name}-device`;
    this.maxBuffered = opts.maxBufferedBytes ?? 64 * 1024;
    const end = (n: LinkEndName, path: string): End => ({ name: n, path, ports: new Set(), input: [], inputBytes: 0, dropped: 0 });
    this.ends = { host: end('host', this.hostPath), device: end('device', this.devicePath) };
  }

  /** The binding itself (the link is its own binding): pass it as serialport's `binding`. */
  get binding(): this {
    return this;
  }

  /** How both ends are reached (`SerialCable`): the link is binding and presence checks in one. */
  get access(): this {
    return this;
  }

  get plugged(): boolean {
    return this.isPlugged;
  }

  /** Bytes dropped at an end because its unread input was full. */
  dropped(end: LinkEndName): number {
    return this.ends[end].dropped;
  }

  /** Ports open on an end now. */
  openers(end: LinkEndName): number {
    return this.ends[end].ports.size;
  }

  // ---- presence, as stat() would answer for a device node ----

  existsSync(path: string): boolean {
    return this.isPlugged && this.endAt(path) !== null;
  }

  async pathExists(path: string): Promise<boolean> {
    return this.existsSync(path);
  }

  /** Changes with every replug, like the minor number of a re-enumerated USB-serial adapter; null while unplugged. */
  async deviceNumber(path: string): Promise<number | null> {
    const end = this.endAt(path);
    if (!this.isPlugged || !end) return null;
    return this.id * 1_000_000 + this.plug * 2 + (end.name === 'host' ? 0 : 1);
  }

  // ---- BindingInterface ----

  async list(): Promise<PortInfo[]> {
    if (!this.isPlugged) return [];
    return [this.ends.host, this.ends.device].map((e) => ({
      path: e.path,
      manufacturer: 'kiosk in-process link',
      serialNumber: `${this.name}-${e.name}`,
      pnpId: undefined,
      locationId: undefined,
      productId: undefined,
      vendorId: undefined,
    }));
  }

  async open(options: OpenOptions): Promise<InProcessPort> {
    if (!options || typeof options !== 'object') throw new TypeError('"options" is not an object');
    if (!options.path) throw new TypeError('"path" is not a valid port');
    if (typeof options.baudRate !== 'number' || !(options.baudRate > 0)) throw new TypeError('"baudRate" is not a valid baudRate');
    await tick();
    const end = this.endAt(options.path);
    if (!end || !this.isPlugged) throw new LinkError('ENOENT', `Error: No such file or directory, cannot open ${options.path}`);
    const full: Required<OpenOptions> = {
      dataBits: 8,
      lock: true,
      stopBits: 1,
      parity: 'none',
      rtscts: false,
      xon: false,
      xoff: false,
      xany: false,
      hupcl: true,
      ...options,
    };
    const locked = [...end.ports].some((p) => p.openOptions.lock);
    if (locked || (full.lock && end.ports.size > 0)) throw new LinkError('EAGAIN', `Error Resource temporarily unavailable Cannot lock port ${options.path}`);
    const port = new InProcessPort(this, end, full);
    end.ports.add(port);
    return port;
  }

  // ---- the cable ----

  /** Pulls the cable: both ends vanish; their open ports fail (pending reads reject with EIO); unread input is lost. */
  async unplug(): Promise<void> {
    if (!this.isPlugged) return;
    this.isPlugged = false;
    for (const end of Object.values(this.ends)) {
      for (const port of end.ports) port.kill(new LinkError('EIO', `Input/output error on ${end.path} (link unplugged)`));
      end.ports.clear();
      this.discard(end);
    }
  }

  /** Plugs it back in: the same paths, a new device number; ports from before stay dead. */
  async replug(): Promise<void> {
    if (this.closed) throw new Error(`in-process link ${this.name} is closed`);
    if (this.isPlugged) return;
    this.plug++;
    this.isPlugged = true;
  }

  /** Unplugs for good. */
  async close(): Promise<void> {
    await this.unplug();
    this.closed = true;
  }

  // ---- used by the ports ----

  /** Bytes written at `from` arrive at the other end (dropped beyond its bound, or while nobody could read them). */
  deliver(from: End, bytes: Buffer): void {
    if (!this.isPlugged || bytes.length === 0) return;
    const to = from.name === 'host' ? this.ends.device : this.ends.host;
    const room = this.maxBuffered - to.inputBytes;
    const kept = bytes.length <= room ? bytes : bytes.subarray(0, Math.max(0, room));
    to.dropped += bytes.length - kept.length;
    if (kept.length > 0) {
      to.input.push(kept);
      to.inputBytes += kept.length;
    }
    for (const port of to.ports) port.wake();
  }

  /** Moves up to `length` unread bytes of `end` into `buffer`; returns how many. */
  take(end: End, buffer: Buffer, offset: number, length: number): number {
    let n = 0;
    while (n < length && end.input.length > 0) {
      const head = end.input[0]!;
      const k = Math.min(head.length, length - n);
      head.copy(buffer, offset + n, 0, k);
      n += k;
      if (k === head.length) end.input.shift();
      else end.input[0] = head.subarray(k);
    }
    end.inputBytes -= n;
    return n;
  }

  discard(end: End): void {
    end.input = [];
    end.inputBytes = 0;
  }

  detach(end: End, port: InProcessPort): void {
    end.ports.delete(port);
  }

  peerOpen(end: End): boolean {
    const peer = end.name === 'host' ? this.ends.device : this.ends.host;
    return this.isPlugged && peer.ports.size > 0;
  }

  private endAt(path: string): End | null {
    if (path === this.hostPath) return this.ends.host;
    if (path === this.devicePath) return this.ends.device;
    return null;
  }
}
