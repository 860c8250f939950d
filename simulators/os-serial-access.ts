import * as fs from 'node:fs';
import { SerialPort } from 'serialport';
import type { CableAccess } from './serial-cable';

/** The operating system's serial ports: serialport's native binding and stat() on the path (a pty pair's ends). */
export const OS_CABLE_ACCESS: CableAccess = {
  binding: SerialPort.binding,
  existsSync: (path) => fs.existsSync(path),
  async pathExists(path) {
    try {
      await fs.promises.stat(path);
      return true;
    } catch {
      return false;
    }
  },
  async deviceNumber(path) {
    try {
      return (await fs.promises.stat(path)).rdev;
    } catch {
      return null;
    }
  },
};
