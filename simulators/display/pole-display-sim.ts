import { DeviceEnd } from '../device-end';
import type { CableAccess, CableMaker } from '../serial-cable';
import { PoleDisplayDecoder } from './pole-display-decoder';

/**
 * A 2×20 ESC/POS pole display on the device end of a simulated serial cable (a real pty pair, or an in-process link): the driver opens `hostPath`, every byte it
 * writes goes through `PoleDisplayDecoder`, and `lines()` says what a customer would read.
 *
 * `unplug()` / `replug()` pull and reconnect the cable; a replug power-cycles the display (blank screen), as a
 * USB-powered display does.
 */
export interface PoleDisplaySimOptions {
  name?: string;
  /** The cable it sits on: a socat pty pair (default) or an in-process link (`inProcessCable`). */
  cable?: CableMaker;
  columns?: number;
  rows?: number;
}

export class PoleDisplaySimulator {
  private constructor(
    private readonly end: DeviceEnd,
    readonly decoder: PoleDisplayDecoder,
  ) {}

  static async create(opts: PoleDisplaySimOptions = {}): Promise<PoleDisplaySimulator> {
    const decoder = new PoleDisplayDecoder(opts);
    return new PoleDisplaySimulator(await DeviceEnd.create(opts.name ?? 'display', (chunk) => decoder.write(chunk), opts.cable), decoder);
  }

  get hostPath(): string {
    return this.end.hostPath;
  }

  /** How the driver reaches `hostPath`: the OS for a pty pair, the link itself for an in-process link. */
  get hostAccess(): CableAccess {
    return this.end.cable.access;
  }

  /** What the display shows, one string per row (trailing blanks removed). */
  lines(): string[] {
    return this.decoder.lines();
  }

  /** Resolves once the display has received `count` bytes in all (e.g. the driver's `bytesSent`). */
  async received(count: number, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.decoder.bytesReceived < count) {
      if (Date.now() > deadline) throw new Error(`display received ${this.decoder.bytesReceived} of ${count} bytes within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Waits until the display shows `expected` (compared after trimming trailing blanks). */
  async waitForLines(expected: string[], timeoutMs = 2000): Promise<string[]> {
    const want = JSON.stringify(expected.map((l) => l.trimEnd()));
    const deadline = Date.now() + timeoutMs;
    while (JSON.stringify(this.lines()) !== want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return this.lines();
  }

  unplug(): Promise<void> {
    return this.end.unplug();
  }

  /** Power-cycles the display: blank screen until the driver writes again. */
  async replug(): Promise<void> {
    this.decoder.reset();
    await this.end.replug();
  }

  close(): Promise<void> {
    return this.end.close();
  }
}
