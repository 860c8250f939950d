import { SerialPort } from 'serialport';
import { PtyPair } from './pty-pair';

/**
 * The device's side of a simulated serial cable: a `PtyPair` whose device end this class holds open, reading what
 * the driver sends (`onData`) and writing what the device sends (`write`). `unplug()`/`replug()` pull and restore
 * the cable; the driver opens `hostPath` exactly as it would a real port.
 */
export class PtyDeviceEnd {
  private port: SerialPort | null = null;

  private constructor(
    private readonly pair: PtyPair,
    private readonly onData: (chunk: Buffer) => void,
  ) {}

  static async create(name: string, onData: (chunk: Buffer) => void = () => undefined): Promise<PtyDeviceEnd> {
    const end = new PtyDeviceEnd(await PtyPair.create(name), onData);
    await end.open();
    return end;
  }

  get hostPath(): string {
    return this.pair.hostPath;
  }

  get plugged(): boolean {
    return this.pair.plugged;
  }

  /** Bytes from the device to the driver; resolves once handed to the pty. */
  async write(bytes: Buffer): Promise<void> {
    const port = this.port;
    if (!port) throw new Error('simulated device is unplugged');
    await new Promise<void>((resolve, reject) => {
      port.write(bytes, (err) => (err ? reject(err) : port.drain((e) => (e ? reject(e) : resolve()))));
    });
  }

  async unplug(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await this.pair.unplug();
  }

  async replug(): Promise<void> {
    await this.pair.replug();
    await this.open();
  }

  async close(): Promise<void> {
    await this.unplug();
    await this.pair.close();
  }

  private async open(): Promise<void> {
    const port = new SerialPort({ path: this.pair.devicePath, baudRate: 9600, autoOpen: false, lock: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('error', () => undefined); // the pair vanishing under us is expected
    port.on('data', (chunk: Buffer) => {
      if (this.port === port) this.onData(chunk);
    });
    this.port = port;
  }
}
