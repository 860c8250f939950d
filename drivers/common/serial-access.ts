import * as fs from 'node:fs';
import type { BindingInterface } from '@serialport/bindings-interface';
import { SerialPortStream, type OpenOptions } from '@serialport/stream';
import { SerialPort } from 'serialport';
import { deviceNumber, pathExists } from '../../kernel/path-presence';

/**
 * How a serial driver reaches its port: the serialport binding its `SerialPortStream` is built with, and the
 * presence checks that tell whether the port's path is (still) there. The default is the operating system —
 * serialport's native binding and `stat()` on the path, exactly what a driver on a real lane uses. A simulated
 * cable (simulators/in-process-link.ts) provides its own: the real driver then runs unchanged over it.
 */
export interface SerialAccess {
  /** Opens ports (serialport's `BindingInterface`). */
  readonly binding: BindingInterface;
  /** The path is there now (a device node, or a simulated end while plugged). */
  existsSync(path: string): boolean;
  pathExists(path: string): Promise<boolean>;
  /**
   * A number naming the device behind the path (a device node's `rdev`), or null when it is gone. A replugged
   * adapter comes back under another number, so a changed number means the port held open is dead.
   */
  deviceNumber(path: string): Promise<number | null>;
}

/** The real thing: serialport's native binding for this OS and the file system. */
export const OS_SERIAL_ACCESS: SerialAccess = {
  binding: SerialPort.binding,
  existsSync: (path) => fs.existsSync(path),
  pathExists,
  deviceNumber,
};

/** A serial port as the drivers hold it (serialport's `SerialPort` is one, over the OS binding). */
export type SerialPortLike = SerialPortStream;

/** Builds a port (not opened: `autoOpen` is false) over `access`'s binding. */
export function createSerialPort(access: SerialAccess, options: Omit<OpenOptions, 'binding' | 'autoOpen'>): SerialPortStream {
  return new SerialPortStream({ ...options, binding: access.binding, autoOpen: false });
}
