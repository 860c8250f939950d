import { KioskError } from '../../kernel/errors';
import { OS_SERIAL_ACCESS, createSerialPort, type SerialAccess, type SerialPortLike } from './serial-access';

export { OS_SERIAL_ACCESS, type SerialAccess, type SerialPortLike } from './serial-access';

/** Serial line settings shared by the serial scanner and the pole display. */
export interface SerialLineOptions {
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits?: 1 | 1.5 | 2;
  /** RTS/CTS hardware flow control. Default off. */
  rtscts?: boolean;
}

export function pathExists(path: string, access: SerialAccess = OS_SERIAL_ACCESS): Promise<boolean> {
  return access.pathExists(path);
}

/**
 * The device number behind a path (following symlinks such as /dev/serial/by-id/…), or null when it is gone. A
 * replugged adapter comes back under another number while the old one is still held open, so a changed number
 * means the port we hold is dead even if the path exists again.
 */
export function deviceNumber(path: string, access: SerialAccess = OS_SERIAL_ACCESS): Promise<number | null> {
  return access.deviceNumber(path);
}

/**
 * Opens a serial port. `exclusive` takes an advisory lock (flock) so a second owner fails with `DEVICE_BUSY`;
 * a missing device rejects with `DEVICE_OFFLINE`. `access` is the OS unless a simulated cable is injected.
 */
export async function openSerialPort(path: string, line: SerialLineOptions, exclusive: boolean, access: SerialAccess = OS_SERIAL_ACCESS): Promise<SerialPortLike> {
  if (!(await access.pathExists(path))) throw new KioskError('DEVICE_OFFLINE', `serial device ${path} is not there`, { path });
  const port = createSerialPort(access, {
    path,
    baudRate: line.baudRate ?? 9600,
    dataBits: line.dataBits ?? 8,
    parity: line.parity ?? 'none',
    stopBits: line.stopBits ?? 1,
    rtscts: line.rtscts ?? false,
    lock: exclusive,
  });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => {
      if (!err) return resolve();
      const busy = /Cannot lock port|Resource temporarily unavailable|EBUSY/i.test(err.message);
      reject(
        new KioskError(busy ? 'DEVICE_BUSY' : 'DEVICE_OFFLINE', `cannot open serial device ${path}: ${err.message}`, { path, cause: err.message }),
      );
    }),
  );
  return port;
}

/** Discards input the port received before we were ready for it. */
export function flushInput(port: SerialPortLike): Promise<void> {
  return new Promise((resolve) => port.flush(() => resolve()));
}

/** Closes a port if it is open; never rejects. */
export function closeSerialPort(port: SerialPortLike | null): Promise<void> {
  if (!port || !port.isOpen) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      port.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** Writes and waits until the bytes left the process (drain), or rejects: `DEVICE_OFFLINE` / `TIMEOUT`. */
export function writeAndDrain(port: SerialPortLike, bytes: Buffer, timeoutMs: number, setTimer: (fn: () => void, ms: number) => () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const cancel = setTimer(() => {
      if (settled) return;
      settled = true;
      reject(new KioskError('TIMEOUT', `serial write of ${bytes.length} bytes not drained within ${timeoutMs} ms`, { timeoutMs }));
    }, timeoutMs);
    const finish = (err: Error | null | undefined) => {
      if (settled) return;
      settled = true;
      cancel();
      if (err) reject(new KioskError('DEVICE_OFFLINE', `serial write failed: ${err.message}`, { cause: err.message }));
      else resolve();
    };
    port.write(bytes, (err) => {
      if (err) return finish(err);
      port.drain((e) => finish(e));
    });
  });
}
