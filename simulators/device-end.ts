import type { SerialPortStream } from '@serialport/stream';
import { openCablePort, type CableMaker, type SerialCable } from './serial-cable';
import { ptyCable } from './cables';

/**
 * The device's side of a simulated serial cable (a socat `PtyPair` by default, or an `InProcessLink`): this class
 * holds the device end open, reading what the driver sends (`onData`) and writing what the device sends (`write`).
 * `unplug()`/`replug()` pull and restore the cable; the driver opens `hostPath` with the cable's `access`.
 */
export class DeviceEnd {
  private port: SerialPortStream | null = null;

  private constructor(
    readonly cable: SerialCable,
    private readonly onData: (chunk: Buffer) => void,
  ) {}

  static async create(name: string, onData: (chunk: Buffer) => void = () => undefined, makeCable: CableMaker = ptyCable): Promise<DeviceEnd> {
    const end = new DeviceEnd(await makeCable(name), onData);
    await end.open();
    return end;
  }

  get hostPath(): string {
    return this.cable.hostPath;
  }

  get plugged(): boolean {
    return this.cable.plugged;
  }

  /** Bytes from the device to the driver; resolves once handed to the line. */
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
    await this.cable.unplug();
  }

  async replug(): Promise<void> {
    await this.cable.replug();
    await this.open();
  }

  async close(): Promise<void> {
    await this.unplug();
    await this.cable.close();
  }

  private async open(): Promise<void> {
    const port = await openCablePort(this.cable.access, { path: this.cable.devicePath, baudRate: 9600, lock: false });
    port.on('error', () => undefined); // the cable vanishing under us is expected
    port.on('data', (chunk: Buffer) => {
      if (this.port === port) this.onData(chunk);
    });
    this.port = port;
  }
}
